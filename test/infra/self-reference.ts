/**
 * The package's own exports (package.json `exports`) on the sources, for
 * vitest: Node and tsc resolve `ksetl/engine` to dist/engine/api.js (tsc maps
 * it back to engine/api.ts), tsx reads tsconfig.json's `paths`, and vite
 * neither resolves a package's self-reference nor reads `paths`, so the
 * vitest configs alias it.
 */
import { fileURLToPath } from 'node:url';

export const selfReference: Readonly<Record<string, string>> = {
  'ksetl/engine': fileURLToPath(new URL('../../engine/api.ts', import.meta.url)),
};
