import { Decimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { array, BIGINT, BOOLEAN, BYTES, decimal, DOUBLE, INTEGER, STRING } from '../../types/sql-type.js';
import { ResolveError } from '../types.js';
import { MAX, MIN } from './min-max.js';
import { col, resolveAgg, runAgg } from './test-util.js';

describe('MIN/MAX', () => {
  it('skip nulls and start at null (QTT max-group-by.json)', () => {
    const max = resolveAgg(MAX, [col(INTEGER)]);
    expect(runAgg(max, [[null], [-2147483647], [5], [null], [2000], [100]]).results).toEqual([null, -2147483647, 5, 5, 2000, 2000]);
    const min = resolveAgg(MIN, [col(BIGINT)]);
    expect(runAgg(min, [[null], [-1000000n], [5n], [-9223372036854775807n]]).results).toEqual([null, -1000000n, -1000000n, -9223372036854775807n]);
  });

  it('order doubles, strings, decimals and bytes', () => {
    expect(runAgg(resolveAgg(MIN, [col(DOUBLE)]), [[1.7976931348623157e308], [5.1], [-1.7976931348623157e308]]).results).toEqual([
      1.7976931348623157e308, 5.1, -1.7976931348623157e308,
    ]);
    expect(runAgg(resolveAgg(MIN, [col(STRING)]), [['B'], ['A'], ['C']]).results).toEqual(['B', 'A', 'A']);
    const dec = runAgg(resolveAgg(MAX, [col(decimal(4, 2))]), [[new Decimal('-10.12')], [new Decimal('5.10')], [new Decimal('0')]]).results as Decimal[];
    expect(dec.map(String)).toEqual(['-10.12', '5.1', '5.1']);
    const b = (s: string): Buffer => Buffer.from(s, 'base64');
    const bytes = runAgg(resolveAgg(MAX, [col(BYTES)]), [[b('Qg==')], [b('QQ==')], [b('RQ==')]]).results as Buffer[];
    expect(bytes.map((x) => x.toString('base64'))).toEqual(['Qg==', 'Qg==', 'RQ==']);
  });

  it('merge and have no undo', () => {
    const max = resolveAgg(MAX, [col(INTEGER)]);
    expect(max.remove).toBeUndefined();
    expect(max.merge!(null, 3)).toBe(3);
    expect(max.merge!(4, 3)).toBe(4);
    expect(max.merge!(null, null)).toBeNull();
  });

  it('reject unordered types', () => {
    expect(() => resolveAgg(MAX, [col(array(INTEGER))])).toThrow(ResolveError);
    expect(() => resolveAgg(MIN, [col(BOOLEAN)])).toThrow("Function 'MIN' does not accept parameters (BOOLEAN).");
  });
});
