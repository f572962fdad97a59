import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrap, json, newPort, seed, stopOwnBroker, waitFor } from './int-test-support.js';
import type { KafkaPort } from './port.js';
import { startServer } from './server-main.js';

let brokers: string;
let admin: KafkaPort;

beforeAll(async () => {
  brokers = await bootstrap();
  admin = newPort(brokers, 'observability-test');
}, 180_000);

afterAll(async () => {
  await admin?.close();
  await stopOwnBroker();
}, 60_000);


/** The value of one series in Prometheus text, or undefined. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const inside = line.slice(name.length + 1, line.lastIndexOf('}'));
    if (Object.entries(labels).every(([k, v]) => inside.includes(`${k}="${v}"`))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('engine observability on a real broker', () => {
  it('serves /metrics without credentials and logs JSON lines carrying query_id', async () => {
    const s = seed();
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(...chunk.toString().split('\n').filter((l) => l.trim() !== ''));
        done();
      },
    });
    const serviceId = `obs_${s}_`;
    const running = await startServer({
      env: {
        KSQL_BOOTSTRAP_SERVERS: brokers,
        KSQL_KSQL_SERVICE_ID: serviceId,
        KSQL_LISTENERS: 'http://127.0.0.1:0',
        KSQL_KSQL_STREAMS_AUTO_OFFSET_RESET: 'earliest',
        KSQL_KSETL_BASIC_AUTH_USER: 'alice',
        KSQL_KSETL_BASIC_AUTH_PASSWORD: 'secret',
        KSETL_NAMESPACE: 'team-a',
        KSETL_CLUSTER: 'c1',
        KSETL_LOG_LEVEL: 'info',
      },
      logDestination: sink,
    });
    const auth = { authorization: `Basic ${Buffer.from('alice:secret').toString('base64')}`, 'content-type': 'application/json' };
    const post = async (ksql: string) => {
      const r = await fetch(`${running.url}/ksql`, { method: 'POST', headers: auth, body: JSON.stringify({ ksql, streamsProperties: {} }) });
      expect(r.status, await r.clone().text()).toBe(200);
    };
    try {
      // the API itself needs the credentials; /metrics does not
      expect((await fetch(`${running.url}/info`)).status).toBe(401);
      await post(`CREATE STREAM S (ID STRING KEY, V INT) WITH (KAFKA_TOPIC='obs-in-${s}', PARTITIONS=2, VALUE_FORMAT='JSON');`);
      await post(`CREATE STREAM T WITH (KAFKA_TOPIC='obs-out-${s}') AS SELECT ID, V FROM S WHERE V % 2 = 0;`);
      const producer = await admin.producer();
      await producer.send(Array.from({ length: 50 }, (_, i) => ({ topic: `obs-in-${s}`, key: Buffer.from(`k${i % 5}`), value: json({ V: i }), timestamp: Date.now() })));
      // one record the query cannot read: a processing error of kind deserialization
      await producer.send([{ topic: `obs-in-${s}`, key: Buffer.from('k0'), value: Buffer.from('{not json'), timestamp: Date.now() }]);
      await producer.close();

      const q = { query_id: 'CSAS_T_0' };
      const text = await waitFor('records in and out, and a commit, on /metrics', async () => {
        const r = await fetch(`${running.url}/metrics`);
        expect(r.status).toBe(200);
        const body = await r.text();
        const into = sample(body, 'ksetl_query_records_in_total', q) ?? 0;
        const out = sample(body, 'ksetl_query_records_out_total', q) ?? 0;
        // offsets are committed every commit.interval.ms, not after each batch
        const commits = sample(body, 'ksetl_query_commit_latency_seconds_count', q) ?? 0;
        return into >= 51 && out >= 25 && commits > 0 ? body : undefined;
      });
      expect(sample(text, 'ksetl_query_records_in_total', { ...q, namespace: 'team-a', cluster: 'c1', service_id: serviceId })).toBe(51);
      expect(sample(text, 'ksetl_query_records_out_total', q)).toBe(25);
      expect(sample(text, 'ksetl_query_bytes_in_total', q)).toBeGreaterThan(0);
      expect(sample(text, 'ksetl_query_bytes_out_total', q)).toBeGreaterThan(0);
      expect(sample(text, 'ksetl_query_processing_errors_total', { ...q, kind: 'deserialization' })).toBe(1);
      expect(sample(text, 'ksetl_processing_log_records_total', { kind: 'deserialization' })).toBe(1);
      expect(sample(text, 'ksetl_query_e2e_latency_seconds_count', q)).toBe(25);
      expect(sample(text, 'ksetl_query_commit_latency_seconds_count', q)).toBeGreaterThan(0);
      expect(sample(text, 'ksetl_query_state', { ...q, state: 'RUNNING' })).toBe(1);
      expect(sample(text, 'ksetl_query_state', { ...q, state: 'ERROR' })).toBe(0);
      expect(sample(text, 'ksetl_queries', {})).toBe(1);
      expect(sample(text, 'ksetl_process_ready', {})).toBe(1);
      expect(sample(text, 'ksetl_query_rebalances_total', q)).toBeGreaterThanOrEqual(1);
      expect(sample(text, 'ksetl_query_consumer_lag', { ...q, topic: `obs-in-${s}` })).toBe(0);
      expect(text).toContain('process_resident_memory_bytes');
      expect(text).toContain('nodejs_eventloop_lag_seconds');

      // JSON lines: base fields on every line, query_id on the query's
      const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(parsed.every((l) => l['namespace'] === 'team-a' && l['cluster'] === 'c1' && l['service_id'] === serviceId)).toBe(true);
      const queryLines = parsed.filter((l) => l['query_id'] === 'CSAS_T_0');
      expect(queryLines.map((l) => l['msg'])).toContain('query running');
      expect(queryLines.some((l) => l['kind'] === 'deserialization' && l['level'] === 'warn')).toBe(true);

      // PAUSE shows in the state gauge; TERMINATE removes the query's series
      await post(`PAUSE CSAS_T_0;`);
      const paused = await (await fetch(`${running.url}/metrics`)).text();
      expect(sample(paused, 'ksetl_query_state', { ...q, state: 'PAUSED' })).toBe(1);
      await post(`TERMINATE CSAS_T_0;`);
      const after = await (await fetch(`${running.url}/metrics`)).text();
      expect(sample(after, 'ksetl_query_records_in_total', q)).toBeUndefined();
      expect(sample(after, 'ksetl_queries', {})).toBe(0);
    } finally {
      await running.close();
    }
  });
});
