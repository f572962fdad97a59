import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, inject } from 'vitest';
import { startKafka, type KafkaBroker } from '../../test/infra/kafka/broker.js';
import { kafkajsPort } from './kafkajs-port.js';
import type { KafkaPort } from './port.js';
import { runPortConformance } from './port-conformance.test-support.js';

// Against a real broker: the integration project's globalSetup provides one;
// run alone (plain `vitest run` on this file) it starts its own.
let broker: KafkaBroker | null = null;
let port: KafkaPort;
const seed = randomBytes(4).toString('hex');

beforeAll(async () => {
  let bootstrap = inject('kafkaBootstrap') ?? process.env['KSETL_KAFKA_BOOTSTRAP'];
  if (!bootstrap) {
    broker = await startKafka();
    bootstrap = broker.bootstrap;
  }
  port = kafkajsPort({ brokers: bootstrap, clientId: `port-test-${seed}`, logLevel: 'nothing' });
}, 180_000);

afterAll(async () => {
  await port?.close();
  await broker?.stop();
}, 60_000);

runPortConformance('kafkajs against a real broker', () => port);
