import type { ExpandedItem } from '../analyzer/select-items.js';
import type { WindowInfo } from '../catalog/data-source.js';
import type { FunctionRegistry } from '../functions/types.js';
import type { Expr, FunctionCall } from '../sql/ast/expression.js';
import type { Step } from '../topology/topology.js';
import type { FromResult } from './from.js';

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
 * A query being planned, construct by construct (WHERE, table functions,
 * aggregation, PARTITION BY, projection): each planner reads it and moves it on.
 */
export interface PlanState {
  readonly from: FromResult;
  readonly clauses: QueryClauses;
  step: Step;
  sourceType: 'STREAM' | 'TABLE';
  /** the select list, rewritten over the current step's columns */
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
