import { KsqlError } from '../errors.js';
import { typeExpression } from '../expr/typer.js';
import type { ColumnRef, Expr } from '../sql/ast/expression.js';
import type { Query } from '../sql/ast/query.js';
import type { StepSchema } from '../topology/topology.js';
import type { SqlType } from '../types/sql-type.js';
import type { AnalysisState, KeyKind } from './analysis-state.js';
import { inClause } from './clause.js';
import { semanticError } from './errors.js';
import { exprEquals, formatExpr } from './expr-utils.js';
import { checkCopartitioned, checkJoinKeys, joinedName } from './from.js';
import type { AnalysisContext, ResolvedFrom, ResolvedProjection } from './resolved-query.js';
import { rowScope } from './scope.js';
import { columnNameCounts, naturalName } from './select-items.js';

/**
 * The projection (docs: SELECT (push query), "Key columns"): the select items
 * that are the key expressions become the result's key columns, named by the
 * item; the rest are value columns, named by alias, column or KSQL_COL_n.
 */
export function analyzeProjection(state: AnalysisState, query: Query, ctx: AnalysisContext): ResolvedProjection {
  const from = state.from;
  // Projection.
  const scope = rowScope(state.schema, state.pseudoQualifier);
  const keyCols: { name: string; type: SqlType }[] = [];
  const keyAliases: string[][] = state.keyEquivalents.map(() => []);
  /** the expression that became each key column; an equivalent but different expression stays a value */
  const keyExprOf: (Expr | null)[] = state.keyEquivalents.map(() => null);
  const valueCols: { name: string; expr: Expr; type: SqlType }[] = [];
  let generated = 0;
  const uniqueNames = columnNameCounts(from);
  const taken = new Set<string>([...state.selectItems.map((i) => i.alias).filter((a): a is string => a !== null)]);
  const sourceNames = new Set(from.sources.flatMap((s) => s.source.columns.map((c) => c.name)));
  const names = state.selectItems.map((item) => {
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
  state.keyEquivalents.forEach((eqs, ki) => {
    for (const eq of eqs) {
      const hit = state.selectItems.find((item) => exprEquals(eq, item.expr));
      if (hit) {
        keyExprOf[ki] = hit.expr;
        break;
      }
    }
  });
  state.selectItems.forEach((item, idx) => {
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
  state.keyEquivalents.forEach((eqs, i) => {
    const aliases = keyAliases[i]!;
    if (aliases.length > 1) {
      if (state.keyKind === 'GROUP') throw new KsqlError(`The projection contains a key column more than once: ${aliases.map((a) => `\`${a}\``).join(' and ')}.`, query.loc);
      throw new KsqlError(`The projection contains a key column (\`${from.isJoin ? joinedName(eqs[0]!) : aliases[0]}\`) more than once, aliased as: ${[...aliases].sort().join(' and ')}.`, query.loc);
    }
    keyCols.push({ name: aliases[0] ?? '', type: state.schema.key[i]!.type });
  });
  const missing = keyAliases.map((a, i) => (a.length === 0 ? i : -1)).filter((i) => i >= 0);
  if (missing.length > 0) {
    throw new KsqlError(missingKeyMessage(ctx.sinkName, state.keyKind, missing.map((i) => state.keyEquivalents[i]!), query, from), query.loc);
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
    window: state.window,
  };

  if (query.emit === 'FINAL' && !state.suppressed) throw new KsqlError('EMIT FINAL is only supported for windowed aggregations.', query.loc);
  checkJoinKeys(from.relation);
  checkCopartitioned(from, ctx);
  return { exprs: valueCols.map((v) => v.expr), schema: outSchema, transient: null };
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

function missingKeyMessage(sinkName: string | null, kind: KeyKind, missing: (readonly Expr[])[], query: Query, from: ResolvedFrom): string {
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
