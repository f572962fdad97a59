import { array } from '../../types/sql-type.js';
import type { AggregateFunction } from '../types.js';
import { argType, DEFAULT_COLLECT_LIMIT, noVariant, valueKey, type BuiltinAggregateImpl } from './common.js';

/**
 * COLLECT_LIST(col): the values in arrival order, nulls included, at most
 * `limit` (ksql.functions.collect_list.limit, default 1000) — later values are
 * dropped once full. Undo removes the first equal value.
 */
export function collectList(limit: number = DEFAULT_COLLECT_LIMIT): AggregateFunction {
  return {
    name: 'COLLECT_LIST',
    description: 'Returns an array of all the values of a column, in arrival order.',
    kind: 'aggregate',
    resolve(args) {
      if (args.length !== 1) throw noVariant('COLLECT_LIST', args);
      const t = argType('COLLECT_LIST', args, 0);
      const impl: BuiltinAggregateImpl<readonly unknown[]> = {
        returnType: array(t),
        intermediateType: array(t),
        valueArgs: 1,
        init: () => [],
        add: (acc, vals) => (acc.length >= limit ? acc : [...acc, vals[0] ?? null]),
        remove(acc, vals) {
          const k = valueKey(vals[0] ?? null);
          const i = acc.findIndex((x) => valueKey(x) === k);
          return i < 0 ? acc : [...acc.slice(0, i), ...acc.slice(i + 1)];
        },
        merge: (a, b) => [...a, ...b].slice(0, Math.max(limit, 0)),
        result: (acc) => [...acc],
      };
      return impl;
    },
  };
}

/**
 * COLLECT_SET(col): the distinct values in order of first arrival (null is a
 * value), at most `limit` (ksql.functions.collect_set.limit, default 1000).
 * Undo removes the value, as ksqlDB does.
 */
export function collectSet(limit: number = DEFAULT_COLLECT_LIMIT): AggregateFunction {
  return {
    name: 'COLLECT_SET',
    description: 'Returns an array of the distinct values of a column, in order of first arrival.',
    kind: 'aggregate',
    resolve(args) {
      if (args.length !== 1) throw noVariant('COLLECT_SET', args);
      const t = argType('COLLECT_SET', args, 0);
      // the canonical key of each item is kept beside it so adds do not re-encode the set
      type SetAcc = { readonly items: readonly unknown[]; readonly keys: readonly string[] };
      const without = (acc: SetAcc, i: number): SetAcc => ({
        items: [...acc.items.slice(0, i), ...acc.items.slice(i + 1)],
        keys: [...acc.keys.slice(0, i), ...acc.keys.slice(i + 1)],
      });
      const addOne = (acc: SetAcc, v: unknown, k: string): SetAcc =>
        acc.items.length >= limit || acc.keys.includes(k) ? acc : { items: [...acc.items, v], keys: [...acc.keys, k] };
      const impl: BuiltinAggregateImpl<SetAcc> = {
        returnType: array(t),
        intermediateType: array(t),
        valueArgs: 1,
        init: () => ({ items: [], keys: [] }),
        add(acc, vals) {
          const v = vals[0] ?? null;
          return addOne(acc, v, valueKey(v));
        },
        remove(acc, vals) {
          const i = acc.keys.indexOf(valueKey(vals[0] ?? null));
          return i < 0 ? acc : without(acc, i);
        },
        merge(a, b) {
          let r = a;
          b.items.forEach((v, i) => (r = addOne(r, v, b.keys[i]!)));
          return r;
        },
        result: (acc) => [...acc.items],
      };
      return impl;
    },
  };
}
