import { describe, expect, it } from 'vitest';
import { HIDDEN, isSensitiveProperty, redactProperties } from './redact.js';

describe('redaction', () => {
  it('hides passwords, JAAS configurations, user info, stores, keys and what comes from a Secret', () => {
    for (const k of [
      'ksql.streams.sasl.jaas.config',
      'sasl.jaas.config',
      'ksql.schema.registry.basic.auth.user.info',
      'ksql.streams.ssl.truststore.password',
      'ssl.keystore.location',
      'ksql.streams.ssl.truststore.certificates',
      'ssl.key.password',
      'ssl.key.pem',
      'ksql.streams.ssl.keystore.key',
      'sasl.password',
      'sasl.username',
      'ksetl.basic.auth.user',
      'ksetl.basic.auth.password',
      'ksql.oauth.token',
      'SASL.PASSWORD',
      'ksql.connect.client.secret',
    ]) {
      expect(isSensitiveProperty(k), k).toBe(true);
    }
  });

  it('shows the engine settings a team reads, "key" formats included', () => {
    for (const k of ['ksql.service.id', 'ksql.persistence.default.format.key', 'ksql.streams.auto.offset.reset', 'bootstrap.servers', 'ksql.logging.processing.rows.include', 'ksql.advertised.listener']) {
      expect(isSensitiveProperty(k), k).toBe(false);
    }
  });

  it('replaces secret values by [hidden], as ksqlDB shows a PASSWORD config', () => {
    expect(redactProperties({ 'ksql.service.id': 's_', 'ksql.streams.sasl.jaas.config': 'x required password="p";' })).toEqual({ 'ksql.service.id': 's_', 'ksql.streams.sasl.jaas.config': HIDDEN });
    expect(HIDDEN).toBe('[hidden]');
  });
});
