/**
 * Secrets stay secret on a real broker: a credential given to the engine
 * through its properties file, its environment and a mounted file appears
 * in none of SHOW PROPERTIES, /info, /metrics, statement errors, or the
 * engine's log at debug level; a property that references one is refused;
 * a bad record's bytes stay out of the log. (issue 18)
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrap, json, newPort, seed, stopOwnBroker, waitFor } from './int-test-support.js';
import type { KafkaPort } from './port.js';
import { ServerConfigError } from './server-config.js';
import { startServer } from './server-main.js';

let brokers: string;
let admin: KafkaPort;

beforeAll(async () => {
  brokers = await bootstrap();
  admin = newPort(brokers, 'secrets-test');
}, 180_000);

afterAll(async () => {
  await admin?.close();
  await stopOwnBroker();
}, 60_000);

function capture(): { lines: string[]; sink: Writable } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString().split('\n').filter((l) => l.trim() !== ''));
      done();
    },
  });
  return { lines, sink };
}

describe('secrets on a real broker', () => {
  it('never show in SHOW PROPERTIES, /info, /metrics, errors or the debug log, whichever way they came in', { timeout: 120_000 }, async () => {
    const s = seed();
    // one distinct secret per source, so a leak names its path
    const secret = { properties: `prop-${s}-x7`, env: `env-${s}-q2`, envRef: `envref-${s}-k9`, file: `file-${s}-m4` };
    const dir = await mkdtemp(join(tmpdir(), 'ksetl-secrets-'));
    const secretFile = join(dir, 'sr-password');
    await writeFile(secretFile, `${secret.file}\n`);
    const config = join(dir, 'server.properties');
    await writeFile(
      config,
      [
        `bootstrap.servers=${brokers}`,
        `ksql.service.id=secrets_${s}_`,
        'listeners=http://127.0.0.1:0',
        // a password written into the properties file
        `ksql.streams.ssl.truststore.password=${secret.properties}`,
        // one read from a mounted file
        `ksql.schema.registry.basic.auth.user.info=sr-user:\${file:${secretFile}}`,
        // the REST password from the environment by reference
        'ksetl.basic.auth.user=admin',
        'ksetl.basic.auth.password=${env:REST_PASSWORD}',
      ].join('\n'),
    );
    const { lines, sink } = capture();
    const running = await startServer({
      configFile: config,
      env: {
        REST_PASSWORD: secret.envRef,
        // a JAAS configuration straight from the environment (KSQL_* → ksql.streams.sasl.jaas.config)
        KSQL_KSQL_STREAMS_SASL_JAAS_CONFIG: `org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="${secret.env}";`,
        KSQL_KSQL_STREAMS_AUTO_OFFSET_RESET: 'earliest',
        KSETL_LOG_LEVEL: 'debug',
      },
      logDestination: sink,
    });
    expect(running.logger.isLevelEnabled('debug')).toBe(true);
    const headers = { authorization: `Basic ${Buffer.from(`admin:${secret.envRef}`).toString('base64')}`, 'content-type': 'application/json' };
    const post = async (ksql: string): Promise<{ status: number; text: string }> => {
      const r = await fetch(`${running.url}/ksql`, { method: 'POST', headers, body: JSON.stringify({ ksql, streamsProperties: {} }) });
      return { status: r.status, text: await r.text() };
    };
    const outputs: [string, string][] = [];
    try {
      expect((await fetch(`${running.url}/info`)).status).toBe(401);
      const props = await post('SHOW PROPERTIES;');
      expect(props.status).toBe(200);
      const shown = (JSON.parse(props.text) as { properties: { name: string; value: string }[] }[])[0]!.properties;
      for (const k of ['ksql.streams.ssl.truststore.password', 'ksql.schema.registry.basic.auth.user.info', 'ksql.streams.sasl.jaas.config']) {
        expect(shown.find((p) => p.name === k)?.value, k).toBe('[hidden]');
      }
      outputs.push(['SHOW PROPERTIES', props.text]);
      outputs.push(['/info', await (await fetch(`${running.url}/info`, { headers })).text()]);

      // queries, a bad record and a refused statement: the log at debug level has something to say
      const inTopic = `secrets-in-${s}`;
      expect((await post(`CREATE STREAM S (ID STRING KEY, V INT) WITH (KAFKA_TOPIC='${inTopic}', PARTITIONS=1, VALUE_FORMAT='JSON');`)).status).toBe(200);
      expect((await post(`CREATE STREAM T WITH (KAFKA_TOPIC='secrets-out-${s}') AS SELECT ID, V FROM S;`)).status).toBe(200);
      const personal = `personal-data-${s}`;
      const producer = await admin.producer();
      await producer.send([
        { topic: inTopic, key: Buffer.from('k1'), value: json({ V: 1 }), timestamp: Date.now() },
        { topic: inTopic, key: Buffer.from('k2'), value: Buffer.from(`{"V": "${personal}"`), timestamp: Date.now() },
      ]);
      await producer.close();
      const refused = await post(`SELECT * FROM NO_SUCH_STREAM_${s} EMIT CHANGES;`);
      outputs.push(['an error', refused.text]);
      const metrics = await waitFor('the bad record counted on /metrics', async () => {
        const body = await (await fetch(`${running.url}/metrics`)).text();
        return /ksetl_processing_log_records_total\{[^}]*\} [1-9]/.test(body) ? body : undefined;
      });
      outputs.push(['/metrics', metrics]);
      // the bad record's warn line: its position, not its bytes
      const warn = await waitFor('the bad record logged', () => lines.find((l) => l.includes('"level":"warn"') && l.includes('Failed to deserialize')));
      expect(JSON.parse(warn)).toMatchObject({ topic: inTopic, partition: 0, offset: 1 });
      for (const l of lines) {
        expect(l).not.toContain(personal);
        expect(l).not.toContain(Buffer.from(`{"V": "${personal}"`).toString('base64'));
      }
    } finally {
      await running.close();
    }
    expect(lines.length).toBeGreaterThan(5);
    outputs.push(['the log', lines.join('\n')]);
    for (const [where, text] of outputs) for (const [source, value] of Object.entries(secret)) expect(text.includes(value), `the ${source} secret in ${where}`).toBe(false);
  });

  it('refuses to start when a property references a secret it would show', async () => {
    const err = await startServer({
      env: { KSQL_BOOTSTRAP_SERVERS: brokers, KSQL_LISTENERS: 'http://127.0.0.1:0', KSQL_KSQL_LEAK: '${env:KAFKA_PW}', KAFKA_PW: 'pw-should-not-show' },
      logDestination: capture().sink,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServerConfigError);
    expect(String(err)).toContain('ksql.leak');
    expect(String(err)).not.toContain('pw-should-not-show');
  });
});
