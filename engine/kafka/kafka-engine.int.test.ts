import { describe, expect, it } from 'vitest';
import type { KafkaEngine } from './kafka-engine.js';
import { EnginePool, json, onBroker, readTopic, seed, waitFor } from './int-test-support.js';
import * as names from './names.js';
import type { KafkaPort } from './port.js';

let brokers: string;
let admin: KafkaPort;
const pool = new EnginePool();

onBroker('kafka-engine-test', (b, a) => {
  brokers = b;
  admin = a;
}, pool);

const engine = (serviceId: string, properties: Record<string, string> = {}): Promise<KafkaEngine> => pool.start(brokers, serviceId, properties);
const closeEngine = (e: KafkaEngine): Promise<void> => pool.close(e);

describe('KafkaEngine on a real broker', () => {
  it('runs a CSAS filter end to end', async () => {
    const s = seed();
    const e = await engine(`csas_${s}_`);
    const input = `orders-${s}`;
    await e.execute(`CREATE STREAM ORDERS (ID STRING KEY, AMOUNT INT) WITH (KAFKA_TOPIC='${input}', PARTITIONS=3, VALUE_FORMAT='JSON');`);
    const [r] = await e.execute(`CREATE STREAM BIG WITH (KAFKA_TOPIC='big-${s}') AS SELECT ID, AMOUNT FROM ORDERS WHERE AMOUNT > 10;`);
    expect(r!.queryId).toBe('CSAS_BIG_0');
    const producer = await admin.producer();
    await producer.send(
      Array.from({ length: 100 }, (_, i) => ({ topic: input, key: Buffer.from(`k${i % 7}`), value: json({ AMOUNT: i }), timestamp: 1_000 + i })),
    );
    await producer.close();
    const out = await readTopic(admin, `big-${s}`, (seen) => seen.length >= 89);
    expect(out.map((x) => JSON.parse(x.value!.toString()).AMOUNT).sort((a, b) => a - b)).toEqual(Array.from({ length: 89 }, (_, i) => i + 11));
    // keys keep their partition (same key → same partition)
    for (const x of out) expect(x.key!.toString()).toMatch(/^k\d$/);
    const offsets = await waitFor('committed offsets', async () => {
      const o = await admin.admin.fetchOffsets(names.queryGroupId(e.serviceId, 'CSAS_BIG_0'), [input]);
      return o.reduce((n, x) => n + x.offset, 0) === 100 ? o : undefined;
    });
    expect(offsets).toHaveLength(3);
  });

  it('restarts a CTAS aggregation from committed offsets with its state restored from the changelog', async () => {
    const s = seed();
    const serviceId = `ctas_${s}_`;
    const input = `events-${s}`;
    const output = `counts-${s}`;
    const regions = ['eu', 'us', 'apac', 'latam', 'mea'];
    const record = (i: number) => ({ topic: input, key: Buffer.from(`user${i % 11}`), value: json({ REGION: regions[i % 5], V: i }), timestamp: 10_000 + i });
    const expected = (n: number) => {
      const m = new Map<string, { N: number; S: number }>();
      for (let i = 0; i < n; i++) {
        const r = regions[i % 5]!;
        const x = m.get(r) ?? { N: 0, S: 0 };
        m.set(r, { N: x.N + 1, S: x.S + i });
      }
      return Object.fromEntries([...m].sort());
    };
    const latest = (seen: readonly { key: Buffer | null; value: Buffer | null }[]) => {
      const m = new Map<string, { N: number; S: number }>();
      for (const r of seen) m.set(JSON.parse(r.key!.toString()) ?? r.key!.toString(), JSON.parse(r.value!.toString()));
      return Object.fromEntries([...m].sort());
    };
    const producer = await admin.producer();

    const a = await engine(serviceId);
    await a.execute(`CREATE STREAM EVENTS (USERID STRING KEY, REGION STRING, V INT) WITH (KAFKA_TOPIC='${input}', PARTITIONS=4, VALUE_FORMAT='JSON');`);
    await a.execute(`CREATE TABLE COUNTS WITH (KAFKA_TOPIC='${output}', KEY_FORMAT='JSON') AS SELECT REGION, COUNT(*) AS N, SUM(V) AS S FROM EVENTS GROUP BY REGION;`);
    await producer.send(Array.from({ length: 500 }, (_, i) => record(i)));
    await readTopic(admin, output, (seen) => JSON.stringify(latest(seen)) === JSON.stringify(expected(500)), 'first half counted');
    const groupId = names.queryGroupId(serviceId, 'CTAS_COUNTS_0');
    // offsets are committed every commit.interval.ms, after the outputs
    await waitFor('first half committed', async () => ((await admin.admin.fetchOffsets(groupId, [input])).reduce((n, o) => n + o.offset, 0) === 500 ? true : undefined));
    await closeEngine(a);

    // produced while no process runs the query
    await producer.send(Array.from({ length: 700 }, (_, i) => record(500 + i)));
    const started = Date.now();
    const b = await engine(serviceId);
    expect(b.source('COUNTS')?.topic).toBe(output);
    await readTopic(admin, output, (seen) => JSON.stringify(latest(seen)) === JSON.stringify(expected(1200)), 'all counted after restart');
    const restartMs = Date.now() - started;
    // every key compared: the state came back from the changelog and nothing was counted twice
    const all = await readTopic(admin, output, (seen) => JSON.stringify(latest(seen)) === JSON.stringify(expected(1200)));
    expect(latest(all)).toEqual(expected(1200));
    // one output per input: nothing before the committed offsets was processed again
    expect(all).toHaveLength(1200);
    expect(b.queryStatus('CTAS_COUNTS_0')!.restored).toBeGreaterThanOrEqual(5);
    const changelogs = (await admin.admin.listTopics()).filter((t) => t.startsWith(names.queryApplicationId(serviceId, 'CTAS_COUNTS_0')));
    expect(changelogs.some((t) => t.endsWith('-changelog'))).toBe(true);
    expect(changelogs.some((t) => t.endsWith('-repartition'))).toBe(true);
    console.log(`[ctas] restart to caught up: ${restartMs} ms; internal topics: ${changelogs.join(', ')}`);
    await producer.close();
  });

  it('sends a malformed record to the processing log and keeps going', async () => {
    const s = seed();
    const e = await engine(`plog_${s}_`);
    const input = `raw-${s}`;
    await e.execute(`CREATE STREAM RAW (ID STRING KEY, X INT) WITH (KAFKA_TOPIC='${input}', PARTITIONS=1, VALUE_FORMAT='JSON');`);
    await e.execute(`CREATE STREAM CLEAN WITH (KAFKA_TOPIC='clean-${s}') AS SELECT ID, X * 2 AS Y FROM RAW;`);
    const producer = await admin.producer();
    await producer.send([
      { topic: input, key: Buffer.from('a'), value: json({ X: 1 }), timestamp: 1 },
      { topic: input, key: Buffer.from('b'), value: Buffer.from('{not json'), timestamp: 2 },
      { topic: input, key: Buffer.from('c'), value: json({ X: 3 }), timestamp: 3 },
    ]);
    await producer.close();
    const out = await readTopic(admin, `clean-${s}`, (seen) => seen.length >= 2);
    expect(out.map((r) => [r.key!.toString(), JSON.parse(r.value!.toString()).Y])).toEqual([
      ['a', 2],
      ['c', 6],
    ]);
    expect(e.processingLog.entries.map((x) => x.type)).toEqual(['DESERIALIZATION_ERROR']);
    const logged = await readTopic(admin, e.processingLogTopic!, (seen) => seen.length >= 1);
    const entry = JSON.parse(logged[0]!.value!.toString());
    expect(entry.MESSAGE.ERRORTYPE).toBe('DESERIALIZATION_ERROR'); // the KSQL_PROCESSING_LOG stream's shape (runtime/processing-log.ts)
    expect(entry.MESSAGE.TOPIC).toBe(input);
  });

  it('joins a stream on a value column to a table (stream side repartitioned) and refuses joins of unequal partition counts', async () => {
    const s = seed();
    const e = await engine(`join_${s}_`);
    await e.execute(`CREATE TABLE USERS (ID STRING PRIMARY KEY, NAME STRING) WITH (KAFKA_TOPIC='users-${s}', PARTITIONS=3, VALUE_FORMAT='JSON');
                     CREATE STREAM CLICKS (CID STRING KEY, USERID STRING, URL STRING) WITH (KAFKA_TOPIC='clicks-${s}', PARTITIONS=3, VALUE_FORMAT='JSON');`);
    const producer = await admin.producer();
    await producer.send(Array.from({ length: 20 }, (_, i) => ({ topic: `users-${s}`, key: Buffer.from(`u${i}`), value: json({ NAME: `name${i}` }), timestamp: 1 })));
    await e.execute(`CREATE STREAM ENRICHED WITH (KAFKA_TOPIC='enriched-${s}') AS SELECT C.USERID, C.URL, U.NAME FROM CLICKS C JOIN USERS U ON C.USERID = U.ID;`);
    // no wait for the users to be in the join's table: a task processes its partitions' records in timestamp order
    await producer.send(Array.from({ length: 200 }, (_, i) => ({ topic: `clicks-${s}`, key: Buffer.from(`c${i}`), value: json({ USERID: `u${i % 20}`, URL: `/p${i}` }), timestamp: 100 + i })));
    const out = await readTopic(admin, `enriched-${s}`, (seen) => seen.length >= 200);
    for (const r of out) {
      const v = JSON.parse(r.value!.toString());
      expect(v.NAME).toBe(`name${r.key!.toString().slice(1)}`);
    }
    expect(out).toHaveLength(200);

    await e.execute(`CREATE TABLE ODD (ID STRING PRIMARY KEY, X INT) WITH (KAFKA_TOPIC='odd-${s}', PARTITIONS=2, VALUE_FORMAT='JSON');`);
    await expect(e.execute(`CREATE STREAM J2 AS SELECT * FROM CLICKS C JOIN ODD O ON C.CID = O.ID;`)).rejects.toThrow(/number of partitions don't match/);
    await producer.close();
  });

  it('with ksql.internal.topics.precreated=true, names the internal topics a query needs instead of creating them', async () => {
    const s = seed();
    const serviceId = `pre_${s}_`;
    await admin.admin.createTopics([{ name: names.commandTopic(serviceId), partitions: 1 }, { name: names.processingLogTopic(serviceId), partitions: 1 }, { name: `pre-in-${s}`, partitions: 2 }]);
    const e = await engine(serviceId, { 'ksql.internal.topics.precreated': 'true' });
    await e.execute(`CREATE STREAM S (ID STRING KEY, R STRING) WITH (KAFKA_TOPIC='pre-in-${s}', VALUE_FORMAT='JSON');`);
    const app = names.queryApplicationId(serviceId, 'CTAS_C_0');
    const err = await e.execute(`CREATE TABLE C WITH (KAFKA_TOPIC='pre-in-${s}-c', PARTITIONS=2) AS SELECT R, COUNT(*) AS N FROM S GROUP BY R;`).catch((x: Error) => x);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain('ksql.internal.topics.precreated=true');
    expect((err as Error).message).toContain(`${app}-Aggregate-GroupBy-repartition (partitions=2, cleanup.policy=delete)`);
    expect((err as Error).message).toContain(`${app}-Aggregate-Aggregate-Materialize-changelog (partitions=2, cleanup.policy=compact)`);
  });
});
