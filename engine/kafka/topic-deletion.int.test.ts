import { describe, expect, it } from 'vitest';
import type { KafkaEngine } from './kafka-engine.js';
import { EnginePool, onBroker, readTopic, seed, waitFor } from './int-test-support.js';
import type { BrokerRecord, KafkaPort } from './port.js';
import { startServer } from './server-main.js';

/**
 * Issue 11, items 7 and 8 on a real broker: deleting topics never wedges a
 * process (two processes of one service id keep writing, processing and
 * applying statements), and a query whose batches keep failing says ERROR.
 */
let brokers: string;
let admin: KafkaPort;
const pool = new EnginePool();
const FAST_GROUP = { 'ksql.streams.session.timeout.ms': '6000', 'ksql.streams.heartbeat.interval.ms': '1000' };

onBroker('topic-deletion-test', (b, a) => {
  brokers = b;
  admin = a;
}, pool);

const pair = async (serviceId: string): Promise<[KafkaEngine, KafkaEngine]> => [await pool.start(brokers, serviceId, FAST_GROUP), await pool.start(brokers, serviceId, FAST_GROUP)];

const ids = (seen: readonly BrokerRecord[]): string[] => seen.map((r) => String(JSON.parse(r.value!.toString()).N)).sort();

/** Waits until `topic` holds exactly the values N in `expected` (no more, no fewer). */
async function expectValues(topic: string, expected: readonly number[]): Promise<void> {
  const want = expected.map(String).sort();
  const seen = await readTopic(admin, topic, (s) => s.length >= want.length, `${want.length} records on ${topic}`);
  expect(ids(seen)).toEqual(want);
}

/** Both processes executed the same statements (the second one did not stop applying the command topic). */
async function inStep(a: KafkaEngine, b: KafkaEngine): Promise<void> {
  await waitFor('both processes at the end of the command topic', () => (a.commandLog.position === b.commandLog.position ? true : undefined));
  expect(b.sources().map((s) => s.name).sort()).toEqual(a.sources().map((s) => s.name).sort());
  expect(b.executor.metastore.queries().map((q) => q.id).sort()).toEqual(a.executor.metastore.queries().map((q) => q.id).sort());
}

async function running(e: KafkaEngine, queryId: string): Promise<void> {
  await waitFor(`${queryId} running with partitions`, () => (e.queryStatus(queryId)?.state === 'RUNNING' ? true : undefined));
}

