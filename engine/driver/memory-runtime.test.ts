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
});
