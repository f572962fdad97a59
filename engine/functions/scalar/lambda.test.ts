import { Decimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { BIGINT, BOOLEAN, INTEGER, STRING, array, decimal, map } from '../../types/sql-type.js';
import { lambdaParams, resolve } from './test-util.js';

const lambda = (arity: number, body: Parameters<typeof resolve>[1][number]) => ({
  type: body && 'kind' in body ? body : null,
  lambdaArity: arity,
});

describe('lambda functions', () => {
  it('TRANSFORM over arrays', () => {
    const args = [array(INTEGER), lambda(1, INTEGER)];
    expect(lambdaParams('TRANSFORM', [array(INTEGER)], 1)).toEqual([INTEGER]);
    const impl = resolve('TRANSFORM', args);
    expect(impl.returnType).toEqual(array(INTEGER));
    expect(impl.invoke([3, 6], (x: unknown) => (x as number) + 5)).toEqual([8, 11]);
  });

  it('TRANSFORM over maps, rejecting duplicate keys', () => {
    const m = map(STRING, array(INTEGER));
    expect(lambdaParams('TRANSFORM', [m], 1)).toEqual([STRING, array(INTEGER)]);
    const impl = resolve('TRANSFORM', [m, lambda(2, STRING), lambda(2, INTEGER)]);
    expect(impl.returnType).toEqual(map(STRING, INTEGER));
    const r = impl.invoke(
      new Map([['a', [2, 4, 5]], ['b', [-1, -2]]]),
      (k: unknown) => `${k as string}_test`,
      (_k: unknown, v: unknown) => Math.min(...(v as number[])) + 1,
    );
    expect(r).toEqual(new Map([['a_test', 3], ['b_test', -1]]));
    expect(() => impl.invoke(new Map([['a', [1]], ['b', [1]]]), () => 'x', () => 1)).toThrow();
  });

  it('FILTER arrays and maps', () => {
    const impl = resolve('FILTER', [array(INTEGER), lambda(1, BOOLEAN)]);
    expect(impl.invoke([3, 6, 2, 10], (x: unknown) => (x as number) > 5)).toEqual([6, 10]);
    expect(impl.invoke([5, null], (x: unknown) => (x === null ? null : (x as number) > 5))).toEqual([]);
    const m = map(STRING, array(INTEGER));
    const mi = resolve('FILTER', [m, lambda(2, BOOLEAN)]);
    expect(mi.returnType).toEqual(m);
    expect(mi.invoke(new Map([['yes', [2]], ['no', [-4]]]), (k: unknown) => (k as string).includes('e'))).toEqual(new Map([['yes', [2]]]));
    expect(() => resolve('FILTER', [array(INTEGER), lambda(1, INTEGER)])).toThrow('does not accept parameters');
  });

  it('REDUCE arrays and maps', () => {
    expect(lambdaParams('REDUCE', [array(INTEGER), INTEGER], 2)).toEqual([INTEGER, INTEGER]);
    const impl = resolve('REDUCE', [array(INTEGER), INTEGER, lambda(2, INTEGER)]);
    expect(impl.returnType).toEqual(INTEGER);
    expect(impl.nullSafe).toBe(true);
    const add = (s: unknown, x: unknown) => (s as number) + (x as number);
    expect(impl.invoke([3, 6], 2, add)).toBe(11);
    expect(impl.invoke(null, 2, add)).toBe(2);
    expect(impl.invoke([1], null, add)).toBeNull();
    const m = map(STRING, INTEGER);
    expect(lambdaParams('REDUCE', [m, BIGINT], 2)).toEqual([BIGINT, STRING, INTEGER]);
    const mi = resolve('REDUCE', [m, BIGINT, lambda(3, BIGINT)]);
    expect(mi.returnType).toEqual(BIGINT);
    expect(mi.invoke(new Map([['a', 6], ['b', 7]]), 1n, (s: unknown, _k: unknown, v: unknown) => (s as bigint) + BigInt(v as number))).toBe(14n);
  });

  it('decimal arrays pass through', () => {
    const impl = resolve('FILTER', [array(decimal(4, 2)), lambda(1, BOOLEAN)]);
    const xs = [new Decimal('9.22'), new Decimal('10.63')];
    expect(impl.invoke(xs, (x: unknown) => (x as Decimal).gte(10))).toEqual([xs[1]]);
  });
});
