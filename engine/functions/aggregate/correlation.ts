import { BIGINT, DOUBLE, struct } from '../../types/sql-type.js';
import type { AggregateFunction } from '../types.js';
import { argType, noVariant, toDouble, type BuiltinAggregateImpl } from './common.js';

interface CorrAcc {
  readonly xSum: number;
  readonly ySum: number;
  readonly xSqSum: number;
  readonly ySqSum: number;
  readonly xySum: number;
  readonly count: number;
}

const ZERO: CorrAcc = { xSum: 0, ySum: 0, xSqSum: 0, ySqSum: 0, xySum: 0, count: 0 };

function step(acc: CorrAcc, x: number, y: number, sign: 1 | -1): CorrAcc {
  return {
    xSum: acc.xSum + sign * x,
    ySum: acc.ySum + sign * y,
    xSqSum: acc.xSqSum + sign * x * x,
    ySqSum: acc.ySqSum + sign * y * y,
    xySum: acc.xySum + sign * x * y,
    count: acc.count + sign,
  };
}

/**
 * CORRELATION(x, y): Pearson's correlation coefficient of the pairs where both
 * values are non-null, as a DOUBLE; NaN until it is defined (ksqlDB's formula,
 * so results agree to the last bit).
 */
export const CORRELATION: AggregateFunction = {
  name: 'CORRELATION',
  description: 'Returns the correlation coefficient of two numeric columns.',
  kind: 'aggregate',
  resolve(args) {
    if (args.length !== 2) throw noVariant('CORRELATION', args);
    for (const i of [0, 1]) {
      const k = argType('CORRELATION', args, i).kind;
      if (k !== 'INTEGER' && k !== 'BIGINT' && k !== 'DOUBLE') throw noVariant('CORRELATION', args);
    }
    const apply = (acc: CorrAcc, vals: readonly unknown[], sign: 1 | -1): CorrAcc =>
      vals[0] == null || vals[1] == null ? acc : step(acc, toDouble(vals[0]), toDouble(vals[1]), sign);
    const impl: BuiltinAggregateImpl<CorrAcc> = {
      returnType: DOUBLE,
      intermediateType: struct([
        { name: 'X_SUM', type: DOUBLE },
        { name: 'Y_SUM', type: DOUBLE },
        { name: 'X_SQUARED_SUM', type: DOUBLE },
        { name: 'Y_SQUARED_SUM', type: DOUBLE },
        { name: 'XY_SUM', type: DOUBLE },
        { name: 'COUNT', type: BIGINT },
      ]),
      valueArgs: 2,
      init: () => ZERO,
      add: (acc, vals) => apply(acc, vals, 1),
      remove: (acc, vals) => apply(acc, vals, -1),
      merge: (a, b) => ({
        xSum: a.xSum + b.xSum,
        ySum: a.ySum + b.ySum,
        xSqSum: a.xSqSum + b.xSqSum,
        ySqSum: a.ySqSum + b.ySqSum,
        xySum: a.xySum + b.xySum,
        count: a.count + b.count,
      }),
      result(acc) {
        const n = acc.count;
        const numerator = n * acc.xySum - acc.xSum * acc.ySum;
        const denominator = Math.sqrt(n * acc.xSqSum - acc.xSum * acc.xSum) * Math.sqrt(n * acc.ySqSum - acc.ySum * acc.ySum);
        return numerator / denominator;
      },
    };
    return impl;
  },
};
