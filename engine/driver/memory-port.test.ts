import { afterEach, describe, expect, it } from 'vitest';
import { runPortConformance } from '../kafka/port-conformance.test-support.js';
import type { BrokerRecord, OutRecord } from '../kafka/port.js';
import { MemoryKafka } from './memory-port.js';

let shared = new MemoryKafka();
afterEach(async () => {
  await shared.close();
  shared = new MemoryKafka();
});

runPortConformance('in memory', () => shared);

const rec = (topic: string, value: string, extra: Partial<OutRecord> = {}): OutRecord => ({ topic, key: null, value: Buffer.from(value), timestamp: 0, ...extra });
const values = (rs: readonly BrokerRecord[]): string[] => rs.map((r) => r.value?.toString() ?? 'null');

describe('MemoryKafka', () => {
  it('settles once every consumer read everything, through chains of consumers', async () => {
    const k = new MemoryKafka();
    await k.admin.createTopics([
      { name: 'a', partitions: 2 },
      { name: 'b', partitions: 1 },
    ]);
    const producer = await k.producer();
    const fwd = await k.consumer({ groupId: 'fwd', topics: ['a'] });
    await fwd.run(async (batch) => {
      await producer.send(batch.records.map((r) => rec('b', `${r.value!.toString()}!`)));
    });
    const seen: BrokerRecord[] = [];
    const sink = await k.consumer({ groupId: 'sink', topics: ['b'] });
    await sink.run(async (batch) => void seen.push(...batch.records));
    await producer.send([rec('a', 'x', { partition: 0 }), rec('a', 'y', { partition: 1 })]);
    await k.settle();
    expect(values(seen).sort()).toEqual(['x!', 'y!']);
    expect(k.idle).toBe(true);
    await k.close();
  });

  it('hides an open transaction from read_committed consumers (and what follows it), never shows an aborted one', async () => {
    const k = new MemoryKafka();
    await k.admin.createTopics([{ name: 't', partitions: 1 }]);
    const tp = await k.producer({ transactionalId: 'tx' });
    const plain = await k.producer();
    const committed: BrokerRecord[] = [];
    const dirty: BrokerRecord[] = [];
    const c1 = await k.consumer({ groupId: 'c', topics: ['t'] });
    await c1.run(async (b) => void committed.push(...b.records));
    const c2 = await k.consumer({ groupId: 'd', topics: ['t'], readCommitted: false });
    await c2.run(async (b) => void dirty.push(...b.records));
    const tx = await tp.beginTransaction();
    await tx.send([rec('t', 'in-tx')]);
    await plain.send([rec('t', 'after')]);
    await k.settle();
    expect(values(committed)).toEqual([]);
    expect(values(dirty)).toEqual(['in-tx', 'after']);
    await tx.commit();
    await k.settle();
    expect(values(committed)).toEqual(['in-tx', 'after']);
    const aborted = await tp.beginTransaction();
    await aborted.send([rec('t', 'gone')]);
    await aborted.sendOffsets('g', [{ topic: 't', partition: 0, offset: 1 }]);
    await aborted.abort();
    await plain.send([rec('t', 'last')]);
    await k.settle();
    expect(values(committed)).toEqual(['in-tx', 'after', 'last']);
    expect(await k.admin.fetchOffsets('g', ['t'])).toEqual([]);
    expect(values(k.readCommitted('t'))).toEqual(['in-tx', 'after', 'last']);
    await k.close();
  });

  it('fences the older producer of a transactional id and aborts its open transaction', async () => {
    const k = new MemoryKafka();
    await k.admin.createTopics([{ name: 't', partitions: 1 }]);
    const old = await k.producer({ transactionalId: 'same' });
    const tx = await old.beginTransaction();
    await tx.send([rec('t', 'zombie')]);
    await k.producer({ transactionalId: 'same' });
    await expect(tx.commit()).rejects.toMatchObject({ type: 'INVALID_PRODUCER_EPOCH', retriable: false });
    expect(values(k.readCommitted('t'))).toEqual([]);
    await k.close();
  });

  it('pauses and resumes partitions, and seeks', async () => {
    const k = new MemoryKafka();
    await k.admin.createTopics([{ name: 't', partitions: 2 }]);
    const p = await k.producer();
    const seen: BrokerRecord[] = [];
    const c = await k.consumer({ groupId: 'g', topics: ['t'] });
    await c.run(async (b) => void seen.push(...b.records));
    await k.settle();
    c.pause('t', [1]);
    await p.send([rec('t', 'p0', { partition: 0 }), rec('t', 'p1', { partition: 1 })]);
    await k.settle();
    expect(values(seen)).toEqual(['p0']);
    c.resume('t', [1]);
    await k.settle();
    expect(values(seen)).toEqual(['p0', 'p1']);
    c.seek({ topic: 't', partition: 0, offset: 0 });
    await k.settle();
    expect(values(seen)).toEqual(['p0', 'p1', 'p0']);
    await k.close();
  });

  it('rejects settle with the error of a batch that keeps failing', async () => {
    const k = new MemoryKafka();
    await k.admin.createTopics([{ name: 't', partitions: 1 }]);
    const c = await k.consumer({ groupId: 'g', topics: ['t'] });
    await c.run(async () => {
      throw new Error('boom');
    });
    await (await k.producer()).send([rec('t', 'x')]);
    await expect(k.settle()).rejects.toThrow('boom');
    await k.close();
  });

  it('refuses to produce to a topic that does not exist', async () => {
    const k = new MemoryKafka();
    await expect((await k.producer()).send([rec('nope', 'x')])).rejects.toThrow(/does not host this topic-partition: nope/);
    await k.close();
  });

  it('starts a new member from the committed offsets and calls onRevoked before onAssigned', async () => {
    const k = new MemoryKafka();
    await k.admin.createTopics([{ name: 't', partitions: 2 }]);
    const events: string[] = [];
    const c1 = await k.consumer({ groupId: 'g', topics: ['t'], onAssigned: (tps) => events.push(`1+${tps.map((t) => t.partition).join(',')}`), onRevoked: (tps) => events.push(`1-${tps.map((t) => t.partition).join(',')}`) });
    await c1.run(async (b) => c1.commit([{ topic: b.topic, partition: b.partition, offset: b.records[b.records.length - 1]!.offset + 1 }]));
    await (await k.producer()).send([rec('t', 'a', { partition: 0 }), rec('t', 'b', { partition: 1 })]);
    await k.settle();
    const seen: BrokerRecord[] = [];
    const c2 = await k.consumer({ groupId: 'g', topics: ['t'], onAssigned: (tps) => events.push(`2+${tps.map((t) => t.partition).join(',')}`) });
    await c2.run(async (b) => void seen.push(...b.records));
    await k.settle();
    expect(events).toEqual(['1+0,1', '1-0,1', '1+0', '2+1']);
    expect(seen).toEqual([]);
    await k.close();
  });
});
