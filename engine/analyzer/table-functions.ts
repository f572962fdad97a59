import { KsqlError } from '../errors.js';
import { typeExpression } from '../expr/typer.js';
import type { ColumnRef, FunctionCall } from '../sql/ast/expression.js';
import type { SchemaColumn } from '../topology/topology.js';
import type { SqlType } from '../types/sql-type.js';
import type { AnalysisState } from './analysis-state.js';
import { semanticError } from './errors.js';
import { rewrite } from './expr-utils.js';
import type { AnalysisContext, ResolvedTableFunctions } from './resolved-query.js';
import { rowScope, type ExprScope } from './scope.js';

/**
 * Table functions (docs: Table Functions): each call in the select list becomes
 * a synthetic value column KSQL_SYNTH_n of a flat-map over the stream.
 */
export function analyzeTableFunctions(state: AnalysisState, ctx: AnalysisContext): ResolvedTableFunctions | null {
  const from = state.from;
  // Table functions: appended as synthetic value columns.
  state.selectItems = state.selectItems.map((item) => ({
    ...item,
    expr: rewrite(item.expr, (e) => {
      if (e.kind === 'FunctionCall' && ctx.functions.get(e.name)?.kind === 'table') {
        state.tableCalls.push(e);
        return { kind: 'ColumnRef', source: null, name: `KSQL_SYNTH_${state.tableCalls.length - 1}`, loc: e.loc } satisfies ColumnRef;
      }
      return undefined;
    }),
  }));
  if (state.tableCalls.length === 0) return null;
  if (state.sourceType === 'TABLE') throw semanticError('TableFunctionOverTable', {}, state.tableCalls[0]!.loc);
  const scope = rowScope(state.schema, from.pseudoQualifier);
  const extra: SchemaColumn[] = state.tableCalls.map((c, i) => ({ name: `KSQL_SYNTH_${i}`, qualifier: null, type: typeTableCall(c, scope, ctx) }));
  state.schema = { ...state.schema, value: [...state.schema.value, ...extra] };
  return { calls: state.tableCalls, schema: state.schema };
}

function typeTableCall(c: FunctionCall, scope: ExprScope, ctx: AnalysisContext): SqlType {
  const fn = ctx.functions.get(c.name);
  if (!fn || fn.kind !== 'table') throw new KsqlError(`Can't find any functions with the name '${c.name}'`, c.loc);
  const args = c.args.map((a) => {
    const t = typeExpression(a, scope, ctx.functions);
    return t.kind === 'Literal' ? { type: t.type, literal: t.value } : { type: t.type };
  });
  try {
    return fn.resolve(args).returnType;
  } catch (e) {
    throw new KsqlError((e as Error).message, c.loc);
  }
}
