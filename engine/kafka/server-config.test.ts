import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadServerConfig, parseProperties, ServerConfigError } from './server-config.js';

describe('server config', () => {
  it('reads a properties file, then env vars, resolving ${env:} and ${file:}', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ksetl-config-'));
    await writeFile(join(dir, 'secret'), 's3cret\n');
    await writeFile(
      join(dir, 'server.properties'),
      [
        '# comment',
        'bootstrap.servers=broker:9092',
        'ksql.service.id=svc_',
        'listeners=http://0.0.0.0:8089',
        'security.protocol=SASL_PLAINTEXT',
        'sasl.mechanism=SCRAM-SHA-512',
        `sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="u" password="\${file:${join(dir, 'secret')}}";`,
      ].join('\n'),
    );
    const c = await loadServerConfig(join(dir, 'server.properties'), { KSQL_PROCESSING_GUARANTEE: 'exactly_once_v2', KSQL_KSQL_STREAMS_AUTO__OFFSET__RESET: 'x', KSQL_KSQL_INTERNAL_TOPICS_PRECREATED: 'true' });
    expect(c).toMatchObject({
      bootstrapServers: 'broker:9092',
      serviceId: 'svc_',
      processingGuarantee: 'exactly_once_v2',
      listener: { host: '0.0.0.0', port: 8089 },
      sasl: { mechanism: 'scram-sha-512', username: 'u', password: 's3cret' },
    });
    expect(c.properties).toMatchObject({ 'ksql.internal.topics.precreated': 'true', 'ksql.streams.auto_offset_reset': 'x', 'processing.guarantee': 'exactly_once_v2' });
  });

  it('reads JSON (nested keys flattened) and rejects a missing bootstrap', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ksetl-config-'));
    await writeFile(join(dir, 'c.json'), JSON.stringify({ bootstrap: { servers: ['a:1', 'b:2'] }, ksql: { service: { id: 'j_' } } }));
    expect(await loadServerConfig(join(dir, 'c.json'), {})).toMatchObject({ bootstrapServers: 'a:1,b:2', serviceId: 'j_' });
    await expect(loadServerConfig(null, {})).rejects.toBeInstanceOf(ServerConfigError);
  });

  it('resolves ${env:} and ${file:} in secret keys and the advertised listener only, and refuses them elsewhere', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ksetl-config-'));
    await writeFile(join(dir, 'pw'), 'from-file\n');
    const env = { PW: 'from-env', POD_NAME: 'p-0' };
    const c = await loadServerConfig(null, env, {
      'bootstrap.servers': 'b:1',
      'ksql.advertised.listener': 'http://${env:POD_NAME}:8088',
      'ksetl.basic.auth.user': 'admin',
      'ksetl.basic.auth.password': '${env:PW}',
      'ksql.schema.registry.basic.auth.user.info': `u:\${file:${join(dir, 'pw')}}`,
    });
    expect(c.basicAuth).toEqual({ user: 'admin', password: 'from-env' });
    expect(c.properties['ksql.advertised.listener']).toBe('http://p-0:8088');
    expect(c.properties['ksql.schema.registry.basic.auth.user.info']).toBe('u:from-file');
    for (const [k, v] of [
      ['ksql.leak', '${env:PW}'],
      ['ksql.leak', `\${file:${join(dir, 'pw')}}`],
      ['ksql.streams.auto.offset.reset', 'x${env:PW}'],
    ] as const) {
      const e = await loadServerConfig(null, env, { 'bootstrap.servers': 'b:1', [k]: v }).catch((x: unknown) => x);
      expect(e, `${k}=${v}`).toBeInstanceOf(ServerConfigError);
      expect(String(e)).toContain(k);
      expect(String(e)).not.toContain('from-');
    }
    // env vars mapped to properties (KSQL_*) follow the same rule
    await expect(loadServerConfig(null, { ...env, KSQL_BOOTSTRAP_SERVERS: 'b:1', KSQL_KSQL_LEAK: '${env:PW}' })).rejects.toThrow(/ksql\.leak/);
  });

  it("passes the console's Prometheus URL to the engine and refuses one with credentials", async () => {
    const env = { KSQL_BOOTSTRAP_SERVERS: 'b:9092', KSQL_KSETL_CONSOLE_PROMETHEUS_URL: 'http://prometheus:9090' };
    expect((await loadServerConfig(null, env)).properties['ksetl.console.prometheus.url']).toBe('http://prometheus:9090');
    for (const url of ['http://u:p@prometheus:9090', 'prometheus:9090', 'nonsense']) {
      await expect(loadServerConfig(null, { ...env, KSQL_KSETL_CONSOLE_PROMETHEUS_URL: url }), url).rejects.toBeInstanceOf(ServerConfigError);
    }
  });

  it('parses properties syntax', () => {
    expect(parseProperties('a=1\nb : 2\n! x\nc=multi\\\n  line')).toEqual({ a: '1', b: '2', c: 'multiline' });
  });
});
