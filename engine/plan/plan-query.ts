import { checkJoinCriteria } from '../analyzer/join-criteria.js';
import { qualifyRefs } from '../analyzer/qualify.js';
import { columnRefs, rewrite } from '../analyzer/expr-utils.js';
import { rowScope } from '../analyzer/scope.js';
import { checkReservedAliases, expandSelect } from '../analyzer/select-items.js';
import { KsqlError } from '../errors.js';
import type { Expr } from '../sql/ast/expression.js';
import type { Query } from '../sql/ast/query.js';
import { planAggregation } from './aggregate.js';
import type { PlanContext, PlannedQuery } from './context.js';
import { planFrom } from './from.js';
import { planPartitionBy } from './partition-by.js';
import { planProjection } from './project.js';
import type { PlanState } from './state.js';
import { planTableFunctions } from './table-functions.js';
import { planWhere } from './where.js';

export type { PlanContext, PlannedQuery } from './context.js';
export { mapKeyMessage, sourceStep } from './from.js';

/**
 * Plans a SELECT into a dataflow, construct by construct: FROM (from.ts),
 * WHERE (where.ts), table functions, aggregation (GROUP BY, WINDOW, HAVING,
 * EMIT FINAL), PARTITION BY and the projection. Errors are KsqlErrors worded
 * as ksqlDB's.
 */
export function planQuery(query: Query, ctx: PlanContext): PlannedQuery {
  checkJoinCriteria(query.from, ctx);
  const from = planFrom(query.from, query, ctx);
  const fromScope = rowScope(from.step.schema, from.pseudoQualifier);

  // Qualify column references so structural comparisons are exact.
  const qualify = (e: Expr): Expr => qualifyRefs(e, fromScope);
  const selectItems = expandSelect(query.select, from, fromScope, ctx.functions, query.partitionBy, query.window !== null).map((i) => ({ ...i, expr: qualify(i.expr) }));
  const whereExpr = query.where ? qualify(query.where) : null;
  const groupBy = query.groupBy ? query.groupBy.map(qualify) : null;
  const partitionBy = query.partitionBy ? query.partitionBy.map(qualify) : null;
  const having = query.having ? qualify(query.having) : null;

  checkReservedAliases(selectItems, from.isJoin);
  const aliases = new Set(from.sources.map((s) => s.alias));
  for (const e of [...selectItems.map((i) => i.expr), ...(query.where ? [query.where] : []), ...(query.groupBy ?? []), ...(query.partitionBy ?? []), ...(query.having ? [query.having] : [])]) {
    for (const r of columnRefs(e)) {
      if (r.source && !aliases.has(r.source)) throw new KsqlError(`Failed to prepare statement: '${r.source}' is not a valid stream/table name or alias.`, r.loc);
    }
    rewrite(e, (x) => {
      if (x.kind === 'FunctionCall' && !ctx.functions.get(x.name)) throw new KsqlError(`Can't find any functions with the name '${x.name}'`, x.loc, 'NotFound');
      return undefined;
    });
  }

  const state: PlanState = {
    from,
    clauses: { where: whereExpr, groupBy, partitionBy, having },
    step: from.step,
    sourceType: from.sourceType,
    selectItems,
    tableCalls: [],
    keyEquivalents: from.keyEquivalents,
    window: from.step.schema.window,
    suppressed: false,
    pseudoQualifier: from.pseudoQualifier,
    keyKind: from.isJoin ? 'JOIN' : 'SOURCE',
  };
  planWhere(state, query, ctx);
  planTableFunctions(state, ctx);
  planAggregation(state, query, ctx);
  planPartitionBy(state, query, ctx);
  return planProjection(state, query, ctx);
}

