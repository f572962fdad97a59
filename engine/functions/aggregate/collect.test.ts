import { describe, expect, it } from 'vitest';
import { array, BIGINT, INTEGER, map, STRING, struct } from '../../types/sql-type.js';
import { collectList, collectSet } from './collect.js';
import { HISTOGRAM } from './histogram.js';
import { col, resolveAgg, runAgg } from './test-util.js';

const ctx = { sequence: 0, timestamp: 0 };

describe('COLLECT_LIST', () => {
  it('collects in order including nulls', () => {
    const c = resolveAgg(collectList(), [col(STRING)]);
    expect(c.returnType).toEqual(array(STRING));
    expect(runAgg(c, [['baz'], ['baz'], ['foo'], [null]]).results).toEqual([['baz'], ['baz', 'baz'], ['baz', 'baz', 'foo'], ['baz', 'baz', 'foo', null]]);
  });

  it('results do not alias the accumulator', () => {
    const c = resolveAgg(collectList(), [col(INTEGER)]);
    const acc = runAgg(c, [[1]]).acc;
    const first = c.result(acc) as number[];
    c.add(acc, [2], ctx);
    expect(first).toEqual([1]);
    expect(c.result(acc)).toEqual([1]);
  });

  it('honours the limit', () => {
    const c = resolveAgg(collectList(1), [col(INTEGER)]);
    expect(runAgg(c, [[0], [100]]).results).toEqual([[0], [0]]);
    expect(c.merge!([1], [2])).toEqual([1]);
  });

  it('undoes one equal element (complex values compare by value)', () => {
    const t = struct([{ name: 'A', type: STRING }]);
    const c = resolveAgg(collectList(), [col(t)]);
    const acc = runAgg(c, [[{ A: 'x' }], [{ A: 'y' }], [{ A: 'x' }]]).acc;
    expect(c.result(c.remove!(acc, [{ A: 'x' }], ctx))).toEqual([{ A: 'y' }, { A: 'x' }]);
    expect(c.result(c.remove!(acc, [{ A: 'z' }], ctx))).toEqual([{ A: 'x' }, { A: 'y' }, { A: 'x' }]);
  });
});

describe('COLLECT_SET', () => {
  it('keeps distinct values in first-arrival order', () => {
    const c = resolveAgg(collectSet(), [col(STRING)]);
    expect(runAgg(c, [['baz'], ['baz'], ['foo'], [null], [null]]).results.at(-1)).toEqual(['baz', 'foo', null]);
    const s = resolveAgg(collectSet(), [col(struct([{ name: 'A', type: STRING }, { name: 'B', type: BIGINT }]))]);
    expect(runAgg(s, [[{ A: 'r', B: 100n }], [{ B: 100n, A: 'r' }]]).results.at(-1)).toEqual([{ A: 'r', B: 100n }]);
    const m = resolveAgg(collectSet(), [col(map(STRING, INTEGER))]);
    expect(runAgg(m, [[new Map([['a', 1]])], [new Map([['a', 1]])]]).results.at(-1)).toEqual([new Map([['a', 1]])]);
  });

  it('undoes, merges and limits', () => {
    const c = resolveAgg(collectSet(2), [col(INTEGER)]);
    const acc = runAgg(c, [[1], [2], [3]]).acc;
    expect(c.result(acc)).toEqual([1, 2]);
    expect(c.result(c.remove!(acc, [1], ctx))).toEqual([2]);
    expect(c.result(c.merge!(runAgg(c, [[1]]).acc, runAgg(c, [[1], [2], [3]]).acc))).toEqual([1, 2]);
  });
});

describe('HISTOGRAM', () => {
  it('counts string values (QTT histogram.json)', () => {
    const h = resolveAgg(HISTOGRAM, [col(STRING)]);
    expect(h.returnType).toEqual(map(STRING, BIGINT));
    const r = runAgg(h, [['baz'], ['baz'], ['foo'], [null]]).results;
    expect(r).toEqual([new Map([['baz', 1n]]), new Map([['baz', 2n]]), new Map([['baz', 2n], ['foo', 1n]]), new Map([['baz', 2n], ['foo', 1n]])]);
  });

  it('undoes and merges', () => {
    const h = resolveAgg(HISTOGRAM, [col(STRING)]);
    const acc = runAgg(h, [['a'], ['b'], ['a']]).acc;
    expect(h.result(h.remove!(acc, ['b'], ctx))).toEqual(new Map([['a', 2n]]));
    expect(h.result(h.merge!(acc, acc))).toEqual(new Map([['a', 4n], ['b', 2n]]));
  });
});
