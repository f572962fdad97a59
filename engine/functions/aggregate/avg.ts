import { BIGINT, DOUBLE, struct } from '../../types/sql-type.js';
import type { AggregateFunction } from '../types.js';
import { argType, noVariant, type BuiltinAggregateImpl } from './common.js';
import { arithmeticFor } from './sum.js';

interface AvgAcc {
  readonly sum: number | bigint;
  readonly count: number;
}

/**
 * AVG(col) for INT, BIGINT and DOUBLE: DOUBLE. The sum keeps the input type (with
 * Java overflow), nulls are skipped, and an empty group averages to 0.0 as in ksqlDB.
 */
export const AVG: AggregateFunction = {
  name: 'AVG',
  description: 'Returns the average of the non-null values of a numeric column.',
  kind: 'aggregate',
  resolve(args) {
    if (args.length !== 1) throw noVariant('AVG', args);
    const t = argType('AVG', args, 0);
    if (t.kind !== 'INTEGER' && t.kind !== 'BIGINT' && t.kind !== 'DOUBLE') throw noVariant('AVG', args);
    const ar = arithmeticFor(t)!;
    const impl: BuiltinAggregateImpl<AvgAcc> = {
      returnType: DOUBLE,
      intermediateType: struct([
        { name: 'SUM', type: t },
        { name: 'COUNT', type: BIGINT },
      ]),
      valueArgs: 1,
      init: () => ({ sum: ar.zero as number | bigint, count: 0 }),
      add: (acc, vals) =>
        vals[0] == null ? acc : { sum: ar.add(acc.sum, vals[0] as number | bigint) as number | bigint, count: acc.count + 1 },
      remove: (acc, vals) =>
        vals[0] == null ? acc : { sum: ar.sub(acc.sum, vals[0] as number | bigint) as number | bigint, count: acc.count - 1 },
      merge: (a, b) => ({ sum: ar.add(a.sum, b.sum) as number | bigint, count: a.count + b.count }),
      result: (acc) => (acc.count === 0 ? 0 : Number(acc.sum) / acc.count),
    };
    return impl;
  },
};
