import { KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { KsqlError } from '../errors.js';
import { isRetriable } from './query-runner.js';

// kafkajs builds protocol errors from the broker's error table entry ({ type, code, retriable, message })
const protocolError = (e: { message: string; type: string; code: number; retriable: boolean }): KafkaJSProtocolError => new KafkaJSProtocolError(e as unknown as Error);

describe('isRetriable (query start)', () => {
  it('retries what Kafka marks retriable, also wrapped in kafkajs retry errors', () => {
    const notHosted = protocolError({ message: 'This server does not host this topic-partition', type: 'UNKNOWN_TOPIC_OR_PARTITION', code: 3, retriable: true });
    expect(isRetriable(notHosted)).toBe(true);
    expect(isRetriable(new KafkaJSNumberOfRetriesExceeded(notHosted, { retryCount: 5, retryTime: 100 }))).toBe(true);
  });

  it('does not retry the engine own errors or plain failures', () => {
    expect(isRetriable(new KsqlError('Pre-created internal topics are missing'))).toBe(false);
    expect(isRetriable(new TypeError('x is undefined'))).toBe(false);
    expect(isRetriable(protocolError({ message: 'Not authorized', type: 'TOPIC_AUTHORIZATION_FAILED', code: 29, retriable: false }))).toBe(false);
  });
});
