import { describe, expect, it } from 'vitest';
import { MemoryRuntime } from './memory-runtime.js';

const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));
const text = (b: Buffer | null): string | null => b?.toString() ?? null;

describe('MemoryRuntime: the Kafka runtime over the in-memory port', () => {
  it('counts per key through a repartition topic and a changelog, one piped record at a time', async () => {
    const rt = await MemoryRuntime.start({ properties: { 'ksql.streams.auto.offset.reset': 'earliest' } });
    rt.createTopic('clicks', 2);
    await rt.execute(`CREATE STREAM clicks (id VARCHAR KEY, usr VARCHAR) WITH (kafka_topic='clicks', value_format='JSON');
      CREATE TABLE per_user AS SELECT usr, COUNT(*) AS n FROM clicks GROUP BY usr;`);
    for (const [i, u] of ['a', 'b', 'a', 'a'].entries()) await rt.pipe('clicks', { key: Buffer.from(`k${i}`), value: json({ USR: u }), timestamp: i });
    const out = rt.read('PER_USER').map((r) => `${text(r.key)}=${text(r.value)}`);
    expect(out).toEqual(['a={"N":1}', 'b={"N":1}', 'a={"N":2}', 'a={"N":3}']);
    const internal = rt.broker.topics().map((t) => t.name).filter((n) => n.startsWith('_confluent-ksql-'));
    expect(internal.some((n) => n.endsWith('-repartition'))).toBe(true);
    expect(internal.some((n) => n.endsWith('-changelog'))).toBe(true);
    expect(rt.queryErrors()).toEqual([]);
    await rt.close();
  });

  it.each(['at_least_once', 'exactly_once_v2'])('reports caught up against the log ends once settled, not while a record waits (%s)', async (guarantee) => {
    const rt = await MemoryRuntime.start({ properties: { 'ksql.streams.auto.offset.reset': 'earliest', 'processing.guarantee': guarantee } });
    rt.createTopic('clicks', 2);
    await rt.execute(`CREATE STREAM clicks (id VARCHAR KEY, usr VARCHAR) WITH (kafka_topic='clicks', value_format='JSON');
      CREATE TABLE per_user AS SELECT usr, COUNT(*) AS n FROM clicks GROUP BY usr;`);
    const ends = async (): Promise<Map<string, number>> => {
      const m = new Map<string, number>();
      for (const t of rt.engine.consumedTopics()) for (const w of await rt.kafka.admin.fetchWatermarks(t)) m.set(`${t}:${w.partition}`, w.high);
      return m;
    };
    expect(rt.engine.consumedTopics().some((t) => t.endsWith('-repartition'))).toBe(true);
    await rt.pipe('clicks', { key: Buffer.from('k0'), value: json({ USR: 'a' }), timestamp: 0 });
    expect(rt.engine.caughtUp(await ends())).toBe(true);
    rt.broker.produce('clicks', { key: Buffer.from('k1'), value: json({ USR: 'b' }), timestamp: 1 });
    expect(rt.engine.caughtUp(await ends())).toBe(false);
    await rt.settle();
    expect(rt.engine.caughtUp(await ends())).toBe(true);
    await rt.close();
  });

  it('joins a stream with a table, and keeps exactly-once outputs committed only', async () => {
    const rt = await MemoryRuntime.start({ properties: { 'ksql.streams.auto.offset.reset': 'earliest', 'processing.guarantee': 'exactly_once_v2' } });
    rt.createTopic('users', 1);
    rt.createTopic('orders', 1);
    await rt.execute(`CREATE TABLE users (id VARCHAR PRIMARY KEY, name VARCHAR) WITH (kafka_topic='users', value_format='JSON');
      CREATE STREAM orders (id VARCHAR KEY, amount INT) WITH (kafka_topic='orders', value_format='JSON');
      CREATE STREAM enriched AS SELECT o.id, u.name, o.amount FROM orders o JOIN users u ON o.id = u.id;`);
    await rt.pipe('users', { key: Buffer.from('u1'), value: json({ NAME: 'ann' }), timestamp: 1 });
    await rt.pipe('orders', { key: Buffer.from('u1'), value: json({ AMOUNT: 5 }), timestamp: 2 });
    await rt.pipe('orders', { key: Buffer.from('u2'), value: json({ AMOUNT: 7 }), timestamp: 3 });
    expect(rt.read('ENRICHED').map((r) => `${text(r.key)}=${text(r.value)}`)).toEqual(['u1={"NAME":"ann","AMOUNT":5}']);
    await rt.close();
  });

  it.each(['at_least_once', 'exactly_once_v2'])('keeps counting across an engine restart: state restored from the changelog, input resumed from the committed offsets (%s)', async (guarantee) => {
    const rt = await MemoryRuntime.start({ properties: { 'ksql.streams.auto.offset.reset': 'earliest', 'processing.guarantee': guarantee } });
    rt.createTopic('clicks', 2);
    await rt.execute(`CREATE STREAM clicks (id VARCHAR KEY, usr VARCHAR) WITH (kafka_topic='clicks', value_format='JSON');
      CREATE TABLE per_user AS SELECT usr, COUNT(*) AS n FROM clicks GROUP BY usr;`);
    for (let i = 0; i < 5; i++) await rt.pipe('clicks', { key: Buffer.from(`k${i}`), value: json({ USR: 'a' }), timestamp: i });
    const before = rt.engine;
    await rt.restart();
    expect(rt.engine).not.toBe(before);
    expect(rt.engine.queryStatus(rt.engine.executor.metastore.queries()[0]!.id)?.restored).toBeGreaterThan(0);
    await rt.pipe('clicks', { key: Buffer.from('k5'), value: json({ USR: 'a' }), timestamp: 5 });
    const out = rt.read('PER_USER').map((r) => `${text(r.key)}=${text(r.value)}`);
    expect(out).toEqual([1, 2, 3, 4, 5, 6].map((n) => `a={"N":${n}}`));
    await rt.close();
  });

  it.each(['at_least_once', 'exactly_once_v2'])('resumes stream time after a restart from the partition time in the committed offsets: a window closed before stays closed (%s)', async (guarantee) => {
    const rt = await MemoryRuntime.start({ properties: { 'ksql.streams.auto.offset.reset': 'earliest', 'processing.guarantee': guarantee } });
    rt.createTopic('clicks', 1);
    await rt.execute(`CREATE STREAM clicks (id VARCHAR KEY, usr VARCHAR) WITH (kafka_topic='clicks', value_format='JSON');
      CREATE TABLE per_user AS SELECT usr, COUNT(*) AS n FROM clicks WINDOW TUMBLING (SIZE 10 SECONDS, GRACE PERIOD 0 SECONDS) GROUP BY usr;`);
    await rt.pipe('clicks', { key: Buffer.from('k0'), value: json({ USR: 'a' }), timestamp: 1_000 });
    await rt.pipe('clicks', { key: Buffer.from('k1'), value: json({ USR: 'a' }), timestamp: 25_000 });
    const group = rt.engine.runner(rt.engine.executor.metastore.queries()[0]!.id)!.groupId;
    const [committed] = await rt.kafka.admin.fetchOffsets(group, ['clicks']);
    expect(committed).toEqual({ topic: 'clicks', partition: 0, offset: 2, metadata: 'AQAAAAAAAGGo' });
    await rt.restart();
    // [0 s, 10 s) closed at stream time 25 s, before the restart: the late record is dropped
    await rt.pipe('clicks', { key: Buffer.from('k2'), value: json({ USR: 'a' }), timestamp: 2_000 });
    await rt.pipe('clicks', { key: Buffer.from('k3'), value: json({ USR: 'a' }), timestamp: 26_000 });
    expect(rt.read('PER_USER').map((r) => text(r.value))).toEqual(['{"N":1}', '{"N":1}', '{"N":2}']);
    await rt.close();
  });

  it('resumes a stream-stream join after a restart with each side at the newest record its restored buffer holds: a record too old to keep stays unjoined', async () => {
    const rt = await MemoryRuntime.start({ properties: { 'ksql.streams.auto.offset.reset': 'earliest' } });
    rt.createTopic('l', 1);
    rt.createTopic('r', 1);
    await rt.execute(`CREATE STREAM l (id VARCHAR KEY, a VARCHAR) WITH (kafka_topic='l', value_format='JSON');
      CREATE STREAM r (id VARCHAR KEY, b VARCHAR) WITH (kafka_topic='r', value_format='JSON');
      CREATE STREAM j AS SELECT l.id, a, b FROM l JOIN r WITHIN 1 MINUTE GRACE PERIOD 1 MINUTE ON l.id = r.id;`);
    await rt.pipe('l', { key: Buffer.from('k0'), value: json({ A: 'A' }), timestamp: 0 });
    await rt.pipe('r', { key: Buffer.from('k0'), value: json({ B: 'a' }), timestamp: 60_000 });
    await rt.pipe('l', { key: Buffer.from('k1'), value: json({ A: 'B' }), timestamp: 330_000 });
    await rt.restart();
    // the left side is at 330 s: a left record at 90 s is past its retention (3 minutes) and is not kept
    await rt.pipe('l', { key: Buffer.from('k2'), value: json({ A: 'C' }), timestamp: 90_000 });
    await rt.pipe('r', { key: Buffer.from('k2'), value: json({ B: 'c' }), timestamp: 90_000 });
    expect(rt.read('J').map((r) => `${text(r.key)}=${text(r.value)}`)).toEqual(['k0={"A":"A","B":"a"}']);
    await rt.close();
  });
});
