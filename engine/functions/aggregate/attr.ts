import type { AggregateFunction } from '../types.js';
import { argType, valueKey, type BuiltinAggregateImpl } from './common.js';

type AttrAcc = readonly { readonly key: string; readonly value: unknown; readonly count: number }[];

/**
 * ATTR(col): the value when every row of the group has the same value (NULL
 * counting as a value), NULL otherwise. Supports undo, so it works on tables.
 */
export const ATTR: AggregateFunction = {
  name: 'ATTR',
  description: 'Returns the value of a column if every row in the group has the same value, otherwise NULL.',
  kind: 'aggregate',
  resolve(args) {
    const type = argType('ATTR', args, 0);
    const change = (acc: AttrAcc, v: unknown, delta: number): AttrAcc => {
      const key = v === null || v === undefined ? '\u0000null' : valueKey(v);
      const i = acc.findIndex((e) => e.key === key);
      if (i < 0) return delta > 0 ? [...acc, { key, value: v ?? null, count: delta }] : acc;
      const count = acc[i]!.count + delta;
      return count <= 0 ? acc.filter((_, j) => j !== i) : acc.map((e, j) => (j === i ? { ...e, count } : e));
    };
    const impl: BuiltinAggregateImpl<AttrAcc> = {
      returnType: type,
      intermediateType: { kind: 'ARRAY', element: type },
      valueArgs: 1,
      init: () => [],
      add: (acc, vals) => change(acc, vals[0], 1),
      remove: (acc, vals) => change(acc, vals[0], -1),
      merge: (a, b) => b.reduce((acc, e) => change(acc, e.value, e.count), a),
      result: (acc) => (acc.length === 1 ? acc[0]!.value : null),
    };
    return impl;
  },
};
