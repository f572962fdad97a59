import { describe, expect, it } from 'vitest';
import { array, BIGINT, INTEGER, map, STRING, struct } from '../../types/sql-type.js';
import { ResolveError } from '../types.js';
import { CUBE_EXPLODE } from './cube-explode.js';
import { EXPLODE } from './explode.js';
import { tableFunctions } from './index.js';

describe('EXPLODE', () => {
  it('produces one row per element; null and empty arrays produce none', () => {
    const e = EXPLODE.resolve([{ type: array(BIGINT) }]);
    expect(e.returnType).toEqual(BIGINT);
    expect(e.invoke([1n, null, 2n])).toEqual([1n, null, 2n]);
    expect(e.invoke([])).toEqual([]);
    expect(e.invoke(null)).toEqual([]);
    const s = EXPLODE.resolve([{ type: array(struct([{ name: 'F1', type: BIGINT }])) }]);
    expect(s.invoke([{ F1: 1n }])).toEqual([{ F1: 1n }]);
  });

  it('rejects non-arrays with ksqlDB wording', () => {
    expect(() => EXPLODE.resolve([{ type: map(STRING, INTEGER) }])).toThrow(ResolveError);
    expect(() => EXPLODE.resolve([{ type: map(STRING, INTEGER) }])).toThrow(
      "Function 'explode' does not accept parameters (MAP<STRING, INTEGER>).\nValid alternatives are:\nexplode(ARRAY<DECIMAL> input)\nexplode(ARRAY<T> list)",
    );
  });
});

describe('CUBE_EXPLODE', () => {
  it('produces all combinations in ksqlDB order (QTT cube.json)', () => {
    const c = CUBE_EXPLODE.resolve([{ type: array(STRING) }]);
    expect(c.returnType).toEqual(array(STRING));
    expect(c.invoke(['one', 'two', 'three'])).toEqual([
      [null, null, null],
      [null, null, 'three'],
      [null, 'two', null],
      [null, 'two', 'three'],
      ['one', null, null],
      ['one', null, 'three'],
      ['one', 'two', null],
      ['one', 'two', 'three'],
    ]);
  });

  it('does not duplicate rows for null elements', () => {
    const c = CUBE_EXPLODE.resolve([{ type: array(INTEGER) }]);
    expect(c.invoke([1, null])).toEqual([
      [null, null],
      [1, null],
    ]);
    expect(c.invoke(null)).toEqual([]);
    expect(c.invoke([])).toEqual([[]]);
  });

  it('is exported', () => {
    expect(tableFunctions().map((f) => f.name)).toEqual(['CUBE_EXPLODE', 'EXPLODE']);
  });
});
