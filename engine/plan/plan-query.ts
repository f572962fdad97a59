import { columnRefs, exprEquals, formatExpr, rewrite } from '../analyzer/expr-utils.js';
import { PSEUDO_TYPES, rowScope, type ExprScope } from '../analyzer/scope.js';
import type { Column, DataSource, WindowInfo } from '../catalog/data-source.js';
import { ClauseError, inClauseMessage, semanticError, type Clause } from '../analyzer/errors.js';
import { KsqlError } from '../errors.js';
import { ColumnNotFoundError, describeExpr, typeExpression } from '../expr/typer.js';
import type { AggregateImpl, FunctionRegistry } from '../functions/types.js';
import type { ColumnRef, Expr, FunctionCall } from '../sql/ast/expression.js';
import type { AliasedSource, Query, Relation, SelectItem } from '../sql/ast/query.js';
import type {
  AggregateStep,
  FilterStep,
  FlatMapStep,
  JoinStep,
  ProjectStep,
  RekeyStep,
  SchemaColumn,
  SourceStep,
  Step,
  StepSchema,
  SuppressStep,
  WindowSpec,
} from '../topology/topology.js';
import { stepInputs } from '../topology/topology.js';
import { containsMap, formatType, type SqlType } from '../types/sql-type.js';
import { formatTypeForMessage } from '../types/cast.js';

export interface PlanContext {
  readonly source: (name: string) => DataSource | undefined;
  readonly functions: FunctionRegistry;
  /** the sink's name, for messages ("The query used to build `X` ...") */
  readonly sinkName: string | null;
  /** e.g. "CREATE TABLE AS SELECT", for messages */
  readonly statementLabel?: string;
  /** a topic's partition count, when known: sources joined without a repartition must match */
  readonly partitions?: (topic: string) => number | undefined;
  /**
   * INSERT INTO: the type of the sink's value column of a name. A numeric
   * literal selected into a DECIMAL column is cast to it when it fits, as
   * ksqlDB's ImplicitlyCastResolver does (`INSERT INTO T SELECT 1 AS C ...`).
   */
  readonly sinkColumnType?: (name: string) => SqlType | undefined;
}

/** What a query produces, before it is bound to a sink. */
export interface PlannedQuery {
  readonly root: Step;
  readonly resultType: 'STREAM' | 'TABLE';
  readonly key: readonly SchemaColumn[];
  readonly value: readonly SchemaColumn[];
  readonly window: WindowInfo | null;
  readonly sources: readonly DataSource[];
  /** the sole input source when there is no join */
  readonly primary: DataSource;
}

const DEFAULT_GRACE_MS = 24 * 3600 * 1000;

interface FromResult {
  readonly step: Step;
  readonly sourceType: 'STREAM' | 'TABLE';
  readonly sources: readonly { alias: string; source: DataSource }[];
  /** expressions (qualified) that evaluate to the current key, per key column */
  readonly keyEquivalents: readonly (readonly Expr[])[];
  readonly pseudoQualifier: string | null;
  readonly isJoin: boolean;
  /** the left table of a foreign-key join (its primary key is the result's key) */
  readonly fkLeft: string | null;
  /** the synthetic key column of a join keyed by neither side's column (ROWKEY, or ROWKEY_n when a source has it) */
  readonly syntheticKey: string | null;
  /** joins that read both sides as partitioned (no repartition): left-most source of the left side, and the right source */
  readonly copartitioned: readonly (readonly [DataSource, DataSource])[];
}

/** Plans a SELECT into a dataflow. Errors are KsqlErrors worded as ksqlDB's. */
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

function checkReservedAliases(items: readonly { alias: string | null }[], isJoin: boolean): void {
  for (const i of items) {
    if (i.alias && ['ROWTIME', 'ROWPARTITION', 'ROWOFFSET', 'WINDOWSTART', 'WINDOWEND'].includes(i.alias)) {
      if (isJoin) throw new KsqlError(`Reserved column name in select: \`${i.alias}\`. Please remove or alias the column.`);
      throw new KsqlError(`\`${i.alias}\` is a reserved column name. You cannot use it as an alias for a column.`);
    }
  }
}

