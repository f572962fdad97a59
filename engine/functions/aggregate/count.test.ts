import { describe, expect, it } from 'vitest';
import { BIGINT, INTEGER, STRING } from '../../types/sql-type.js';
import { COUNT, COUNT_DISTINCT } from './count.js';
import { col, resolveAgg, runAgg } from './test-util.js';

const ctx = { sequence: 0, timestamp: 0 };

describe('COUNT', () => {
  it('COUNT(*) counts rows, COUNT(col) non-null values', () => {
    const star = resolveAgg(COUNT, []);
    expect(star.valueArgs).toBe(0);
    expect(star.returnType).toEqual(BIGINT);
    expect(runAgg(star, [[], [], []]).results).toEqual([1n, 2n, 3n]);
    const c = resolveAgg(COUNT, [col(INTEGER)]);
    expect(runAgg(c, [[1], [null], [3]]).results).toEqual([1n, 1n, 2n]);
  });

  it('undoes and merges (counts back to zero)', () => {
    const c = resolveAgg(COUNT, [col(INTEGER)]);
    let acc = runAgg(c, [[1], [2]]).acc;
    acc = c.remove!(acc, [1], ctx);
    expect(c.result(acc)).toBe(1n);
    acc = c.remove!(acc, [null], ctx);
    expect(c.result(acc)).toBe(1n);
    acc = c.remove!(acc, [2], ctx);
    expect(c.result(acc)).toBe(0n);
    expect(c.result(c.merge!(runAgg(c, [[1]]).acc, runAgg(c, [[1], [2]]).acc))).toBe(3n);
  });
});

describe('COUNT_DISTINCT', () => {
  it('counts distinct non-null values', () => {
    const c = resolveAgg(COUNT_DISTINCT, [col(STRING)]);
    expect(c.remove).toBeUndefined();
    expect(runAgg(c, [['a'], ['b'], ['a'], [null], ['c']]).results).toEqual([1n, 2n, 2n, 2n, 3n]);
    expect(c.result(c.merge!(runAgg(c, [['a'], ['b']]).acc, runAgg(c, [['b'], ['c']]).acc))).toBe(3n);
  });
});
