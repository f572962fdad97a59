import { KsqlError } from '../errors.js';
import { typeExpression } from '../expr/typer.js';
import type { ColumnRef, Expr, FunctionCall } from '../sql/ast/expression.js';
import type { Query, SelectItem } from '../sql/ast/query.js';
import { analyzeUpstream } from './analyze-query.js';
import { aggregateCallTest } from './analysis-state.js';
import { allCalls, columnRefs, containsAgg, exprEquals, formatExpr, rewrite } from './expr-utils.js';
import { checkJoinKeys } from './from.js';
import { checkPullColumns } from './pull-query.js';
import { relationSources, windowedJoinAliases } from './pull-rules.js';
import { headersLast } from './select-items.js';
import { inClause } from './clause.js';
import { qualifyRefs } from './qualify.js';
import type { AnalysisContext, ResolvedQuery, TransientColumn } from './resolved-query.js';
import { rowScope } from './scope.js';
import { RESERVED_COLUMNS } from './table-elements.js';

/**
 * Analyses a transient query (a bare SELECT: pull, or push with EMIT). Its
 * FROM, WHERE, table functions, aggregation and PARTITION BY are analysed
 * as a persistent query's (analyzeUpstream), over the aggregate and table
 * function calls its select list and HAVING make; its projection follows
 * the rules of transient queries, which are not those of persistent ones:
 * key columns need not be selected, ROWTIME needs no alias, `*` over a
 * windowed source includes the window bounds, and a pull query over a table
 * labels its key columns `KEY`.
 */
