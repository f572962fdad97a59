import type { AggregateFunction } from '../types.js';
import { argType, compareValues, isComparable, noVariant, type BuiltinAggregateImpl } from './common.js';

/**
 * MIN/MAX over numbers, DECIMAL, STRING, BYTES, DATE, TIME and TIMESTAMP. Nulls are
 * skipped; an all-null group yields null. ksqlDB has no undo for these, so they
 * cannot aggregate a table source (no `remove`).
 */
function extreme(name: 'MIN' | 'MAX', sign: 1 | -1): AggregateFunction {
  return {
    name,
    description: `Returns the ${name === 'MAX' ? 'maximum' : 'minimum'} non-null value of a column.`,
    kind: 'aggregate',
    resolve(args) {
      if (args.length !== 1) throw noVariant(name, args);
      const t = argType(name, args, 0);
      if (!isComparable(t) || t.kind === 'BOOLEAN') throw noVariant(name, args);
      const pick = (a: unknown, b: unknown): unknown => {
        if (a === null) return b;
        if (b === null) return a;
        return sign * compareValues(b, a) > 0 ? b : a;
      };
      const impl: BuiltinAggregateImpl<unknown> = {
        returnType: t,
        intermediateType: t,
        valueArgs: 1,
        init: () => null,
        add: (acc, vals) => pick(acc, vals[0] ?? null),
        merge: pick,
        result: (acc) => acc,
      };
      return impl;
    },
  };
}

export const MAX = extreme('MAX', 1);
export const MIN = extreme('MIN', -1);
