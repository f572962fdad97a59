import { analyzeQuery } from '../analyzer/analyze-query.js';
import type { ResolvedQuery } from '../analyzer/resolved-query.js';
import type { Query } from '../sql/ast/query.js';
import type { Step } from '../topology/topology.js';
import { planAggregation } from './aggregate.js';
import type { PlanContext, PlannedQuery } from './context.js';
import { planRelation } from './from.js';
import { planPartitionBy } from './partition-by.js';
import { planProjection } from './project.js';
import { planTableFunctions } from './table-functions.js';
import { planWhere } from './where.js';

export type { PlanContext, PlannedQuery } from './context.js';
export { sourceStep } from './from.js';

/** Analyses a SELECT (analyzer/analyze-query.ts, where every semantic error is raised) and plans it. */
export function planQuery(query: Query, ctx: PlanContext): PlannedQuery {
  return planResolved(analyzeQuery(query, ctx));
}

/**
 * Plans a resolved query into a dataflow, construct by construct: FROM
 * (from.ts), WHERE (where.ts), table functions, aggregation (GROUP BY,
 * WINDOW, HAVING, EMIT FINAL), PARTITION BY and the projection. The
 * analyzer has decided everything; planning only builds steps.
 */
export function planResolved(r: ResolvedQuery): PlannedQuery {
  const root = planProjection(planUpstream(r), r.projection);
  return {
    root,
    resultType: r.resultType,
    key: root.schema.key,
    value: root.schema.value,
    window: r.window,
    sources: r.from.sources.map((s) => s.source),
    primary: r.from.sources[0]!.source,
  };
}

/** The steps before the projection. */
export function planUpstream(r: ResolvedQuery): Step {
  let step = planRelation(r.from.relation);
  if (r.where) step = planWhere(step, r.where);
  if (r.tableFunctions) step = planTableFunctions(step, r.tableFunctions);
  if (r.aggregation) step = planAggregation(step, r.aggregation);
  if (r.partitionBy) step = planPartitionBy(step, r.partitionBy);
  return step;
}
