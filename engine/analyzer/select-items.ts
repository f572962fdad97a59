import type { DataSource } from '../catalog/data-source.js';
import { KsqlError } from '../errors.js';
import { typeExpression } from '../expr/typer.js';
import type { FunctionRegistry } from '../functions/types.js';
import type { ColumnRef, Expr } from '../sql/ast/expression.js';
import type { SelectItem } from '../sql/ast/query.js';
import type { StepSchema } from '../topology/topology.js';
import { exprEquals, formatExpr } from './expr-utils.js';
import { qualifyRefs } from './qualify.js';
import type { ExprScope } from './scope.js';

/** What the select list needs to know of the FROM clause. */
export interface SelectSources {
  /** the FROM clause's rows */
  readonly schema: StepSchema;
  readonly sources: readonly { readonly alias: string; readonly source: DataSource }[];
  readonly isJoin: boolean;
  /** the synthetic key column of a join keyed by neither side's column */
  readonly syntheticKey: string | null;
}

export function checkReservedAliases(items: readonly { alias: string | null }[], isJoin: boolean): void {
  for (const i of items) {
    if (i.alias && ['ROWTIME', 'ROWPARTITION', 'ROWOFFSET', 'WINDOWSTART', 'WINDOWEND'].includes(i.alias)) {
      if (isJoin) throw new KsqlError(`Reserved column name in select: \`${i.alias}\`. Please remove or alias the column.`);
      throw new KsqlError(`\`${i.alias}\` is a reserved column name. You cannot use it as an alias for a column.`);
    }
  }
}

export interface ExpandedItem {
  readonly expr: Expr;
  readonly alias: string | null;
  /** the item as written (before rewriting), for naming */
  readonly original: Expr;
}

/** The select list with `*` and `ALIAS.*` and `STRUCT->*` expanded, as ksqlDB expands them. */
export function expandSelect(items: readonly SelectItem[], from: SelectSources, scope: ExprScope, functions: FunctionRegistry, partitionBy: readonly Expr[] | null, windowed: boolean): ExpandedItem[] {
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
      const keys = new Set(from.schema.key.map((k) => k.name));
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
    const bounded = new Set<string>();
    for (const c of headersLast(scope.columns, from)) {
      if (c.qualifier === null || isPseudo(c.name)) continue;
      if (wanted && c.qualifier !== wanted) continue;
      if (from.isJoin && !bounded.has(c.qualifier) && !isKeyOf(from, c.qualifier, c.name)) {
        // a windowed source of a join brings its window bounds, after its key columns
        bounded.add(c.qualifier);
        out.push(...windowBounds(from, c.qualifier, item.loc));
      }
      const ref: ColumnRef = { kind: 'ColumnRef', source: c.qualifier, name: c.name, loc: item.loc };
      out.push({ expr: ref, alias: from.isJoin ? `${c.qualifier}_${c.name}` : null, original: ref });
    }
  }
  return out;
}

/**
 * A source's columns as ksqlDB's `*` lists them: its header columns
 * (HEADERS, HEADER('k')) after its value columns, whatever the order they
 * were declared in (ksqlDB's schema groups columns by namespace).
 */
export function headersLast<C extends { readonly qualifier: string | null; readonly name: string }>(columns: readonly C[], from: Pick<SelectSources, 'sources'>): C[] {
  const isHeader = (c: C): boolean =>
    c.qualifier !== null && (from.sources.find((s) => s.alias === c.qualifier)?.source.columns.some((x) => x.name === c.name && x.namespace === 'HEADERS') ?? false);
  const out: C[] = [];
  const held: C[] = [];
  columns.forEach((c, i) => {
    if (isHeader(c)) held.push(c);
    else out.push(c);
    // a source's headers go right after its last column
    const next = columns[i + 1];
    if (held.length > 0 && (next === undefined || next.qualifier !== c.qualifier)) out.push(...held.splice(0));
  });
  return out;
}

/** Whether `name` is a key column of the join source read as `alias`. */
function isKeyOf(from: SelectSources, alias: string, name: string): boolean {
  const src = from.sources.find((s) => s.alias === alias)?.source;
  return src !== undefined && src.columns.some((c) => c.namespace === 'KEY' && c.name === name);
}

/** `ALIAS.WINDOWSTART AS ALIAS_WINDOWSTART, ALIAS.WINDOWEND AS ...` for a windowed join source read as `alias`, as ksqlDB's `*` gives them. */
function windowBounds(from: SelectSources, alias: string, loc: SelectItem['loc']): ExpandedItem[] {
  const src = from.sources.find((s) => s.alias === alias)?.source;
  if (src === undefined || src.window === null) return [];
  return (['WINDOWSTART', 'WINDOWEND'] as const).map((name) => {
    const ref: ColumnRef = { kind: 'ColumnRef', source: alias, name, loc };
    return { expr: ref, alias: `${alias}_${name}`, original: ref };
  });
}

function isPseudo(name: string): boolean {
  return ['ROWTIME', 'ROWPARTITION', 'ROWOFFSET', 'WINDOWSTART', 'WINDOWEND'].includes(name);
}

/**
 * The name ksqlDB gives an unaliased select item, or null for a generated
 * KSQL_COL_n. In a join, a qualified column keeps its bare name when no other
 * source has a column of that name, and is named ALIAS_COLUMN otherwise.
 */
export function naturalName(original: Expr, isJoin: boolean, nameCounts: ReadonlyMap<string, number>): string | null {
  if (original.kind === 'ColumnRef') {
    if (isJoin && original.source && (nameCounts.get(original.name) ?? 0) > 1) return `${original.source}_${original.name}`;
    return original.name;
  }
  if (original.kind === 'Dereference') return original.field;
  return null;
}

/** How many sources of the FROM clause have a column of each name. */
export function columnNameCounts(from: Pick<SelectSources, 'sources'>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const s of from.sources) {
    for (const c of new Set([...s.source.columns.map((x) => x.name), 'ROWTIME', 'ROWPARTITION', 'ROWOFFSET'])) counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  return counts;
}
