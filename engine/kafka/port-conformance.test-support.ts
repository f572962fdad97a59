import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { BrokerRecord, KafkaConsumer, KafkaPort, TopicPartition } from './port.js';

/**
 * The cases every `KafkaPort` must pass, run against the in-memory port
 * (engine/driver/memory-port.test.ts) and kafkajs on a real broker
 * (kafkajs-port.int.test.ts), as Hono runs one router suite over every router:
 * the in-memory Kafka the tests use behaves as the Kafka people deploy on.
 * `port()` is called inside the tests (the real broker's port is made in a
 * beforeAll).
 */
export interface PortCapabilities {
  /**
   * Whether a commit's metadata string comes back with its offset (Kafka
   * Streams keeps the partition time there; without it a restarted query's
   * stream time starts from its first record). Default true.
   */
  readonly commitMetadata?: boolean;
}

export function runPortConformance(label: string, portOf: () => KafkaPort, capabilities: PortCapabilities = {}): void {
  const withMetadata = capabilities.commitMetadata ?? true;
  /** `o` as fetchOffsets answers it on this port: without its metadata where the port keeps none */
  const asCommitted = <T extends { metadata?: string }>(o: T): T | Omit<T, 'metadata'> => {
    if (withMetadata) return o;
    const { metadata: _dropped, ...rest } = o;
    return rest;
  };
  const seed = randomBytes(4).toString('hex');
  const name = (n: string) => `port-test-${seed}-${n}`;

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
    kafka: KafkaPort,
    groupId: string,
    topic: string,
    until: (seen: readonly BrokerRecord[]) => boolean,
    options: { readCommitted?: boolean; from?: 'earliest' | 'latest'; onAssigned?: (tps: readonly TopicPartition[]) => void } = {},
  ): Promise<{ seen: BrokerRecord[]; consumer: KafkaConsumer }> {
    const seen: BrokerRecord[] = [];
    const consumer = await kafka.consumer({ groupId, topics: [topic], ...options });
    await consumer.run(async (batch) => {
      seen.push(...batch.records);
    });
    await waitFor(`records on ${topic}`, () => (until(seen) ? true : undefined));
    return { seen, consumer };
  }

  describe(`KafkaPort conformance: ${label}`, () => {
    it('creates, lists, describes and deletes topics', async () => {
      const a = name('admin-a');
      const b = name('admin-b');
      await portOf().admin.createTopics([
        { name: a, partitions: 3 },
        { name: b, partitions: 1, config: { 'cleanup.policy': 'compact' } },
      ]);
      // idempotent: existing topics are left alone
      await portOf().admin.createTopics([{ name: a, partitions: 3 }]);
      expect(await portOf().admin.listTopics()).toEqual(expect.arrayContaining([a, b]));
      const described = await portOf().admin.describeTopics([a, b, name('absent')]);
      expect(described.map((t) => [t.name, t.partitions, t.config['cleanup.policy']])).toEqual([
        [a, 3, undefined],
        [b, 1, 'compact'],
      ]);
      await portOf().admin.deleteTopics([a, b, name('absent')]);
      await waitFor('deleted topics gone', async () => {
        const left = await portOf().admin.listTopics();
        return left.includes(a) || left.includes(b) ? undefined : true;
      });
    });

    it('produces a batch and consumes it with keys, values, timestamps and headers', async () => {
      const topic = name('plain');
      await portOf().admin.createTopics([{ name: topic, partitions: 2 }]);
      const producer = await portOf().producer();
      const records = Array.from({ length: 20 }, (_, i) => ({
        topic,
        key: Buffer.from(`k${i % 5}`),
        value: i === 7 ? null : Buffer.from(`v${i}`),
        timestamp: 1_700_000_000_000 + i,
        headers: i === 3 ? [{ key: 'h', value: Buffer.from('x') }, { key: 'h', value: Buffer.from('y') }, { key: 'g', value: Buffer.alloc(0) }, { key: 'n', value: null }] : [],
      }));
      // a null header value is Kafka's, and comes back null (see the 'v3' record below)
      const sent = await producer.send(records);
      expect(sent.length).toBeGreaterThan(0);
      const marks = await portOf().admin.fetchWatermarks(topic);
      expect(marks.reduce((n, m) => n + m.high - m.low, 0)).toBe(20);

      const assigned: TopicPartition[] = [];
      const group = name('plain-group');
      const { seen, consumer } = await consumeAll(portOf(), group, topic, (s) => s.length >= 20, {
        onAssigned: (tps) => assigned.push(...tps),
      });
      expect(assigned.map((tp) => tp.partition).sort()).toEqual([0, 1]);
      const byValue = new Map(seen.map((r) => [r.value?.toString() ?? 'null', r]));
      expect(byValue.get('v3')?.headers).toEqual([
        { key: 'h', value: Buffer.from('x') },
        { key: 'h', value: Buffer.from('y') },
        { key: 'g', value: Buffer.alloc(0) },
        { key: 'n', value: null },
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
      expect(await portOf().admin.fetchOffsets(group, [topic])).toEqual([]);
      // a commit's metadata (Kafka Streams' partition time) comes back with its offset
      const next = marks.map((m) => ({ topic, partition: m.partition, offset: m.high, ...(m.partition === 0 ? { metadata: 'AQAAAAAAAAAB' } : {}) }));
      await consumer.commit(next);
      expect(await portOf().admin.fetchOffsets(group, [topic])).toEqual(expect.arrayContaining(next.map(asCommitted)));

      // seek back and read partition 0 again
      const before = seen.length;
      consumer.seek({ topic, partition: 0, offset: 0 });
      const p0 = marks.find((m) => m.partition === 0)!.high;
      await waitFor('re-read after seek', () => (seen.length >= before + p0 ? true : undefined));
      await consumer.close();
      await producer.close();
    });

    it('keeps the timestamps of one batch exact however far apart they are (years, before and after the first)', async () => {
      const topic = name('timestamps');
      await portOf().admin.createTopics([{ name: topic, partitions: 1 }]);
      const producer = await portOf().producer();
      const stamps = [1_526_075_913_000, 1_557_611_913_000, 1_589_234_313_000, 10, 0, 2 ** 40, 1_700_000_000_123];
      await producer.send(stamps.map((timestamp, i) => ({ topic, key: null, value: Buffer.from(String(i)), timestamp })));
      const { seen, consumer } = await consumeAll(portOf(), name('timestamps-group'), topic, (s) => s.length >= stamps.length);
      expect(seen.map((r) => r.timestamp)).toEqual(stamps);
      await Promise.all([consumer.close(), producer.close()]);
    });

    it('commits output and input offsets in one transaction, and hides aborted ones', async () => {
      const input = name('tx-in');
      const output = name('tx-out');
      const group = name('tx-group');
      await portOf().admin.createTopics([
        { name: input, partitions: 1 },
        { name: output, partitions: 1 },
      ]);
      const producer = await portOf().producer({ transactionalId: name('tx-producer') });
      await expect(producer.send([{ topic: output, key: null, value: Buffer.from('no'), timestamp: 0 }])).rejects.toThrow(
        /only inside a transaction/,
      );

      const committed = await producer.beginTransaction();
      await committed.send([
        { topic: output, key: Buffer.from('a'), value: Buffer.from('one'), timestamp: 1 },
        { topic: output, key: Buffer.from('b'), value: Buffer.from('two'), timestamp: 2 },
      ]);
      await committed.sendOffsets(group, [{ topic: input, partition: 0, offset: 5, metadata: 'AQAAAAAAAAAC' }]);
      await committed.commit();

      const aborted = await producer.beginTransaction();
      await aborted.send([{ topic: output, key: null, value: Buffer.from('aborted'), timestamp: 3 }]);
      await aborted.sendOffsets(group, [{ topic: input, partition: 0, offset: 9 }]);
      await aborted.abort();

      const last = await producer.beginTransaction();
      await last.send([{ topic: output, key: null, value: Buffer.from('after'), timestamp: 4 }]);
      await last.commit();

      expect(await portOf().admin.fetchOffsets(group, [input])).toEqual([asCommitted({ topic: input, partition: 0, offset: 5, metadata: 'AQAAAAAAAAAC' })]);

      const committedRead = await consumeAll(portOf(), name('tx-reader'), output, (s) => s.some((r) => r.value?.toString() === 'after'));
      expect(committedRead.seen.map((r) => r.value?.toString())).toEqual(['one', 'two', 'after']);
      await committedRead.consumer.close();

      const uncommittedRead = await consumeAll(portOf(), 
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
      await portOf().admin.createTopics([
        { name: input, partitions: 1 },
        { name: output, partitions: 1 },
      ]);
      const plain = await portOf().producer();
      await plain.send([1, 2, 3].map((i) => ({ topic: input, key: null, value: Buffer.from(`r${i}`), timestamp: i })));
      await plain.close();
      // a zombie: the same transactional id initialized again by its successor
      const zombie = await portOf().producer({ transactionalId: name('fenced-tx') });
      const successor = await portOf().producer({ transactionalId: name('fenced-tx') });
      const attempts: string[] = [];
      let fenced: Error | null = null;
      const consumer = await portOf().consumer({ groupId: group, topics: [input], maxWaitMs: 100 });
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
      await waitFor('the batch committed by the successor', async () => ((await portOf().admin.fetchOffsets(group, [input]))[0]?.offset === 3 ? true : undefined));
      expect((fenced as unknown as { retriable?: boolean }).retriable).toBe(false);
      expect(attempts).toEqual(['r1,r2,r3', 'r1,r2,r3']);
      const out = await consumeAll(portOf(), name('fenced-reader'), output, (seen) => seen.length >= 3);
      expect(out.seen.map((r) => r.value!.toString())).toEqual(['r1', 'r2', 'r3']);
      await Promise.all([out.consumer.close(), consumer.close(), zombie.close(), successor.close()]);
    });
    it('redelivers a batch whose handler threw, from the position before it', async () => {
      const topic = name('retry');
      await portOf().admin.createTopics([{ name: topic, partitions: 1 }]);
      const producer = await portOf().producer();
      await producer.send(['a', 'b'].map((v, i) => ({ topic, key: null, value: Buffer.from(v), timestamp: i })));
      let thrown = false;
      const seen: string[] = [];
      const consumer = await portOf().consumer({ groupId: name('retry-group'), topics: [topic], maxWaitMs: 100 });
      await consumer.run(async (batch) => {
        if (!thrown) {
          thrown = true;
          throw new Error('first attempt fails');
        }
        seen.push(...batch.records.map((r) => r.value!.toString()));
      });
      await waitFor('the batch again', () => (seen.length >= 2 ? true : undefined));
      expect(seen).toEqual(['a', 'b']);
      await Promise.all([consumer.close(), producer.close()]);
    });

    it('starts a partition with no committed offset at its end with from: latest, and at the committed offset otherwise', async () => {
      const topic = name('latest');
      await portOf().admin.createTopics([{ name: topic, partitions: 1 }]);
      const producer = await portOf().producer();
      await producer.send([{ topic, key: null, value: Buffer.from('old'), timestamp: 1 }]);
      const group = name('latest-group');
      let assigned = false;
      const seen: string[] = [];
      const consumer = await portOf().consumer({ groupId: group, topics: [topic], from: 'latest', maxWaitMs: 100, onAssigned: () => (assigned = true) });
      await consumer.run(async (batch) => {
        seen.push(...batch.records.map((r) => r.value!.toString()));
      });
      await waitFor('the assignment', () => (assigned ? true : undefined));
      // kafkajs resolves "latest" at its first fetch, which may come after the assignment: produce until one arrives
      await waitFor('a new record', async () => {
        if (seen.length > 0) return true;
        await producer.send([{ topic, key: null, value: Buffer.from('new'), timestamp: 2 }]);
        return undefined;
      });
      expect(seen).not.toContain('old');
      // committed offsets win over `from`
      await consumer.commit([{ topic, partition: 0, offset: 0 }]);
      await consumer.close();
      const c2 = await portOf().consumer({ groupId: group, topics: [topic], from: 'latest', maxWaitMs: 100 });
      const seen2: string[] = [];
      await c2.run(async (batch) => {
        seen2.push(...batch.records.map((r) => r.value!.toString()));
      });
      const end = (await portOf().admin.fetchWatermarks(topic))[0]!.high;
      await waitFor('every record', () => (seen2.length >= end ? true : undefined));
      expect(seen2[0]).toBe('old');
      await Promise.all([c2.close(), producer.close()]);
    });

    it('assigns partition N of every topic to one member with copartitioned assignment, and rebalances when a member leaves', async () => {
      const a = name('copart-a');
      const b = name('copart-b');
      await portOf().admin.createTopics([
        { name: a, partitions: 2 },
        { name: b, partitions: 2 },
      ]);
      const group = name('copart-group');
      const owned = [new Map<string, number>(), new Map<string, number>()];
      const consumers = await Promise.all(
        [0, 1].map((i) =>
          portOf().consumer({
            groupId: group,
            topics: [a, b],
            assignment: 'copartitioned',
            maxWaitMs: 100,
            onAssigned: (tps) => {
              for (const tp of tps) owned[i]!.set(`${tp.topic}:${tp.partition}`, tp.partition);
            },
            onRevoked: (tps) => {
              for (const tp of tps) owned[i]!.delete(`${tp.topic}:${tp.partition}`);
            },
          }),
        ),
      );
      for (const c of consumers) await c.run(async () => {});
      await waitFor('both members assigned', () => (owned[0]!.size === 2 && owned[1]!.size === 2 ? true : undefined));
      for (const m of owned) expect(new Set(m.values()).size).toBe(1);
      await consumers[1]!.close();
      await waitFor('the survivor owns everything', () => (owned[0]!.size === 4 ? true : undefined));
      await consumers[0]!.close();
    });
  });
}
