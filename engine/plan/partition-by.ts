import { semanticError } from '../analyzer/errors.js';
import { findFirst } from '../analyzer/expr-utils.js';
import { rowScope } from '../analyzer/scope.js';
import { KsqlError } from '../errors.js';
import { ColumnNotFoundError, typeExpression } from '../expr/typer.js';
import type { Query } from '../sql/ast/query.js';
import type { RekeyStep } from '../topology/topology.js';
import type { PlanContext } from './context.js';
import { aggregateCallTest, type PlanState } from './state.js';

/** PARTITION BY (docs: SELECT (push query), PARTITION BY): the stream re-keyed by expressions, or keyless by NULL. */
export function planPartitionBy(state: PlanState, query: Query, ctx: PlanContext): void {
  const isAgg = aggregateCallTest(ctx);
  if (state.clauses.partitionBy) {
    if (state.sourceType === 'TABLE') {
      throw new KsqlError('PARTITION BY is not supported for tables.', query.loc);
    }
    const scope = rowScope(state.step.schema, state.pseudoQualifier);
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
    const rk: RekeyStep = {
      kind: 'Rekey',
      id: 'PartitionBy',
      input: state.step,
      keyExprs,
      repartition: true,
      schema: {
        key: keyExprs.map((p, i) => ({ name: `KSQL_PART_${i}`, qualifier: null, type: types[i]! })),
        // The old key columns stay reachable: they become values of the new row.
        value: [...state.step.schema.value, ...state.step.schema.key],
        window: state.step.schema.window,
      },
    };
    state.step = rk;
    state.keyEquivalents = keyExprs.map((p) => [p]);
    state.keyKind = 'PARTITION';
  }
}
