import { defineConfig } from 'vitest/config';
import { selfReference } from './test/infra/self-reference.js';

export default defineConfig({
  resolve: { alias: selfReference },
  test: {
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**', '**/*.int.test.ts', '**/*.e2e.test.ts'],
    pool: 'threads',
    poolOptions: { threads: { minThreads: 1, maxThreads: 2 } },
    // unit tests are fast; suites that run whole conformance files set their own timeout
    testTimeout: 20_000,
    hookTimeout: 30_000,
    teardownTimeout: 10_000,
  },
});
