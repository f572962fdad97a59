import { Decimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { array, BIGINT, decimal, DOUBLE, INTEGER, STRING, struct } from '../../types/sql-type.js';
import { ResolveError } from '../types.js';
import { col, lit, resolveAgg, runAgg } from './test-util.js';
import { TOPK, TOPKDISTINCT } from './topk.js';

describe('TOPK', () => {
  it('keeps the k greatest values (QTT topk-group-by.json)', () => {
    const t = resolveAgg(TOPK, [col(INTEGER), lit(INTEGER, 3)]);
    expect(t.valueArgs).toBe(1);
    expect(t.returnType).toEqual(array(INTEGER));
    expect(runAgg(t, [[0], [100], [99], [7], [100], [null]]).results).toEqual([[0], [100, 0], [100, 99, 0], [100, 99, 7], [100, 100, 99], [100, 100, 99]]);
    expect(runAgg(resolveAgg(TOPK, [col(STRING), lit(INTEGER, 3)]), [['a'], ['b'], ['c'], ['b'], ['d']]).results.at(-1)).toEqual(['d', 'c', 'b']);
  });

  it('carries other columns in a struct, earlier records first among ties', () => {
    const t = resolveAgg(TOPK, [col(DOUBLE), col(STRING), lit(INTEGER, 3)]);
    expect(t.valueArgs).toBe(2);
    expect(t.returnType).toEqual(array(struct([{ name: 'sort_col', type: DOUBLE }, { name: 'col0', type: STRING }])));
    const r = runAgg(t, [[2147483648.9, 'zero'], [100.5, 'one'], [99.9, 'two'], [null, 'three'], [100.5, null]]).results;
    expect(r.at(-2)).toEqual([{ sort_col: 2147483648.9, col0: 'zero' }, { sort_col: 100.5, col0: 'one' }, { sort_col: 99.9, col0: 'two' }]);
    expect(r.at(-1)).toEqual([{ sort_col: 2147483648.9, col0: 'zero' }, { sort_col: 100.5, col0: 'one' }, { sort_col: 100.5, col0: null }]);
  });

  it('merges and requires a literal k', () => {
    const t = resolveAgg(TOPK, [col(BIGINT), lit(INTEGER, 2)]);
    expect(t.remove).toBeUndefined();
    expect(t.merge!([5n, 1n], [3n, 2n])).toEqual([5n, 3n]);
    expect(() => TOPK.resolve([col(BIGINT), col(INTEGER)])).toThrow(ResolveError);
    expect(() => TOPK.resolve([col(BIGINT), lit(INTEGER, 0)])).toThrow(ResolveError);
  });
});

describe('TOPKDISTINCT', () => {
  it('keeps distinct values (QTT topk-distinct.json)', () => {
    const t = resolveAgg(TOPKDISTINCT, [col(INTEGER), lit(INTEGER, 3)]);
    expect(runAgg(t, [[0], [100], [99], [7], [100]]).results).toEqual([[0], [100, 0], [100, 99, 0], [100, 99, 7], [100, 99, 7]]);
    const d = resolveAgg(TOPKDISTINCT, [col(decimal(2, 1)), lit(INTEGER, 3)]);
    const r = runAgg(d, ['9.8', '8.9', null, '7.8', '6.5', '9.9', '9.9'].map((s) => [s === null ? null : new Decimal(s)])).results as Decimal[][];
    expect(r.at(-1)!.map(String)).toEqual(['9.9', '9.8', '8.9']);
    expect(t.merge!([5, 1], [5, 3])).toEqual([5, 3, 1]);
  });
});