describe('deleting topics never wedges a process', () => {
  it('DROP STREAM ... DELETE TOPIC, then streams of the same and new names, inserts and queries on two servers: every record arrives', async () => {
    const s = seed();
    const [a, b] = await pair(`del_${s}_`);
    const src = `del-src-${s}`;
    const out = `del-out-${s}`;
    const gone = `del-gone-${s}`;
    await a.execute(`CREATE STREAM SRC (ID STRING KEY, N INT) WITH (KAFKA_TOPIC='${src}', PARTITIONS=2, VALUE_FORMAT='JSON');
                     CREATE STREAM GONE (ID STRING KEY, N INT) WITH (KAFKA_TOPIC='${gone}', PARTITIONS=1, VALUE_FORMAT='JSON');
                     CREATE STREAM OUT1 WITH (KAFKA_TOPIC='${out}') AS SELECT ID, N FROM SRC;`);
    await inStep(a, b);
    // both processes' producers write to every topic (inserts here, query outputs there)
    await a.execute(`INSERT INTO SRC (ID, N) VALUES ('a', 1); INSERT INTO GONE (ID, N) VALUES ('a', 1);`);
    await b.execute(`INSERT INTO SRC (ID, N) VALUES ('b', 2); INSERT INTO GONE (ID, N) VALUES ('b', 2);`);
    await expectValues(out, [1, 2]);

    await b.execute(`TERMINATE CSAS_OUT1_0;`);
    await a.execute(`DROP STREAM OUT1 DELETE TOPIC;`);
    await b.execute(`DROP STREAM SRC DELETE TOPIC;`);
    // a topic deleted for good: the clients that wrote to it must not keep asking for it
    await a.execute(`DROP STREAM GONE DELETE TOPIC;`);
    await waitFor('topics deleted', async () => ((await admin.admin.listTopics()).some((t) => t === src || t === out || t === gone) ? undefined : true));

    // the same names (more partitions this time) and new ones
    const other = `del-other-${s}`;
    await b.execute(`CREATE STREAM SRC (ID STRING KEY, N INT) WITH (KAFKA_TOPIC='${src}', PARTITIONS=3, VALUE_FORMAT='JSON');
                     CREATE STREAM OTHER (ID STRING KEY, N INT) WITH (KAFKA_TOPIC='${other}', PARTITIONS=2, VALUE_FORMAT='JSON');`);
    await a.execute(`CREATE STREAM OUT1 WITH (KAFKA_TOPIC='${out}') AS SELECT ID, N FROM SRC;
                     CREATE STREAM OUT2 WITH (KAFKA_TOPIC='${out}-2') AS SELECT ID, N * 10 AS N FROM OTHER;`);
    await inStep(a, b);
    for (const e of [a, b]) for (const q of ['CSAS_OUT1_1', 'CSAS_OUT2_2']) await running(e, q);
    const keys = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    for (const [i, k] of keys.entries()) {
      await (i % 2 === 0 ? a : b).execute(`INSERT INTO SRC (ID, N) VALUES ('${k}', ${100 + i}); INSERT INTO OTHER (ID, N) VALUES ('${k}', ${i});`);
    }
    await expectValues(out, keys.map((_, i) => 100 + i));
    await expectValues(`${out}-2`, keys.map((_, i) => i * 10));
    // records went where a 3-partition topic puts them: all three partitions used (the old 2-partition metadata is gone)
    const written = await readTopic(admin, src, (x) => x.length >= keys.length);
    expect(new Set(written.map((r) => r.partition)).size).toBe(3);
    // statements keep flowing both ways
    await a.execute(`CREATE STREAM LAST (ID STRING KEY, N INT) WITH (KAFKA_TOPIC='del-last-${s}', PARTITIONS=1, VALUE_FORMAT='JSON');`);
    await b.execute(`DROP STREAM LAST DELETE TOPIC;`);
    await inStep(a, b);
    expect(a.source('LAST')).toBeUndefined();
    for (const e of [a, b]) expect(e.errors).toEqual([]);
  }, 180_000);

  it("a query terminated and recreated with its topics deleted (the operator's Recreate) on two servers: every record arrives", async () => {
    const s = seed();
    const [a, b] = await pair(`rec_${s}_`);
    const src = `rec-src-${s}`;
    const out = `rec-counts-${s}`;
    await a.execute(`CREATE STREAM SRC (ID STRING KEY, N INT) WITH (KAFKA_TOPIC='${src}', PARTITIONS=2, VALUE_FORMAT='JSON');
                     CREATE TABLE COUNTS WITH (KAFKA_TOPIC='${out}', KEY_FORMAT='JSON') AS SELECT ID, COUNT(*) AS N FROM SRC GROUP BY ID;`);
    await inStep(a, b);
    for (const [i, k] of ['x', 'y', 'x'].entries()) await (i % 2 === 0 ? a : b).execute(`INSERT INTO SRC (ID, N) VALUES ('${k}', ${i});`);
    const latest = (seen: readonly BrokerRecord[]): Record<string, number> => Object.fromEntries(seen.map((r) => [JSON.parse(r.key!.toString()) as string, JSON.parse(r.value!.toString()).N as number]));
    await readTopic(admin, out, (x) => latest(x)['x'] === 2 && latest(x)['y'] === 1, 'first counts');

    // what the operator's Recreate does: terminate, drop with the sink topic, create again
    for (let round = 1; round <= 2; round++) {
      const query = a.executor.metastore.queries()[0]!.id;
      await (round === 1 ? a : b).execute(`TERMINATE ${query};`);
      await (round === 1 ? b : a).execute(`DROP TABLE COUNTS DELETE TOPIC;`);
      await a.execute(`CREATE TABLE COUNTS WITH (KAFKA_TOPIC='${out}', KEY_FORMAT='JSON') AS SELECT ID, COUNT(*) AS N FROM SRC GROUP BY ID;`);
      await inStep(a, b);
      const recreated = a.executor.metastore.queries()[0]!.id;
      for (const e of [a, b]) await running(e, recreated);
      // from the start of SRC again: 3 earlier records plus the new ones, every one of them
      const extra = round * 2;
      for (let i = 0; i < extra; i++) await (i % 2 === 0 ? b : a).execute(`INSERT INTO SRC (ID, N) VALUES ('z${round}', ${i});`);
      await readTopic(admin, out, (x) => latest(x)['x'] === 2 && latest(x)['y'] === 1 && latest(x)[`z${round}`] === extra, `counts after recreate ${round}`);
    }
    await inStep(a, b);
    for (const e of [a, b]) expect(e.errors).toEqual([]);
  }, 180_000);
});

