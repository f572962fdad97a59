import { array, struct, type SqlType } from '../../types/sql-type.js';
import { ResolveError, type AggregateFunction, type ArgInfo } from '../types.js';
import { argType, compareValues, isComparable, literalInt, noVariant, valueKey, type BuiltinAggregateImpl } from './common.js';

function kOf(name: string, args: readonly ArgInfo[]): number {
  const k = literalInt(name, args, args.length - 1);
  if (k < 1) throw new ResolveError(`${name} requires a positive k, got ${k}`);
  return k;
}

function sortable(name: string, args: readonly ArgInfo[]): SqlType {
  const t = argType(name, args, 0);
  if (!isComparable(t) || t.kind === 'BOOLEAN') throw noVariant(name, args);
  return t;
}

/** Insert into a descending list after any equal elements, keeping at most k. */
function insertDesc<T>(list: readonly T[], item: T, sortKey: (x: T) => unknown, k: number): readonly T[] {
  const key = sortKey(item);
  let i = list.length;
  while (i > 0 && compareValues(sortKey(list[i - 1]!), key) < 0) i--;
  if (i >= k) return list;
  const r = [...list.slice(0, i), item, ...list.slice(i)];
  return r.length > k ? r.slice(0, k) : r;
}

/**
 * TOPK(col, k): the k greatest non-null values, descending (duplicates kept).
 * TOPK(col, other1, ..., k): ARRAY<STRUCT<sort_col, col0, col1, ...>> ordered by
 * `sort_col`; among equal sort values earlier records come first.
 * No undo, as in ksqlDB.
 */
export const TOPK: AggregateFunction = {
  name: 'TOPK',
  description: 'Returns the k greatest values of a column, optionally with other columns of the same records.',
  kind: 'aggregate',
  resolve(args) {
    if (args.length < 2) throw noVariant('TOPK', args);
    const t = sortable('TOPK', args);
    const k = kOf('TOPK', args);
    const valueArgs = args.length - 1;
    if (valueArgs === 1) {
      const impl: BuiltinAggregateImpl<readonly unknown[]> = {
        returnType: array(t),
        intermediateType: array(t),
        valueArgs,
        init: () => [],
        add: (acc, vals) => (vals[0] == null ? acc : insertDesc(acc, vals[0], (x) => x, k)),
        merge(a, b) {
          let r = a;
          for (const v of b) r = insertDesc(r, v, (x) => x, k);
          return r;
        },
        result: (acc) => [...acc],
      };
      return impl;
    }
    const others = args.slice(1, valueArgs).map((a, i) => ({ name: `col${i}`, type: a.type && a.type.kind !== 'NULL' ? a.type : argType('TOPK', args, i + 1) }));
    const rowType = struct([{ name: 'sort_col', type: t }, ...others]);
    type Row = Readonly<Record<string, unknown>>;
    const sortKey = (r: Row): unknown => r['sort_col'];
    const impl: BuiltinAggregateImpl<readonly Row[]> = {
      returnType: array(rowType),
      intermediateType: array(rowType),
      valueArgs,
      init: () => [],
      add(acc, vals) {
        if (vals[0] == null) return acc;
        const row: Record<string, unknown> = { sort_col: vals[0] };
        others.forEach((o, i) => (row[o.name] = vals[i + 1] ?? null));
        return insertDesc(acc, row, sortKey, k);
      },
      merge(a, b) {
        let r = a;
        for (const v of b) r = insertDesc(r, v, sortKey, k);
        return r;
      },
      result: (acc) => acc.map((r) => ({ ...r })),
    };
    return impl;
  },
};

/** TOPKDISTINCT(col, k): the k greatest distinct non-null values, descending. No undo. */
export const TOPKDISTINCT: AggregateFunction = {
  name: 'TOPKDISTINCT',
  description: 'Returns the k greatest distinct values of a column.',
  kind: 'aggregate',
  resolve(args) {
    if (args.length !== 2) throw noVariant('TOPKDISTINCT', args);
    const t = sortable('TOPKDISTINCT', args);
    const k = kOf('TOPKDISTINCT', args);
    const add = (acc: readonly unknown[], v: unknown): readonly unknown[] => {
      if (v == null) return acc;
      const key = valueKey(v);
      return acc.some((x) => valueKey(x) === key) ? acc : insertDesc(acc, v, (x) => x, k);
    };
    const impl: BuiltinAggregateImpl<readonly unknown[]> = {
      returnType: array(t),
      intermediateType: array(t),
      valueArgs: 1,
      init: () => [],
      add: (acc, vals) => add(acc, vals[0]),
      merge: (a, b) => b.reduce<readonly unknown[]>(add, a),
      result: (acc) => [...acc],
    };
    return impl;
  },
};
