import { BIGINT, DOUBLE, struct } from '../../types/sql-type.js';
import type { AggregateFunction } from '../types.js';
import { argType, noVariant, toDouble, type BuiltinAggregateImpl } from './common.js';

/** count, sum and M2 (sum of squared deviations from the mean). */
interface VarAcc {
  readonly count: number;
  readonly sum: number;
  readonly m2: number;
}

const ZERO: VarAcc = { count: 0, sum: 0, m2: 0 };

function add(acc: VarAcc, x: number): VarAcc {
  if (acc.count === 0) return { count: 1, sum: x, m2: 0 };
  const count = acc.count + 1;
  const sum = acc.sum + x;
  const d = count * x - sum;
  return { count, sum, m2: acc.m2 + (d * d) / (count * acc.count) };
}

function remove(acc: VarAcc, x: number): VarAcc {
  if (acc.count <= 1) return ZERO;
  const count = acc.count - 1;
  const d = acc.count * x - acc.sum;
  return { count, sum: acc.sum - x, m2: acc.m2 - (d * d) / (count * acc.count) };
}

function merge(a: VarAcc, b: VarAcc): VarAcc {
  if (a.count === 0) return b;
  if (b.count === 0) return a;
  const count = a.count + b.count;
  const delta = b.sum / b.count - a.sum / a.count;
  return { count, sum: a.sum + b.sum, m2: a.m2 + b.m2 + (delta * delta * a.count * b.count) / count };
}

function variance(acc: VarAcc): number {
  return acc.count < 2 ? 0 : acc.m2 / (acc.count - 1);
}

/**
 * Sample variance family over INT, BIGINT and DOUBLE, returning DOUBLE (0.0 for
 * fewer than two values; nulls skipped).
 *
 * Faithful to ksqlDB: STDDEV_SAMPLE is the sample standard deviation, while
 * STDDEV_SAMP returns the sample *variance* (ksqlDB's long-standing behaviour,
 * pinned by its conformance tests).
 */
function sampleFn(name: 'STDDEV_SAMP' | 'STDDEV_SAMPLE', sqrt: boolean): AggregateFunction {
  return {
    name,
    description: sqrt ? 'Returns the sample standard deviation of a numeric column.' : 'Returns the sample variance of a numeric column (ksqlDB semantics).',
    kind: 'aggregate',
    resolve(args) {
      if (args.length !== 1) throw noVariant(name, args);
      const k = argType(name, args, 0).kind;
      if (k !== 'INTEGER' && k !== 'BIGINT' && k !== 'DOUBLE') throw noVariant(name, args);
      const impl: BuiltinAggregateImpl<VarAcc> = {
        returnType: DOUBLE,
        intermediateType: struct([
          { name: 'COUNT', type: BIGINT },
          { name: 'SUM', type: DOUBLE },
          { name: 'M2', type: DOUBLE },
        ]),
        valueArgs: 1,
        init: () => ZERO,
        add: (acc, vals) => (vals[0] == null ? acc : add(acc, toDouble(vals[0]))),
        remove: (acc, vals) => (vals[0] == null ? acc : remove(acc, toDouble(vals[0]))),
        merge,
        result: (acc) => (sqrt ? Math.sqrt(variance(acc)) : variance(acc)),
      };
      return impl;
    },
  };
}

export const STDDEV_SAMP = sampleFn('STDDEV_SAMP', false);
export const STDDEV_SAMPLE = sampleFn('STDDEV_SAMPLE', true);
