import type { Logger } from '../server/logger.js';
import { kafkajsPort, type KafkajsPortOptions } from './kafkajs-port.js';
import { platformaticPort } from './platformatic-port.js';
import type { KafkaPort } from './port.js';

/**
 * The Kafka client libraries the engine can run on, behind the same port
 * (`ksetl.kafka.client`, or KSETL_KAFKA_CLIENT in the environment: the
 * integration tests and benchmarks honour it). See docs/performance.md,
 * "Kafka client", for how they compare.
 */
export const KAFKA_CLIENTS = ['kafkajs', 'platformatic'] as const;
export type KafkaClientName = (typeof KAFKA_CLIENTS)[number];

/** kafkajs until the other passes the whole integration suite and is faster (docs/performance.md). */
export const DEFAULT_KAFKA_CLIENT: KafkaClientName = 'kafkajs';

export class KafkaClientError extends Error {
  override readonly name = 'KafkaClientError';
}

/** The client a property or environment value names; the default when none. */
export function kafkaClientOf(value: string | undefined | null): KafkaClientName {
  if (value === undefined || value === null || value.trim() === '') return DEFAULT_KAFKA_CLIENT;
  const v = value.trim().toLowerCase();
  if (v === '@platformatic/kafka') return 'platformatic';
  if ((KAFKA_CLIENTS as readonly string[]).includes(v)) return v as KafkaClientName;
  throw new KafkaClientError(`ksetl.kafka.client must be one of ${KAFKA_CLIENTS.join(', ')}, got ${value}`);
}

export interface KafkaPortOptions {
  readonly brokers: readonly string[] | string;
  readonly clientId?: string;
  readonly ssl?: KafkajsPortOptions['ssl'];
  readonly sasl?: KafkajsPortOptions['sasl'];
  readonly logger?: Logger;
  /** kafkajs's own logging (the other client logs nothing of its own) */
  readonly logLevel?: KafkajsPortOptions['logLevel'];
}

export function kafkaPort(client: KafkaClientName, options: KafkaPortOptions): KafkaPort {
  switch (client) {
    case 'kafkajs':
      return kafkajsPort(options);
    case 'platformatic':
      return platformaticPort(options);
    default: {
      const never: never = client;
      throw new KafkaClientError(`unknown Kafka client ${String(never)}`);
    }
  }
}

/** The client KSETL_KAFKA_CLIENT names (tests, benchmarks), else the default. */
export function kafkaClientFromEnv(env: NodeJS.ProcessEnv = process.env): KafkaClientName {
  return kafkaClientOf(env['KSETL_KAFKA_CLIENT']);
}
