import type { WindowInfo } from '../catalog/data-source.js';
import { KsqlError } from '../errors.js';
import { typeExpression } from '../expr/typer.js';
import type { ColumnRef, Expr } from '../sql/ast/expression.js';
import type { AliasedSource, Relation } from '../sql/ast/query.js';
import type { SchemaColumn } from '../topology/topology.js';
import { formatTypeForMessage } from '../types/cast.js';
import { containsMap, formatType, type SqlType } from '../types/sql-type.js';
import { semanticError } from './errors.js';
import { columnRefs, exprEquals, formatExpr } from './expr-utils.js';
import { qualifyRefs } from './qualify.js';
import type { AnalysisContext, ResolvedFrom, ResolvedJoin, ResolvedJoinVariant, ResolvedRelation, ResolvedSource } from './resolved-query.js';
import { PSEUDO_TYPES, rowScope, sourceSchema, type ExprScope } from './scope.js';

/**
 * The FROM clause analysed (docs: SELECT (push query), FROM, JOIN): one
 * source, or a tree of joins, with what the clauses after it need to know
 * of its rows and key.
 */
export function analyzeFrom(rel: Relation, ctx: AnalysisContext): ResolvedFrom {
  if (rel.kind === 'Source') return analyzeSource(rel, ctx);
  return analyzeJoin(rel, ctx);
}

function analyzeSource(rel: AliasedSource, ctx: AnalysisContext): ResolvedFrom {
  const src = ctx.source(rel.name);
  if (!src) throw new KsqlError(`${rel.name} does not exist.`, rel.loc, 'NotFound');
  const alias = rel.alias ?? rel.name;
  const relation: ResolvedSource = { kind: 'Source', source: src, alias, schema: sourceSchema(src, alias) };
  return {
    relation,
    schema: relation.schema,
    sourceType: src.sourceType,
    sources: [{ alias, source: src }],
    keyEquivalents: relation.schema.key.map((k) => [{ kind: 'ColumnRef', source: alias, name: k.name, loc: rel.loc } satisfies ColumnRef]),
    pseudoQualifier: alias,
    isJoin: false,
    fkLeft: null,
    syntheticKey: null,
    copartitioned: [],
  };
}

/** A join: its left side (a source or a join), its right source, the criteria and the join's variant. */
function analyzeJoin(rel: Extract<Relation, { kind: 'Join' }>, ctx: AnalysisContext): ResolvedFrom {
  const left = analyzeFrom(rel.left, ctx);
  const right = analyzeSource(rel.right, ctx);
  const rightName = right.sources[0]!.source.name;
  if (left.sources.some((s) => s.source.name === rightName)) {
    if (left.isJoin) throw new KsqlError(`N-way joins do not support multiple occurrences of the same source. Source: '${rightName}'`, rel.loc);
    throw new KsqlError(`Can not join '${rightName}' to '${rightName}': self joins are not yet supported.`, rel.loc);
  }
  const leftScope = rowScope(left.schema, left.pseudoQualifier);
  const rightScope = rowScope(right.schema, right.pseudoQualifier);
  const known = new Set([...left.sources, ...right.sources].map((s) => s.alias));
  for (const r of columnRefs(rel.on)) {
    if (r.source && !known.has(r.source)) throw new KsqlError(`Failed to prepare statement: '${r.source}' is not a valid stream/table name or alias.`, r.loc);
  }
  // Every column of the criteria must resolve in exactly one place.
  const both = [...leftScope.columns, ...rightScope.columns];
  for (const r of columnRefs(rel.on)) {
    const hits = both.filter((c) => c.name === r.name && (r.source ? c.qualifier === r.source : c.qualifier !== null));
    if (hits.length === 0) throw semanticError('UnknownColumn', { clause: 'JOIN ON', column: `${r.source ? `${r.source}.` : ''}${r.name}` }, r.loc);
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
  const rightIsKey = right.schema.key.length === 1 && rightKey.kind === 'ColumnRef' && rightKey.name === right.schema.key[0]!.name;
  const leftIsKey = left.keyEquivalents.length === 1 && left.keyEquivalents[0]!.some((k) => exprEquals(k, leftKey));
  let variant: ResolvedJoinVariant;
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
      if (left.schema.window || right.schema.window) throw new KsqlError('Foreign-key table-table joins are not supported on windowed tables.', rel.loc);
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
  if (left.schema.window || right.schema.window) {
    const lw = left.schema.window;
    const rw = right.schema.window;
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
  const withPseudo = (f: ResolvedFrom): SchemaColumn[] => [
    ...f.schema.key,
    ...f.schema.value,
    ...PSEUDO_TYPES.filter((p) => !p.windowOnly || f.schema.window).map((p) => ({ name: p.name, qualifier: f.pseudoQualifier, type: p.type })),
  ];
  const leftCols = left.isJoin ? left.schema.value : withPseudo(left);
  const rightCols = withPseudo(right);
  // FULL joins, and joins on expressions of neither side's columns, key their result by a synthetic ROWKEY.
  const synthetic = variant !== 'FK_TABLE_TABLE' && (rel.type === 'FULL' || (leftKey.kind !== 'ColumnRef' && rightKey.kind !== 'ColumnRef'));
  const keyName = synthetic ? syntheticKeyName([...leftCols, ...rightCols]) : 'KSQL_JOIN_KEY';

  const relation: ResolvedJoin = {
    kind: 'Join',
    joinType: rel.type,
    variant,
    left: left.relation,
    right: right.relation as ResolvedSource,
    leftKey,
    rightKey,
    within: rel.within ? { beforeMs: rel.within.before.ms, afterMs: rel.within.after.ms, graceMs: rel.within.grace?.ms ?? null } : null,
    schema: {
      // a foreign-key join keeps the left table's primary key
      key: variant === 'FK_TABLE_TABLE' ? left.schema.key.map((k) => ({ ...k, qualifier: null, name: `KSQL_JOIN_KEY_${k.name}` })) : [{ name: keyName, qualifier: null, type: lt }],
      value: [...leftCols, ...rightCols],
      window: left.schema.window,
    },
  };
  let keyEquivalents: Expr[];
  if (variant === 'FK_TABLE_TABLE') {
    return {
      relation,
      schema: relation.schema,
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
    relation,
    schema: relation.schema,
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
export function checkCopartitioned(from: ResolvedFrom, ctx: AnalysisContext): void {
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
export function joinedName(e: Expr): string {
  return e.kind === 'ColumnRef' && e.source ? `${e.source}_${e.name}` : formatExpr(e);
}

/** ksqlDB refuses keys that are or contain maps (their serialized form is not stable). */
export function mapKeyMessage(name: string, type: SqlType): string {
  return `Map keys, including types that contain maps, are not supported as they may lead to unexpected behavior due to inconsistent serialization. Key column name: \`${name}\`. Column type: ${formatTypeForMessage(type)}. See https://github.com/confluentinc/ksql/issues/6621 for more.`;
}

/** A stream joined on a map (or what contains one) would be repartitioned by it: refused, naming the joined column. */
export function checkJoinKeys(rel: ResolvedRelation): void {
  if (rel.kind !== 'Join') return;
  checkJoinKeys(rel.left);
  if (rel.variant !== 'FK_TABLE_TABLE' && containsMap(rel.schema.key[0]!.type)) {
    throw new KsqlError(mapKeyMessage(joinedName(rel.leftKey), rel.schema.key[0]!.type), null);
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

function resolves(r: ColumnRef, scope: ExprScope, from: ResolvedFrom): boolean {
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
