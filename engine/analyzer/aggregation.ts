import { KsqlError } from '../errors.js';
import { describeExpr, typeExpression } from '../expr/typer.js';
import type { TypedExpr } from '../expr/typed-expr.js';
import type { AggregateImpl } from '../functions/types.js';
import type { ColumnRef, Expr, FunctionCall } from '../sql/ast/expression.js';
import type { Query } from '../sql/ast/query.js';
import { formatType, type SqlType } from '../types/sql-type.js';
import { aggregateCallTest, type AnalysisState } from './analysis-state.js';
import { inClause } from './clause.js';
import { semanticError } from './errors.js';
import { allCalls, columnRefs, containsAgg, exprEquals, findFirst, formatExpr, rewrite } from './expr-utils.js';
import type { AnalysisContext, ResolvedAggregation } from './resolved-query.js';
import { rowScope, type ExprScope } from './scope.js';
import { checkWindowRetention, toWindowSpec } from './window.js';

/**
 * GROUP BY, aggregate functions, WINDOW, HAVING and EMIT FINAL (docs: SELECT
 * (push query), Aggregate functions, Time and Windows): the select list and
 * HAVING are rewritten over the aggregation's output (grouping expressions as
 * KSQL_GROUP_n, aggregates as KSQL_AGG_VARIABLE_n).
 */
