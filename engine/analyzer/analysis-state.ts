import type { WindowInfo } from '../catalog/data-source.js';
import type { FunctionRegistry } from '../functions/types.js';
import type { Expr, FunctionCall } from '../sql/ast/expression.js';
import type { StepSchema } from '../topology/topology.js';
import type { ResolvedFrom } from './resolved-query.js';
import type { ExpandedItem } from './select-items.js';

/** Where the result's key comes from: ksqlDB's messages name it so ("key column", "grouping expression", ...). */
export type KeyKind = 'SOURCE' | 'GROUP' | 'PARTITION' | 'JOIN';

/** The clauses of the query, column references qualified. */
export interface QueryClauses {
  readonly where: Expr | null;
  readonly groupBy: readonly Expr[] | null;
  readonly partitionBy: readonly Expr[] | null;
  readonly having: Expr | null;
}

/**
 * A query being analysed, construct by construct in ksqlDB's order (WHERE,
 * table functions, aggregation, PARTITION BY, projection): each step reads
 * the rows so far (`schema`) and moves them on.
 */
export interface AnalysisState {
  readonly from: ResolvedFrom;
  readonly clauses: QueryClauses;
  /** the rows so far */
  schema: StepSchema;
  sourceType: 'STREAM' | 'TABLE';
  /** the select list, rewritten over the current rows */
  selectItems: ExpandedItem[];
  /** the table function calls (their results are the KSQL_SYNTH_n columns) */
  tableCalls: FunctionCall[];
  /** expressions (qualified) that evaluate to the current key, per key column */
  keyEquivalents: readonly (readonly Expr[])[];
  window: WindowInfo | null;
  /** EMIT FINAL: the aggregation's results are held until their window closes */
  suppressed: boolean;
  pseudoQualifier: string | null;
  keyKind: KeyKind;
}

/** Whether an expression is a call of an aggregate function. */
export function aggregateCallTest(ctx: { readonly functions: FunctionRegistry }): (e: Expr) => e is FunctionCall {
  return (e: Expr): e is FunctionCall => e.kind === 'FunctionCall' && ctx.functions.get(e.name)?.kind === 'aggregate';
}
