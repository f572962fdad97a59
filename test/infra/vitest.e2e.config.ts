import { defineConfig } from 'vitest/config';
import { selfReference } from './self-reference.js';

/**
 * End-to-end tests (*.e2e.test.ts) against a real Kafka broker and a real
 * Kubernetes control plane (etcd + kube-apiserver + kube-controller-manager)
 * started by test/infra. Run with `npm run test:e2e`. The unit and
 * integration runs exclude '**\/*.e2e.test.ts'.
 *
 * A first run on a machine builds the Kubernetes binaries (see
 * test/infra/kube/README.md) and the OpenTelemetry Collector
 * (test/infra/otelcol/build.sh); later runs find them cached.
 */
export default defineConfig({
  resolve: { alias: selfReference },
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: ['test/e2e/**/*.e2e.test.ts', '**/*.e2e.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    globalSetup: ['test/infra/kafka/global-setup.ts', 'test/infra/kube/global-setup.ts', 'test/infra/otelcol/global-setup.ts'],
    // One broker and one apiserver on 2 cores: files run one at a time.
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 300_000,
    teardownTimeout: 60_000,
  },
});
