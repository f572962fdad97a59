import type { Query } from '../sql/ast/query.js';
import { analyzeAggregation } from './aggregation.js';
import type { AnalysisState } from './analysis-state.js';
import { analyzeFrom } from './from.js';
import { checkJoinCriteria } from './join-criteria.js';
import { analyzePartitionBy } from './partition-by.js';
import { analyzeProjection } from './projection.js';
import { analyzeClauses } from './query-clauses.js';
import type { AnalysisContext, ResolvedQuery } from './resolved-query.js';
import { analyzeTableFunctions } from './table-functions.js';
import { analyzeWhere } from './where.js';

/**
 * Analyses a SELECT of a persistent query (CREATE ... AS SELECT, INSERT
 * INTO ... SELECT, EXPLAIN), construct by construct in the order ksqlDB checks
 * them: FROM (joins), the clauses' column references, WHERE, table
 * functions, aggregation (GROUP BY, WINDOW, HAVING, EMIT FINAL), PARTITION
 * BY and the projection. Every semantic error is raised here, as a KsqlError
 * worded as ksqlDB's.
 */
export function analyzeQuery(query: Query, ctx: AnalysisContext): ResolvedQuery {
  const up = analyzeUpstream(query, ctx);
  return { ...up.resolved, projection: analyzeProjection(up.state, query, ctx), resultType: up.state.sourceType, window: up.state.window };
}

/** A query analysed up to its projection: the facts, and the state the projection reads. */
export interface Upstream {
  readonly resolved: Omit<ResolvedQuery, 'projection' | 'resultType' | 'window'>;
  readonly state: AnalysisState;
}

/** Everything before the projection: FROM, the clauses' references, WHERE, table functions, aggregation, PARTITION BY. */
export function analyzeUpstream(query: Query, ctx: AnalysisContext): Upstream {
  checkJoinCriteria(query.from, ctx);
  const from = analyzeFrom(query.from, ctx);
  const { selectItems, where, groupBy, partitionBy, having } = analyzeClauses(query, from, ctx.functions);
  const state: AnalysisState = {
    from,
    clauses: { where, groupBy, partitionBy, having },
    schema: from.schema,
    sourceType: from.sourceType,
    selectItems,
    tableCalls: [],
    keyEquivalents: from.keyEquivalents,
    window: from.schema.window,
    suppressed: false,
    pseudoQualifier: from.pseudoQualifier,
    keyKind: from.isJoin ? 'JOIN' : 'SOURCE',
  };
  const resolvedWhere = analyzeWhere(state, query, ctx);
  const tableFunctions = analyzeTableFunctions(state, ctx);
  const aggregation = analyzeAggregation(state, query, ctx);
  const resolvedPartitionBy = analyzePartitionBy(state, query, ctx);
  return { resolved: { query, from, where: resolvedWhere, tableFunctions, aggregation, partitionBy: resolvedPartitionBy }, state };
}
