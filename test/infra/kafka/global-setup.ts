import type { TestProject } from 'vitest/node';
import { startKafka } from './broker.js';

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBootstrap: string;
  }
}

/**
 * vitest globalSetup for the integration project: one broker for the whole
 * run. Tests read the address with `inject('kafkaBootstrap')` (or, outside
 * vitest's context, process.env.KSETL_KAFKA_BOOTSTRAP). When
 * KSETL_KAFKA_BOOTSTRAP is already set, that broker is used and none is started.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const given = process.env['KSETL_KAFKA_BOOTSTRAP'];
  if (given) {
    project.provide('kafkaBootstrap', given);
    return async () => {};
  }
  const started = Date.now();
  const broker = await startKafka();
  console.log(`[kafka] ${broker.bootstrap} ready in ${Date.now() - started} ms (${broker.dir})`);
  process.env['KSETL_KAFKA_BOOTSTRAP'] = broker.bootstrap;
  project.provide('kafkaBootstrap', broker.bootstrap);
  return async () => {
    delete process.env['KSETL_KAFKA_BOOTSTRAP'];
    await broker.stop();
  };
}
