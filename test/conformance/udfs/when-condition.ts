// ksqlDB's WhenCondition / WhenResult: return the first argument, and fail when
// the second is false, so a CASE that evaluates a branch it should skip fails.
import type { UserScalarFunction } from '../../../engine/functions/udf/api.js';

function probe(name: string, valueType: string): UserScalarFunction {
  return {
    kind: 'scalar',
    name,
    params: [valueType, 'BOOLEAN'],
    returns: valueType,
    nullSafe: true,
    // never constant-folded: the point is to observe run-time evaluation
    volatile: true,
    invoke: (value, shouldBeEvaluated) => {
      if (shouldBeEvaluated !== true) throw new Error(`${name} should not be evaluated`);
      return value;
    },
  };
}

export const functions: UserScalarFunction[] = [probe('WHENCONDITION', 'BOOLEAN'), probe('WHENRESULT', 'INT')];
