import { describe, expect, it } from 'vitest';
import { PartitionGroup } from './partition-group.js';

interface R {
  readonly id: string;
  readonly offset: number;
  readonly timestamp: number;
}

/** Records of one partition: `id` is `<partition><offset>`, timestamps as given. */
const recs = (partition: string, from: number, timestamps: readonly number[]): R[] => timestamps.map((timestamp, i) => ({ id: `${partition}${from + i}`, offset: from + i, timestamp }));
const ids = (rs: readonly R[]): string[] => rs.map((r) => r.id);

describe('PartitionGroup', () => {
  it('takes the lowest head timestamp across partitions, in bulk, in the order one record at a time would give', () => {
    const g = new PartitionGroup<R>(['s', 't']);
    g.add('s', recs('s', 0, [5, 6, 7, 20]), 4, 4);
    g.add('t', recs('t', 0, [1, 2, 8, 9]), 4, 4);
    expect(ids(g.take(100, 0))).toEqual(['t0', 't1', 's0', 's1', 's2', 't2', 't3', 's3']);
    expect(g.buffered).toBe(0);
  });

  it('breaks timestamp ties by the order the partitions were given, and keeps offset order within a partition', () => {
    const g = new PartitionGroup<R>(['a', 'b']);
    g.add('b', recs('b', 0, [1, 1, 3]), 3, 3);
    g.add('a', recs('a', 0, [1, 2, 2]), 3, 3);
    expect(ids(g.take(100, 0))).toEqual(['a0', 'b0', 'b1', 'a1', 'a2', 'b2']);
  });

  it('picks by the head record: an out-of-order record in a partition does not jump ahead of its predecessors', () => {
    const g = new PartitionGroup<R>(['a', 'b']);
    g.add('a', recs('a', 0, [10, 1]), 2, 2);
    g.add('b', recs('b', 0, [5]), 1, 1);
    expect(ids(g.take(100, 0))).toEqual(['b0', 'a0', 'a1']);
  });

  it('takes at most max records per call', () => {
    const g = new PartitionGroup<R>(['a', 'b']);
    g.add('a', recs('a', 0, [1, 3, 5]), 3, 3);
    g.add('b', recs('b', 0, [2, 4, 6]), 3, 3);
    expect(ids(g.take(4, 0))).toEqual(['a0', 'b0', 'a1', 'b1']);
    expect(g.buffered).toBe(2);
    expect(ids(g.take(4, 0))).toEqual(['a2', 'b2']);
  });

  it('waits while an empty partition has unknown lag (nothing fetched or known of it yet)', () => {
    const g = new PartitionGroup<R>(['stream', 'table']);
    g.add('stream', recs('stream', 0, [100, 101]), 2, 2);
    expect(g.readiness(0)).toEqual({ ready: false, retryAt: null });
    expect(g.take(10, 0)).toEqual([]);
    // the table's older rows arrive: they go first
    g.add('table', recs('table', 0, [1, 2]), 2, 2);
    expect(ids(g.take(10, 0))).toEqual(['table0', 'table1', 'stream0', 'stream1']);
  });

  it('waits while an empty partition has known lag, and goes on once it is caught up', () => {
    const g = new PartitionGroup<R>(['stream', 'table']);
    g.initLag('table', 0, 3); // committed 0, end 3: three entries to fetch
    g.add('stream', recs('stream', 0, [100]), 1, 1);
    expect(g.readiness(0).ready).toBe(false);
    g.add('table', recs('table', 0, [1]), 1, 3); // a fetch that stopped short of the end
    expect(ids(g.take(10, 0))).toEqual(['table0']); // the table is empty again with lag 2: the stream record waits
    expect(g.readiness(0).ready).toBe(false);
    g.add('table', [], 3, 3); // the rest were transaction markers (or aborted records)
    expect(ids(g.take(10, 0))).toEqual(['stream0']);
  });

  it('does not wait for a caught-up empty partition with max.task.idle.ms 0', () => {
    const g = new PartitionGroup<R>(['stream', 'table']);
    g.initLag('table', 5, 5);
    g.add('stream', recs('stream', 0, [100, 101]), 2, 2);
    expect(ids(g.take(10, 0))).toEqual(['stream0', 'stream1']);
  });

  it('initLag does not override what a fetch told', () => {
    const g = new PartitionGroup<R>(['a', 'b']);
    g.add('b', [], 7, 7);
    g.initLag('b', 0, 7); // read before the fetch, answered after it
    g.add('a', recs('a', 0, [1]), 1, 1);
    expect(ids(g.take(10, 0))).toEqual(['a0']);
  });

  it('with max.task.idle.ms > 0, waits that long for a caught-up empty partition, then processes (enforced)', () => {
    const g = new PartitionGroup<R>(['stream', 'table'], { maxTaskIdleMs: 500 });
    g.initLag('table', 0, 0);
    g.add('stream', recs('stream', 0, [100, 101]), 2, 2);
    expect(g.readiness(1_000)).toEqual({ ready: false, retryAt: 1_500 });
    expect(g.take(10, 1_200)).toEqual([]);
    expect(ids(g.take(10, 1_500))).toEqual(['stream0', 'stream1']);
    // data on the idle partition resets its deadline
    g.add('table', recs('table', 0, [1]), 1, 1);
    g.add('stream', recs('stream', 2, [102]), 3, 3);
    expect(ids(g.take(10, 2_000))).toEqual(['table0']);
    expect(g.readiness(2_000)).toEqual({ ready: false, retryAt: 2_500 });
  });

  it('with max.task.idle.ms -1, never waits', () => {
    const g = new PartitionGroup<R>(['stream', 'table'], { maxTaskIdleMs: -1 });
    g.add('stream', recs('stream', 0, [100]), 1, 1);
    expect(ids(g.take(10, 0))).toEqual(['stream0']);
  });

  it('stops a bulk take when a queue runs empty while its partition has lag', () => {
    const g = new PartitionGroup<R>(['a', 'b']);
    g.add('a', recs('a', 0, [1, 2]), 2, 10);
    g.add('b', recs('b', 0, [3, 4]), 2, 2);
    expect(ids(g.take(10, 0))).toEqual(['a0', 'a1']);
    expect(g.size('b')).toBe(2);
    g.add('a', recs('a', 2, [5]), 3, 3);
    expect(ids(g.take(10, 0))).toEqual(['b0', 'b1', 'a2']);
  });

  it('clear drops what is buffered and keeps what is known of the partitions', () => {
    const g = new PartitionGroup<R>(['a']);
    g.add('a', recs('a', 0, [1, 2]), 2, 2);
    g.clear();
    expect(g.buffered).toBe(0);
    expect(g.readiness(0)).toEqual({ ready: false, retryAt: null });
    expect(() => g.add('x', [], 0, 0)).toThrow(/not an input partition/);
  });
});
