import { Decimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { CastError, castSupported, castValue, parseBooleanExact, parseTimestamp } from './cast.js';
import { array, BIGINT, BOOLEAN, DATE, decimal, DOUBLE, INTEGER, map, STRING, struct, TIME, TIMESTAMP } from './sql-type.js';

describe('castValue', () => {
  it('numbers', () => {
    expect(castValue(2147483648n, BIGINT, INTEGER)).toBe(-2147483648);
    expect(castValue(1.9, DOUBLE, INTEGER)).toBe(1);
    expect(castValue(-1.9, DOUBLE, BIGINT)).toBe(-1n);
    expect(castValue(1e20, DOUBLE, INTEGER)).toBe(2147483647);
    expect(castValue(new Decimal('10.99'), decimal(4, 2), INTEGER)).toBe(10);
    expect(castValue(new Decimal('0.01'), decimal(4, 2), DOUBLE)).toBe(0.01);
    expect(castValue(5, INTEGER, BIGINT)).toBe(5n);
  });
  it('decimals round HALF_UP and check precision', () => {
    expect(String(castValue(1, INTEGER, decimal(2, 1)))).toBe('1');
    expect((castValue(new Decimal('10.12'), decimal(4, 2), decimal(5, 3)) as Decimal).toFixed(3)).toBe('10.120');
    expect((castValue('1.25', STRING, decimal(2, 1)) as Decimal).toString()).toBe('1.3');
    expect((castValue(-1.25, DOUBLE, decimal(3, 1)) as Decimal).toString()).toBe('-1.3');
    expect(() => castValue(100, INTEGER, decimal(2, 1))).toThrow(/overflow/);
    expect(() => castValue('abc', STRING, decimal(2, 1))).toThrow(CastError);
  });
  it('strings', () => {
    expect(castValue(' 42 ', STRING, INTEGER)).toBe(42);
    expect(() => castValue('abc', STRING, INTEGER)).toThrow(CastError);
    expect(() => castValue('2147483648', STRING, INTEGER)).toThrow(CastError);
    expect(castValue('9223372036854775807', STRING, BIGINT)).toBe(9223372036854775807n);
    expect(castValue('1.5e3', STRING, DOUBLE)).toBe(1500);
    expect(castValue('TRUE', STRING, BOOLEAN)).toBe(true);
    expect(castValue('nope', STRING, BOOLEAN)).toBe(false);
    expect(castValue(1e10, DOUBLE, STRING)).toBe('1.0E10');
    expect(castValue(new Decimal('0'), decimal(4, 2), STRING)).toBe('0.00');
    expect(castValue(10, TIMESTAMP, STRING)).toBe('1970-01-01T00:00:00.010');
    expect(castValue(5000, TIME, STRING)).toBe('00:00:05');
    expect(castValue(1, DATE, STRING)).toBe('1970-01-02');
    expect(castValue([[1n, 2147483648n]], array(array(BIGINT)), array(array(STRING)))).toEqual([['1', '2147483648']]);
  });
  it('temporal', () => {
    expect(castValue('2022-04-28T21:44:47.943', STRING, TIMESTAMP)).toBe(1651182287943);
    expect(castValue('2022-04-28T21:44:47.943Z', STRING, TIMESTAMP)).toBe(1651182287943);
    expect(castValue('1970-01-01T00:00:01', STRING, TIMESTAMP)).toBe(1000);
    expect(parseTimestamp('1970-01-01T01:00:00+01:00')).toBe(0);
    expect(() => castValue('foo', STRING, TIMESTAMP)).toThrow(CastError);
    expect(castValue('00:00:00.010', STRING, TIME)).toBe(10);
    expect(castValue('1970-01-11', STRING, DATE)).toBe(10);
    expect(castValue(86_400_000 * 2 + 5, TIMESTAMP, DATE)).toBe(2);
    expect(castValue(2, DATE, TIMESTAMP)).toBe(86_400_000 * 2);
  });
  it('complex', () => {
    expect(castValue(new Map([['this', 2147483648n]]), map(STRING, BIGINT), map(STRING, INTEGER))).toEqual(new Map([['this', -2147483648]]));
    const from = struct([
      { name: 'F0', type: BIGINT },
      { name: 'F1', type: STRING },
    ]);
    const to = struct([
      { name: 'F0', type: STRING },
      { name: 'F3', type: STRING },
    ]);
    expect(castValue({ F0: 1n, F1: '3' }, from, to)).toEqual({ F0: '1', F3: null });
    expect(castSupported(STRING, map(STRING, INTEGER))).toBe(false);
    expect(() => castValue('x', STRING, map(STRING, INTEGER))).toThrow('Cast of STRING to MAP<STRING, INTEGER> is not supported');
  });
  it('booleans', () => {
    expect(parseBooleanExact('tr')).toBe(true);
    expect(parseBooleanExact('Y')).toBe(true);
    expect(parseBooleanExact('no')).toBe(false);
    expect(parseBooleanExact('Not a boolean')).toBe(null);
  });
});