describe('health tells the truth', () => {
  it('a query failing every batch is ERROR in SHOW QUERIES and /healthcheck, RUNNING again once its batches succeed; ERROR once its source topic is deleted, restarted once it is back', async () => {
    const s = seed();
    const server = await startServer({
      env: { KSQL_BOOTSTRAP_SERVERS: brokers, KSQL_KSQL_SERVICE_ID: `health_${s}_`, KSQL_LISTENERS: 'http://127.0.0.1:0', KSQL_KSQL_STREAMS_AUTO_OFFSET_RESET: 'earliest', KSETL_LOG_LEVEL: 'silent' },
      overrides: { 'ksetl.query.error.failed.batches': '2', 'ksetl.metrics.lag.refresh.ms': '500', 'ksql.query.retry.backoff.initial.ms': '1000', 'ksql.query.retry.backoff.max.ms': '2000' },
    });
    const ksql = async (text: string): Promise<Record<string, unknown>[]> => {
      const r = await fetch(`${server.url}/ksql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ksql: text, streamsProperties: {} }) });
      const body = (await r.json()) as Record<string, unknown>[];
      if (r.status !== 200) throw new Error(JSON.stringify(body));
      return body;
    };
    const queryState = async (): Promise<{ state: string; statusCount: Record<string, number> }> => {
      const [e] = await ksql('SHOW QUERIES;');
      return ((e!['queries'] as { state: string; statusCount: Record<string, number> }[]) ?? [])[0]!;
    };
    const health = async (): Promise<{ status: number; body: { isHealthy: boolean; details: Record<string, { isHealthy: boolean; queries?: Record<string, string>; errors?: Record<string, string> }> } }> => {
      const r = await fetch(`${server.url}/healthcheck`);
      return { status: r.status, body: (await r.json()) as never };
    };
    try {
      const sink = `health-out-${s}`;
      await ksql(`CREATE STREAM SRC (ID STRING KEY, N INT) WITH (KAFKA_TOPIC='health-src-${s}', PARTITIONS=1, VALUE_FORMAT='JSON');
                  CREATE STREAM OUT1 WITH (KAFKA_TOPIC='${sink}') AS SELECT ID, N FROM SRC;`);
      await ksql(`INSERT INTO SRC (ID, N) VALUES ('a', 1);`);
      await expectValues(sink, [1]);
      expect((await queryState()).state).toBe('RUNNING');
      expect((await health()).body.details['queries']?.isHealthy).toBe(true);

      // the sink topic goes away under the running query: every batch fails to write its output
      await admin.admin.deleteTopics([sink]);
      await ksql(`INSERT INTO SRC (ID, N) VALUES ('b', 2);`);
      await waitFor('ERROR in SHOW QUERIES', async () => ((await queryState()).state === 'ERROR' ? true : undefined), 90_000);
      expect((await queryState()).statusCount).toEqual({ ERROR: 1 });
      const sick = await health();
      expect(sick.body.details['queries']).toMatchObject({ isHealthy: false });
      expect(sick.body.details['queries']!.queries!['CSAS_OUT1_0']).toBe('ERROR');
      expect(sick.body.details['queries']!.errors!['CSAS_OUT1_0']).toContain(sink);
      // the process itself is alive (a restart would not bring the topic back): the probe still passes
      expect(sick.status).toBe(200);
      const [explained] = await ksql('EXPLAIN CSAS_OUT1_0;');
      const description = explained!['queryDescription'] as { state: string; queryErrors: { errorMessage: string }[] };
      expect(description.state).toBe('ERROR');
      expect(description.queryErrors.length).toBeGreaterThan(0);

      // the topic is back: the batches succeed, the query runs again, and nothing was lost
      await admin.admin.createTopics([{ name: sink, partitions: 1 }]);
      await waitFor('RUNNING again', async () => ((await queryState()).state === 'RUNNING' ? true : undefined), 90_000);
      await readTopic(admin, sink, (x) => ids(x).includes('2'), 'the record that failed before');
      expect((await health()).body.details['queries']?.isHealthy).toBe(true);

      // the source topic goes away: kafkajs just assigns nothing; the query ends as Kafka Streams' does (MissingSourceTopicException)
      await admin.admin.deleteTopics([`health-src-${s}`]);
      await waitFor('ERROR for the deleted source', async () => ((await queryState()).state === 'ERROR' ? true : undefined), 60_000);
      const [again] = await ksql('EXPLAIN CSAS_OUT1_0;');
      const errors = (again!['queryDescription'] as { queryErrors: { errorMessage: string }[] }).queryErrors;
      expect(errors.map((x) => x.errorMessage)).toContain(`Missing source topics: health-src-${s}`);

      // restarted with a backoff as ksqlDB does: once the topic is back, the query runs again and reads it
      await admin.admin.createTopics([{ name: `health-src-${s}`, partitions: 1 }]);
      await waitFor('RUNNING after the restart', async () => ((await queryState()).state === 'RUNNING' ? true : undefined), 60_000);
      await ksql(`INSERT INTO SRC (ID, N) VALUES ('c', 3);`);
      await readTopic(admin, sink, (x) => ids(x).includes('3'), 'a record of the new source topic');
    } finally {
      await server.close();
    }
  }, 240_000);
});
