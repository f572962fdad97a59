import { ClauseError, inClauseMessage, semanticError, type Clause } from '../analyzer/errors.js';
import { allCalls, columnRefs, containsAgg, exprEquals, findFirst, formatExpr, rewrite } from '../analyzer/expr-utils.js';
import { checkJoinCriteria } from '../analyzer/join-criteria.js';
import { qualifyRefs } from '../analyzer/qualify.js';
import { rowScope, type ExprScope } from '../analyzer/scope.js';
import { checkReservedAliases, columnNameCounts, expandSelect, naturalName } from '../analyzer/select-items.js';
import { toWindowSpec } from '../analyzer/window.js';
import type { WindowInfo } from '../catalog/data-source.js';
import { KsqlError } from '../errors.js';
import { ColumnNotFoundError, describeExpr, typeExpression } from '../expr/typer.js';
import type { AggregateImpl } from '../functions/types.js';
import type { ColumnRef, Expr, FunctionCall } from '../sql/ast/expression.js';
import type { Query } from '../sql/ast/query.js';
import type { AggregateStep, FilterStep, FlatMapStep, ProjectStep, RekeyStep, SchemaColumn, Step, StepSchema, SuppressStep } from '../topology/topology.js';
import { formatType, type SqlType } from '../types/sql-type.js';
import type { PlanContext, PlannedQuery } from './context.js';
import { checkCopartitioned, checkJoinKeys, joinedName, planFrom, type FromResult } from './from.js';

export type { PlanContext, PlannedQuery } from './context.js';
export { mapKeyMessage, sourceStep } from './from.js';

