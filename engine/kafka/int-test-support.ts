import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, inject } from 'vitest';
import { startKafka, type KafkaBroker } from '../../test/infra/kafka/broker.js';
import { KafkaEngine } from './kafka-engine.js';
import { kafkaClientFromEnv, kafkaPort } from './kafka-client.js';
import type { BrokerRecord, KafkaPort } from './port.js';
import { waitFor as pollUntil } from '../../test/infra/wait.js';

/** Shared by the Kafka driver's integration tests: a broker address, per-run names, waiting, reading topics. */
let own: KafkaBroker | null = null;

export async function bootstrap(): Promise<string> {
  const given = inject('kafkaBootstrap') ?? process.env['KSETL_KAFKA_BOOTSTRAP'];
  if (given) return given;
  own ??= await startKafka();
  return own.bootstrap;
}

export async function stopOwnBroker(): Promise<void> {
  await own?.stop();
  own = null;
}

/**
 * A suite's Kafka: before its tests, the broker (shared or its own) and an
 * admin port `clientId`, handed to `ready`; after them, `pool`'s engines,
 * the port and an own broker are closed.
 */
export function onBroker(clientId: string, ready: (brokers: string, admin: KafkaPort) => void, pool?: EnginePool): void {
  let admin: KafkaPort | undefined;
  beforeAll(async () => {
    const brokers = await bootstrap();
    admin = newPort(brokers, clientId);
    ready(brokers, admin);
  }, 180_000);
  afterAll(async () => {
    await pool?.closeAll();
    await admin?.close();
    await stopOwnBroker();
  }, 60_000);
}

export function newPort(brokers: string, clientId: string): KafkaPort {
  return kafkaPort(kafkaClientFromEnv(), { brokers, clientId, logLevel: 'nothing' });
}

/** A per-run seed for topic names and service ids (Materialize's habit: runs never see each other's data). */
export function seed(): string {
  return randomBytes(4).toString('hex');
}

/** The system tests' one polling helper (test/infra/wait.ts), with the integration tests' 45 s deadline and 100 ms step. */
export function waitFor<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs = 45_000): Promise<T> {
  return pollUntil(what, check, { timeoutMs, intervalMs: 100 });
}

/** Reads a topic (read_committed) from the start with a throwaway group until `until` holds. */
export async function readTopic(port: KafkaPort, topic: string, until: (seen: readonly BrokerRecord[]) => boolean, what = `records on ${topic}`, timeoutMs = 45_000): Promise<BrokerRecord[]> {
  const seen: BrokerRecord[] = [];
  const consumer = await port.consumer({ groupId: `reader-${seed()}`, topics: [topic], from: 'earliest', maxWaitMs: 100 });
  try {
    await consumer.run(async (b) => {
      seen.push(...b.records);
    });
    await waitFor(what, () => (until(seen) ? true : undefined), timeoutMs);
    return seen;
  } finally {
    await consumer.close();
  }
}

/** JSON bytes of a value (record values in tests). */
export const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));

/**
 * Engines a test file starts on its own port each, reading from the earliest offset,
 * and closes (engine, then port) one by one or all at the end.
 */
export class EnginePool {
  readonly #engines: KafkaEngine[] = [];

  async start(brokers: string, serviceId: string, properties: Record<string, string> = {}): Promise<KafkaEngine> {
    const e = await KafkaEngine.start({ port: newPort(brokers, `engine-${serviceId}`), serviceId, properties: { 'ksql.streams.auto.offset.reset': 'earliest', ...properties } });
    this.#engines.push(e);
    return e;
  }

  async close(e: KafkaEngine): Promise<void> {
    this.#engines.splice(this.#engines.indexOf(e), 1);
    await e.close();
    await e.port.close();
  }

  async closeAll(): Promise<void> {
    await Promise.allSettled(this.#engines.splice(0).map(async (e) => (await e.close(), await e.port.close())));
  }
}
