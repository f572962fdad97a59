import { KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { KsqlError } from '../errors.js';
import { decodePartitionTime, encodePartitionTime, isRetriable } from './query-runner.js';

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

describe('partition time in commit metadata (Kafka Streams TopicPartitionMetadata)', () => {
  it('writes version 1: a version byte and the time as a big-endian long, base64', () => {
    expect(encodePartitionTime(1)).toBe('AQAAAAAAAAAB');
    expect(Buffer.from(encodePartitionTime(1_600_000_000_123), 'base64')).toEqual(Buffer.from([1, 0, 0, 0x01, 0x74, 0x87, 0x6e, 0x80, 0x7b]));
    expect(decodePartitionTime(encodePartitionTime(1_600_000_000_123))).toBe(1_600_000_000_123);
  });

  it("reads version 2 (processor metadata after the time), and nothing from other metadata", () => {
    const v2 = Buffer.concat([Buffer.from([2]), Buffer.from(Buffer.from(encodePartitionTime(42), 'base64').subarray(1)), Buffer.from([0, 0, 0, 0])]);
    expect(decodePartitionTime(v2.toString('base64'))).toBe(42);
    expect(decodePartitionTime(undefined)).toBeNull();
    expect(decodePartitionTime('')).toBeNull();
    expect(decodePartitionTime('not a partition time')).toBeNull();
    // Kafka Streams' unknown time (-1)
    const unknown = Buffer.alloc(9);
    unknown.writeUInt8(1, 0);
    unknown.writeBigInt64BE(-1n, 1);
    expect(decodePartitionTime(unknown.toString('base64'))).toBeNull();
  });
});