interface ExpandedItem {
  readonly expr: Expr;
  readonly alias: string | null;
  /** the item as written (before rewriting), for naming */
  readonly original: Expr;
}

function expandSelect(items: readonly SelectItem[], from: FromResult, scope: ExprScope, functions: FunctionRegistry, partitionBy: readonly Expr[] | null, windowed: boolean): ExpandedItem[] {
  const out: ExpandedItem[] = [];
  for (const item of items) {
    if (item.kind === 'SingleColumn') {
      if (!item.alias && item.expr.kind === 'ColumnRef' && !item.expr.source && isPseudo(item.expr.name) && item.expr.name !== 'ROWTIME') {
        // allowed; named as is
      }
      if (!item.alias && item.expr.kind === 'ColumnRef' && !item.expr.source && (['ROWTIME', 'ROWPARTITION', 'ROWOFFSET'].includes(item.expr.name) || (['WINDOWSTART', 'WINDOWEND'].includes(item.expr.name) && !windowed))) {
        throw new KsqlError(`Reserved column name in select: \`${item.expr.name}\`. Please remove or alias the column.`, item.loc);
      }
      out.push({ expr: item.expr, alias: item.alias, original: item.expr });
      continue;
    }
    if (item.kind === 'AllFields') {
      const t = typeExpression(item.expr, scope, functions);
      if (t.type.kind !== 'STRUCT') throw new KsqlError(`Cannot dereference * of a non-struct expression: ${formatExpr(item.expr)}`, item.loc);
      for (const f of t.type.fields) {
        const d: Expr = { kind: 'Dereference', base: item.expr, field: f.name, loc: item.loc };
        out.push({ expr: d, alias: null, original: d });
      }
      continue;
    }
    const wanted = item.source;
    if (wanted && !from.sources.some((s) => s.alias === wanted)) {
      throw new KsqlError(`'${wanted}' is not a valid stream/table name or alias.`, item.loc);
    }
    if (partitionBy && !from.isJoin) {
      // PARTITION BY moves the key: `*` reads the repartitioned row (new key, values, old key).
      const moved = partitionBy.filter((p) => p.kind !== 'NullLiteral');
      for (const p of moved) out.push({ expr: p, alias: null, original: p });
      const keys = new Set(from.step.schema.key.map((k) => k.name));
      const cols = scope.columns.filter((c) => c.qualifier !== null && !isPseudo(c.name));
      for (const c of [...cols.filter((x) => !keys.has(x.name)), ...cols.filter((x) => keys.has(x.name))]) {
        const ref: ColumnRef = { kind: 'ColumnRef', source: c.qualifier, name: c.name, loc: item.loc };
        if (moved.some((p) => exprEquals(qualifyRefs(p, scope), ref))) continue;
        out.push({ expr: ref, alias: null, original: ref });
      }
      continue;
    }
    if (!wanted && from.syntheticKey) {
      const ref: ColumnRef = { kind: 'ColumnRef', source: null, name: from.syntheticKey, loc: item.loc };
      out.push({ expr: ref, alias: null, original: ref });
    }
    for (const c of scope.columns) {
      if (c.qualifier === null || isPseudo(c.name)) continue;
      if (wanted && c.qualifier !== wanted) continue;
      const ref: ColumnRef = { kind: 'ColumnRef', source: c.qualifier, name: c.name, loc: item.loc };
      out.push({ expr: ref, alias: from.isJoin ? `${c.qualifier}_${c.name}` : null, original: ref });
    }
  }
  return out;
}

function isPseudo(name: string): boolean {
  return ['ROWTIME', 'ROWPARTITION', 'ROWOFFSET', 'WINDOWSTART', 'WINDOWEND'].includes(name);
}

/**
 * The name ksqlDB gives an unaliased select item, or null for a generated
 * KSQL_COL_n. In a join, a qualified column keeps its bare name when no other
 * source has a column of that name, and is named ALIAS_COLUMN otherwise.
 */
function naturalName(original: Expr, isJoin: boolean, nameCounts: ReadonlyMap<string, number>): string | null {
  if (original.kind === 'ColumnRef') {
    if (isJoin && original.source && (nameCounts.get(original.name) ?? 0) > 1) return `${original.source}_${original.name}`;
    return original.name;
  }
  if (original.kind === 'Dereference') return original.field;
  return null;
}

