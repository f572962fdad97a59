import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startKafka, type KafkaBroker } from '../../test/infra/kafka/broker.js';
import { kafkajsPort } from './kafkajs-port.js';
// after the port, which patches kafkajs before it loads
import { Kafka, logLevel } from 'kafkajs';
import type { BrokerRecord, KafkaConsumer, KafkaPort, TopicPartition } from './port.js';

// Against a real broker: the integration project's globalSetup provides one;
// run alone (plain `vitest run` on this file) it starts its own.
let broker: KafkaBroker | null = null;
let port: KafkaPort;
let brokers: string;
const seed = randomBytes(4).toString('hex');
const name = (n: string) => `port-test-${seed}-${n}`;

beforeAll(async () => {
  let bootstrap = inject('kafkaBootstrap') ?? process.env['KSETL_KAFKA_BOOTSTRAP'];
  if (!bootstrap) {
    broker = await startKafka();
    bootstrap = broker.bootstrap;
  }
  brokers = bootstrap;
  port = kafkajsPort({ brokers: bootstrap, clientId: `port-test-${seed}`, logLevel: 'nothing' });
}, 180_000);

afterAll(async () => {
  await port?.close();
  await broker?.stop();
}, 60_000);

/** Waits until `check` returns a value, failing with `what` at the deadline; never a fixed sleep. */
async function waitFor<T>(
  what: string,
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function consumeAll(
  groupId: string,
  topic: string,
  until: (seen: readonly BrokerRecord[]) => boolean,
  options: { readCommitted?: boolean; onAssigned?: (tps: readonly TopicPartition[]) => void } = {},
): Promise<{ seen: BrokerRecord[]; consumer: KafkaConsumer }> {
  const seen: BrokerRecord[] = [];
  const consumer = await port.consumer({ groupId, topics: [topic], ...options });
  await consumer.run(async (batch) => {
    seen.push(...batch.records);
  });
  await waitFor(`records on ${topic}`, () => (until(seen) ? true : undefined));
  return { seen, consumer };
}

describe('kafkajs port against a real broker', () => {
  it('creates, lists, describes and deletes topics', async () => {
    const a = name('admin-a');
    const b = name('admin-b');
    await port.admin.createTopics([
      { name: a, partitions: 3 },
      { name: b, partitions: 1, config: { 'cleanup.policy': 'compact' } },
    ]);
    // idempotent: existing topics are left alone
    await port.admin.createTopics([{ name: a, partitions: 3 }]);
    expect(await port.admin.listTopics()).toEqual(expect.arrayContaining([a, b]));
    const described = await port.admin.describeTopics([a, b, name('absent')]);
    expect(described.map((t) => [t.name, t.partitions, t.config['cleanup.policy']])).toEqual([
      [a, 3, undefined],
      [b, 1, 'compact'],
    ]);
    await port.admin.deleteTopics([a, b, name('absent')]);
    await waitFor('deleted topics gone', async () => {
      const left = await port.admin.listTopics();
      return left.includes(a) || left.includes(b) ? undefined : true;
    });
  });

  it('produces a batch and consumes it with keys, values, timestamps and headers', async () => {
    const topic = name('plain');
    await port.admin.createTopics([{ name: topic, partitions: 2 }]);
    const producer = await port.producer();
    const records = Array.from({ length: 20 }, (_, i) => ({
      topic,
      key: Buffer.from(`k${i % 5}`),
      value: i === 7 ? null : Buffer.from(`v${i}`),
      timestamp: 1_700_000_000_000 + i,
      headers: i === 3 ? [{ key: 'h', value: Buffer.from('x') }, { key: 'h', value: Buffer.from('y') }, { key: 'g', value: Buffer.alloc(0) }] : [],
    }));
    await expect(
      producer.send([{ topic, key: null, value: null, timestamp: 0, headers: [{ key: 'h', value: null }] }]),
    ).rejects.toThrow(/null header value/);
    const sent = await producer.send(records);
    expect(sent.length).toBeGreaterThan(0);
    const marks = await port.admin.fetchWatermarks(topic);
    expect(marks.reduce((n, m) => n + m.high - m.low, 0)).toBe(20);

    const assigned: TopicPartition[] = [];
    const group = name('plain-group');
    const { seen, consumer } = await consumeAll(group, topic, (s) => s.length >= 20, {
      onAssigned: (tps) => assigned.push(...tps),
    });
    expect(assigned.map((tp) => tp.partition).sort()).toEqual([0, 1]);
    const byValue = new Map(seen.map((r) => [r.value?.toString() ?? 'null', r]));
    expect(byValue.get('v3')?.headers).toEqual([
      { key: 'h', value: Buffer.from('x') },
      { key: 'h', value: Buffer.from('y') },
      { key: 'g', value: Buffer.alloc(0) },
    ]);
    expect(byValue.get('v3')?.timestamp).toBe(1_700_000_000_003);
    expect(byValue.get('null')?.key?.toString()).toBe('k2');
    // same key, same partition (murmur2)
    const partitionOf = new Map<string, number>();
    for (const r of seen) {
      const k = r.key!.toString();
      expect(partitionOf.get(k) ?? r.partition).toBe(r.partition);
      partitionOf.set(k, r.partition);
    }

    // nothing is committed until we commit
    expect(await port.admin.fetchOffsets(group, [topic])).toEqual([]);
    const next = marks.map((m) => ({ topic, partition: m.partition, offset: m.high }));
    await consumer.commit(next);
    expect(await port.admin.fetchOffsets(group, [topic])).toEqual(expect.arrayContaining(next));

    // seek back and read partition 0 again
    const before = seen.length;
    consumer.seek({ topic, partition: 0, offset: 0 });
    const p0 = marks.find((m) => m.partition === 0)!.high;
    await waitFor('re-read after seek', () => (seen.length >= before + p0 ? true : undefined));
    await consumer.close();
    await producer.close();
  });

  it('commits output and input offsets in one transaction, and hides aborted ones', async () => {
    const input = name('tx-in');
    const output = name('tx-out');
    const group = name('tx-group');
    await port.admin.createTopics([
      { name: input, partitions: 1 },
      { name: output, partitions: 1 },
    ]);
    const producer = await port.producer({ transactionalId: name('tx-producer') });
    await expect(producer.send([{ topic: output, key: null, value: Buffer.from('no'), timestamp: 0 }])).rejects.toThrow(
      /only inside a transaction/,
    );

    const committed = await producer.beginTransaction();
    await committed.send([
      { topic: output, key: Buffer.from('a'), value: Buffer.from('one'), timestamp: 1 },
      { topic: output, key: Buffer.from('b'), value: Buffer.from('two'), timestamp: 2 },
    ]);
    await committed.sendOffsets(group, [{ topic: input, partition: 0, offset: 5 }]);
    await committed.commit();

    const aborted = await producer.beginTransaction();
    await aborted.send([{ topic: output, key: null, value: Buffer.from('aborted'), timestamp: 3 }]);
    await aborted.sendOffsets(group, [{ topic: input, partition: 0, offset: 9 }]);
    await aborted.abort();

    const last = await producer.beginTransaction();
    await last.send([{ topic: output, key: null, value: Buffer.from('after'), timestamp: 4 }]);
    await last.commit();

    expect(await port.admin.fetchOffsets(group, [input])).toEqual([{ topic: input, partition: 0, offset: 5 }]);

    const committedRead = await consumeAll(name('tx-reader'), output, (s) => s.some((r) => r.value?.toString() === 'after'));
    expect(committedRead.seen.map((r) => r.value?.toString())).toEqual(['one', 'two', 'after']);
    await committedRead.consumer.close();

    const uncommittedRead = await consumeAll(
      name('tx-dirty-reader'),
      output,
      (s) => s.some((r) => r.value?.toString() === 'after'),
      { readCommitted: false },
    );
    expect(uncommittedRead.seen.map((r) => r.value?.toString())).toEqual(['one', 'two', 'aborted', 'after']);
    await uncommittedRead.consumer.close();
    await producer.close();
  });

  it('keeps consuming after a batch fails on a fenced transactional producer (a non-retriable error): the batch comes again', async () => {
    const input = name('fenced-in');
    const output = name('fenced-out');
    const group = name('fenced-group');
    await port.admin.createTopics([
      { name: input, partitions: 1 },
      { name: output, partitions: 1 },
    ]);
    const plain = await port.producer();
    await plain.send([1, 2, 3].map((i) => ({ topic: input, key: null, value: Buffer.from(`r${i}`), timestamp: i })));
    await plain.close();
    // a zombie: the same transactional id initialized again by its successor
    const zombie = await port.producer({ transactionalId: name('fenced-tx') });
    const successor = await port.producer({ transactionalId: name('fenced-tx') });
    const attempts: string[] = [];
    let fenced: Error | null = null;
    const consumer = await port.consumer({ groupId: group, topics: [input], maxWaitMs: 100 });
    await consumer.run(async (batch) => {
      attempts.push(batch.records.map((r) => r.value!.toString()).join(','));
      const tx = await (fenced ? successor : zombie).beginTransaction();
      try {
        await tx.send(batch.records.map((r) => ({ topic: output, key: null, value: r.value, timestamp: r.timestamp })));
        await tx.sendOffsets(group, [{ topic: input, partition: batch.partition, offset: batch.records[batch.records.length - 1]!.offset + 1 }]);
        await tx.commit();
      } catch (e) {
        fenced = e as Error;
        await tx.abort().catch(() => {});
        throw e;
      }
    });
    await waitFor('the batch committed by the successor', async () => ((await port.admin.fetchOffsets(group, [input]))[0]?.offset === 3 ? true : undefined));
    expect((fenced as unknown as { retriable?: boolean }).retriable).toBe(false);
    expect(attempts).toEqual(['r1,r2,r3', 'r1,r2,r3']);
    const out = await consumeAll(name('fenced-reader'), output, (seen) => seen.length >= 3);
    expect(out.seen.map((r) => r.value!.toString())).toEqual(['r1', 'r2', 'r3']);
    await Promise.all([out.consumer.close(), consumer.close(), zombie.close(), successor.close()]);
  });

  it('a producer keeps writing after a topic it wrote to is deleted: to new topics, and to one made anew under the old name', async () => {
    const [gone, next] = [name('deleted'), name('next')];
    await port.admin.createTopics([{ name: gone, partitions: 2 }]);
    const producer = await port.producer();
    try {
      await producer.send([{ topic: gone, key: Buffer.from('k'), value: Buffer.from('v'), timestamp: 1 }]);
      // deleted by another client (another process, the operator): this process is not told
      const other = new Kafka({ brokers: [brokers], clientId: `port-test-${seed}-other`, logLevel: logLevel.NOTHING }).admin();
      await other.connect();
      await other.deleteTopics({ topics: [gone] });
      await other.disconnect();
      await waitFor('deleted', async () => ((await port.admin.listTopics()).includes(gone) ? undefined : true));
      await port.admin.createTopics([{ name: next, partitions: 1 }]);
      // kafkajs asked for the deleted topic's metadata with every refresh and failed them all: nothing new could be written
      const [meta] = await producer.send([{ topic: next, key: Buffer.from('k'), value: Buffer.from('v'), timestamp: 2 }]);
      expect(meta).toMatchObject({ topic: next, partition: 0 });

      // deleted here and made anew with more partitions: written over all of them (the 1-partition metadata was forgotten)
      await port.admin.deleteTopics([next]);
      await port.admin.createTopics([{ name: next, partitions: 4 }]);
      const sent = await producer.send(Array.from({ length: 40 }, (_, i) => ({ topic: next, key: Buffer.from(`key${i}`), value: Buffer.from('v'), timestamp: 3 })));
      expect(new Set(sent.map((m) => m.partition))).toEqual(new Set([0, 1, 2, 3]));
      // a topic that does not exist is still an error, naming the topic
      await expect(producer.send([{ topic: name('never'), key: null, value: Buffer.from('v'), timestamp: 4 }])).rejects.toThrow(name('never'));
    } finally {
      await producer.close();
    }
  });
});
