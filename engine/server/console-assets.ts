import { existsSync, readFileSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The web console's static files (index.html, the esbuild bundle and its CSS),
 * looked up by request path under /console. `npm run build` writes them to
 * dist/console/ (scripts/build-console.ts); nothing is fetched from a CDN.
 * A lookup never leaves the assets folder and knows nothing of HTTP beyond
 * the content type: the server's routes (and its authentication) decide who
 * gets them.
 */
export interface ConsoleAsset {
  readonly contentType: string;
  readonly body: Buffer;
}

export const CONSOLE_PATH = '/console';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.map': 'application/json',
};

/**
 * Where the built console is: dist/console/ of the checkout (sources run by
 * tsx) or of the image (compiled to dist/engine/server/); KSETL_CONSOLE_DIR
 * overrides both.
 */
export function consoleDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env['KSETL_CONSOLE_DIR']) return env['KSETL_CONSOLE_DIR'];
  const here = fileURLToPath(new URL('.', import.meta.url));
  const candidates = [join(here, '..', '..', 'console'), join(here, '..', '..', 'dist', 'console')];
  return candidates.find((d) => existsSync(join(d, 'app.js'))) ?? candidates[1]!;
}

/** Looks assets up in `dir`, caching what it read (the files do not change while the process runs). */
export function consoleAssets(dir: string = consoleDir()): (path: string) => ConsoleAsset | null {
  const cache = new Map<string, ConsoleAsset | null>();
  return (path) => {
    const rel = assetPath(path);
    if (rel === null) return null;
    if (cache.has(rel)) return cache.get(rel)!;
    const file = join(dir, rel);
    let asset: ConsoleAsset | null = null;
    if (existsSync(file)) asset = { contentType: TYPES[extname(file)] ?? 'application/octet-stream', body: readFileSync(file) };
    // single-page app: unknown paths without an extension are the page's own views
    else if (extname(rel) === '' && existsSync(join(dir, 'index.html'))) asset = { contentType: TYPES['.html']!, body: readFileSync(join(dir, 'index.html')) };
    cache.set(rel, asset);
    return asset;
  };
}

/** The file a request path names under /console ("index.html" for the console itself), or null when it names none or climbs out. */
export function assetPath(path: string): string | null {
  if (path !== CONSOLE_PATH && !path.startsWith(CONSOLE_PATH + '/')) return null;
  let rest: string;
  try {
    rest = decodeURIComponent(path.slice(CONSOLE_PATH.length + 1));
  } catch {
    return null;
  }
  if (rest === '') return 'index.html';
  if (rest.includes('\0')) return null;
  const n = normalize(rest);
  if (n.startsWith('..') || n.startsWith(sep) || n.split(sep).includes('..')) return null;
  return n;
}
