import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrap, json, newPort, seed, stopOwnBroker, waitFor } from './int-test-support.js';
import type { KafkaPort } from './port.js';
import { findMaterialization } from './pull-store.js';
import { startServer, type RunningServer } from './server-main.js';

let brokers: string;
let admin: KafkaPort;
const servers: RunningServer[] = [];

beforeAll(async () => {
  brokers = await bootstrap();
  admin = newPort(brokers, 'pull-test');
}, 180_000);

afterAll(async () => {
  await Promise.allSettled(servers.map((s) => s.close()));
  await admin?.close();
  await stopOwnBroker();
}, 60_000);

async function server(serviceId: string, env: Record<string, string> = {}): Promise<RunningServer> {
  const s = await startServer({
    env: {
      ...env,
      KSQL_BOOTSTRAP_SERVERS: brokers,
      KSQL_KSQL_SERVICE_ID: serviceId,
      KSQL_LISTENERS: 'http://127.0.0.1:0',
      KSQL_KSQL_STREAMS_AUTO_OFFSET_RESET: 'earliest',
      KSQL_KSQL_STREAMS_SESSION_TIMEOUT_MS: '6000',
      KSQL_KSQL_STREAMS_HEARTBEAT_INTERVAL_MS: '1000',
      KSETL_LOG_LEVEL: 'warn',
    },
  });
  servers.push(s);
  return s;
}

async function ksql(url: string, statement: string): Promise<void> {
  const r = await fetch(`${url}/ksql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ksql: statement, streamsProperties: {} }) });
  if (r.status !== 200) throw new Error(`${statement}: ${r.status} ${await r.text()}`);
}

/** A pull query's rows through /query (header first, rows after). */
async function pull(url: string, sql: string, streamsProperties: Record<string, string> = {}): Promise<unknown[][]> {
  const r = await fetch(`${url}/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ksql: sql, streamsProperties }) });
  const body = (await r.json()) as ({ row?: { columns: unknown[] } } & Record<string, unknown>)[];
  if (r.status !== 200) throw new Error(`${sql}: ${r.status} ${JSON.stringify(body)}`);
  return body.flatMap((x) => (x.row ? [x.row.columns] : []));
}

const sorted = (rows: unknown[][]): unknown[][] => [...rows].sort((a, b) => String(a[0]).localeCompare(String(b[0])));

