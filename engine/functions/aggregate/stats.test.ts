import { describe, expect, it } from 'vitest';
import { BIGINT, DOUBLE, INTEGER, STRING } from '../../types/sql-type.js';
import { ResolveError } from '../types.js';
import { CORRELATION } from './correlation.js';
import { STDDEV_SAMP, STDDEV_SAMPLE } from './stddev.js';
import { col, resolveAgg, runAgg } from './test-util.js';

const ctx = { sequence: 0, timestamp: 0 };

describe('CORRELATION', () => {
  it('matches ksqlDB (QTT correlation-udaf.json)', () => {
    const c = resolveAgg(CORRELATION, [col(DOUBLE), col(DOUBLE)]);
    expect(c.valueArgs).toBe(2);
    expect(runAgg(c, [[1.5, 8.0], [-1.0, -2.0], [-4.5, -1.0], [null, -6.0]]).results).toEqual([NaN, 1.0, 0.7580764521133173, 0.7580764521133173]);
    const i = resolveAgg(CORRELATION, [col(INTEGER), col(INTEGER)]);
    expect(runAgg(i, [[1, 8], [-1, -2], [-4, -1]]).results.at(-1)).toBe(0.7455284088780169);
    expect(runAgg(i, [[-3, -2], [13, null], [3, 11]]).results).toEqual([NaN, NaN, 1.0]);
  });

  it('undoes and merges', () => {
    const c = resolveAgg(CORRELATION, [col(BIGINT), col(BIGINT)]);
    const acc = runAgg(c, [[1n, 2n], [2n, 4n], [3n, 1n]]).acc;
    expect(c.result(c.remove!(acc, [3n, 1n], ctx))).toBeCloseTo(1, 12);
    const whole = c.result(acc) as number;
    expect(c.result(c.merge!(runAgg(c, [[1n, 2n]]).acc, runAgg(c, [[2n, 4n], [3n, 1n]]).acc))).toBeCloseTo(whole, 12);
    expect(() => CORRELATION.resolve([col(STRING), col(DOUBLE)])).toThrow(ResolveError);
  });
});

describe('STDDEV_SAMPLE / STDDEV_SAMP', () => {
  it('STDDEV_SAMPLE is the sample standard deviation (QTT standarddeviation.json)', () => {
    const s = resolveAgg(STDDEV_SAMPLE, [col(INTEGER)]);
    expect(s.returnType).toEqual(DOUBLE);
    expect(runAgg(s, [[0], [10], [7], [6]]).results).toEqual([0.0, 7.0710678118654755, 5.131601439446884, 4.193248541803041]);
    expect(runAgg(s, [[50], [10], [3], [null]]).results).toEqual([0.0, 28.284271247461902, 25.357444666211933, 25.357444666211933]);
    const d = resolveAgg(STDDEV_SAMPLE, [col(DOUBLE)]);
    expect(runAgg(d, [[10.0], [12.0], [13.0], [14.0], [16.0]]).results).toEqual([0.0, 1.4142135623730951, 1.5275252316519465, 1.707825127659933, 2.23606797749979]);
  });

  it('STDDEV_SAMP returns the sample variance, like ksqlDB', () => {
    const s = resolveAgg(STDDEV_SAMP, [col(DOUBLE)]);
    expect(runAgg(s, [[10.0], [12.0], [13.0], [14.0], [16.0]]).results).toEqual([0.0, 2.0, 2.333333333333333, 2.9166666666666665, 5.0]);
    expect(runAgg(s, [[-1.8], [2.3], [100.2], [null]]).results).toEqual([0.0, 8.405, 3334.2033333333347, 3334.2033333333347]);
    expect(runAgg(s, [[9223372036854.775], [300.8], [-200000.6], [0.0]]).results).toEqual([
      0.0, 4.253529586234292e25, 2.835686452404674e25, 2.1267648239542927e25,
    ]);
    const l = resolveAgg(STDDEV_SAMP, [col(BIGINT)]);
    expect(runAgg(l, [[2147483648n], [100n], [-2n], [null]]).results).toEqual([0.0, 2.3058427944653343e18, 1.5372286026580004e18, 1.5372286026580004e18]);
    expect(runAgg(l, [[500n], [100n], [0n], [-6n]]).results).toEqual([0.0, 80000.0, 70000.0, 57275.666666666664]);
  });

  it('undoes and merges', () => {
    const s = resolveAgg(STDDEV_SAMP, [col(DOUBLE)]);
    const acc = runAgg(s, [[10.0], [12.0], [13.0]]).acc;
    expect(s.result(s.remove!(acc, [13.0], ctx))).toBeCloseTo(2.0, 12);
    expect(s.result(s.remove!(s.remove!(acc, [13.0], ctx), [12.0], ctx))).toBe(0);
    expect(s.result(s.merge!(runAgg(s, [[10.0]]).acc, runAgg(s, [[12.0], [13.0]]).acc))).toBeCloseTo(2.3333333333, 9);
  });
});
