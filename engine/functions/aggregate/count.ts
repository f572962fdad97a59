import { BIGINT } from '../../types/sql-type.js';
import { ResolveError, type AggregateFunction } from '../types.js';
import { valueKey, type BuiltinAggregateImpl } from './common.js';

/** COUNT(*) / COUNT() arrive with zero arguments and count rows; COUNT(col) counts non-null values. */
export const COUNT: AggregateFunction = {
  name: 'COUNT',
  description: 'Counts records (COUNT(*)) or the non-null values of a column (COUNT(col)).',
  kind: 'aggregate',
  resolve(args) {
    if (args.length > 1) throw new ResolveError(`Function 'COUNT' does not accept ${args.length} parameters.`);
    const counted = args.length === 1;
    const impl: BuiltinAggregateImpl<bigint> = {
      returnType: BIGINT,
      intermediateType: BIGINT,
      valueArgs: args.length,
      init: () => 0n,
      add: (acc, vals) => (counted && vals[0] == null ? acc : acc + 1n),
      remove: (acc, vals) => (counted && vals[0] == null ? acc : acc - 1n),
      merge: (a, b) => a + b,
      result: (acc) => acc,
    };
    return impl;
  },
};

/**
 * COUNT_DISTINCT(col): the number of distinct non-null values.
 *
 * ksqlDB estimates with HyperLogLog; this version is exact (it keeps the
 * canonical key of each distinct value), which agrees with ksqlDB for the
 * cardinalities where HyperLogLog is exact. No undo, as in ksqlDB.
 */
export const COUNT_DISTINCT: AggregateFunction = {
  name: 'COUNT_DISTINCT',
  description: 'Returns the number of distinct non-null values of a column.',
  kind: 'aggregate',
  resolve(args) {
    if (args.length !== 1) throw new ResolveError(`Function 'COUNT_DISTINCT' does not accept ${args.length} parameters.`);
    const impl: BuiltinAggregateImpl<readonly string[]> = {
      returnType: BIGINT,
      intermediateType: { kind: 'ARRAY', element: { kind: 'INTEGER' } },
      valueArgs: 1,
      init: () => [],
      add(acc, vals) {
        if (vals[0] == null) return acc;
        const k = valueKey(vals[0]);
        return acc.includes(k) ? acc : [...acc, k];
      },
      merge(a, b) {
        const seen = new Set(a);
        return [...a, ...b.filter((k) => !seen.has(k))];
      },
      result: (acc) => BigInt(acc.length),
    };
    return impl;
  },
};