describe('pull queries served from state on two servers of one service', () => {
  it('answers key lookups (forwarding to the owner), ranges and scans from the stores, with no consumer group', async () => {
    const s = seed();
    const serviceId = `pull_${s}_`;
    const a = await server(serviceId);
    await ksql(a.url, `CREATE STREAM S (ID STRING KEY, V INT) WITH (KAFKA_TOPIC='pull-in-${s}', PARTITIONS=4, VALUE_FORMAT='JSON');`);
    await ksql(a.url, `CREATE TABLE T WITH (KAFKA_TOPIC='pull-out-${s}') AS SELECT ID, COUNT(*) AS N, SUM(V) AS TOTAL FROM S GROUP BY ID HAVING SUM(V) >= 0;`);
    const b = await server(serviceId);
    const queryId = 'CTAS_T_0';
    await waitFor('partitions split', () => {
      const pa = a.engine.queryStatus(queryId)?.assigned ?? [];
      const pb = b.engine.queryStatus(queryId)?.assigned ?? [];
      return pa.length === 2 && pb.length === 2 && a.engine.queryStatus(queryId)?.state === 'RUNNING' && b.engine.queryStatus(queryId)?.state === 'RUNNING' ? true : undefined;
    }, 90_000);

    // 40 keys, 5 records each; key k has V = 0..4 + k
    const keys = Array.from({ length: 40 }, (_, i) => `k${String(i).padStart(2, '0')}`);
    const producer = await admin.producer();
    const now = Date.now();
    await producer.send(keys.flatMap((k, i) => Array.from({ length: 5 }, (_, j) => ({ topic: `pull-in-${s}`, key: Buffer.from(k), value: json({ V: i + j }), timestamp: now + j }))));
    await producer.close();
    const expected = new Map(keys.map((k, i) => [k, [k, 5, 5 * i + 10]]));

    const groupsBefore = new Set(await admin.admin.listGroups!());
    // a scan on either server holds the table once every record is counted
    for (const srv of [a, b]) {
      await waitFor(`scan on ${srv.url} holds every key`, async () => {
        const rows = await pull(srv.url, 'SELECT * FROM T;');
        return rows.length === keys.length && rows.every((r) => r[1] === 5) ? rows : undefined;
      });
    }
    expect(sorted(await pull(a.url, 'SELECT * FROM T;'))).toEqual([...expected.values()]);
    expect(sorted(await pull(b.url, 'SELECT ID, N, TOTAL FROM T;'))).toEqual([...expected.values()]);

    // the keys live on both servers: each answers every key, its own from its stores, the others forwarded
    const runner = a.engine.runner(queryId)!;
    // grouped by its key: the groups stay in the input topic's partitions (groupByKey, no repartition)
    const partitioner = runner.groupPartitioner(findMaterialization(runner.root)!.aggregate)!;
    const ownedByA = new Set(a.engine.queryStatus(queryId)!.assigned);
    const where = keys.map((k) => (ownedByA.has(partitioner.partitionOf([k])) ? 'a' : 'b'));
    expect(new Set(where)).toEqual(new Set(['a', 'b']));
    expect(partitioner.partitions).toBe(4);
    for (const srv of [a, b]) {
      for (const k of keys) expect(await pull(srv.url, `SELECT * FROM T WHERE ID = '${k}';`), `${k} on ${srv.url}`).toEqual([expected.get(k)]);
    }
    // many at once: the forwarded ones go to the owner in batches
    for (const srv of [a, b]) {
      const answers = await Promise.all(keys.map((k) => pull(srv.url, `SELECT * FROM T WHERE ID = '${k}';`)));
      expect(answers).toEqual(keys.map((k) => [expected.get(k)]));
    }
    expect(await pull(b.url, `SELECT * FROM T WHERE ID = 'nope';`)).toEqual([]);
    expect(sorted(await pull(a.url, `SELECT * FROM T WHERE ID IN ('k01', 'k22', 'k39', 'nope');`))).toEqual(['k01', 'k22', 'k39'].map((k) => expected.get(k)));
    // ranges and a filtered scan
    const inRange = keys.filter((k) => k >= 'k10' && k < 'k20').map((k) => expected.get(k));
    expect(sorted(await pull(a.url, `SELECT * FROM T WHERE ID >= 'k10' AND ID < 'k20';`))).toEqual(inRange);
    expect(sorted(await pull(b.url, `SELECT * FROM T WHERE ID BETWEEN 'k10' AND 'k19';`))).toEqual(inRange);
    expect(sorted(await pull(b.url, `SELECT ID, TOTAL FROM T WHERE TOTAL > 200;`))).toEqual(keys.filter((_, i) => 5 * i + 10 > 200).map((k) => [k, expected.get(k)![2]]));

    // no consumer group came from the pull queries
    const groupsAfter = new Set(await admin.admin.listGroups!());
    expect([...groupsAfter].filter((g) => !groupsBefore.has(g) && g.includes(serviceId))).toEqual([]);

    // pull queries on a stream read its topic: through one group of the process, reused
    for (let n = 0; n < 3; n++) expect(await pull(b.url, `SELECT * FROM S WHERE ID = 'k07';`)).toHaveLength(5);
    const scans = [...new Set(await admin.admin.listGroups!())].filter((g) => !groupsBefore.has(g) && g.includes(serviceId));
    expect(scans).toEqual([`_confluent-ksql-${serviceId}transient_scan_${b.engine.instanceId}_0`]);
  }, 240_000);

  it('reads a standby copy when the owner of a partition does not answer (num.standby.replicas, ksql.query.pull.enable.standby.reads)', async () => {
    const s = seed();
    const serviceId = `pullsb_${s}_`;
    const env = { KSQL_KSQL_STREAMS_NUM_STANDBY_REPLICAS: '1', KSQL_KSETL_QUERY_PULL_OWNER_WAIT_MS: '1000' };
    const a = await server(serviceId, env);
    await ksql(a.url, `CREATE STREAM S (ID STRING KEY, V INT) WITH (KAFKA_TOPIC='pullsb-in-${s}', PARTITIONS=4, VALUE_FORMAT='JSON');`);
    await ksql(a.url, `CREATE TABLE T WITH (KAFKA_TOPIC='pullsb-out-${s}') AS SELECT ID, COUNT(*) AS N, SUM(V) AS TOTAL FROM S GROUP BY ID;`);
    const b = await server(serviceId, env);
    const queryId = 'CTAS_T_0';
    await waitFor('partitions split', () => {
      const pa = a.engine.queryStatus(queryId)?.assigned ?? [];
      const pb = b.engine.queryStatus(queryId)?.assigned ?? [];
      return pa.length === 2 && pb.length === 2 && a.engine.queryStatus(queryId)?.state === 'RUNNING' && b.engine.queryStatus(queryId)?.state === 'RUNNING' ? true : undefined;
    }, 90_000);
    const keys = Array.from({ length: 20 }, (_, i) => `k${String(i).padStart(2, '0')}`);
    const producer = await admin.producer();
    await producer.send(keys.map((k, i) => ({ topic: `pullsb-in-${s}`, key: Buffer.from(k), value: json({ V: i }), timestamp: Date.now() })));
    await producer.close();
    await waitFor('every key counted', async () => ((await pull(a.url, 'SELECT * FROM T;')).length === keys.length ? true : undefined));
    const runner = a.engine.runner(queryId)!;
    const partitioner = runner.groupPartitioner(findMaterialization(runner.root)!.aggregate)!;
    const ownedByB = new Set(b.engine.queryStatus(queryId)!.assigned);
    const onB = keys.filter((k) => ownedByB.has(partitioner.partitionOf([k])));
    expect(onB.length).toBeGreaterThan(0);

    // B stops answering (its REST listener closes) but keeps its partitions: A reads them from its standby copy
    await b.server.close();
    const groupsBefore = new Set(await admin.admin.listGroups!());
    const standbyReads = { 'ksql.query.pull.enable.standby.reads': 'true' };
    for (const k of onB) {
      const i = keys.indexOf(k);
      await waitFor(`${k} from the standby copy`, async () => {
        const rows = await pull(a.url, `SELECT * FROM T WHERE ID = '${k}';`, standbyReads);
        return rows.length === 1 ? rows : undefined;
      }).then((rows) => expect(rows).toEqual([[k, 1, i]]));
    }
    expect(sorted(await pull(a.url, `SELECT * FROM T WHERE ID IN (${onB.map((k) => `'${k}'`).join(', ')});`, standbyReads))).toEqual(onB.map((k) => [k, 1, keys.indexOf(k)]));
    // served from state, not from the topic: no scan group of A appeared
    const scans = [...new Set(await admin.admin.listGroups!())].filter((g) => !groupsBefore.has(g) && g.includes('transient_scan'));
    expect(scans).toEqual([]);
    expect(b.engine.queryStatus(queryId)!.assigned).toEqual([...ownedByB].sort((x, y) => x - y));
  }, 240_000);
});
