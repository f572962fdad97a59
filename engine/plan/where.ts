import { inClause } from '../analyzer/clause.js';
import { formatExpr } from '../analyzer/expr-utils.js';
import { rowScope } from '../analyzer/scope.js';
import { KsqlError } from '../errors.js';
import { typeExpression } from '../expr/typer.js';
import type { Query } from '../sql/ast/query.js';
import type { FilterStep } from '../topology/topology.js';
import { formatType } from '../types/sql-type.js';
import type { PlanContext } from './context.js';
import type { PlanState } from './state.js';

/** WHERE: a filter over the FROM clause's rows (docs: SELECT (push query), WHERE). */
export function planWhere(state: PlanState, query: Query, ctx: PlanContext): void {
  const fromScope = rowScope(state.from.step.schema, state.from.pseudoQualifier);
  const whereExpr = state.clauses.where;
  if (whereExpr) {
    const t = inClause('WHERE', () => typeExpression(whereExpr, fromScope, ctx.functions));
    if (t.type.kind !== 'BOOLEAN' && t.type.kind !== 'NULL') {
      throw new KsqlError(`Type error in WHERE expression: Should evaluate to boolean but is ${formatExpr(query.where!)} (${formatType(t.type)}) instead.`, query.where!.loc);
    }
    const f: FilterStep = { kind: 'Filter', id: 'WhereFilter', schema: state.step.schema, input: state.step, predicate: whereExpr, clause: 'WHERE' };
    state.step = f;
  }
}