export function planQuery(query: Query, ctx: PlanContext): PlannedQuery {
  checkJoinCriteria(query.from, ctx);
  const from = planFrom(query.from, query, ctx);
  let step: Step = from.step;
  let sourceType = from.sourceType;
  const fromScope = rowScope(step.schema, from.pseudoQualifier);

  // Qualify column references so structural comparisons are exact.
  const qualify = (e: Expr): Expr => qualifyRefs(e, fromScope);
  let selectItems = expandSelect(query.select, from, fromScope, ctx.functions, query.partitionBy, query.window !== null).map((i) => ({ ...i, expr: qualify(i.expr) }));
  const whereExpr = query.where ? qualify(query.where) : null;
  const groupBy = query.groupBy ? query.groupBy.map(qualify) : null;
  const partitionBy = query.partitionBy ? query.partitionBy.map(qualify) : null;
  const having = query.having ? qualify(query.having) : null;

  checkReservedAliases(selectItems, from.isJoin);
  const aliases = new Set(from.sources.map((s) => s.alias));
  for (const e of [...selectItems.map((i) => i.expr), ...(query.where ? [query.where] : []), ...(query.groupBy ?? []), ...(query.partitionBy ?? []), ...(query.having ? [query.having] : [])]) {
    for (const r of columnRefs(e)) {
      if (r.source && !aliases.has(r.source)) throw new KsqlError(`Failed to prepare statement: '${r.source}' is not a valid stream/table name or alias.`, r.loc);
    }
    rewrite(e, (x) => {
      if (x.kind === 'FunctionCall' && !ctx.functions.get(x.name)) throw new KsqlError(`Can't find any functions with the name '${x.name}'`, x.loc, 'NotFound');
      return undefined;
    });
  }

  if (whereExpr) {
    const t = inClause('WHERE', () => typeExpression(whereExpr, fromScope, ctx.functions));
    if (t.type.kind !== 'BOOLEAN' && t.type.kind !== 'NULL') {
      throw new KsqlError(`Type error in WHERE expression: Should evaluate to boolean but is ${formatExpr(query.where!)} (${formatType(t.type)}) instead.`, query.where!.loc);
    }
    const f: FilterStep = { kind: 'Filter', id: 'WhereFilter', schema: step.schema, input: step, predicate: whereExpr, clause: 'WHERE' };
    step = f;
  }

  // Table functions: appended as synthetic value columns.
  const tableCalls: FunctionCall[] = [];
  selectItems = selectItems.map((item) => ({
    ...item,
    expr: rewrite(item.expr, (e) => {
      if (e.kind === 'FunctionCall' && ctx.functions.get(e.name)?.kind === 'table') {
        tableCalls.push(e);
        return { kind: 'ColumnRef', source: null, name: `KSQL_SYNTH_${tableCalls.length - 1}`, loc: e.loc } satisfies ColumnRef;
      }
      return undefined;
    }),
  }));
  if (tableCalls.length > 0) {
    if (sourceType === 'TABLE') throw semanticError('TableFunctionOverTable', {}, tableCalls[0]!.loc);
    const scope = rowScope(step.schema, from.pseudoQualifier);
    const extra: SchemaColumn[] = tableCalls.map((c, i) => ({ name: `KSQL_SYNTH_${i}`, qualifier: null, type: typeTableCall(c, scope, ctx) }));
    const fm: FlatMapStep = {
      kind: 'FlatMap',
      id: 'FlatMap',
      input: step,
      calls: tableCalls,
      schema: { ...step.schema, value: [...step.schema.value, ...extra] },
    };
    step = fm;
  }

  const aggCalls: FunctionCall[] = [];
  const isAgg = (e: Expr): e is FunctionCall => e.kind === 'FunctionCall' && ctx.functions.get(e.name)?.kind === 'aggregate';
  const hasAgg = selectItems.some((i) => containsAgg(i.expr, isAgg)) || (having !== null && containsAgg(having, isAgg));

  let keyEquivalents: readonly (readonly Expr[])[] = from.keyEquivalents;
  let window: WindowInfo | null = step.schema.window;
  let suppressed = false;
  let pseudoQualifier = from.pseudoQualifier;
  let keyKind: 'SOURCE' | 'GROUP' | 'PARTITION' | 'JOIN' = from.isJoin ? 'JOIN' : 'SOURCE';
  if (tableCalls.length > 0 && (groupBy || hasAgg)) throw semanticError('TableFunctionWithAggregation', {}, tableCalls[0]!.loc);

  if (query.window && !groupBy) {
    throw new KsqlError('Non-aggregate SELECT expression(s) not part of GROUP BY: a windowed query requires a GROUP BY clause.', query.window.loc);
  }

  if (groupBy || hasAgg) {
    if (!groupBy) {
      const calls = selectItems.flatMap((i) => allCalls(i.original, isAgg)).map(formatExpr);
      throw new KsqlError(`${ctx.statementLabel ?? 'SELECT'} statement does not support aggregate function [${calls.join(', ')}] without a GROUP BY clause.`, query.loc);
    }
    if (!hasAgg) throw new KsqlError('GROUP BY requires aggregate functions in either the SELECT or HAVING clause.', query.loc);
    for (const g of groupBy) {
      const agg = findFirst(g, isAgg);
      if (agg) throw new KsqlError(`GROUP BY does not support aggregate functions: ${agg.name} is an aggregate function.`, agg.loc);
      for (const r of columnRefs(g)) {
        if (r.name === 'WINDOWSTART' || r.name === 'WINDOWEND') {
          throw new KsqlError(`Window bounds column ${r.name} can only be used in the SELECT clause of windowed aggregations`, r.loc);
        }
      }
    }
    for (const r of having ? columnRefs(having) : []) {
      if (!r.source && (r.name === 'WINDOWSTART' || r.name === 'WINDOWEND')) {
        throw new KsqlError(`Window bounds column ${r.name} can only be used in the SELECT clause of windowed aggregations`, r.loc);
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
    const inScope = rowScope(step.schema, pseudoQualifier);
    const groupTypes = groupBy.map((g) => inClause('GROUP BY', () => typeExpression(g, inScope, ctx.functions)).type);
    const declared = query.window ? toWindowSpec(query.window) : null;
    // EMIT FINAL without a GRACE PERIOD closes windows at their end (no 24-hour default grace)
    const windowSpec = declared && query.emit === 'FINAL' && declared.graceMs === null ? { ...declared, graceMs: 0 } : declared;
    window = windowSpec ? { kind: windowSpec.kind, sizeMs: windowSpec.kind === 'SESSION' ? null : windowSpec.sizeMs } : null;
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
          // ksqlDB offers the window bounds of a windowed aggregation over a single source, not over a join of unwindowed sources
          if (from.isJoin && !from.step.schema.window) throw new KsqlError(`${clause} column '${x.name}' cannot be resolved.`, x.loc);
          return { ...x, source: null };
        }
        return undefined;
      });
    selectItems = selectItems.map((i) => ({ ...i, expr: toAggScope(i.expr, 'SELECT') }));
    const havingAgg = having ? toAggScope(having, 'HAVING') : null;
    const aggScopeOnlyNames = new Set([...groupBy.map((_, i) => groupName(i)), ...aggCalls.map((_, i) => aggName(i)), 'WINDOWSTART', 'WINDOWEND']);
    const bad: string[] = [];
    for (const i of selectItems) {
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
    if (sourceType === 'TABLE' && query.window) throw semanticError('WindowedTableAggregation', {}, query.window.loc);
    if (sourceType === 'TABLE') {
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
    const aggStep: AggregateStep = {
      kind: 'Aggregate',
      id: 'Aggregate/Aggregate',
      input: step,
      inputType: sourceType,
      groupBy,
      aggregates: aggCalls.map((c) => ({ name: c.name, args: c.args })),
      window: windowSpec,
      schema: {
        key: groupBy.map((_, i) => ({ name: groupName(i), qualifier: null, type: groupTypes[i]! })),
        value: aggCalls.map((_, i) => ({ name: aggName(i), qualifier: null, type: aggTypes[i]! })),
        window,
      },
    };
    step = aggStep;
    // EMIT FINAL holds the aggregation's results until their window closes; HAVING and the projection see final rows
    if (query.emit === 'FINAL' && windowSpec) {
      step = { kind: 'Suppress', id: 'Suppress', input: step, schema: step.schema } satisfies SuppressStep;
      suppressed = true;
    }
    sourceType = 'TABLE';
    pseudoQualifier = null;
    keyKind = 'GROUP';
    keyEquivalents = groupBy.map((_, i) => [{ kind: 'ColumnRef', source: null, name: groupName(i), loc: query.loc } satisfies ColumnRef]);
    if (havingAgg) {
      const scope = rowScope(step.schema, null);
      // messages name aggregates and grouping expressions as written, not by their internal columns
      const display = (m: string): string =>
        m
          .replace(/KSQL_AGG_VARIABLE_(\d+)/g, (_, i: string) => displayExpr(aggCalls[Number(i)]!, from.isJoin))
          .replace(/KSQL_GROUP_(\d+)/g, (_, i: string) => displayExpr(groupBy[Number(i)]!, from.isJoin));
      let t;
      try {
        t = inClause('HAVING', () => typeExpression(havingAgg, scope, ctx.functions));
      } catch (e) {
        if (e instanceof KsqlError) throw new KsqlError(display(e.message), e.loc, e.reason);
        throw e;
      }
      if (t.type.kind !== 'BOOLEAN') {
        throw new KsqlError(`Type error in HAVING expression: Should evaluate to boolean but is ${formatExpr(having!)} (${formatType(t.type)}) instead.`, having!.loc);
      }
      step = { kind: 'Filter', id: 'Aggregate/HavingFilter', schema: step.schema, input: step, predicate: havingAgg, clause: 'HAVING' } satisfies FilterStep;
    }
  } else if (having) {
    throw new KsqlError('HAVING clause requires a GROUP BY clause.', having.loc);
  }

  if (partitionBy) {
    if (sourceType === 'TABLE') {
      throw new KsqlError('PARTITION BY is not supported for tables.', query.loc);
    }
    const scope = rowScope(step.schema, pseudoQualifier);
    const isNullKey = partitionBy.length === 1 && partitionBy[0]!.kind === 'NullLiteral';
    const keyExprs = isNullKey ? [] : partitionBy;
    for (const p of keyExprs) {
      const agg = findFirst(p, isAgg);
      if (agg) throw new KsqlError(`PARTITION BY does not support aggregate functions: ${agg.name} is an aggregate function.`, agg.loc);
    }
    if (partitionBy.length > 1 && partitionBy.some((p) => p.kind === 'NullLiteral')) {
      throw new KsqlError('Cannot PARTITION BY multiple columns including NULL', query.loc);
    }
    const outputAliases = new Set(query.select.flatMap((i) => (i.kind === 'SingleColumn' && i.alias ? [i.alias] : [])));
    const types = keyExprs.map((p) => {
      try {
        return typeExpression(p, scope, ctx.functions).type;
      } catch (e) {
        if (!(e instanceof ColumnNotFoundError)) throw e;
        const hint = outputAliases.has(e.column) ? ` '${e.column}' must be a column in the source schema since PARTITION BY is applied on the input.` : '';
        throw new KsqlError(`PARTITION BY column '${e.column}' cannot be resolved.${hint}`, e.loc, e.reason);
      }
    });
    const rk: RekeyStep = {
      kind: 'Rekey',
      id: 'PartitionBy',
      input: step,
      keyExprs,
      repartition: true,
      schema: {
        key: keyExprs.map((p, i) => ({ name: `KSQL_PART_${i}`, qualifier: null, type: types[i]! })),
        // The old key columns stay reachable: they become values of the new row.
        value: [...step.schema.value, ...step.schema.key],
        window: step.schema.window,
      },
    };
    step = rk;
    keyEquivalents = keyExprs.map((p) => [p]);
    keyKind = 'PARTITION';
  }

  // Projection.
  const scope = rowScope(step.schema, pseudoQualifier);
  const keyCols: { name: string; type: SqlType }[] = [];
  const keyAliases: string[][] = keyEquivalents.map(() => []);
  /** the expression that became each key column; an equivalent but different expression stays a value */
  const keyExprOf: (Expr | null)[] = keyEquivalents.map(() => null);
  const valueCols: { name: string; expr: Expr; type: SqlType }[] = [];
  let generated = 0;
  const uniqueNames = columnNameCounts(from);
  const taken = new Set<string>([...selectItems.map((i) => i.alias).filter((a): a is string => a !== null)]);
  const sourceNames = new Set(from.sources.flatMap((s) => s.source.columns.map((c) => c.name)));
  const names = selectItems.map((item) => {
    if (item.alias) return item.alias;
    let name = naturalName(item.original, from.isJoin, uniqueNames);
    if (name === null) {
      // generated names skip the columns of the sources too (as ksqlDB's generator does)
      do name = `KSQL_COL_${generated++}`;
      while (taken.has(name) || sourceNames.has(name));
    } else if (item.original.kind === 'Dereference' && (sourceNames.has(name) || taken.has(name))) {
      // a struct field named like an existing column gets the next free suffix
      let n = 1;
      while (sourceNames.has(`${name}_${n}`) || taken.has(`${name}_${n}`)) n++;
      name = `${name}_${n}`;
    }
    taken.add(name);
    return name;
  });
  // Each key column is named by the select item matching its most preferred equivalent
  // expression (the left side's join column before the right's), the first such item on ties.
  keyEquivalents.forEach((eqs, ki) => {
    for (const eq of eqs) {
      const hit = selectItems.find((item) => exprEquals(eq, item.expr));
      if (hit) {
        keyExprOf[ki] = hit.expr;
        break;
      }
    }
  });
  selectItems.forEach((item, idx) => {
    const name = names[idx]!;
    const ki = keyExprOf.findIndex((k) => k !== null && exprEquals(k, item.expr));
    if (ki >= 0) {
      keyExprOf[ki] = item.expr;
      keyAliases[ki]!.push(name);
      return;
    }
    const typed = inClause('SELECT', () => typeExpression(item.expr, scope, ctx.functions));
    if (typed.type.kind === 'NULL') throw semanticError('UntypedNull', {}, item.original.loc);
    const cast = implicitDecimalCast(item.expr, ctx.sinkColumnType?.(name));
    valueCols.push(cast ? { name, ...cast } : { name, expr: item.expr, type: typed.type });
  });
  keyEquivalents.forEach((eqs, i) => {
    const aliases = keyAliases[i]!;
    if (aliases.length > 1) {
      if (keyKind === 'GROUP') throw new KsqlError(`The projection contains a key column more than once: ${aliases.map((a) => `\`${a}\``).join(' and ')}.`, query.loc);
      throw new KsqlError(`The projection contains a key column (\`${from.isJoin ? joinedName(eqs[0]!) : aliases[0]}\`) more than once, aliased as: ${[...aliases].sort().join(' and ')}.`, query.loc);
    }
    keyCols.push({ name: aliases[0] ?? '', type: step.schema.key[i]!.type });
  });
  const missing = keyAliases.map((a, i) => (a.length === 0 ? i : -1)).filter((i) => i >= 0);
  if (missing.length > 0) {
    throw new KsqlError(missingKeyMessage(ctx.sinkName, keyKind, missing.map((i) => keyEquivalents[i]!), query, from), query.loc);
  }
  if (valueCols.length === 0) {
    throw new KsqlError('The projection contains no value columns.', query.loc);
  }
  const seen = new Set<string>();
  for (const n of [...keyCols.map((k) => k.name), ...valueCols.map((v) => v.name)]) {
    if (seen.has(n)) throw new KsqlError(`Duplicate column names: ${n}`, query.loc);
    seen.add(n);
  }
  const outSchema: StepSchema = {
    key: keyCols.map((k) => ({ name: k.name, qualifier: null, type: k.type })),
    value: valueCols.map((v) => ({ name: v.name, qualifier: null, type: v.type })),
    window,
  };
  const project: ProjectStep = { kind: 'Project', id: 'Project', input: step, exprs: valueCols.map((v) => v.expr), schema: outSchema };
  step = project;

  if (query.emit === 'FINAL' && !suppressed) throw new KsqlError('EMIT FINAL is only supported for windowed aggregations.', query.loc);
  checkJoinKeys(step);
  checkCopartitioned(from, ctx);

  return {
    root: step,
    resultType: sourceType,
    key: outSchema.key,
    value: outSchema.value,
    window,
    sources: from.sources.map((s) => s.source),
    primary: from.sources[0]!.source,
  };
}