export function analyzeAggregation(state: AnalysisState, query: Query, ctx: AnalysisContext): ResolvedAggregation | null {
  const from = state.from;
  const { groupBy, having } = state.clauses;
  const aggCalls: FunctionCall[] = [];
  const isAgg = aggregateCallTest(ctx);
  const hasAgg = state.selectItems.some((i) => containsAgg(i.expr, isAgg)) || (having !== null && containsAgg(having, isAgg));

  if (state.tableCalls.length > 0 && (groupBy || hasAgg)) throw semanticError('TableFunctionWithAggregation', {}, state.tableCalls[0]!.loc);

  if (query.window && !groupBy) {
    throw new KsqlError('Non-aggregate SELECT expression(s) not part of GROUP BY: a windowed query requires a GROUP BY clause.', query.window.loc);
  }

  if (groupBy || hasAgg) {
    if (!groupBy) {
      const calls = state.selectItems.flatMap((i) => allCalls(i.original, isAgg)).map(formatExpr);
      throw new KsqlError(`${ctx.statementLabel ?? 'SELECT'} statement does not support aggregate function [${calls.join(', ')}] without a GROUP BY clause.`, query.loc);
    }
    if (!hasAgg) throw new KsqlError('GROUP BY requires aggregate functions in either the SELECT or HAVING clause.', query.loc);
    for (const g of groupBy) {
      const agg = findFirst(g, isAgg);
      if (agg) throw new KsqlError(`GROUP BY does not support aggregate functions: ${agg.name} is an aggregate function.`, agg.loc);
      for (const r of columnRefs(g)) {
        if (r.name === 'WINDOWSTART' || r.name === 'WINDOWEND') {
          throw semanticError('WindowBoundsOutsideSelect', { column: r.name }, r.loc);
        }
      }
    }
    for (const r of having ? columnRefs(having) : []) {
      if (!r.source && (r.name === 'WINDOWSTART' || r.name === 'WINDOWEND')) {
        throw semanticError('WindowBoundsOutsideSelect', { column: r.name }, r.loc);
      }
    }
    groupBy.forEach((g, i) => {
      if (groupBy.findIndex((o) => exprEquals(o, g)) !== i) throw new KsqlError(`Duplicate GROUP BY expression: ${formatExpr(g)}`, g.loc);
    });
    const valueFormat = from.sources[0]!.source.valueFormat.format;
    if (valueFormat === 'KAFKA' || valueFormat === 'NONE') {
      const names = from.sources.filter((s) => s.source.valueFormat.format === valueFormat).map((s) => s.source.name);
      throw new KsqlError(`Source(s) ${names.join(', ')} are using the '${valueFormat}' value format. This format does not yet support GROUP BY.`, query.loc);
    }
    const inScope = rowScope(state.schema, state.pseudoQualifier);
    const groupTypes = groupBy.map((g) => inClause('GROUP BY', () => typeExpression(g, inScope, ctx.functions)).type);
    const declared = query.window ? toWindowSpec(query.window) : null;
    // EMIT FINAL without a GRACE PERIOD closes windows at their end (no 24-hour default grace)
    const windowSpec = declared && query.emit === 'FINAL' && declared.graceMs === null ? { ...declared, graceMs: 0 } : declared;
    state.window = windowSpec ? { kind: windowSpec.kind, sizeMs: windowSpec.kind === 'SESSION' ? null : windowSpec.sizeMs } : null;
    // rewrite select + having over the aggregate's output
    const groupName = (i: number): string => `KSQL_GROUP_${i}`;
    const aggName = (i: number): string => `KSQL_AGG_VARIABLE_${i}`;
    const toAggScope = (e: Expr, clause: string): Expr =>
      rewrite(e, (x) => {
        const gi = groupBy.findIndex((g) => exprEquals(g, x));
        if (gi >= 0) return { kind: 'ColumnRef', source: null, name: groupName(gi), loc: x.loc } satisfies ColumnRef;
        if (isAgg(x)) {
          let ai = aggCalls.findIndex((a) => exprEquals(a, x));
          if (ai < 0) {
            for (const arg of x.args) {
              const nested = findFirst(arg, isAgg);
              if (nested) throw new KsqlError(`Aggregate functions can not be nested: ${x.name}(${nested.name}())`, x.loc);
            }
            aggCalls.push(x);
            ai = aggCalls.length - 1;
          }
          return { kind: 'ColumnRef', source: null, name: aggName(ai), loc: x.loc } satisfies ColumnRef;
        }
        if (x.kind === 'ColumnRef' && windowSpec && (x.name === 'WINDOWSTART' || x.name === 'WINDOWEND')) {
          // ksqlDB offers the state.window bounds of a windowed aggregation over a single source, not over a join of unwindowed sources
          if (from.isJoin && !from.schema.window) throw semanticError('UnknownColumn', { clause, column: x.name }, x.loc);
          return { ...x, source: null };
        }
        return undefined;
      });
    state.selectItems = state.selectItems.map((i) => ({ ...i, expr: toAggScope(i.expr, 'SELECT') }));
    const havingAgg = having ? toAggScope(having, 'HAVING') : null;
    const aggScopeOnlyNames = new Set([...groupBy.map((_, i) => groupName(i)), ...aggCalls.map((_, i) => aggName(i)), 'WINDOWSTART', 'WINDOWEND']);
    const bad: string[] = [];
    for (const i of state.selectItems) {
      if (columnRefs(i.expr).some((ref) => !aggScopeOnlyNames.has(ref.name))) bad.push(formatExpr(i.original));
    }
    if (bad.length > 0) {
      throw new KsqlError(
        `Non-aggregate SELECT expression(s) not part of GROUP BY: ${[...new Set(bad)].join(', ')}\nEither add the column(s) to the GROUP BY or remove them from the SELECT.`,
        query.loc,
      );
    }
    if (havingAgg) {
      const badH = columnRefs(havingAgg).filter((r) => !aggScopeOnlyNames.has(r.name));
      if (badH.length > 0) throw new KsqlError(`Non-aggregate HAVING expression not part of GROUP BY: ${badH.map((r) => r.name).join(', ')}`, having!.loc);
    }
    const aggImpls = aggCalls.map((c) => resolveAggregateCall(c, inScope, ctx));
    const aggTypes = aggImpls.map((a) => a.returnType);
    if (state.sourceType === 'TABLE' && query.window) throw semanticError('WindowedTableAggregation', {}, query.window.loc);
    if (state.sourceType === 'TABLE') {
      const noUndo = [...new Set(aggCalls.filter((_, i) => !aggImpls[i]!.remove).map((c) => c.name.toUpperCase()))];
      if (noUndo.length > 0) {
        const list = noUndo.length === 1 ? noUndo[0]! : `${noUndo.slice(0, -1).join(', ')} and ${noUndo[noUndo.length - 1]}`;
        throw new KsqlError(`The aggregation function${noUndo.length > 1 ? 's' : ''} ${list} cannot be applied to a table source, only to a stream source.`, query.loc);
      }
    }
    const internalFormat = from.sources[0]!.source.valueFormat.format;
    if (internalFormat === 'DELIMITED' || internalFormat === 'KAFKA') {
      const complex = aggImpls.some((a) => {
        const t = (a as { intermediateType?: SqlType }).intermediateType;
        return t !== undefined && (t.kind === 'ARRAY' || t.kind === 'MAP' || t.kind === 'STRUCT');
      });
      if (complex) {
        throw new KsqlError('One of the functions used in the statement has an intermediate type that the value format can not handle. Please remove the function or change the format.', query.loc);
      }
    }
    // Kafka Streams' check when the windowed store is built (after every check of ksqlDB's)
    if (windowSpec) checkWindowRetention(windowSpec, 'Aggregate-Aggregate-Materialize', query.window?.loc ?? null);
    const inputType = state.sourceType;
    state.schema = {
      key: groupBy.map((_, i) => ({ name: groupName(i), qualifier: null, type: groupTypes[i]! })),
      value: aggCalls.map((_, i) => ({ name: aggName(i), qualifier: null, type: aggTypes[i]! })),
      window: state.window,
    };
    // EMIT FINAL holds the aggregation's results until their window closes; HAVING and the projection see final rows
    state.suppressed = query.emit === 'FINAL' && windowSpec !== null;
    state.sourceType = 'TABLE';
    state.pseudoQualifier = null;
    state.keyKind = 'GROUP';
    state.keyEquivalents = groupBy.map((_, i) => [{ kind: 'ColumnRef', source: null, name: groupName(i), loc: query.loc } satisfies ColumnRef]);
    if (havingAgg) {
      // typed as written, over the aggregation's input with each aggregate call standing for its
      // result, so that messages name aggregates and grouping expressions as the query does
      const aggregateResult = (c: FunctionCall): TypedExpr | undefined => {
        const i = aggCalls.findIndex((a) => exprEquals(a, c));
        return i < 0 ? undefined : { kind: 'Column', type: aggTypes[i]!, index: -1, name: displayExpr(c, from.isJoin) };
      };
      const t = inClause('HAVING', () => typeExpression(having!, inScope, ctx.functions, aggregateResult));
      if (t.type.kind !== 'BOOLEAN') {
        throw new KsqlError(`Type error in HAVING expression: Should evaluate to boolean but is ${formatExpr(having!)} (${formatType(t.type)}) instead.`, having!.loc);
      }
    }
    return { inputType, groupBy, calls: aggCalls, window: windowSpec, schema: state.schema, suppressed: state.suppressed, having: havingAgg };
  } else if (having) {
    throw new KsqlError('HAVING clause requires a GROUP BY clause.', having.loc);
  }
  return null;
}

function resolveAggregateCall(c: FunctionCall, scope: ExprScope, ctx: AnalysisContext): AggregateImpl {
  const fn = ctx.functions.get(c.name);
  if (!fn || fn.kind !== 'aggregate') throw new KsqlError(`Can't find any functions with the name '${c.name}'`, c.loc);
  const args = c.args.map((a) => {
    const t = typeExpression(a, scope, ctx.functions);
    return t.kind === 'Literal' ? { type: t.type, literal: t.value } : { type: t.type, text: describeExpr(a, scope) };
  });
  try {
    return fn.resolve(args);
  } catch (e) {
    throw new KsqlError((e as Error).message, c.loc);
  }
}

/** An expression as ksqlDB prints it in messages: bare column names, or ALIAS_COLUMN in joins. */
function displayExpr(e: Expr, isJoin: boolean): string {
  return formatExpr(
    rewrite(e, (x) => (x.kind === 'ColumnRef' && x.source ? { ...x, source: null, name: isJoin ? `${x.source}_${x.name}` : x.name } : undefined)),
  );
}
