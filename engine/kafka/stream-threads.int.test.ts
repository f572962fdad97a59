import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrap, json, newPort, readTopic, seed, stopOwnBroker, waitFor } from './int-test-support.js';
import type { KafkaPort } from './port.js';
import { startServer, type RunningServer } from './server-main.js';

let brokers: string;
let admin: KafkaPort;
const servers: RunningServer[] = [];

beforeAll(async () => {
  brokers = await bootstrap();
  admin = newPort(brokers, 'stream-threads-test');
}, 180_000);

afterAll(async () => {
  await Promise.allSettled(servers.map((s) => s.close()));
  await admin?.close();
  await stopOwnBroker();
}, 60_000);

async function ksql(url: string, statement: string): Promise<unknown> {
  const r = await fetch(`${url}/ksql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ksql: statement, streamsProperties: {} }) });
  if (r.status !== 200) throw new Error(`${statement}: ${r.status} ${await r.text()}`);
  return r.json();
}

async function pull(url: string, sql: string): Promise<unknown[][]> {
  const r = await fetch(`${url}/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ksql: sql, streamsProperties: {} }) });
  const body = (await r.json()) as ({ row?: { columns: unknown[] } } & Record<string, unknown>)[];
  if (r.status !== 200) throw new Error(`${sql}: ${r.status} ${JSON.stringify(body)}`);
  return body.flatMap((x) => (x.row ? [x.row.columns] : []));
}

const sorted = (rows: unknown[][]): unknown[][] => [...rows].sort((a, b) => String(a[0]).localeCompare(String(b[0])));

