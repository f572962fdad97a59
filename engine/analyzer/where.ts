import { KsqlError } from '../errors.js';
import { typeExpression } from '../expr/typer.js';
import type { Expr } from '../sql/ast/expression.js';
import type { Query } from '../sql/ast/query.js';
import { formatType } from '../types/sql-type.js';
import type { AnalysisState } from './analysis-state.js';
import { inClause } from './clause.js';
import { formatExpr } from './expr-utils.js';
import type { AnalysisContext } from './resolved-query.js';
import { rowScope } from './scope.js';

/** WHERE (docs: SELECT (push query), WHERE): a boolean over the FROM clause's rows. */
export function analyzeWhere(state: AnalysisState, query: Query, ctx: AnalysisContext): Expr | null {
  const fromScope = rowScope(state.from.schema, state.from.pseudoQualifier);
  const whereExpr = state.clauses.where;
  if (!whereExpr) return null;
  const t = inClause('WHERE', () => typeExpression(whereExpr, fromScope, ctx.functions));
  if (t.type.kind !== 'BOOLEAN' && t.type.kind !== 'NULL') {
    throw new KsqlError(`Type error in WHERE expression: Should evaluate to boolean but is ${formatExpr(query.where!)} (${formatType(t.type)}) instead.`, query.where!.loc);
  }
  return whereExpr;
}
