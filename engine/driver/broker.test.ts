import { describe, expect, it } from 'vitest';
import { InMemoryBroker } from './broker.js';

describe('InMemoryBroker', () => {
  it('keeps every record as produced: bytes, nulls, headers, timestamps, offsets per partition, produce order', () => {
    const b = new InMemoryBroker();
    b.createTopic('t', 2);
    const big = Buffer.alloc((1 << 20) + 5, 7); // larger than a log chunk
    const delivered: number[] = [];
    b.subscribe('t', (r) => delivered.push(r.offset));
    b.produce('t', { key: Buffer.from('a'), value: Buffer.from('1'), timestamp: 10, partition: 0 });
    b.produce('t', { key: null, value: big, timestamp: 1_600_000_000_123, partition: 1, headers: [{ key: 'h', value: Buffer.from('v') }] });
    b.produce('t', { key: Buffer.from('b'), value: null, timestamp: 12, partition: 0 });
    const source = Buffer.from('mutable');
    b.produce('t', { key: source, value: Buffer.alloc(0), timestamp: 13, partition: 1 });
    source.write('MUTATED'); // the log holds a copy
    expect(delivered).toEqual([0, 0, 1, 1]);
    const shown = (r: ReturnType<InMemoryBroker['read']>[number]): unknown => [r.partition, r.offset, r.key?.toString() ?? null, r.value === null ? null : r.value.length, r.timestamp, r.headers.map((h) => h.key)];
    expect(b.read('t').map(shown)).toEqual([
      [0, 0, 'a', 1, 10, []],
      [0, 1, 'b', null, 12, []],
      [1, 0, null, big.length, 1_600_000_000_123, ['h']],
      [1, 1, 'mutable', 0, 13, []],
    ]);
    expect(b.readInOrder('t').map((r) => [r.partition, r.offset])).toEqual([
      [0, 0],
      [1, 0],
      [0, 1],
      [1, 1],
    ]);
    expect(b.read('t')[2]!.value!.equals(big)).toBe(true);
    expect(b.recordCount('t')).toBe(4);
    expect(b.read('missing')).toEqual([]);
    expect(b.recordCount('missing')).toBe(0);
  });

  it('keeps a zero-byte first record (an all-defaults PROTOBUF_NOSR message)', () => {
    const b = new InMemoryBroker();
    b.createTopic('t', 1);
    b.produce('t', { key: null, value: Buffer.alloc(0), timestamp: 1, partition: 0 });
    b.produce('t', { key: Buffer.alloc(0), value: Buffer.from('x'), timestamp: 2, partition: 0 });
    expect(b.read('t').map((r) => [r.key?.length ?? null, r.value?.length ?? null])).toEqual([
      [null, 0],
      [0, 1],
    ]);
  });

  it('partitions by the murmur2 hash of the key when no partition is given', () => {
    const b = new InMemoryBroker();
    b.createTopic('t', 3);
    const r = b.produce('t', { key: Buffer.from('some-key'), value: null, timestamp: 0 });
    expect(r.partition).toBe(b.produce('t', { key: Buffer.from('some-key'), value: null, timestamp: 1 }).partition);
    expect(b.read('t').filter((x) => x.partition === r.partition)).toHaveLength(2);
  });
});
