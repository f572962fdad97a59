import { describe, expect, it } from 'vitest';
import type { KafkaEngine } from './kafka-engine.js';
import { EnginePool, json, onBroker, readTopic, seed } from './int-test-support.js';
import type { KafkaPort } from './port.js';

let brokers: string;
let admin: KafkaPort;
const pool = new EnginePool();

onBroker('backpressure-test', (b, a) => {
  brokers = b;
  admin = a;
}, pool);

const engine = (serviceId: string, properties: Record<string, string> = {}): Promise<KafkaEngine> => pool.start(brokers, serviceId, properties);

describe('bounded partition queues (buffered.records.per.partition) on a real broker', () => {
  it('pauses full partitions and resumes them: an aggregation behind a repartition counts every record once', async () => {
    const s = seed();
    const input = `bp-events-${s}`;
    const output = `bp-counts-${s}`;
    const regions = ['eu', 'us', 'apac', 'latam', 'mea'];
    const n = 3_000;
    // queues of 3 records: partitions are paused and resumed again and again, the source's while the repartition topic's are read
    const e = await engine(`bp_${s}_`, { 'ksql.streams.buffered.records.per.partition': '3' });
    await e.execute(`CREATE STREAM EVENTS (USERID STRING KEY, REGION STRING, V INT) WITH (KAFKA_TOPIC='${input}', PARTITIONS=3, VALUE_FORMAT='JSON');`);
    await e.execute(`CREATE TABLE COUNTS WITH (KAFKA_TOPIC='${output}', KEY_FORMAT='JSON') AS SELECT REGION, COUNT(*) AS N, SUM(V) AS S FROM EVENTS GROUP BY REGION;`);
    const producer = await admin.producer();
    await producer.send(Array.from({ length: n }, (_, i) => ({ topic: input, key: Buffer.from(`user${i % 13}`), value: json({ REGION: regions[i % 5], V: i }), timestamp: 10_000 + i })));
    await producer.close();
    const expected = new Map<string, { N: number; S: number }>();
    for (let i = 0; i < n; i++) {
      const x = expected.get(regions[i % 5]!) ?? { N: 0, S: 0 };
      expected.set(regions[i % 5]!, { N: x.N + 1, S: x.S + i });
    }
    const latest = (seen: readonly { key: Buffer | null; value: Buffer | null }[]): Map<string, { N: number; S: number }> =>
      new Map(seen.map((r) => [JSON.parse(r.key!.toString()) as string, JSON.parse(r.value!.toString()) as { N: number; S: number }]));
    const out = await readTopic(admin, output, (seen) => [...expected].every(([k, v]) => latest(seen).get(k)?.N === v.N), 'every record counted', 90_000);
    expect(Object.fromEntries([...latest(out)].sort())).toEqual(Object.fromEntries([...expected].sort()));
    // one update per input record (at-least-once without a failure: none twice)
    expect(out).toHaveLength(n);
  });
});
