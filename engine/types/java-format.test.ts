import { Decimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { formatDate, formatTime, formatTimestamp, javaBigDecimalToString, javaDoubleToString, valueToString } from './java-format.js';
import { array, INTEGER, map, STRING, struct, DOUBLE } from './sql-type.js';

describe('javaDoubleToString', () => {
  it.each([
    [1, '1.0'],
    [0, '0.0'],
    [-0, '-0.0'],
    [1e10, '1.0E10'],
    [1.2345678e-5, '1.2345678E-5'],
    [0.001, '0.001'],
    [1234567.5, '1234567.5'],
    [12345678.9, '1.23456789E7'],
    [-3.21, '-3.21'],
    [0.1 + 0.2, '0.30000000000000004'],
    [NaN, 'NaN'],
    [Infinity, 'Infinity'],
    [100, '100.0'],
  ])('%s → %s', (d, s) => expect(javaDoubleToString(d)).toBe(s));
});

describe('dates and times', () => {
  it('formats', () => {
    expect(formatTimestamp(1651182287943)).toBe('2022-04-28T21:44:47.943');
    expect(formatTimestamp(0)).toBe('1970-01-01T00:00:00.000');
    expect(formatTimestamp(-1)).toBe('1969-12-31T23:59:59.999');
    expect(formatDate(12410)).toBe('2003-12-24');
    expect(formatTime(5000)).toBe('00:00:05');
    expect(formatTime(10)).toBe('00:00:00.010');
  });
});

describe('valueToString', () => {
  it('prints collections like ksqlDB', () => {
    expect(valueToString([1, 3], array(INTEGER))).toBe('[1, 3]');
    expect(valueToString(new Map([['this', 1]]), map(STRING, INTEGER))).toBe('{this=1}');
    const t = struct([
      { name: 'F0', type: INTEGER },
      { name: 'f1', type: INTEGER },
      { name: 'X', type: DOUBLE },
    ]);
    expect(valueToString({ F0: 1, f1: 3, X: null }, t)).toBe('Struct{F0=1,f1=3}');
  });
  it('BigDecimal toString', () => {
    expect(javaBigDecimalToString(new Decimal('0.0000001'), 7)).toBe('1E-7');
    expect(javaBigDecimalToString(new Decimal('10.1'), 2)).toBe('10.10');
  });
});
