import { Decimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { BOOLEAN, INTEGER, STRING, array, decimal, map } from '../../types/sql-type.js';
import { resolve, run } from './test-util.js';

const INTS = array(INTEGER);
const STRS = array(STRING);

describe('collection functions', () => {
  it('set operations keep first occurrences, NULL included', () => {
    expect(run('ARRAY_DISTINCT', [INTS], [0, null, 1, 0, -1])).toEqual([0, null, 1, -1]);
    expect(run('ARRAY_EXCEPT', [INTS, INTS], [0, 0, 1, 0, -1], [1, -2])).toEqual([0, -1]);
    expect(run('ARRAY_UNION', [INTS, INTS], [0, 0, 1, 0, -1], [1, -2, 0])).toEqual([0, 1, -1, -2]);
    expect(run('ARRAY_INTERSECT', [INTS, INTS], [1, 2, 2, 3], [2, 3, 4])).toEqual([2, 3]);
    expect(run('ARRAY_UNION', [INTS, INTS], null, [1])).toBeNull();
    const dec = array(decimal(2, 1));
    expect(run('ARRAY_DISTINCT', [dec], [new Decimal('1.0'), new Decimal('1.0'), new Decimal('-0.2')])).toHaveLength(2);
  });

  it('ARRAY_CONCAT treats a NULL side as empty', () => {
    expect(run('ARRAY_CONCAT', [INTS, INTS], null, [1, -2])).toEqual([1, -2]);
    expect(run('ARRAY_CONCAT', [INTS, INTS], null, null)).toBeNull();
  });

  it('ARRAY_CONTAINS and ARRAY_REMOVE use deep equality', () => {
    expect(run('ARRAY_CONTAINS', [STRS, STRING], ['Pink', null], 'Pink')).toBe(true);
    expect(run('ARRAY_CONTAINS', [STRS, STRING], null, 'Pink')).toBe(false);
    expect(run('ARRAY_REMOVE', [array(STRS), STRS], [['foo'], null, ['foo', 'bar']], ['foo'])).toEqual([null, ['foo', 'bar']]);
    expect(run('ARRAY_REMOVE', [INTS, INTEGER], [0, null, 1], null)).toEqual([0, 1]);
    const m = map(STRING, INTEGER);
    expect(
      run('ARRAY_REMOVE', [array(m), m], [new Map([['a', 1]]), new Map([['a', 3]])], new Map([['a', 1]])),
    ).toEqual([new Map([['a', 3]])]);
  });

  it('ARRAY_SORT puts NULLs last in both directions', () => {
    expect(run('ARRAY_SORT', [STRS], ['foo', 'fo', 'Food', null, 'F', 'food'])).toEqual(['F', 'Food', 'fo', 'foo', 'food', null]);
    expect(run('ARRAY_SORT', [INTS, STRING], [0, null, 1, 0, -1], 'desc')).toEqual([1, 0, 0, -1, null]);
    expect(run('ARRAY_SORT', [array(BOOLEAN)], [true, false])).toEqual([false, true]);
  });

  it('ARRAY_MIN / ARRAY_MAX skip NULLs', () => {
    expect(run('ARRAY_MAX', [STRS], ['foo', 'fo', 'Food', null, 'F', 'food'])).toBe('food');
    expect(run('ARRAY_MIN', [INTS], [])).toBeNull();
    expect(resolve('ARRAY_MAX', [INTS]).returnType).toEqual(INTEGER);
  });

  it('ARRAY_JOIN renders values like Java', () => {
    expect(run('ARRAY_JOIN', [array(BOOLEAN)], [true, null, false])).toBe('true,null,false');
    expect(run('ARRAY_JOIN', [array({ kind: 'DOUBLE' }), STRING], [1.23, -23.42, 0], null)).toBe('1.23-23.420.0');
    expect(run('ARRAY_JOIN', [array(decimal(5, 2))], [new Decimal('123.45'), new Decimal('987.6')])).toBe('123.45,987.60');
  });

  it('maps', () => {
    const m = map(STRING, INTEGER);
    expect(run('MAP_KEYS', [m], new Map([['foo', 10], ['bar', null]]))).toEqual(['foo', 'bar']);
    expect(run('MAP_VALUES', [m], new Map([['foo', 10], ['bar', null]]))).toEqual([10, null]);
    expect(run('MAP_UNION', [m, m], new Map([['foo', 10], ['bar', 20]]), new Map([['foo', null]]))).toEqual(
      new Map([['foo', null], ['bar', 20]]),
    );
    expect(run('MAP_UNION', [m, m], null, new Map([['foo', null]]))).toEqual(new Map([['foo', null]]));
    expect(run('AS_MAP', [STRS, INTS], ['a', 'b'], [1, 2, 3])).toEqual(new Map([['a', 1], ['b', 2]]));
    expect(resolve('AS_MAP', [STRS, INTS]).returnType).toEqual(m);
  });

  it('ENTRIES builds K/V structs', () => {
    const impl = resolve('ENTRIES', [map(STRING, INTEGER), BOOLEAN]);
    expect(impl.returnType).toEqual(array({ kind: 'STRUCT', fields: [{ name: 'K', type: STRING }, { name: 'V', type: INTEGER }] }));
    expect(impl.invoke(new Map([['K2', 2], ['K1', 1]]), true)).toEqual([{ K: 'K1', V: 1 }, { K: 'K2', V: 2 }]);
  });

  it('ELT, FIELD, SLICE, ARRAY_LENGTH', () => {
    expect(run('ELT', [INTEGER, STRING, STRING], 2, 'ignored', 'something')).toBe('something');
    expect(run('ELT', [INTEGER, STRING], 3, 'x')).toBeNull();
    expect(run('FIELD', [STRING, STRING, STRING], 'hello', null, 'hello')).toBe(2);
    expect(run('FIELD', [STRING, STRING, STRING], 'hello', null, null)).toBe(0);
    expect(run('SLICE', [STRS, INTEGER, INTEGER], ['a', 'b', 'c', 'd'], 2, 3)).toEqual(['b', 'c']);
    expect(run('SLICE', [STRS, INTEGER, INTEGER], ['a', 'b'], null, 1)).toEqual(['a']);
    expect(run('ARRAY_LENGTH', [INTS], [1, 2])).toBe(2);
  });
});
