import { checkJoinCriteria } from '../analyzer/join-criteria.js';
import { analyzeClauses } from '../analyzer/query-clauses.js';
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
  const { selectItems, where, groupBy, partitionBy, having } = analyzeClauses(query, from, ctx.functions);

  const state: PlanState = {
    from,
    clauses: { where, groupBy, partitionBy, having },
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