/** How many sources of the FROM clause have a column of each name. */
function columnNameCounts(from: FromResult): Map<string, number> {
  const counts = new Map<string, number>();
  for (const s of from.sources) {
    for (const c of new Set([...s.source.columns.map((x) => x.name), 'ROWTIME', 'ROWPARTITION', 'ROWOFFSET'])) counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  return counts;
}

/** Fills in the qualifier of every column reference that resolves in `scope` (lambda parameters excepted). */
export function qualifyRefs(e: Expr, scope: ExprScope, lambdaParams: ReadonlySet<string> = new Set()): Expr {
  return rewrite(e, (x) => {
    if (x.kind === 'Lambda') {
      const inner = new Set([...lambdaParams, ...x.params]);
      return { ...x, body: qualifyRefs(x.body, scope, inner) };
    }
    if (x.kind !== 'ColumnRef' || x.source || lambdaParams.has(x.name)) return x.kind === 'ColumnRef' ? x : undefined;
    const matches = scope.columns.filter((c) => c.name === x.name);
    if (matches.length >= 1 && matches[0]!.qualifier) {
      const quals = new Set(matches.map((m) => m.qualifier));
      if (quals.size === 1) return { ...x, source: matches[0]!.qualifier };
    }
    return x;
  });
}


function containsAgg(e: Expr, isAgg: (e: Expr) => boolean): boolean {
  return findFirst(e, isAgg) !== null;
}

function findFirst(e: Expr, pred: (e: Expr) => boolean): FunctionCall | null {
  let found: FunctionCall | null = null;
  rewrite(e, (x) => {
    if (found) return x;
    if (pred(x)) {
      found = x as FunctionCall;
      return x;
    }
    return undefined;
  });
  return found;
}

function toWindowSpec(w: NonNullable<Query['window']>): WindowSpec {
  switch (w.kind) {
    case 'Tumbling':
      return { kind: 'TUMBLING', sizeMs: w.size.ms, advanceMs: w.size.ms, graceMs: w.grace?.ms ?? null, retentionMs: w.retention?.ms ?? null };
    case 'Hopping':
      if (w.advance.ms > w.size.ms) {
        throw new KsqlError(`Window advance (${w.advance.ms}ms) must not exceed window size (${w.size.ms}ms)`, w.loc);
      }
      return { kind: 'HOPPING', sizeMs: w.size.ms, advanceMs: w.advance.ms, graceMs: w.grace?.ms ?? null, retentionMs: w.retention?.ms ?? null };
    case 'Session':
      return { kind: 'SESSION', sizeMs: w.gap.ms, advanceMs: 0, graceMs: w.grace?.ms ?? null, retentionMs: w.retention?.ms ?? null };
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

export function effectiveGrace(w: WindowSpec): number {
  return w.graceMs ?? DEFAULT_GRACE_MS;
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

function allCalls(e: Expr, pred: (e: Expr) => boolean): FunctionCall[] {
  const out: FunctionCall[] = [];
  rewrite(e, (x) => {
    if (pred(x)) {
      out.push(x as FunctionCall);
      return x;
    }
    return undefined;
  });
  return out;
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

// ---------------------------------------------------------------- FROM

/**
 * Step ids are structural, as ksqlDB's query contexts: a source alone is
 * KsqlTopic, the sides of a join KafkaTopic_Left and KafkaTopic_Right, and
 * a join on the left of another takes the prefix L_ (with its sources).
 */
function planFrom(rel: Relation, query: Query, ctx: PlanContext, sourceContext = 'KsqlTopic', joinPrefix = ''): FromResult {
  if (rel.kind === 'Source') return planSource(rel, ctx, sourceContext);
  return planJoin(rel, query, ctx, joinPrefix);
}

/**
 * ksqlDB analyses the criteria of every join before it plans any of them:
 * each side of the equality references exactly one source, not the same one,
 * and one side references the source being joined. What does not resolve
 * (unknown sources or columns, self joins) is left to planJoin's messages.
 */
function checkJoinCriteria(rel: Relation, ctx: PlanContext): { alias: string; scope: ExprScope }[] | null {
  if (rel.kind === 'Source') {
    const src = ctx.source(rel.name);
    if (!src) return null;
    const alias = rel.alias ?? rel.name;
    return [{ alias, scope: rowScope(sourceSchema(src, alias), alias) }];
  }
  const left = checkJoinCriteria(rel.left, ctx);
  const right = checkJoinCriteria(rel.right, ctx);
  if (!left || !right) return null;
  const all = [...left, ...right];
  if (new Set(all.map((s) => s.alias)).size !== all.length) return null;
  const on = rel.on;
  if (on.kind !== 'Comparison' || on.op !== '=') return all;
  // the sources an expression reads; null when a column does not resolve to exactly one
  const sourcesOf = (e: Expr): Set<string> | null => {
    const out = new Set<string>();
    for (const r of columnRefs(e)) {
      const has = (s: { alias: string; scope: ExprScope }): boolean => s.scope.columns.some((c) => c.name === r.name && c.qualifier === s.alias);
      const hits = all.filter((s) => (r.source === null || s.alias === r.source) && has(s));
      if (hits.length !== 1) return null;
      out.add(hits[0]!.alias);
    }
    return out;
  };
  const a = sourcesOf(on.left);
  const b = sourcesOf(on.right);
  if (!a || !b) return all;
  for (const [side, used] of [[on.left, a] as const, [on.right, b] as const]) {
    if (used.size !== 1) {
      throw new KsqlError(
        `Invalid comparison expression '${formatExpr(side)}' in join '${formatExpr(on)}'. Each side of the join comparision must contain references from exactly one source.`,
        on.loc,
      );
    }
  }
  const [sa] = a;
  const [sb] = b;
  if (sa === sb) throw new KsqlError(`Each side of the join must reference exactly one source and not the same source. Left side references \`${sa}\` and right references \`${sb}\``, on.loc);
  const joined = rel.right.alias ?? rel.right.name;
  if (sa !== joined && sb !== joined) {
    throw new KsqlError(
      `A join criteria is expected to reference the source (\`${joined}\`) in the FROM clause, instead the right source references \`${sb}\` and the left source references \`${sa}\``,
      on.loc,
    );
  }
  return all;
}

/** `context`: where the source sits in the query, as ksqlDB names it (KsqlTopic; KafkaTopic_Left / _Right in a join). */
export function sourceStep(src: DataSource, alias: string, context = 'KsqlTopic'): SourceStep {
  return {
    kind: 'Source',
    id: `${context}/Source`,
    sourceName: src.name,
    alias,
    sourceType: src.sourceType,
    topic: src.topic,
    keyFormat: src.keyFormat,
    valueFormat: src.valueFormat,
    columns: src.columns,
    timestamp: src.timestamp,
    materialize: src.sourceType === 'TABLE',
    schema: sourceSchema(src, alias),
  };
}

function sourceSchema(src: DataSource, alias: string): StepSchema {
  const keys = src.columns.filter((c) => c.namespace === 'KEY');
  const values = src.columns.filter((c) => c.namespace !== 'KEY');
  return {
    key: keys.map((c) => ({ name: c.name, qualifier: alias, type: c.type })),
    value: values.map((c: Column) => ({ name: c.name, qualifier: alias, type: c.type })),
    window: src.window,
  };
}

function planSource(rel: AliasedSource, ctx: PlanContext, context: string): FromResult {
  const src = ctx.source(rel.name);
  if (!src) throw new KsqlError(`${rel.name} does not exist.`, rel.loc, 'NotFound');
  const alias = rel.alias ?? rel.name;
  const step = sourceStep(src, alias, context);
  return {
    step,
    sourceType: src.sourceType,
    sources: [{ alias, source: src }],
    keyEquivalents: step.schema.key.map((k) => [{ kind: 'ColumnRef', source: alias, name: k.name, loc: rel.loc } satisfies ColumnRef]),
    pseudoQualifier: alias,
    isJoin: false,
    fkLeft: null,
    syntheticKey: null,
    copartitioned: [],
  };
}

/** `prefix`: "" for the last join of the query, "L_" for the join on its left, and so on (ksqlDB's contexts). */
function planJoin(rel: Extract<Relation, { kind: 'Join' }>, query: Query, ctx: PlanContext, prefix: string): FromResult {
  const left = planFrom(rel.left, query, ctx, `${prefix}KafkaTopic_Left`, `L_${prefix}`);
  const right = planSource(rel.right, ctx, `${prefix}KafkaTopic_Right`);
  const rightName = right.sources[0]!.source.name;
  if (left.sources.some((s) => s.source.name === rightName)) {
    if (left.isJoin) throw new KsqlError(`N-way joins do not support multiple occurrences of the same source. Source: '${rightName}'`, rel.loc);
    throw new KsqlError(`Can not join '${rightName}' to '${rightName}': self joins are not yet supported.`, rel.loc);
  }
  const leftScope = rowScope(left.step.schema, left.pseudoQualifier);
  const rightScope = rowScope(right.step.schema, right.pseudoQualifier);
  const known = new Set([...left.sources, ...right.sources].map((s) => s.alias));
  for (const r of columnRefs(rel.on)) {
    if (r.source && !known.has(r.source)) throw new KsqlError(`Failed to prepare statement: '${r.source}' is not a valid stream/table name or alias.`, r.loc);
  }
  // Every column of the criteria must resolve in exactly one place.
  const both = [...leftScope.columns, ...rightScope.columns];
  for (const r of columnRefs(rel.on)) {
    const hits = both.filter((c) => c.name === r.name && (r.source ? c.qualifier === r.source : c.qualifier !== null));
    if (hits.length === 0) throw new KsqlError(`JOIN ON column '${r.source ? `${r.source}.` : ''}${r.name}' cannot be resolved.`, r.loc);
    if (!r.source && new Set(hits.map((h) => h.qualifier)).size > 1) {
      const alts = hits.map((h) => `${h.qualifier}.${r.name}`);
      throw new KsqlError(
        `Exception while preparing statement: Line: ${r.loc.line}, Col: ${r.loc.column}: Column '${r.name}' is ambiguous. Could be ${alts.slice(0, -1).join(', ')} or ${alts[alts.length - 1]}.`,
        r.loc,
      );
    }
  }
  if (rel.on.kind === 'Logical') {
    throw new KsqlError(`Invalid join condition: joins on multiple conditions are not yet supported. Got ${formatExpr(rel.on)}.`, rel.on.loc);
  }
  if (rel.on.kind !== 'Comparison' || rel.on.op !== '=') {
    throw new KsqlError(`Unsupported join expression: ${formatExpr(rel.on)}. Only equality (=) join criteria are supported.`, rel.on.loc);
  }
  const a = rel.on.left;
  const b = rel.on.right;
  const side = (e: Expr): 'L' | 'R' | null => {
    const refs = columnRefs(e);
    if (refs.length === 0) return null;
    const inL = refs.every((r) => resolves(r, leftScope, left));
    const inR = refs.every((r) => resolves(r, rightScope, right));
    if (inL && !inR) return 'L';
    if (inR && !inL) return 'R';
    if (inL && inR) return refs.some((r) => r.source && left.sources.some((s) => s.alias === r.source)) ? 'L' : 'R';
    return null;
  };
  const sa = side(a);
  const sb = side(b);
  if (!sa || !sb || sa === sb) {
    const bad = !sa ? a : !sb ? b : a;
    throw new KsqlError(
      `Invalid comparison expression '${formatExpr(bad)}' in join '${formatExpr(rel.on).replace(/^\((.*)\)$/, '($1)')}'. Each side of the join comparision must contain references from exactly one source.`,
      rel.on.loc,
    );
  }
  const leftKey = qualifyRefs(sa === 'L' ? a : b, leftScope);
  const rightKey = qualifyRefs(sa === 'L' ? b : a, rightScope);
  const lt = typeExpression(leftKey, leftScope, ctx.functions).type;
  const rt = typeExpression(rightKey, rightScope, ctx.functions).type;
  if (formatType(lt) !== formatType(rt)) {
    throw new KsqlError(
      `Invalid join condition: types don't match. Got ${formatExpr(leftKey)}{${formatType(lt)}} = ${formatExpr(rightKey)}{${formatType(rt)}}.`,
      rel.on.loc,
    );
  }
  const rightSrc = right.sources[0]!;
  const rightIsKey = right.step.schema.key.length === 1 && rightKey.kind === 'ColumnRef' && rightKey.name === right.step.schema.key[0]!.name;
  const leftIsKey = left.keyEquivalents.length === 1 && left.keyEquivalents[0]!.some((k) => exprEquals(k, leftKey));
  let variant: JoinStep['variant'];
  if (left.sourceType === 'STREAM' && right.sourceType === 'STREAM') {
    if (!rel.within) throw new KsqlError('Stream-Stream joins must have a WITHIN clause specified. None was provided. To learn about how to specify a WITHIN clause with a stream-stream join, please visit: https://docs.confluent.io/current/ksql/docs/syntax-reference.html#create-stream-as-select', rel.loc);
    variant = 'STREAM_STREAM';
  } else if (left.sourceType === 'STREAM' && right.sourceType === 'TABLE') {
    if (rel.within) throw new KsqlError('A window definition was provided for a Stream-Table join. These joins are not windowed. Please drop the window definition (ie. the WITHIN clause) and try to execute your join again.', rel.loc);
    if (!rightIsKey) {
      throw new KsqlError(
        `Invalid join condition: stream-table joins require to join on the table's primary key. Got ${formatExpr(sa === 'L' ? leftKey : rightKey)} = ${formatExpr(sa === 'L' ? rightKey : leftKey)}.`,
        rel.on.loc,
      );
    }
    if (rel.type === 'FULL' || rel.type === 'RIGHT') {
      throw new KsqlError(`Invalid join type: ${rel.type === 'FULL' ? 'full-outer' : 'right'} join not supported for stream-table join. Got ${left.sources[0]!.source.name} ${joinTypeText(rel.type)} JOIN ${rightSrc.source.name}.`, rel.loc);
    }
    variant = 'STREAM_TABLE';
  } else if (left.sourceType === 'TABLE' && right.sourceType === 'TABLE') {
    if (rel.within) throw new KsqlError('A window definition was provided for a Table-Table join. These joins are not windowed. Please drop the window definition (i.e. the WITHIN clause) and try to execute your Table-Table join again.', rel.loc);
    if (!rightIsKey) {
      throw new KsqlError(
        `Invalid join condition: table-table joins require to join on the primary key of the right input table. Got ${formatExpr(sa === 'L' ? leftKey : rightKey)} = ${formatExpr(sa === 'L' ? rightKey : leftKey)}.`,
        rel.on.loc,
      );
    }
    if (leftIsKey) variant = 'TABLE_TABLE';
    else {
      if (left.step.schema.window || right.step.schema.window) throw new KsqlError('Foreign-key table-table joins are not supported on windowed tables.', rel.loc);
      if (left.isJoin) {
        throw new KsqlError(`Invalid join condition: foreign-key table-table joins are not supported as part of n-way joins. Got ${formatExpr(sa === 'L' ? leftKey : rightKey)} = ${formatExpr(sa === 'L' ? rightKey : leftKey)}.`, rel.on.loc);
      }
      if (rel.type === 'RIGHT') throw new KsqlError('RIGHT OUTER JOIN on a foreign key is not supported', rel.loc);
      if (rel.type !== 'INNER' && rel.type !== 'LEFT') {
        throw new KsqlError(`Invalid join type: full-outer join not supported for foreign-key table-table join. Got ${left.sources[0]!.source.name} ${joinTypeText(rel.type)} JOIN ${rightSrc.source.name}.`, rel.loc);
      }
      variant = 'FK_TABLE_TABLE';
    }
  } else {
    throw new KsqlError(`Invalid join order: table-stream joins are not supported; only stream-table joins. Got ${left.sources[0]!.source.name} ${joinTypeText(rel.type)} JOIN ${rightSrc.source.name}.`, rel.loc);
  }
  if (left.step.schema.window || right.step.schema.window) {
    const lw = left.step.schema.window;
    const rw = right.step.schema.window;
    if (!lw || !rw) {
      const desc = (n: string, w: WindowInfo | null): string => `\`${n}\` is ${w ? `${w.kind} windowed` : 'not windowed'}`;
      throw new KsqlError(`Can not join windowed source to non-windowed source.\n${desc(left.sources[0]!.source.name, lw)}\n${desc(rightSrc.source.name, rw)}`, rel.loc);
    }
    if ((lw.kind === 'SESSION') !== (rw.kind === 'SESSION')) {
      throw new KsqlError(
        `Incompatible windowed sources.\nLeft source: ${lw.kind}\nRight source: ${rw.kind}\nSession windowed sources can only be joined to other session windowed sources, and may still not result in expected behaviour as session bounds must be an exact match for the join to work\nHopping and tumbling windowed sources can only be joined to other hopping and tumbling windowed sources`,
        rel.loc,
      );
    }
    const keyJoin = leftIsKey && rightIsKey;
    if (!keyJoin || lw.sizeMs !== rw.sizeMs) {
      throw new KsqlError('Implicit repartitioning of windowed sources is not supported. See https://github.com/confluentinc/ksql/issues/4385.', rel.loc);
    }
  }
  for (const s of [...left.sources, rightSrc]) {
    if (s.source.valueFormat.format === 'KAFKA' || s.source.valueFormat.format === 'NONE') {
      const kafka = [...left.sources, rightSrc].filter((x) => x.source.valueFormat.format === s.source.valueFormat.format).map((x) => x.source.name);
      throw new KsqlError(`Source(s) ${kafka.join(', ')} are using the '${s.source.valueFormat.format}' value format. This format does not yet support JOIN.`, rel.loc);
    }
  }
  // Each source contributes its key, value and pseudo columns (L.ROWTIME stays reachable after the join).
  const withPseudo = (f: FromResult): SchemaColumn[] => [
    ...f.step.schema.key,
    ...f.step.schema.value,
    ...PSEUDO_TYPES.filter((p) => !p.windowOnly || f.step.schema.window).map((p) => ({ name: p.name, qualifier: f.pseudoQualifier, type: p.type })),
  ];
  const leftCols = left.isJoin ? left.step.schema.value : withPseudo(left);
  const rightCols = withPseudo(right);
  // FULL joins, and joins on expressions of neither side's columns, key their result by a synthetic ROWKEY.
  const synthetic = variant !== 'FK_TABLE_TABLE' && (rel.type === 'FULL' || (leftKey.kind !== 'ColumnRef' && rightKey.kind !== 'ColumnRef'));
  const keyName = synthetic ? syntheticKeyName([...leftCols, ...rightCols]) : 'KSQL_JOIN_KEY';

  const step: JoinStep = {
    kind: 'Join',
    id: `${prefix}Join`,
    joinType: rel.type,
    variant,
    left: left.step,
    right: right.step,
    leftKey,
    rightKey,
    within: rel.within ? { beforeMs: rel.within.before.ms, afterMs: rel.within.after.ms, graceMs: rel.within.grace?.ms ?? null } : null,
    schema: {
      // a foreign-key join keeps the left table's primary key
      key: variant === 'FK_TABLE_TABLE' ? left.step.schema.key.map((k) => ({ ...k, qualifier: null, name: `KSQL_JOIN_KEY_${k.name}` })) : [{ name: keyName, qualifier: null, type: lt }],
      value: [...leftCols, ...rightCols],
      window: left.step.schema.window,
    },
  };
  let keyEquivalents: Expr[];
  if (variant === 'FK_TABLE_TABLE') {
    return {
      step,
      sourceType: 'TABLE',
      sources: [...left.sources, ...right.sources],
      keyEquivalents: left.keyEquivalents,
      pseudoQualifier: null,
      isJoin: true,
      fkLeft: left.sources[0]!.source.name,
      syntheticKey: null,
      copartitioned: left.copartitioned,
    };
  } else {
    const prev = leftIsKey ? left.keyEquivalents[0]! : [];
    // earlier joins' key columns keep their preference, then this join's left and right columns
    keyEquivalents = dedupe([...prev, leftKey, rightKey]).filter((e) => e.kind === 'ColumnRef');
    if (synthetic) keyEquivalents = [{ kind: 'ColumnRef', source: null, name: keyName, loc: rel.loc } satisfies ColumnRef];
  }
  return {
    step,
    sourceType: variant === 'STREAM_STREAM' || variant === 'STREAM_TABLE' ? 'STREAM' : 'TABLE',
    sources: [...left.sources, ...right.sources],
    keyEquivalents: [keyEquivalents],
    pseudoQualifier: null,
    isJoin: true,
    fkLeft: null,
    syntheticKey: synthetic ? keyName : null,
    // a stream side joined on something else than its key is repartitioned (to the other side's partition count)
    copartitioned:
      (left.sourceType === 'TABLE' || leftIsKey) && (right.sourceType === 'TABLE' || rightIsKey)
        ? [...left.copartitioned, [left.sources[0]!.source, rightSrc.source] as const]
        : left.copartitioned,
  };
}

/** Physical planning's check, after every other: sides joined without a repartition have as many partitions. */
function checkCopartitioned(from: FromResult, ctx: PlanContext): void {
  if (!ctx.partitions) return;
  for (const [l, r] of from.copartitioned) {
    const lp = ctx.partitions(l.topic);
    const rp = ctx.partitions(r.topic);
    if (lp === undefined || rp === undefined || lp === rp) continue;
    throw new KsqlError(
      `Can't join \`${l.name}\` with \`${r.name}\` since the number of partitions don't match. \`${l.name}\` partitions = ${lp}; \`${r.name}\` partitions = ${rp}. Please repartition either one so that the number of partitions match.`,
      null,
    );
  }
}

/** A column as ksqlDB names it in a join's schema: prefixed by its source (L.ID is L_ID). */
function joinedName(e: Expr): string {
  return e.kind === 'ColumnRef' && e.source ? `${e.source}_${e.name}` : formatExpr(e);
}

/** ksqlDB refuses keys that are or contain maps (their serialized form is not stable). */
export function mapKeyMessage(name: string, type: SqlType): string {
  return `Map keys, including types that contain maps, are not supported as they may lead to unexpected behavior due to inconsistent serialization. Key column name: \`${name}\`. Column type: ${formatTypeForMessage(type)}. See https://github.com/confluentinc/ksql/issues/6621 for more.`;
}

/** A stream joined on a map (or what contains one) would be repartitioned by it: refused, naming the joined column. */
function checkJoinKeys(step: Step): void {
  for (const input of stepInputs(step)) checkJoinKeys(input);
  if (step.kind === 'Join' && step.variant !== 'FK_TABLE_TABLE' && containsMap(step.schema.key[0]!.type)) {
    throw new KsqlError(mapKeyMessage(joinedName(step.leftKey), step.schema.key[0]!.type), null);
  }
}

/** ROWKEY, or ROWKEY_n with the smallest n no column of the joined sources is named (as ksqlDB generates it). */
function syntheticKeyName(columns: readonly SchemaColumn[]): string {
  const used = new Set(columns.map((c) => c.name));
  if (!used.has('ROWKEY')) return 'ROWKEY';
  let n = 1;
  while (used.has(`ROWKEY_${n}`)) n++;
  return `ROWKEY_${n}`;
}

function dedupe(xs: Expr[]): Expr[] {
  const out: Expr[] = [];
  for (const x of xs) if (!out.some((o) => exprEquals(o, x))) out.push(x);
  return out;
}

function resolves(r: ColumnRef, scope: ExprScope, from: FromResult): boolean {
  if (r.source) return from.sources.some((s) => s.alias === r.source) && scope.columns.some((c) => c.name === r.name && c.qualifier === r.source);
  return scope.columns.some((c) => c.name === r.name && c.qualifier !== null);
}

/** ksqlDB's JoinType text in messages: `[INNER]`, `LEFT [OUTER]`, `RIGHT [OUTER]`, `[FULL] OUTER`. */
function joinTypeText(t: 'INNER' | 'LEFT' | 'RIGHT' | 'FULL'): string {
  switch (t) {
    case 'INNER':
      return '[INNER]';
    case 'LEFT':
      return 'LEFT [OUTER]';
    case 'RIGHT':
      return 'RIGHT [OUTER]';
    case 'FULL':
      return '[FULL] OUTER';
  }
}
