import { beforeAll, describe, expect, it } from 'vitest';
import type { KafkaEngine } from './kafka-engine.js';
import { EnginePool, json, onBroker, readTopic, seed, waitFor } from './int-test-support.js';
import * as names from './names.js';
import type { BrokerRecord, KafkaPort } from './port.js';

/**
 * CREATE OR REPLACE on a real broker, as ksqlDB upgrades a query in place:
 * the query keeps its id, consumer group, state stores and changelogs when
 * the change is compatible, and an incompatible change is refused with
 * ksqlDB's text while the old query runs on.
 */
let brokers: string;
let admin: KafkaPort;
const pool = new EnginePool();

onBroker('query-upgrade-test', (b, a) => {
  brokers = b;
  admin = a;
}, pool);

/** The latest count per user on the sink topic (JSON key and value). */
function latest(records: readonly BrokerRecord[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of records) if (r.value) m.set(r.key!.toString(), (JSON.parse(r.value.toString()) as { N: number }).N);
  return m;
}

describe('CREATE OR REPLACE on a real broker', () => {
  let e: KafkaEngine;
  let s: string;
  const countSql = (where = '') => `CREATE OR REPLACE TABLE PER_USER WITH (KAFKA_TOPIC='per-user-${s}', PARTITIONS=2) AS SELECT USER, COUNT(*) AS N FROM CLICKS ${where}GROUP BY USER;`;

  beforeAll(async () => {
    s = seed();
    e = await pool.start(brokers, `upgrade_${s}_`);
    await e.execute(`CREATE STREAM CLICKS (ID STRING KEY, USER STRING, URL STRING) WITH (KAFKA_TOPIC='clicks-${s}', PARTITIONS=2, VALUE_FORMAT='JSON');`);
  }, 60_000);

  const send = async (n: number, from: number): Promise<void> => {
    const producer = await admin.producer();
    await producer.send(Array.from({ length: n }, (_, i) => ({ topic: `clicks-${s}`, key: Buffer.from(`c${from + i}`), value: json({ USER: 'a', URL: `/p${from + i}` }), timestamp: 1_000 + from + i })));
    await producer.close();
  };
  const countReaches = async (n: number): Promise<Map<string, number>> =>
    latest(await readTopic(admin, `per-user-${s}`, (seen) => latest(seen).get('a') === n, `count ${n} for user a`));
  const committed = (queryId: string, n: number) =>
    waitFor(`${n} input records committed`, async () => {
      const o = await admin.admin.fetchOffsets(names.queryGroupId(e.serviceId, queryId), [`clicks-${s}`]);
      return o.reduce((sum, x) => sum + Math.max(0, x.offset), 0) === n ? o : undefined;
    });

  it('keeps counting when a stateful query is replaced with the same text, then a compatible one', async () => {
    const [created] = await e.execute(countSql());
    const queryId = created!.queryId!;
    await send(5, 0);
    await countReaches(5);
    await committed(queryId, 5);
    const app = names.queryApplicationId(e.serviceId, queryId);
    const internal = [`${app}-Aggregate-GroupBy-repartition`, `${app}-Aggregate-Aggregate-Materialize-changelog`];
    expect((await admin.admin.listTopics()).filter((t) => t.startsWith(app)).sort()).toEqual(internal.sort());

    // the same text: the query keeps its id, group and changelog
    const [same] = await e.execute(countSql());
    expect(same!.queryId).toBe(queryId);
    await send(1, 5);
    expect((await countReaches(6)).get('a')).toBe(6);
    await committed(queryId, 6);

    // a compatible change (a filter): the state stays too
    const [filtered] = await e.execute(countSql("WHERE URL <> '/health' "));
    expect(filtered!.queryId).toBe(queryId);
    await send(1, 6);
    expect((await countReaches(7)).get('a')).toBe(7);
    expect((await admin.admin.listTopics()).filter((t) => t.startsWith(app)).sort()).toEqual(internal.sort());
    expect(e.executor.metastore.queries().filter((q) => q.sink === 'PER_USER').map((q) => q.id)).toEqual([queryId]);
  });

  it('refuses an incompatible replace with ksqlDB text, and the old query runs on with its state', async () => {
    const before = e.executor.metastore.queries().find((q) => q.sink === 'PER_USER')!;
    const err = await e
      .execute(`CREATE OR REPLACE TABLE PER_USER WITH (KAFKA_TOPIC='per-user-${s}', PARTITIONS=2) AS SELECT USER, COUNT(*) AS N FROM CLICKS WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY USER;`)
      .catch((x: Error) => x);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe('Query is not upgradeable. Plan step of type StreamAggregate must have matching type. Values differ: StreamAggregate vs. StreamWindowedAggregate');
    const err2 = await e
      .execute(`CREATE OR REPLACE TABLE PER_USER WITH (KAFKA_TOPIC='per-user-${s}', PARTITIONS=2) AS SELECT URL AS USER, COUNT(*) AS N FROM CLICKS GROUP BY URL;`)
      .catch((x: Error) => x);
    expect((err2 as Error).message).toBe('Query is not upgradeable. Plan step of type StreamAggregate must have matching groupByExpressions. Values differ: [CLICKS.USER] vs. [CLICKS.URL]');
    expect(e.executor.metastore.queries().filter((q) => q.sink === 'PER_USER')).toEqual([before]);
    await send(1, 7);
    expect((await countReaches(8)).get('a')).toBe(8);
  });

  it('TERMINATE still deletes the internal topics', async () => {
    const q = e.executor.metastore.queries().find((x) => x.sink === 'PER_USER')!;
    const app = names.queryApplicationId(e.serviceId, q.id);
    await e.execute(`TERMINATE ${q.id};`);
    await waitFor('internal topics deleted', async () => ((await admin.admin.listTopics()).some((t) => t.startsWith(app)) ? undefined : true));
  });
});