export function analyzeTransientQuery(query: Query, ctx: AnalysisContext, mode: 'pull' | 'push'): ResolvedQuery {
  const isAgg = aggregateCallTest(ctx);
  const isTableFn = (e: Expr): e is FunctionCall => e.kind === 'FunctionCall' && ctx.functions.get(e.name)?.kind === 'table';
  const loc = query.loc;
  const col = (source: string | null, name: string): ColumnRef => ({ kind: 'ColumnRef', source, name, loc });
  const single = (expr: Expr, alias: string): SelectItem => ({ kind: 'SingleColumn', expr, alias, loc });
  const itemExprs = query.select.flatMap((i) => (i.kind === 'SingleColumn' ? [i.expr] : i.kind === 'AllFields' ? [i.expr] : []));
  const allExprs = [...itemExprs, ...(query.having ? [query.having] : [])];
  const hasAgg = allExprs.some((e) => containsAgg(e, isAgg));

  const primaryName = firstSourceName(query.from);
  const primary = ctx.source(primaryName);
  if (!primary) throw new KsqlError(`${primaryName} does not exist.`, loc, 'NotFound');
  // Aggregations without GROUP BY aggregate every row into one group.
  let groupBy = query.groupBy;
  if (hasAgg && !groupBy) groupBy = [{ kind: 'NumberLiteral', text: '1', loc }];
  // What the constructs before the projection analyse of the select list: its aggregate or table function calls.
  const calls: SelectItem[] = [];
  if (groupBy) {
    const aggs: FunctionCall[] = [];
    for (const e of allExprs) for (const c of allCalls(e, isAgg)) if (!aggs.some((a) => exprEquals(a, c))) aggs.push(c);
    aggs.forEach((a, i) => calls.push(single(a, `KSQL_TA_${i}`)));
  } else {
    let n = 0;
    for (const e of itemExprs) for (const c of allCalls(e, isTableFn)) calls.push(single(c, `KSQL_TF_${n++}`));
  }
  const inner: Query = { ...query, select: calls, groupBy, emit: query.emit === 'FINAL' ? 'FINAL' : 'CHANGES', limit: null };
  const { resolved, state } = analyzeUpstream(inner, ctx);
  if (inner.emit === 'FINAL' && !state.suppressed) throw new KsqlError('EMIT FINAL is only supported for windowed aggregations.', query.loc);
  checkJoinKeys(resolved.from.relation);

  const agg = resolved.aggregation;
  const input = state.schema;
  const inScope = rowScope(input, state.pseudoQualifier);
  // the select list reads the rows before the aggregation (or before the projection)
  const fromScope = agg ? rowScope(resolved.tableFunctions?.schema ?? resolved.from.schema, resolved.from.pseudoQualifier) : inScope;
  const isJoin = query.from.kind === 'Join';
  const windowed = (primary.window !== null || (agg?.window ?? null) !== null) && input.window !== null;
  const items: { expr: Expr; name: string | null; isKey: boolean }[] = [];
  const keyNames = new Set(primary.columns.filter((c) => c.namespace === 'KEY').map((c) => c.name));
  for (const item of query.select) {
    if (item.kind === 'SingleColumn') {
      const e = item.expr;
      const name = item.alias ?? naturalName(e, isJoin);
      const isKey = primary.sourceType === 'TABLE' && !isJoin && !groupBy && e.kind === 'ColumnRef' && (keyNames.has(e.name) || (windowed && (e.name === 'WINDOWSTART' || e.name === 'WINDOWEND')));
      items.push({ expr: e, name, isKey });
      continue;
    }
    if (item.kind === 'AllFields') {
      const t = typeExpression(qualifyRefs(item.expr, fromScope), fromScope, ctx.functions);
      if (t.type.kind !== 'STRUCT') throw new KsqlError(`Cannot dereference * of a non-struct expression: ${formatExpr(item.expr)}`, item.loc);
      for (const f of t.type.fields) items.push({ expr: { kind: 'Dereference', base: item.expr, field: f.name, loc: item.loc }, name: f.name, isKey: false });
      continue;
    }
    if (item.source && !fromScope.columns.some((c) => c.qualifier === item.source)) {
      throw new KsqlError(`'${item.source}' is not a valid stream/table name or alias.`, item.loc);
    }
    let keysDone = false;
    const joinBounds = new Set(windowedJoinAliases(query.from, ctx.source));
    const relation = relationSources(query.from, ctx.source);
    for (const c of headersLast(fromScope.columns, relation)) {
      if (c.qualifier === null || RESERVED_COLUMNS.includes(c.name)) continue;
      if (item.source && c.qualifier !== item.source) continue;
      const isKeyCol = !isJoin && keyNames.has(c.name) && primary.columns.some((k) => k.name === c.name && k.namespace === 'KEY');
      if (isJoin && joinBounds.has(c.qualifier) && !relation.sources.find((s) => s.alias === c.qualifier)?.source.columns.some((k) => k.namespace === 'KEY' && k.name === c.name)) {
        // a windowed join source's bounds come after its key columns
        joinBounds.delete(c.qualifier);
        for (const w of ['WINDOWSTART', 'WINDOWEND']) items.push({ expr: col(c.qualifier, w), name: `${c.qualifier}_${w}`, isKey: false });
      }
      if (!isKeyCol && !keysDone && windowed && !isJoin) {
        keysDone = true;
        for (const w of ['WINDOWSTART', 'WINDOWEND']) items.push({ expr: col(c.qualifier, w), name: w, isKey: primary.sourceType === 'TABLE' });
      }
      items.push({ expr: col(c.qualifier, c.name), name: isJoin ? `${c.qualifier}_${c.name}` : c.name, isKey: primary.sourceType === 'TABLE' && !isJoin && !groupBy && isKeyCol });
    }
    if (!keysDone && windowed && !isJoin) {
      const q = fromScope.columns.find((c) => c.qualifier !== null)?.qualifier ?? null;
      for (const w of ['WINDOWSTART', 'WINDOWEND']) items.push({ expr: col(q, w), name: w, isKey: primary.sourceType === 'TABLE' });
    }
  }
  if (mode === 'pull') checkPullColumns(items.map((i) => i.expr), 'SELECT');

  // Rewrite into the scope of the rows before the projection.
  let tfIndex = 0;
  const exprs = items.map((item) => {
    let e = qualifyRefs(item.expr, fromScope);
    if (agg) {
      e = rewrite(e, (x) => {
        const gi = agg.groupBy.findIndex((g) => exprEquals(g, x));
        if (gi >= 0) return col(null, agg.schema.key[gi]!.name);
        if (isAgg(x)) {
          const ai = agg.calls.findIndex((a) => a.name === x.name && a.args.length === x.args.length && a.args.every((arg, i) => exprEquals(arg, x.args[i]!)));
          if (ai >= 0) return col(null, agg.schema.value[ai]!.name);
        }
        if (x.kind === 'ColumnRef' && (x.name === 'WINDOWSTART' || x.name === 'WINDOWEND')) return { ...x, source: null };
        return undefined;
      });
      const allowed = new Set([...agg.schema.key.map((k) => k.name), ...agg.schema.value.map((v) => v.name), 'WINDOWSTART', 'WINDOWEND']);
      const bad = columnRefs(e).filter((r) => !allowed.has(r.name)).map((r) => r.name);
      if (bad.length > 0) throw new KsqlError(`Non-aggregate SELECT expression(s) not part of GROUP BY: ${[...new Set(bad)].join(', ')}`, loc);
    } else {
      e = rewrite(e, (x) => (isTableFn(x) ? col(null, `KSQL_SYNTH_${tfIndex++}`) : undefined));
    }
    return e;
  });
  let generated = 0;
  const columns: TransientColumn[] = [];
  const keyIndex: (number | 'WINDOWSTART' | 'WINDOWEND' | null)[] = [];
  const seen = new Set<string>();
  exprs.forEach((e, i) => {
    const item = items[i]!;
    const name = item.name ?? `KSQL_COL_${generated++}`;
    if (seen.has(name)) throw new KsqlError(`Duplicate column names: ${name}`, loc);
    seen.add(name);
    // an unknown column is reported as ksqlDB's analyzer does: the clause and the reference's position
    const typed = inClause('SELECT', () => typeExpression(e, inScope, ctx.functions));
    columns.push({ name, type: typed.type, key: item.isKey });
    const ki = e.kind === 'ColumnRef' ? input.key.findIndex((k) => k.name === e.name && (k.qualifier === e.source || e.source === null)) : -1;
    const bound = e.kind === 'ColumnRef' && (e.name === 'WINDOWSTART' || e.name === 'WINDOWEND') ? e.name : null;
    keyIndex.push(ki >= 0 ? ki : bound);
  });
  return {
    ...resolved,
    query,
    projection: {
      exprs,
      schema: { key: input.key, value: columns.map((c) => ({ name: c.name, qualifier: null, type: c.type })), window: input.window },
      transient: { columns, keyIndex },
    },
    resultType: state.sourceType,
    window: state.window,
  };
}

function firstSourceName(rel: Query['from']): string {
  return rel.kind === 'Source' ? rel.name : firstSourceName(rel.left);
}

function naturalName(e: Expr, isJoin: boolean): string | null {
  if (e.kind === 'ColumnRef') return isJoin && e.source ? `${e.source}_${e.name}` : e.name;
  if (e.kind === 'Dereference') return e.field;
  return null;
}