describe.each(['at_least_once', 'exactly_once_v2'])('num.stream.threads = 2: one process, two stream threads (%s)', (guarantee) => {
  it('splits a persistent aggregation over both threads, answers pull queries from both, replaces and terminates it', async () => {
    const s = seed();
    const serviceId = `threads_${s}_`;
    const start = async (): Promise<RunningServer> => {
      const started = await startServer({
        env: {
        KSQL_BOOTSTRAP_SERVERS: brokers,
        KSQL_KSQL_SERVICE_ID: serviceId,
        KSQL_LISTENERS: 'http://127.0.0.1:0',
        KSQL_KSQL_STREAMS_AUTO_OFFSET_RESET: 'earliest',
        KSQL_PROCESSING_GUARANTEE: guarantee,
        KSQL_KSETL_METRICS_LAG_REFRESH_MS: '500',
        KSQL_KSQL_STREAMS_NUM_STREAM_THREADS: '2',
        KSQL_KSQL_STREAMS_SESSION_TIMEOUT_MS: '6000',
        KSQL_KSQL_STREAMS_HEARTBEAT_INTERVAL_MS: '1000',
        KSETL_LOG_LEVEL: 'warn',
        },
      });
      servers.push(started);
      return started;
    };
    const first = await start();
    await ksql(first.url, `CREATE STREAM S (ID STRING KEY, V INT) WITH (KAFKA_TOPIC='threads-in-${s}', PARTITIONS=4, VALUE_FORMAT='JSON');`);
    await ksql(first.url, `CREATE TABLE T WITH (KAFKA_TOPIC='threads-out-${s}') AS SELECT ID, COUNT(*) AS N, SUM(V) AS TOTAL FROM S GROUP BY ID;`);
    // a restarted process: the workers get the replayed commands, and start the query once the replay is over
    await first.close();
    const srv = await start();
    const threads = srv.engine.threads;
    expect(threads?.count).toBe(1);
    const queryId = 'CTAS_T_0';
    // the main thread's runner and the worker's are two members of the query's group: two partitions each
    const split = (): Promise<true> =>
      waitFor(
        'partitions split over the two threads',
        () => {
          const main = srv.engine.runner(queryId)?.status;
          const worker = threads!.statuses(queryId)[0];
          return main?.state === 'RUNNING' && worker?.state === 'RUNNING' && main.assigned.length === 2 && worker.assigned.length === 2 ? true : undefined;
        },
        90_000,
      );
    await split();
    const merged = srv.engine.queryStatus(queryId)!;
    expect(merged.assigned).toEqual([0, 1, 2, 3]);
    expect(srv.engine.ready).toBe(true);

    // 40 keys, 5 records each; key k has V = i + 0..4
    const keys = Array.from({ length: 40 }, (_, i) => `k${String(i).padStart(2, '0')}`);
    const producer = await admin.producer();
    const now = Date.now();
    await producer.send(keys.flatMap((k, i) => Array.from({ length: 5 }, (_, j) => ({ topic: `threads-in-${s}`, key: Buffer.from(k), value: json({ V: i + j }), timestamp: now + j }))));
    await producer.close();
    const expected = new Map(keys.map((k, i) => [k, [k, 5, 5 * i + 10]]));

    // the output topic: the last update of every key is its total
    const out = await readTopic(admin, `threads-out-${s}`, (seen) => {
      const last = new Map(seen.map((r) => [r.key!.toString(), JSON.parse(r.value!.toString()) as { N: number }]));
      return last.size === keys.length && [...last.values()].every((v) => v.N === 5);
    });
    const last = new Map(out.map((r) => [r.key!.toString(), JSON.parse(r.value!.toString()) as { N: number; TOTAL: number }]));
    expect([...last].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, v.N, v.TOTAL])).toEqual([...expected.values()]);
    // both threads processed records
    await waitFor('both threads counted', () => ((srv.engine.runner(queryId)?.status.processed ?? 0) > 0 && (threads!.statuses(queryId)[0]?.processed ?? 0) > 0 ? true : undefined));
    await waitFor('every record counted', () => (srv.engine.queryStatus(queryId)!.processed >= 200 ? true : undefined));

    // pull queries: scans and key lookups on partitions of either thread
    await waitFor('scan holds every key', async () => {
      const rows = await pull(srv.url, 'SELECT * FROM T;');
      return rows.length === keys.length && rows.every((r) => r[1] === 5) ? rows : undefined;
    });
    expect(sorted(await pull(srv.url, 'SELECT * FROM T;'))).toEqual([...expected.values()]);
    for (const k of keys) expect(await pull(srv.url, `SELECT * FROM T WHERE ID = '${k}';`), k).toEqual([expected.get(k)]);

    // the workers' series are in the process's metrics
    const metrics = await (await fetch(`${srv.url}/metrics`)).text();
    const recordsIn = metrics.split('\n').find((l) => l.startsWith('ksetl_query_records_in_total') && l.includes(`query_id="${queryId}"`));
    expect(Number(recordsIn?.split(' ').pop())).toBeGreaterThanOrEqual(200);
    // the store entries of both threads, summed: one per key
    const entries = metrics.split('\n').filter((l) => l.startsWith('ksetl_state_store_entries{') && l.includes(`query_id="${queryId}"`) && l.includes('Aggregate'));
    expect(entries.map((l) => Number(l.split(' ').pop()))).toEqual([keys.length]);
    // each thread reports the consumer lag of its own partitions
    await waitFor('lag of every source partition', async () => {
      const text = await (await fetch(`${srv.url}/metrics`)).text();
      const lines = text.split('\n').filter((l) => l.startsWith('ksetl_query_consumer_lag{') && l.includes(`query_id="${queryId}"`) && l.includes(`topic="threads-in-${s}"`));
      const partitions = new Set(lines.map((l) => /partition="(\d+)"/.exec(l)?.[1]));
      return partitions.size === 4 && lines.every((l) => l.endsWith(' 0')) ? true : undefined;
    });

    // a worker thread that dies is replaced: the new one replays the commands and takes partitions again
    // (once every record's offset is committed: under at-least-once a crashed thread's uncommitted records are processed again)
    const groupId = srv.engine.runner(queryId)!.groupId;
    await waitFor('offsets committed', async () => ((await admin.admin.fetchOffsets(groupId, [`threads-in-${s}`])).reduce((n, o) => n + Math.max(0, o.offset), 0) === 200 ? true : undefined));
    await threads!.kill(2);
    expect(threads!.statuses(queryId)).toEqual([]);
    await split();
    await waitFor('scan holds every key after the replacement', async () => {
      const rows = sorted(await pull(srv.url, 'SELECT * FROM T;'));
      return JSON.stringify(rows) === JSON.stringify([...expected.values()]) ? true : undefined;
    });

    // PAUSE and RESUME reach the worker's runner too
    await ksql(srv.url, `PAUSE ${queryId};`);
    await waitFor('paused on both threads', () => (srv.engine.runner(queryId)?.status.paused && threads!.statuses(queryId)[0]?.paused ? true : undefined));
    await ksql(srv.url, `RESUME ${queryId};`);
    await waitFor('resumed on both threads', () => (srv.engine.runner(queryId)?.status.paused === false && threads!.statuses(queryId)[0]?.paused === false ? true : undefined));

    // CREATE OR REPLACE (the same query): both threads' runners are replaced, keeping the counts
    await ksql(srv.url, `CREATE OR REPLACE TABLE T WITH (KAFKA_TOPIC='threads-out-${s}') AS SELECT ID, COUNT(*) AS N, SUM(V) AS TOTAL FROM S GROUP BY ID;`);
    await split();
    const more = await admin.producer();
    await more.send(keys.map((k) => ({ topic: `threads-in-${s}`, key: Buffer.from(k), value: json({ V: 100 }), timestamp: now + 10 })));
    await more.close();
    await waitFor('the replaced query counts on', async () => {
      const rows = await pull(srv.url, 'SELECT * FROM T;');
      return rows.length === keys.length && rows.every((r) => r[1] === 6) ? rows : undefined;
    });
    for (const k of keys) expect(await pull(srv.url, `SELECT * FROM T WHERE ID = '${k}';`), k).toEqual([[k, 6, (expected.get(k)![2] as number) + 100]]);

    // TERMINATE stops the query on both threads, then deletes its internal topics
    const internal = srv.engine.runner(queryId)!.internalTopics;
    expect(internal.length).toBeGreaterThan(0);
    await ksql(srv.url, `TERMINATE ${queryId};`);
    expect(srv.engine.queryStatus(queryId)).toBeUndefined();
    expect(threads!.statuses(queryId)).toEqual([]);
    await waitFor('internal topics deleted', async () => {
      const left = new Set(await admin.admin.listTopics());
      return internal.every((t) => !left.has(t)) ? true : undefined;
    });
    const after = await (await fetch(`${srv.url}/metrics`)).text();
    expect(after.split('\n').filter((l) => l.startsWith('ksetl_query_records_in_total') && l.includes(`query_id="${queryId}"`))).toEqual([]);
    await ksql(srv.url, 'DROP TABLE T;');
  }, 240_000);
});
