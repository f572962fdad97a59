import { Decimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { diffValues, normalizeActual, show } from './compare.js';
import { parseLossless } from './load.js';

const j = (s: string): unknown => parseLossless(s);

describe('diffValues', () => {
  it('compares numbers by value across representations', () => {
    expect(diffValues(j('9223372036854775807'), 9223372036854775807n)).toBeNull();
    expect(diffValues(j('1.10'), new Decimal('1.1'))).toBeNull();
    expect(diffValues(j('1'), 1.0)).toBeNull();
    expect(diffValues(j('2'), 3)).toBe('$: expected 2, got 3');
    expect(diffValues('NaN', Number.NaN)).toBeNull();
  });

  it('compares bytes with base64 strings and maps with objects', () => {
    expect(diffValues('IQ==', Buffer.from([0x21]))).toBeNull();
    expect(diffValues(j('{"a": 1}'), new Map([['a', 1]]))).toBeNull();
  });

  it('names the first difference with its path', () => {
    expect(diffValues(j('{"A": 1, "B": [1, 2]}'), { A: 1, B: [1, 3] })).toBe('$.B[1]: expected 2, got 3');
    expect(diffValues(j('{"A": 1}'), { A: 1, B: 2 })).toMatch(/unexpected field B/);
    // a record's columns are read through the sink's schema: one the expectation leaves out is null
    expect(diffValues(j('{"A": 1, "X": null}'), { A: 1, B: null }, 'value')).toBeNull();
    expect(diffValues(j('{"A": 1}'), { A: 1, B: 2 }, 'value')).toMatch(/unexpected field B/);
    expect(diffValues(j('{"A": 1, "B": 2}'), { A: 1 })).toMatch(/missing field B/);
    expect(diffValues(j('[1]'), [1, 2])).toMatch(/expected 1 elements, got 2/);
    expect(diffValues(null, 0)).toBe('$: expected null, got 0');
    expect(diffValues('1', 1)).toBe('$: expected "1", got 1');
  });

  it('normalizes engine values to JSON', () => {
    expect(show(normalizeActual({ a: 5n, b: Buffer.from('hi'), c: new Map([[1, null]]), d: undefined }))).toBe('{"a":5,"b":"aGk=","c":{"1":null},"d":null}');
  });
});
