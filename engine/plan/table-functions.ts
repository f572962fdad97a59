import { semanticError } from '../analyzer/errors.js';
import { rewrite } from '../analyzer/expr-utils.js';
import { rowScope, type ExprScope } from '../analyzer/scope.js';
import { KsqlError } from '../errors.js';
import { typeExpression } from '../expr/typer.js';
import type { ColumnRef, FunctionCall } from '../sql/ast/expression.js';
import type { FlatMapStep, SchemaColumn } from '../topology/topology.js';
import type { SqlType } from '../types/sql-type.js';
import type { PlanContext } from './context.js';
import type { PlanState } from './state.js';

/**
 * Table functions (docs: Table Functions): each call in the select list becomes
 * a synthetic value column KSQL_SYNTH_n of a flat-map over the stream.
 */
export function planTableFunctions(state: PlanState, ctx: PlanContext): void {
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
  if (state.tableCalls.length > 0) {
    if (state.sourceType === 'TABLE') throw semanticError('TableFunctionOverTable', {}, state.tableCalls[0]!.loc);
    const scope = rowScope(state.step.schema, from.pseudoQualifier);
    const extra: SchemaColumn[] = state.tableCalls.map((c, i) => ({ name: `KSQL_SYNTH_${i}`, qualifier: null, type: typeTableCall(c, scope, ctx) }));
    const fm: FlatMapStep = {
      kind: 'FlatMap',
      id: 'FlatMap',
      input: state.step,
      calls: state.tableCalls,
      schema: { ...state.step.schema, value: [...state.step.schema.value, ...extra] },
    };
    state.step = fm;
  }
}

function typeTableCall(c: FunctionCall, scope: ExprScope, ctx: PlanContext): SqlType {
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
