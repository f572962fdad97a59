import { describe, expect, it } from 'vitest';
import { array, BOOLEAN, INTEGER } from '../../types/sql-type.js';
import { ResolveError } from '../types.js';
import { EARLIEST_BY_OFFSET, LATEST_BY_OFFSET } from './by-offset.js';
import { col, lit, resolveAgg, runAgg } from './test-util.js';

const F0 = col(INTEGER);
const n = (v: number) => lit(INTEGER, v);
const b = (v: boolean) => lit(BOOLEAN, v);

describe('EARLIEST_BY_OFFSET', () => {
  it('single value, nulls ignored by default', () => {
    const e = resolveAgg(EARLIEST_BY_OFFSET, [F0]);
    expect(e.returnType).toEqual(INTEGER);
    expect(e.valueArgs).toBe(1);
    expect(runAgg(e, [[null], [13], [14]]).results).toEqual([null, 13, 13]);
    expect(runAgg(resolveAgg(EARLIEST_BY_OFFSET, [F0, b(false)]), [[null], [13]]).results).toEqual([null, null]);
  });

  it('n values with and without nulls', () => {
    const e = resolveAgg(EARLIEST_BY_OFFSET, [F0, n(2)]);
    expect(e.returnType).toEqual(array(INTEGER));
    expect(runAgg(e, [[12], [null], [13], [14]]).results).toEqual([[12], [12], [12, 13], [12, 13]]);
    expect(runAgg(resolveAgg(EARLIEST_BY_OFFSET, [F0, n(2), b(false)]), [[12], [null], [13]]).results).toEqual([[12], [12, null], [12, null]]);
    expect(runAgg(e, [[null], [null]]).results).toEqual([[], []]);
  });

  it('merges session windows by sequence', () => {
    const e = resolveAgg(EARLIEST_BY_OFFSET, [F0]);
    const s1 = runAgg(e, [[1]], 0).acc;
    const s2 = runAgg(e, [[3]], 1).acc;
    expect(e.result(e.add(e.merge!(e.merge!(e.init(), s2), s1), [2], { sequence: 2, timestamp: 0 }))).toBe(1);
    const en = resolveAgg(EARLIEST_BY_OFFSET, [F0, n(2), b(false)]);
    const a = runAgg(en, [[null]], 0).acc;
    const c = runAgg(en, [[1]], 1).acc;
    expect(en.result(en.add(en.merge!(c, a), [null], { sequence: 2, timestamp: 0 }))).toEqual([null, 1]);
  });

  it('requires literal trailing arguments', () => {
    expect(() => EARLIEST_BY_OFFSET.resolve([F0, F0])).toThrow(ResolveError);
    expect(() => EARLIEST_BY_OFFSET.resolve([F0, { type: INTEGER, text: 'F0' } as never])).toThrow(
      "Parameter 2 passed to function EARLIEST_BY_OFFSET must be a literal constant, but was expression: 'F0'",
    );
    expect(resolveAgg(EARLIEST_BY_OFFSET, [F0, n(2), b(true)]).remove).toBeUndefined();
  });
});

describe('LATEST_BY_OFFSET', () => {
  it('single value', () => {
    expect(runAgg(resolveAgg(LATEST_BY_OFFSET, [F0, b(true)]), [[12], [null], [13]]).results).toEqual([12, 12, 13]);
    expect(runAgg(resolveAgg(LATEST_BY_OFFSET, [F0, b(false)]), [[12], [null], [13]]).results).toEqual([12, null, 13]);
  });

  it('n values', () => {
    expect(runAgg(resolveAgg(LATEST_BY_OFFSET, [F0, n(2), b(true)]), [[12], [null], [13], [14]]).results).toEqual([[12], [12], [12, 13], [13, 14]]);
    expect(runAgg(resolveAgg(LATEST_BY_OFFSET, [F0, n(2), b(false)]), [[12], [null], [13]]).results).toEqual([[12], [12, null], [null, 13]]);
  });

  it('merges session windows by sequence', () => {
    const l = resolveAgg(LATEST_BY_OFFSET, [F0]);
    const s1 = runAgg(l, [[1]], 0).acc;
    const s2 = runAgg(l, [[null]], 1).acc;
    expect(l.result(l.merge!(l.merge!(l.init(), s2), s1))).toBe(1);
    const lf = resolveAgg(LATEST_BY_OFFSET, [F0, b(false)]);
    expect(lf.result(lf.merge!(runAgg(lf, [[null]], 1).acc, runAgg(lf, [[1]], 0).acc))).toBeNull();
    const ln = resolveAgg(LATEST_BY_OFFSET, [F0, n(2), b(false)]);
    const x = ln.merge!(runAgg(ln, [[1]], 0).acc, runAgg(ln, [[null]], 1).acc);
    expect(ln.result(ln.add(x, [2], { sequence: 2, timestamp: 0 }))).toEqual([null, 2]);
  });
});
