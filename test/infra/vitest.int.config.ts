import { defineConfig } from 'vitest/config';
import { selfReference } from './self-reference.js';

/**
 * Integration tests (*.int.test.ts) against real services started by
 * test/infra. Run with `vitest run --config test/infra/vitest.int.config.ts`.
 * The unit run should exclude '**\/*.int.test.ts'.
 */
export default defineConfig({
  resolve: { alias: selfReference },
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: ['**/*.int.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    globalSetup: ['test/infra/kafka/global-setup.ts'],
    // One broker on 2 cores: files run one at a time.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 180_000,
  },
});
