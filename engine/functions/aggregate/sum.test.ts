import { Decimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { array, BIGINT, decimal, DOUBLE, INTEGER, STRING } from '../../types/sql-type.js';
import { FunctionError, ResolveError } from '../types.js';
import { AVG } from './avg.js';
import { SUM, SUM_LIST } from './sum.js';
import { col, resolveAgg, runAgg } from './test-util.js';

const ctx = { sequence: 0, timestamp: 0 };
const d = (s: string): Decimal => new Decimal(s);

describe('SUM', () => {
  it('keeps the input type', () => {
    expect(resolveAgg(SUM, [col(INTEGER)]).returnType).toEqual(INTEGER);
    expect(resolveAgg(SUM, [col(BIGINT)]).returnType).toEqual(BIGINT);
    expect(resolveAgg(SUM, [col(DOUBLE)]).returnType).toEqual(DOUBLE);
    expect(resolveAgg(SUM, [col(decimal(4, 1))]).returnType).toEqual(decimal(4, 1));
    expect(() => resolveAgg(SUM, [col(STRING)])).toThrow(ResolveError);
  });

  it('sums with Java overflow and skips nulls', () => {
    expect(runAgg(resolveAgg(SUM, [col(INTEGER)]), [[0], [100], [null], [2147483647]]).results).toEqual([0, 100, 100, -2147483549]);
    expect(runAgg(resolveAgg(SUM, [col(BIGINT)]), [[9223372036854775807n], [1n]]).results).toEqual([9223372036854775807n, -9223372036854775808n]);
    expect(runAgg(resolveAgg(SUM, [col(DOUBLE)]), [[5.4], [100.1]]).results).toEqual([5.4, 105.5]);
  });

  it('sums decimals at the type scale and fails on overflow', () => {
    const s = resolveAgg(SUM, [col(decimal(6, 2))]);
    const r = runAgg(s, [[d('5.4')], [d('100.1')], [d('500.9')]]).results as Decimal[];
    expect(r.map((x) => x.toFixed(2))).toEqual(['5.40', '105.50', '606.40']);
    const small = resolveAgg(SUM, [col(decimal(3, 1))]);
    expect(() => runAgg(small, [[d('50.9')], [d('50.9')]])).toThrow(FunctionError);
    expect(() => runAgg(small, [[d('50.9')], [d('50.9')]])).toThrow('Numeric field overflow');
  });

  it('undoes and merges', () => {
    const s = resolveAgg(SUM, [col(BIGINT)]);
    const acc = runAgg(s, [[5n], [7n]]).acc;
    expect(s.result(s.remove!(acc, [5n], ctx))).toBe(7n);
    expect(s.result(s.remove!(acc, [null], ctx))).toBe(12n);
    expect(s.result(s.merge!(acc, acc))).toBe(24n);
  });
});

describe('SUM_LIST', () => {
  it('sums array elements (QTT sum.json)', () => {
    const s = resolveAgg(SUM_LIST, [col(array(DOUBLE))]);
    expect(s.returnType).toEqual(DOUBLE);
    expect(runAgg(s, [[[1, 1]], [[2, 2]], [[922337203685, 1]], [[1, 1, null]], [null]]).results).toEqual([
      2, 6, 922337203692, 922337203694, 922337203694,
    ]);
    const l = resolveAgg(SUM_LIST, [col(array(BIGINT))]);
    expect(runAgg(l, [[[1n, 1n]], [[100n, 100n, null]]]).results).toEqual([2n, 202n]);
  });
});

describe('AVG', () => {
  it('averages ints as DOUBLE (QTT average-udaf.json)', () => {
    const a = resolveAgg(AVG, [col(INTEGER)]);
    expect(a.returnType).toEqual(DOUBLE);
    expect(runAgg(a, [[1], [2], [2], [null]]).results).toEqual([1, 1.5, 1.6666666666666667, 1.6666666666666667]);
  });

  it('averages longs with Java overflow in the sum', () => {
    const a = resolveAgg(AVG, [col(BIGINT)]);
    expect(runAgg(a, [[-1n], [9223372036854775807n], [1n]]).results).toEqual([-1, 4.611686018427388e18, 3.0744573456182584e18]);
  });

  it('averages doubles', () => {
    const a = resolveAgg(AVG, [col(DOUBLE)]);
    expect(runAgg(a, [[2.3], [-200000.6], [0]]).results).toEqual([2.3, -99999.15000000001, -66666.1]);
  });

  it('undoes (QTT average udaf with table)', () => {
    const a = resolveAgg(AVG, [col(INTEGER)]);
    let acc = runAgg(a, [[1], [2]]).acc;
    acc = a.add(a.remove!(acc, [1], ctx), [null], ctx);
    expect(a.result(acc)).toBe(2);
    acc = a.add(a.remove!(acc, [null], ctx), [4], ctx);
    expect(a.result(acc)).toBe(3);
    expect(a.result(a.init())).toBe(0);
    expect(a.result(a.merge!(runAgg(a, [[1]]).acc, runAgg(a, [[2], [3]]).acc))).toBe(2);
  });

  it('has a complex intermediate type', () => {
    expect(resolveAgg(AVG, [col(INTEGER)]).intermediateType.kind).toBe('STRUCT');
  });
});
