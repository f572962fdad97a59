import { BIGINT, map, STRING } from '../../types/sql-type.js';
import type { AggregateFunction } from '../types.js';
import { argType, noVariant, type BuiltinAggregateImpl } from './common.js';

/** Entries `[value, count]` in order of first arrival. */
type HistAcc = readonly (readonly [string, bigint])[];

/** ksqlDB stops adding new keys once the histogram has this many. */
export const HISTOGRAM_LIMIT = 1000;

/**
 * HISTOGRAM(string): MAP<STRING, BIGINT> of value → occurrences. Nulls are not
 * counted. Undo decrements and drops keys that reach zero.
 */
export const HISTOGRAM: AggregateFunction = {
  name: 'HISTOGRAM',
  description: 'Returns a map of each distinct string value to the number of times it occurs.',
  kind: 'aggregate',
  resolve(args) {
    if (args.length !== 1) throw noVariant('HISTOGRAM', args);
    if (argType('HISTOGRAM', args, 0).kind !== 'STRING') throw noVariant('HISTOGRAM', args);
    const bump = (acc: HistAcc, v: string, by: bigint): HistAcc => {
      const i = acc.findIndex(([k]) => k === v);
      if (i < 0) return by > 0n && acc.length < HISTOGRAM_LIMIT ? [...acc, [v, by]] : acc;
      const n = acc[i]![1] + by;
      return n <= 0n ? [...acc.slice(0, i), ...acc.slice(i + 1)] : acc.map((e, j) => (j === i ? [v, n] : e));
    };
    const impl: BuiltinAggregateImpl<HistAcc> = {
      returnType: map(STRING, BIGINT),
      intermediateType: map(STRING, BIGINT),
      valueArgs: 1,
      init: () => [],
      add: (acc, vals) => (typeof vals[0] === 'string' ? bump(acc, vals[0], 1n) : acc),
      remove: (acc, vals) => (typeof vals[0] === 'string' ? bump(acc, vals[0], -1n) : acc),
      merge(a, b) {
        let r = a;
        for (const [k, n] of b) r = bump(r, k, n);
        return r;
      },
      result: (acc) => new Map(acc),
    };
    return impl;
  },
};
