import { KsqlError } from '../errors.js';
import { ColumnNotFoundError, typeExpression } from '../expr/typer.js';
import type { Query } from '../sql/ast/query.js';
import { aggregateCallTest, type AnalysisState } from './analysis-state.js';
import { semanticError } from './errors.js';
import { findFirst } from './expr-utils.js';
import type { AnalysisContext, ResolvedPartitionBy } from './resolved-query.js';
import { rowScope } from './scope.js';

/** PARTITION BY (docs: SELECT (push query), PARTITION BY): the stream re-keyed by expressions, or keyless by NULL. */
export function analyzePartitionBy(state: AnalysisState, query: Query, ctx: AnalysisContext): ResolvedPartitionBy | null {
  const isAgg = aggregateCallTest(ctx);
  if (!state.clauses.partitionBy) return null;
  if (state.sourceType === 'TABLE') {
    throw new KsqlError('PARTITION BY is not supported for tables.', query.loc);
  }
  const scope = rowScope(state.schema, state.pseudoQualifier);
  const isNullKey = state.clauses.partitionBy.length === 1 && state.clauses.partitionBy[0]!.kind === 'NullLiteral';
  const keyExprs = isNullKey ? [] : state.clauses.partitionBy;
  for (const p of keyExprs) {
    const agg = findFirst(p, isAgg);
    if (agg) throw new KsqlError(`PARTITION BY does not support aggregate functions: ${agg.name} is an aggregate function.`, agg.loc);
  }
  if (state.clauses.partitionBy.length > 1 && state.clauses.partitionBy.some((p) => p.kind === 'NullLiteral')) {
    throw new KsqlError('Cannot PARTITION BY multiple columns including NULL', query.loc);
  }
  const outputAliases = new Set(query.select.flatMap((i) => (i.kind === 'SingleColumn' && i.alias ? [i.alias] : [])));
  const types = keyExprs.map((p) => {
    try {
      return typeExpression(p, scope, ctx.functions).type;
    } catch (e) {
      if (!(e instanceof ColumnNotFoundError)) throw e;
      const hint = outputAliases.has(e.column) ? `'${e.column}' must be a column in the source schema since PARTITION BY is applied on the input.` : undefined;
      throw semanticError('UnknownColumn', { clause: 'PARTITION BY', column: e.column, ...(hint ? { hint } : {}) }, e.loc);
    }
  });
  state.schema = {
    key: keyExprs.map((p, i) => ({ name: `KSQL_PART_${i}`, qualifier: null, type: types[i]! })),
    // The old key columns stay reachable: they become values of the new row.
    value: [...state.schema.value, ...state.schema.key],
    window: state.schema.window,
  };
  state.keyEquivalents = keyExprs.map((p) => [p]);
  state.keyKind = 'PARTITION';
  return { keyExprs, schema: state.schema };
}
