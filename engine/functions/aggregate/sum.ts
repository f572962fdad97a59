import { Decimal } from 'decimal.js';
import type { SqlType } from '../../types/sql-type.js';
import type { AggregateFunction } from '../types.js';
import { argType, decimalAdd, decimalSub, int32, int64, noVariant, type BuiltinAggregateImpl } from './common.js';

type Numeric = number | bigint | Decimal;

interface Arith {
  readonly zero: Numeric;
  add(a: Numeric, b: Numeric): Numeric;
  sub(a: Numeric, b: Numeric): Numeric;
}

/** Addition with the overflow behaviour of the SQL type (Java int/long wrap, DECIMAL overflow error). */
export function arithmeticFor(t: SqlType): Arith | undefined {
  switch (t.kind) {
    case 'INTEGER':
      return { zero: 0, add: (a, b) => int32((a as number) + (b as number)), sub: (a, b) => int32((a as number) - (b as number)) };
    case 'BIGINT':
      return { zero: 0n, add: (a, b) => int64((a as bigint) + (b as bigint)), sub: (a, b) => int64((a as bigint) - (b as bigint)) };
    case 'DOUBLE':
      return { zero: 0, add: (a, b) => (a as number) + (b as number), sub: (a, b) => (a as number) - (b as number) };
    case 'DECIMAL':
      return {
        zero: new Decimal(0),
        add: (a, b) => decimalAdd(a as Decimal, b as Decimal, t),
        sub: (a, b) => decimalSub(a as Decimal, b as Decimal, t),
      };
    default:
      return undefined;
  }
}

/** SUM(col): INT→INT, BIGINT→BIGINT, DOUBLE→DOUBLE, DECIMAL(p,s)→DECIMAL(p,s); starts at 0, nulls are skipped. */
export const SUM: AggregateFunction = {
  name: 'SUM',
  description: 'Sums the non-null values of a numeric column.',
  kind: 'aggregate',
  resolve(args) {
    if (args.length !== 1) throw noVariant('SUM', args);
    const t = argType('SUM', args, 0);
    const ar = arithmeticFor(t);
    if (!ar) throw noVariant('SUM', args);
    const impl: BuiltinAggregateImpl<Numeric> = {
      returnType: t,
      intermediateType: t,
      valueArgs: 1,
      init: () => ar.zero,
      add: (acc, vals) => (vals[0] == null ? acc : ar.add(acc, vals[0] as Numeric)),
      remove: (acc, vals) => (vals[0] == null ? acc : ar.sub(acc, vals[0] as Numeric)),
      merge: (a, b) => ar.add(a, b),
      result: (acc) => acc,
    };
    return impl;
  },
};

/** SUM_LIST(array): sums every non-null element of every array; returns the element type. */
export const SUM_LIST: AggregateFunction = {
  name: 'SUM_LIST',
  description: 'Sums the non-null elements of an array column across records.',
  kind: 'aggregate',
  resolve(args) {
    if (args.length !== 1) throw noVariant('SUM_LIST', args);
    const t = argType('SUM_LIST', args, 0);
    const ar = t.kind === 'ARRAY' ? arithmeticFor(t.element) : undefined;
    if (t.kind !== 'ARRAY' || !ar) throw noVariant('SUM_LIST', args);
    const total = (acc: Numeric, list: unknown, f: (a: Numeric, b: Numeric) => Numeric): Numeric => {
      if (list == null) return acc;
      let r = acc;
      for (const x of list as readonly unknown[]) if (x != null) r = f(r, x as Numeric);
      return r;
    };
    const impl: BuiltinAggregateImpl<Numeric> = {
      returnType: t.element,
      intermediateType: t.element,
      valueArgs: 1,
      init: () => ar.zero,
      add: (acc, vals) => total(acc, vals[0], ar.add),
      remove: (acc, vals) => total(acc, vals[0], ar.sub),
      merge: (a, b) => ar.add(a, b),
      result: (acc) => acc,
    };
    return impl;
  },
};
