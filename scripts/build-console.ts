/**
 * Bundles the web console (console/src, Preact + CodeMirror + uPlot + dagre)
 * with esbuild into dist/console/: index.html, app.js, app.css. The engine
 * serves that folder under /console (engine/server/console-assets.ts); no
 * file comes from a CDN. `npm run build` runs it; the browser tests call
 * buildConsole() themselves.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));

export async function buildConsole(outDir = join(root, 'dist', 'console')): Promise<string> {
  await mkdir(outDir, { recursive: true });
  await build({
    entryPoints: { app: join(root, 'console', 'src', 'main.tsx') },
    bundle: true,
    format: 'esm',
    target: 'es2022',
    minify: true,
    jsx: 'automatic',
    jsxImportSource: 'preact',
    outdir: outDir,
    legalComments: 'linked',
    logLevel: 'warning',
  });
  await copyFile(join(root, 'console', 'index.html'), join(outDir, 'index.html'));
  return outDir;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = await buildConsole();
  console.log(`console built in ${out}`);
}
