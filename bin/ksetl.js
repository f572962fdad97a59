#!/usr/bin/env node
// Launcher. In a source checkout (TypeScript sources and tsx present) it runs the sources,
// so the conformance runner also finds the test-only functions under test/conformance/udfs;
// in an installed image (no sources or no tsx) it runs the compiled CLI in dist/.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'engine', 'cli', 'main.ts');
let entry = join(root, 'dist', 'engine', 'cli', 'main.js');
if (existsSync(source)) {
  try {
    const { register } = await import('tsx/esm/api');
    // the repository's tsconfig wherever the process was started from: its paths map the package's
    // own exports (`ksetl/engine`, which the operator imports) to the sources instead of dist/
    register({ tsconfig: join(root, 'tsconfig.json') });
    entry = source;
  } catch {
    // tsx is a dev dependency: without it, use the build
  }
}
const { main } = await import(pathToFileURL(entry).href);
process.exitCode = await main(process.argv.slice(2));
