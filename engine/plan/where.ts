import type { Expr } from '../sql/ast/expression.js';
import type { FilterStep, Step } from '../topology/topology.js';

/** WHERE: a filter over the FROM clause's rows. */
export function planWhere(input: Step, where: Expr): FilterStep {
  return { kind: 'Filter', id: 'WhereFilter', schema: input.schema, input, predicate: where, clause: 'WHERE' };
}
