import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrap, json, newPort, seed, stopOwnBroker, waitFor } from './int-test-support.js';
import type { KafkaPort } from './port.js';
import { startServer, type RunningServer } from './server-main.js';

let brokers: string;
let admin: KafkaPort;
const servers: RunningServer[] = [];

beforeAll(async () => {
  brokers = await bootstrap();
  admin = newPort(brokers, 'queries-test');
}, 180_000);

afterAll(async () => {
  await Promise.allSettled(servers.map((s) => s.close()));
  await admin?.close();
  await stopOwnBroker();
}, 60_000);

async function server(serviceId: string, guarantee = 'at_least_once'): Promise<RunningServer> {
  const s = await startServer({
    env: { KSQL_PROCESSING_GUARANTEE: guarantee, KSQL_BOOTSTRAP_SERVERS: brokers, KSQL_KSQL_SERVICE_ID: serviceId, KSQL_LISTENERS: 'http://127.0.0.1:0', KSQL_KSQL_STREAMS_AUTO_OFFSET_RESET: 'earliest', KSETL_LOG_LEVEL: 'silent' },
  });
  servers.push(s);
  return s;
}


async function ksql(url: string, statement: string): Promise<void> {
  const r = await fetch(`${url}/ksql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ksql: statement, streamsProperties: {} }) });
  expect(r.status, await r.clone().text()).toBe(200);
}

/** POST /query-stream (delimited); resolves with the metadata line and the rows once the response ends. */
async function queryStream(url: string, sql: string, properties: Record<string, string> = {}): Promise<{ status: number; meta: Record<string, unknown>; rows: unknown[][] }> {
  const r = await fetch(`${url}/query-stream`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sql, properties }) });
  const text = await r.text();
  if (r.status !== 200) return { status: r.status, meta: JSON.parse(text) as Record<string, unknown>, rows: [] };
  const [meta, ...rows] = text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as unknown);
  return { status: r.status, meta: meta as Record<string, unknown>, rows: rows as unknown[][] };
}

const sortRows = (rows: unknown[][]): unknown[][] => [...rows].sort((a, b) => String(a[0]).localeCompare(String(b[0])));

describe('pull and push queries over Kafka', () => {
  it('answers pull queries on a materialized table (key lookup, scan) and on a stream, from any process of the service', async () => {
    const s = seed();
    const serviceId = `pull_${s}_`;
    // exactly-once: a rebalance's replay would count twice under at-least-once, and the counts are compared exactly
    const a = await server(serviceId, 'exactly_once_v2');
    await ksql(a.url, `CREATE STREAM S (ID STRING KEY, V INT) WITH (KAFKA_TOPIC='pull-in-${s}', PARTITIONS=3, VALUE_FORMAT='JSON');`);
    await ksql(a.url, `CREATE TABLE T WITH (KAFKA_TOPIC='pull-out-${s}') AS SELECT ID, COUNT(*) AS N, SUM(V) AS TOTAL FROM S GROUP BY ID;`);
    const producer = await admin.producer();
    await producer.send(Array.from({ length: 60 }, (_, i) => ({ topic: `pull-in-${s}`, key: Buffer.from(`k${i % 6}`), value: json({ V: i }), timestamp: 1_000 + i })));
    await producer.close();
    const expected = Array.from({ length: 6 }, (_, k) => [`k${k}`, 10, Array.from({ length: 10 }, (_, j) => j * 6 + k).reduce((x, y) => x + y, 0)]);

    const lookup = await waitFor('k3 fully counted', async () => {
      const r = await queryStream(a.url, `SELECT * FROM T WHERE ID = 'k3';`);
      return r.rows.length === 1 && r.rows[0]![1] === 10 ? r : undefined;
    });
    expect(lookup.meta['columnNames']).toEqual(['ID', 'N', 'TOTAL']);
    expect(lookup.rows).toEqual([expected[3]]);
    const scan = await waitFor('every key counted', async () => {
      const r = await queryStream(a.url, `SELECT * FROM T;`);
      if (r.status !== 200) console.log(JSON.stringify(r));
      return r.rows.length === 6 && r.rows.every((row) => row[1] === 10) ? r : undefined;
    });
    expect(sortRows(scan.rows)).toEqual(expected);
    // a key nobody wrote: no rows
    expect((await queryStream(a.url, `SELECT * FROM T WHERE ID = 'nope';`)).rows).toEqual([]);

    // pull query on a stream: the topic from its start to its current end
    const stream = await queryStream(a.url, `SELECT ID, V FROM S WHERE V >= 50;`);
    expect(stream.rows.map((r) => r[1]).sort((x, y) => Number(x) - Number(y))).toEqual([50, 51, 52, 53, 54, 55, 56, 57, 58, 59]);
    // /query (ksqlDB's older endpoint) answers pull queries too
    const old = await fetch(`${a.url}/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ksql: `SELECT N FROM T WHERE ID = 'k0';` }) });
    const body = (await old.json()) as { header?: unknown; row?: { columns: unknown[] } }[];
    expect(body.filter((x) => x.row).map((x) => x.row!.columns)).toEqual([[10]]);

    // a second process of the service answers the same keys (from the table's topic: no forwarding needed)
    const b = await server(serviceId, 'exactly_once_v2');
    // read_committed: until the writer's open transaction commits, the new process may see less
    let rows: unknown[] = [];
    for (let i = 0; i < 40 && rows.length === 0; i++) {
      rows = (await queryStream(b.url, `SELECT * FROM T WHERE ID = 'k5';`)).rows;
      if (rows.length === 0) await new Promise((r) => setTimeout(r, 500));
    }
    expect(rows).toEqual([expected[5]]);
  });

  it('streams push queries from earliest (EMIT CHANGES, LIMIT) and from now', async () => {
    const s = seed();
    const a = await server(`push_${s}_`);
    await ksql(a.url, `CREATE STREAM P (ID STRING KEY, V INT) WITH (KAFKA_TOPIC='push-in-${s}', PARTITIONS=2, VALUE_FORMAT='JSON');`);
    const producer = await admin.producer();
    await producer.send(Array.from({ length: 10 }, (_, i) => ({ topic: `push-in-${s}`, key: Buffer.from(`k${i}`), value: json({ V: i }), timestamp: 1_000 + i })));

    const early = await queryStream(a.url, `SELECT ID, V FROM P EMIT CHANGES LIMIT 10;`, { 'auto.offset.reset': 'earliest' });
    expect(early.status).toBe(200);
    expect(early.rows.map((r) => r[1]).sort((x, y) => Number(x) - Number(y))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);

    // from now: records produced after the request (even while the query's consumer joins) arrive; older ones do not
    const live = queryStream(a.url, `SELECT ID, V FROM P WHERE V >= 100 EMIT CHANGES LIMIT 3;`);
    await new Promise((r) => setTimeout(r, 300));
    await producer.send([100, 101, 102].map((v) => ({ topic: `push-in-${s}`, key: Buffer.from(`n${v}`), value: json({ V: v }), timestamp: 2_000 + v })));
    await producer.close();
    const got = await live;
    expect(got.rows.map((r) => r[1]).sort()).toEqual([100, 101, 102]);
  });
});