/**
 * A numeric literal as the DECIMAL column `to` holds it, when its digits fit
 * (ksqlDB's ImplicitlyCastResolver: the literal's own DECIMAL(p, s) must
 * widen to `to`); null otherwise.
 */
function implicitDecimalCast(expr: Expr, to: SqlType | undefined): { expr: Expr; type: SqlType } | null {
  if (to?.kind !== 'DECIMAL' || expr.kind !== 'NumberLiteral' || /[eE]/.test(expr.text)) return null;
  const [whole = '', fraction = ''] = expr.text.split('.');
  const digits = (whole + fraction).replace(/^0+/, '');
  const scale = fraction.length;
  const precision = Math.max(digits.length, scale, 1);
  if (to.precision - to.scale < precision - scale || to.scale < scale) return null;
  return { expr: { kind: 'Cast', operand: expr, type: { kind: 'Decimal', precision: to.precision, scale: to.scale, loc: expr.loc }, loc: expr.loc }, type: to };
}

function missingKeyMessage(sinkName: string | null, kind: 'SOURCE' | 'GROUP' | 'PARTITION' | 'JOIN', missing: (readonly Expr[])[], query: Query, from: FromResult): string {
  const target = `Key missing from projection (ie, SELECT). See https://cnfl.io/2LV7ouS.\nThe query used to build \`${sinkName ?? 'OUTPUT'}\``;
  const list = (xs: string[]): string => (xs.length === 1 ? xs[0]! : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`);
  switch (kind) {
    case 'SOURCE': {
      // ksqlDB names every key column of the source, not only the missing ones
      void missing;
      const names = from.keyEquivalents.map((eqs) => (eqs[0]!.kind === 'ColumnRef' ? (eqs[0] as ColumnRef).name : formatExpr(eqs[0]!)));
      return `${target} must include the key column${names.length > 1 ? 's' : ''} ${list(names)} in its projection (eg, SELECT ${names.join(', ')}...).`;
    }
    case 'GROUP': {
      const exprs = missing.map((_, i) => i);
      void exprs;
      const names = (query.groupBy ?? []).filter((_, i) => missing.some((m) => m.some((e) => e.kind === 'ColumnRef' && (e as ColumnRef).name === `KSQL_GROUP_${i}`))).map(formatExpr);
      return `${target} must include the grouping expression${names.length > 1 ? 's' : ''} ${list(names)} in its projection (eg, SELECT ${names.join(', ')}...).`;
    }
    case 'PARTITION': {
      const names = missing.map((eqs) => formatExpr(eqs[0]!));
      return `${target} must include the partitioning expression${names.length > 1 ? 's' : ''} ${list(names)} in its projection (eg, SELECT ${names.join(', ')}...).`;
    }
    case 'JOIN': {
      if (from.fkLeft) {
        void target;
        const col = missing[0]![0]!;
        const name = col.kind === 'ColumnRef' ? col.name : formatExpr(col);
        return `Primary key column missing in projection. For foreign-key table-table joins, the projection must include all primary key columns from the left input table (\`${from.fkLeft}\`). Missing column: \`${name}\`.`;
      }
      const eqs = missing[0]!.map(formatExpr);
      const alts = eqs.length === 1 ? eqs[0]! : `${eqs.slice(0, -1).join(', ')} or ${eqs[eqs.length - 1]}`;
      const synthetic = eqs.length === 1 && eqs[0] === from.syntheticKey ? `\n${from.syntheticKey} was added as a synthetic key column because the join criteria did not match any source column.` : '';
      return `${target} must include the join expression${eqs.length > 1 ? 's' : ''} ${alts} in its projection (eg, SELECT ${eqs[0]}...).${synthetic}`;
    }
  }
}

/** An expression as ksqlDB prints it in messages: bare column names, or ALIAS_COLUMN in joins. */
function displayExpr(e: Expr, isJoin: boolean): string {
  return formatExpr(
    rewrite(e, (x) => (x.kind === 'ColumnRef' && x.source ? { ...x, source: null, name: isJoin ? `${x.source}_${x.name}` : x.name } : undefined)),
  );
}

/** Re-words a typing error as ksqlDB does for the clause it was found in (by its code, see analyzer/errors.ts). */
function inClause<T>(clause: Clause, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (!(e instanceof KsqlError)) throw e;
    if (e instanceof ColumnNotFoundError) {
      if (clause === 'SELECT' || clause === 'WHERE') throw new KsqlError(`${clause} column '${e.column}' cannot be resolved.`, e.loc, e.reason);
      throw e;
    }
    const worded = inClauseMessage(clause, e);
    if (worded !== null) throw new ClauseError(worded, clause, e);
    throw e;
  }
}

function resolveAggregateCall(c: FunctionCall, scope: ExprScope, ctx: PlanContext): AggregateImpl {
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

