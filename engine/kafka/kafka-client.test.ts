import { describe, expect, it } from 'vitest';
import { DEFAULT_KAFKA_CLIENT, kafkaClientFromEnv, kafkaClientOf } from './kafka-client.js';
import { loadServerConfig, ServerConfigError } from './server-config.js';

describe('the Kafka client choice', () => {
  it('names kafkajs or platformatic, the default when nothing is said, and refuses anything else', () => {
    expect(kafkaClientOf(undefined)).toBe(DEFAULT_KAFKA_CLIENT);
    expect(kafkaClientOf(' ')).toBe(DEFAULT_KAFKA_CLIENT);
    expect(kafkaClientOf('kafkajs')).toBe('kafkajs');
    expect(kafkaClientOf('Platformatic')).toBe('platformatic');
    expect(kafkaClientOf('@platformatic/kafka')).toBe('platformatic');
    expect(() => kafkaClientOf('librdkafka')).toThrow(/ksetl.kafka.client must be one of kafkajs, platformatic, got librdkafka/);
    expect(kafkaClientFromEnv({ KSETL_KAFKA_CLIENT: 'platformatic' })).toBe('platformatic');
  });

  it('comes from ksetl.kafka.client, else from KSETL_KAFKA_CLIENT', async () => {
    const base = { KSQL_BOOTSTRAP_SERVERS: 'k:9092' };
    expect((await loadServerConfig(null, base)).kafkaClient).toBe(DEFAULT_KAFKA_CLIENT);
    expect((await loadServerConfig(null, { ...base, KSETL_KAFKA_CLIENT: 'platformatic' })).kafkaClient).toBe('platformatic');
    expect((await loadServerConfig(null, { ...base, KSETL_KAFKA_CLIENT: 'platformatic' }, { 'ksetl.kafka.client': 'kafkajs' })).kafkaClient).toBe('kafkajs');
    await expect(loadServerConfig(null, base, { 'ksetl.kafka.client': 'nope' })).rejects.toThrow(ServerConfigError);
  });
});
