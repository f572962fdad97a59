import { columnRefs, exprEquals, formatExpr, rewrite, walk } from '../analyzer/expr-utils.js';
import { rowScope } from '../analyzer/scope.js';
import type { DataSource } from '../catalog/data-source.js';
import type { BrokerRecord, ProduceRecord } from '../driver/broker.js';
import { inClause } from '../analyzer/clause.js';
import { ClauseError } from '../analyzer/errors.js';
import { KsqlError } from '../errors.js';
import { typeExpression } from '../expr/typer.js';
import type { FunctionRegistry } from '../functions/types.js';
import { qualifyRefs } from '../analyzer/qualify.js';
import { checkPullBetween, checkPullLimitEnabled, checkPullQueriesEnabled, checkPushWhere, checkSourcesExist, relationSources, windowedJoinAliases } from '../analyzer/pull-rules.js';
import { headersLast } from '../analyzer/select-items.js';
import { planQuery } from '../plan/plan-query.js';
import { buildTopology } from '../runtime/build.js';
import { pseudoQualifierOf } from '../runtime/compile-step-expr.js';
import type { RuntimeContext } from '../runtime/context.js';
import { keyString } from '../runtime/key-string.js';
import { MemoryProcessingLog, type ProcessingLogger } from '../runtime/processing-log.js';
import { InMemoryStore, InMemoryStoreFactory } from '../runtime/store.js';
import type { SchemaRegistry } from '../serde/types.js';
import type { ColumnRef, Expr, FunctionCall } from '../sql/ast/expression.js';
import type { Query, SelectItem } from '../sql/ast/query.js';
import type { QueryStatement } from '../sql/ast/statement.js';
import type { Rec } from '../runtime/record.js';
import { makeKeySerde } from '../runtime/operators/source-sink.js';
import type { AggregateStep, ProjectStep, Step } from '../topology/topology.js';
import type { SqlType } from '../types/sql-type.js';

/**
 * Transient queries: a bare SELECT. A pull query (no EMIT) computes its result
 * from the source topic replayed from the beginning and completes; a push query
 * (EMIT CHANGES / FINAL) streams rows from a chosen start position until it is
 * closed or reaches its LIMIT. Both run the same dataflow as persistent
 * queries, minus the sink: rows come out of the root's `emit`.
 */

/** What transient queries need from an engine: its catalog, functions and a way to read topics. */
export interface TransientDeps {
  readonly source: (name: string) => DataSource | undefined;
  readonly functions: FunctionRegistry;
  readonly registry: SchemaRegistry;
  /** engine properties */
  readonly properties: Readonly<Record<string, string>>;
  /** every record of a topic so far, in the order they were produced */
  readonly readTopic: (topic: string) => readonly BrokerRecord[];
  /** live records of a topic from now on; returns an unsubscribe function */
  readonly subscribeTopic: (topic: string, handler: (r: BrokerRecord) => void) => () => void;
  readonly log?: ProcessingLogger;
}

/** One column of a transient query's result. `key` marks columns ksqlDB labels `KEY` in pull-query schemas. */
export interface TransientColumn {
  readonly name: string;
  readonly type: SqlType;
  readonly key: boolean;
}

export interface TransientPlan {
  readonly root: Step;
  readonly columns: readonly TransientColumn[];
  /** per output column: the key column (index) or window bound it copies (for tombstones), else null */
  readonly keyIndex: readonly (number | 'WINDOWSTART' | 'WINDOWEND' | null)[];
  readonly source: DataSource;
  readonly resultType: 'STREAM' | 'TABLE';
  readonly limit: number | null;
}

export interface PullResult {
  readonly queryId: string;
  readonly columns: readonly TransientColumn[];
  readonly rows: readonly (readonly unknown[])[];
  /** "Query Completed" / "Limit Reached" for pull queries over streams; null for tables */
  readonly finalMessage: string | null;
  readonly sourceType: 'STREAM' | 'TABLE';
}

export interface PushRow {
  readonly columns: readonly unknown[];
  readonly tombstone: boolean;
}

export interface PushQueryOptions {
  /** replay the topic from the beginning (auto.offset.reset=earliest) */
  readonly earliest: boolean;
  readonly queryId?: string;
  /** called once before the first row, with the result's columns */
  readonly onStart?: (queryId: string, columns: readonly TransientColumn[]) => void;
  /** called once when the query stops by itself (LIMIT reached), with ksqlDB's final message */
  readonly onComplete?: (finalMessage: string) => void;
  /** scalable push queries skip records with a null key */
  readonly dropNullKeys?: boolean;
}

export interface PushQueryHandle {
  readonly queryId: string;
  readonly columns: readonly TransientColumn[];
  readonly plan: TransientPlan;
  close(): void;
  readonly closed: boolean;
}

const PULL_DISALLOWED = ['ROWPARTITION', 'ROWOFFSET'];
const MORE_INFO = 'See https://cnfl.io/queries for more info.';
const PUSH_HINT = `${MORE_INFO}\nAdd EMIT CHANGES if you intended to issue a push query.`;

let transientCounter = 0;

export function isPullQuery(q: Query): boolean {
  return q.emit === null;
}

/** Merged engine + request properties. */
function propsOf(deps: TransientDeps, overrides: Readonly<Record<string, string>>): Record<string, string> {
  return { ...deps.properties, ...overrides };
}

function propTrue(props: Readonly<Record<string, string>>, name: string, dflt: boolean): boolean {
  const v = props[name];
  if (v === undefined) return dflt;
  return String(v).toLowerCase() === 'true';
}

// --------------------------------------------------------------------------------------- planning

/**
 * Plans a transient query. The planner's projection rules are those of
 * persistent queries (key columns must be projected, ROWTIME must be aliased,
 * ...); transient queries have none of them, so the upstream part (FROM, WHERE,
 * GROUP BY, HAVING, table functions) is planned through `planQuery` with a
 * synthetic projection, and the user's projection is built here over it.
 */
export function planTransient(query: Query, deps: TransientDeps, mode: 'pull' | 'push'): TransientPlan {
  const isAgg = (e: Expr): e is FunctionCall => e.kind === 'FunctionCall' && deps.functions.get(e.name)?.kind === 'aggregate';
  const isTableFn = (e: Expr): e is FunctionCall => e.kind === 'FunctionCall' && deps.functions.get(e.name)?.kind === 'table';
  const loc = query.loc;
  const col = (source: string | null, name: string): ColumnRef => ({ kind: 'ColumnRef', source, name, loc });
  const single = (expr: Expr, alias: string): SelectItem => ({ kind: 'SingleColumn', expr, alias, loc });
  const itemExprs = query.select.flatMap((i) => (i.kind === 'SingleColumn' ? [i.expr] : i.kind === 'AllFields' ? [i.expr] : []));
  const allExprs = [...itemExprs, ...(query.having ? [query.having] : [])];
  const hasAgg = allExprs.some((e) => containsMatch(e, isAgg));

  // The synthetic projection.
  const primaryName = firstSourceName(query.from);
  const primary = deps.source(primaryName);
  if (!primary) throw new KsqlError(`${primaryName} does not exist.`, loc, 'NotFound');
  let groupBy = query.groupBy;
  if (hasAgg && !groupBy) groupBy = [{ kind: 'NumberLiteral', text: '1', loc }];
  const synth: SelectItem[] = [];
  if (groupBy) {
    groupBy.forEach((g, i) => synth.push(single(g, `KSQL_TK_${i}`)));
    const aggs: FunctionCall[] = [];
    for (const e of allExprs) for (const c of collect(e, isAgg)) if (!aggs.some((a) => exprEquals(a, c))) aggs.push(c);
    aggs.forEach((a, i) => synth.push(single(a, `KSQL_TA_${i}`)));
  } else {
    if (query.partitionBy) {
      const isNullKey = query.partitionBy.length === 1 && query.partitionBy[0]!.kind === 'NullLiteral';
      if (!isNullKey) query.partitionBy.forEach((p, i) => synth.push(single(p, `KSQL_TK_${i}`)));
    } else if (query.from.kind === 'Join') {
      const on = query.from.on;
      if (on.kind === 'Comparison') synth.push(single(on.left, 'KSQL_TK_0'));
    } else {
      const alias = query.from.alias ?? query.from.name;
      primary.columns.filter((c) => c.namespace === 'KEY').forEach((c, i) => synth.push(single(col(alias, c.name), `KSQL_TK_${i}`)));
    }
    synth.push(single({ kind: 'NumberLiteral', text: '1', loc }, 'KSQL_TV'));
    let n = 0;
    for (const e of itemExprs) for (const c of collect(e, isTableFn)) synth.push(single(c, `KSQL_TF_${n++}`));
  }
  const inner: Query = { ...query, select: synth, groupBy, emit: query.emit === 'FINAL' ? 'FINAL' : 'CHANGES', limit: null };
  const planned = planQuery(inner, { source: deps.source, functions: deps.functions, sinkName: null });
  const project = findProject(planned.root);
  const input = project.input;
  const inScope = rowScope(input.schema, pseudoQualifierOf(input));

  // Expand and rewrite the user's projection over the planned input.
  const aggStep = groupBy ? findAggregate(input) : null;
  const aggInput = aggStep ? aggStep.input : input;
  const fromScope = rowScope(aggInput.schema, pseudoQualifierOf(aggInput));
  const isJoin = query.from.kind === 'Join';
  const windowed = (primary.window !== null || (aggStep?.window ?? null) !== null) && input.schema.window !== null;
  const items: { expr: Expr; name: string | null; isKey: boolean; keyIndex: number | null }[] = [];
  const keyNames = new Set(primary.columns.filter((c) => c.namespace === 'KEY').map((c) => c.name));
  for (const item of query.select) {
    if (item.kind === 'SingleColumn') {
      const e = item.expr;
      const name = item.alias ?? naturalName(e, isJoin);
      const isKey = primary.sourceType === 'TABLE' && !isJoin && !groupBy && e.kind === 'ColumnRef' && (keyNames.has(e.name) || (windowed && (e.name === 'WINDOWSTART' || e.name === 'WINDOWEND')));
      items.push({ expr: e, name, isKey, keyIndex: null });
      continue;
    }
    if (item.kind === 'AllFields') {
      const t = typeExpression(qualifyRefs(item.expr, fromScope), fromScope, deps.functions);
      if (t.type.kind !== 'STRUCT') throw new KsqlError(`Cannot dereference * of a non-struct expression: ${formatExpr(item.expr)}`, item.loc);
      for (const f of t.type.fields) items.push({ expr: { kind: 'Dereference', base: item.expr, field: f.name, loc: item.loc }, name: f.name, isKey: false, keyIndex: null });
      continue;
    }
    if (item.source && !fromScope.columns.some((c) => c.qualifier === item.source)) {
      throw new KsqlError(`'${item.source}' is not a valid stream/table name or alias.`, item.loc);
    }
    let keysDone = false;
    const joinBounds = new Set(windowedJoinAliases(query.from, deps.source));
    const relation = relationSources(query.from, deps.source);
    for (const c of headersLast(fromScope.columns, relation)) {
      if (c.qualifier === null || isPseudo(c.name)) continue;
      if (item.source && c.qualifier !== item.source) continue;
      const isKeyCol = !isJoin && keyNames.has(c.name) && primary.columns.some((k) => k.name === c.name && k.namespace === 'KEY');
      if (isJoin && joinBounds.has(c.qualifier) && !relation.sources.find((s) => s.alias === c.qualifier)?.source.columns.some((k) => k.namespace === 'KEY' && k.name === c.name)) {
        // a windowed join source's bounds come after its key columns
        joinBounds.delete(c.qualifier);
        for (const w of ['WINDOWSTART', 'WINDOWEND']) items.push({ expr: col(c.qualifier, w), name: `${c.qualifier}_${w}`, isKey: false, keyIndex: null });
      }
      if (!isKeyCol && !keysDone && windowed && !isJoin) {
        keysDone = true;
        for (const w of ['WINDOWSTART', 'WINDOWEND']) items.push({ expr: col(c.qualifier, w), name: w, isKey: primary.sourceType === 'TABLE', keyIndex: null });
      }
      items.push({ expr: col(c.qualifier, c.name), name: isJoin ? `${c.qualifier}_${c.name}` : c.name, isKey: primary.sourceType === 'TABLE' && !isJoin && !groupBy && isKeyCol, keyIndex: null });
    }
    if (!keysDone && windowed && !isJoin) {
      const q = fromScope.columns.find((c) => c.qualifier !== null)?.qualifier ?? null;
      for (const w of ['WINDOWSTART', 'WINDOWEND']) items.push({ expr: col(q, w), name: w, isKey: primary.sourceType === 'TABLE', keyIndex: null });
    }
  }
  if (mode === 'pull') checkPullColumns(items.map((i) => i.expr), 'SELECT');

  // Rewrite into the input's scope.
  let tfIndex = 0;
  const exprs = items.map((item) => {
    let e = qualifyRefs(item.expr, fromScope);
    if (groupBy && aggStep) {
      const groups = aggStep.groupBy;
      e = rewrite(e, (x) => {
        const gi = groups.findIndex((g) => exprEquals(g, x));
        if (gi >= 0) return col(null, aggStep.schema.key[gi]!.name);
        if (isAgg(x)) {
          const ai = aggStep.aggregates.findIndex((a) => a.name === x.name && a.args.length === x.args.length && a.args.every((arg, i) => exprEquals(arg, x.args[i]!)));
          if (ai >= 0) return col(null, aggStep.schema.value[ai]!.name);
        }
        if (x.kind === 'ColumnRef' && (x.name === 'WINDOWSTART' || x.name === 'WINDOWEND')) return { ...x, source: null };
        return undefined;
      });
      const allowed = new Set([...aggStep.schema.key.map((k) => k.name), ...aggStep.schema.value.map((v) => v.name), 'WINDOWSTART', 'WINDOWEND']);
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
    const typed = inClause('SELECT', () => typeExpression(e, inScope, deps.functions));
    columns.push({ name, type: typed.type, key: item.isKey });
    const ki = e.kind === 'ColumnRef' ? input.schema.key.findIndex((k) => k.name === (e as ColumnRef).name && (k.qualifier === (e as ColumnRef).source || (e as ColumnRef).source === null)) : -1;
    const bound = e.kind === 'ColumnRef' && (e.name === 'WINDOWSTART' || e.name === 'WINDOWEND') ? e.name : null;
    keyIndex.push(ki >= 0 ? ki : bound);
  });
  const projectStep: ProjectStep = {
    kind: 'Project',
    id: project.id,
    input,
    exprs,
    schema: { key: input.schema.key, value: columns.map((c) => ({ name: c.name, qualifier: null, type: c.type })), window: input.schema.window },
  };
  return { root: projectStep, columns, keyIndex, source: primary, resultType: planned.resultType, limit: query.limit };
}

// --------------------------------------------------------------------------------------- pull queries

/** Checks a pull query against what ksqlDB allows, with its messages. */
export function validatePull(query: Query, deps: TransientDeps, props: Readonly<Record<string, string>>): DataSource {
  checkPullQueriesEnabled(props, query);
  checkSourcesExist(query.from, deps.source);
  if (query.from.kind === 'Join') throw new KsqlError(`Pull queries don't support JOIN clauses. ${PUSH_HINT}`, query.from.loc);
  if (query.window) throw new KsqlError(`Pull queries don't support WINDOW clauses. ${PUSH_HINT}`, query.window.loc);
  if (query.groupBy) throw new KsqlError(`Pull queries don't support GROUP BY clauses. ${PUSH_HINT}`, query.loc);
  if (query.partitionBy) throw new KsqlError(`Pull queries don't support PARTITION BY clauses. ${PUSH_HINT}`, query.loc);
  if (query.having) throw new KsqlError(`Pull queries don't support HAVING clauses. ${PUSH_HINT}`, query.loc);
  if (query.limit !== null && query.limit < 0) throw new KsqlError(`Pull queries don't support negative integers in the LIMIT clause. ${MORE_INFO}`, query.loc);
  checkPullLimitEnabled(props, query);
  const source = deps.source(query.from.name);
  if (!source) throw new KsqlError(`${query.from.name} does not exist.`, query.from.loc, 'NotFound');
  checkPullColumns(query.select.flatMap((i) => (i.kind === 'SingleColumn' || i.kind === 'AllFields' ? [i.expr] : [])), 'SELECT');
  if (query.where) checkPullColumns([query.where], 'WHERE');
  if (source.sourceType === 'STREAM') {
    if (!propTrue(props, 'ksql.query.pull.stream.enabled', true)) {
      throw new KsqlError(`Pull queries on streams are disabled. To create a push query on the stream, add EMIT CHANGES to the end. For more information, see https://cnfl.io/queries.`, query.loc);
    }
    return source;
  }
  if (!source.isSink && !source.isSource) {
    throw new KsqlError(
      `The \`${source.name}\` table isn't queryable. To derive a queryable table, you can do 'CREATE TABLE QUERYABLE_${source.name} AS SELECT * FROM ${source.name}'. ${MORE_INFO}`,
      query.from.loc,
    );
  }
  if (query.where && !source.window) {
    walk(query.where, (x) => {
      if (x.kind === 'ColumnRef' && (x.name === 'WINDOWSTART' || x.name === 'WINDOWEND')) throw new KsqlError(`WHERE column '${x.name}' cannot be resolved`, x.loc);
    });
  }
  checkPullBetween(query, source, deps.functions);
  checkKeyLiterals(query, source);
  checkLike(query, source);
  checkKeyAccess(query, source, props);
  return source;
}

function checkPullColumns(exprs: readonly Expr[], clause: 'SELECT' | 'WHERE'): void {
  const bad: string[] = [];
  for (const e of exprs) {
    walk(e, (x) => {
      if (x.kind === 'ColumnRef' && PULL_DISALLOWED.includes(x.name) && !bad.includes(x.name)) bad.push(x.name);
    });
  }
  if (bad.length > 0) throw new KsqlError(`Pull queries don't support the following columns in ${clause} clauses: ${bad.map((b) => `\`${b}\``).join(', ')}`);
}

/** Literal key values in IN lists must convert to the key's type; NULL keys are refused. */
function checkKeyLiterals(query: Query, source: DataSource): void {
  if (!query.where) return;
  const keys = source.columns.filter((c) => c.namespace === 'KEY');
  walk(query.where, (x) => {
    if (x.kind !== 'InList' || x.operand.kind !== 'ColumnRef') return;
    const key = keys.find((k) => k.name === (x.operand as ColumnRef).name);
    if (!key) return;
    for (const item of x.list) {
      if (item.kind === 'NullLiteral') throw new KsqlError(`Primary key columns can not be NULL: (${key.name} = null)`, item.loc);
      const numeric = ['INTEGER', 'BIGINT', 'DOUBLE', 'DECIMAL'].includes(key.type.kind);
      if (numeric && item.kind === 'StringLiteral' && !/^\s*-?\d+(\.\d+)?\s*$/.test(item.value)) {
        throw new KsqlError(`${formatExpr(item)} can not be converted to the type of the key column: ${key.name} ${key.type.kind} KEY`, item.loc);
      }
      if (numeric && item.kind === 'StringLiteral') {
        throw new KsqlError(`${formatExpr(item)} can not be converted to the type of the key column: ${key.name} ${key.type.kind} KEY`, item.loc);
      }
    }
  });
}

/** LIKE over a table scan needs a STRING column. */
function checkLike(query: Query, source: DataSource): void {
  if (!query.where) return;
  walk(query.where, (x) => {
    if (x.kind !== 'Like' || x.operand.kind !== 'ColumnRef') return;
    const c = source.columns.find((k) => k.name === (x.operand as ColumnRef).name);
    if (c && c.type.kind !== 'STRING') throw new KsqlError(`The column type for Like condition must be VARCHAR. The column type is ${c.type.kind}`, x.loc);
  });
}

/**
 * With table scans disabled, a pull query over a table must look keys up: every
 * disjunct of the WHERE clause must pin every key column with `=` or `IN`
 * (or a range on a STRING key when range scans are enabled).
 */
function checkKeyAccess(query: Query, source: DataSource, props: Readonly<Record<string, string>>): void {
  const tableScan = propTrue(props, 'ksql.query.pull.table.scan.enabled', true);
  if (tableScan) return;
  const rangeScan = propTrue(props, 'ksql.query.pull.range.scan.enabled', true);
  const needScan = (): never => {
    throw new KsqlError('Query requires table scan to be enabled. Table scans can be enabled by setting ksql.query.pull.table.scan.enabled=true', query.loc);
  };
  if (!query.where) needScan();
  const keys = source.columns.filter((c) => c.namespace === 'KEY');
  const keyNames = new Set(keys.map((k) => k.name));
  const isKeyRef = (e: Expr): e is ColumnRef => e.kind === 'ColumnRef' && keyNames.has(e.name);
  const hasKeyRef = (e: Expr): boolean => columnRefs(e).some((r) => keyNames.has(r.name));
  const hasRefs = (e: Expr): boolean => columnRefs(e).length > 0;
  for (const disjunct of splitOn(query.where!, 'OR')) {
    const conjuncts = splitOn(disjunct, 'AND');
    const pinned = new Map<string, number>();
    let ranged = false;
    for (const c of conjuncts) {
      if (c.kind === 'Like') throw new KsqlError('Like condition must be between strings', c.loc);
      if (!hasKeyRef(c)) continue;
      if (c.kind === 'Comparison') {
        const [k, other] = isKeyRef(c.left) ? [c.left, c.right] : isKeyRef(c.right) ? [c.right, c.left] : [null, null];
        if (!k) {
          if (hasKeyRef(c.left) && hasKeyRef(c.right)) throw new KsqlError('A comparison must be between a key column and a resolvable expression.', c.loc);
          throw new KsqlError('A comparison must directly reference a key column.', c.loc);
        }
        if (hasRefs(other!)) throw new KsqlError('A comparison must be between a key column and a resolvable expression.', c.loc);
        if (pinned.has(k.name)) throw new KsqlError('A comparison condition on the key column cannot be combined with other comparisons such as an IN predicate', c.loc);
        pinned.set(k.name, 1);
        if (c.op !== '=') {
          const keyType = keys.find((x) => x.name === k.name)!.type;
          if (!rangeScan || keyType.kind !== 'STRING') needScan();
          ranged = true;
        }
        continue;
      }
      if (c.kind === 'InList' && isKeyRef(c.operand)) {
        if (pinned.has(c.operand.name)) throw new KsqlError('A comparison condition on the key column cannot be combined with other comparisons such as an IN predicate', c.loc);
        pinned.set(c.operand.name, 1);
        continue;
      }
      needScan();
    }
    if (pinned.size === 0) throw new KsqlError(`WHERE clause missing key column for disjunct: ${formatExpr(disjunct)}`, disjunct.loc);
    if (pinned.size < keys.length) throw new KsqlError('Multi-column sources must specify every key in the WHERE clause.', disjunct.loc);
    if (ranged && (keys.length > 1 || source.window)) needScan();
  }
}

function splitOn(e: Expr, op: 'AND' | 'OR'): Expr[] {
  if (e.kind === 'Logical' && e.op === op) return [...splitOn(e.left, op), ...splitOn(e.right, op)];
  return [e];
}

/** Runs a pull query to completion over the topic replayed from its beginning. */
export function runPullQuery(deps: TransientDeps, st: QueryStatement | Query, overrides: Readonly<Record<string, string>> = {}): PullResult {
  const query = 'kind' in st ? st.query : st;
  if (!isPullQuery(query)) throw new KsqlError('Not a pull query: add no EMIT clause.', query.loc);
  const props = propsOf(deps, overrides);
  const source = validatePull(query, deps, props);
  let plan: TransientPlan;
  try {
    plan = planTransient({ ...query, where: query.where ? pullWhere(query.where, source) : null }, deps, 'pull');
  } catch (e) {
    throw wrapWhereError(e, query);
  }
  const queryId = nextPullQueryId();
  const limit = query.limit;
  if (source.sourceType === 'TABLE') {
    const table = tablePull(plan, deps, queryId, props);
    return { ...table.run(deps.readTopic(source.topic), limit), queryId };
  }
  const rows: unknown[][] = [];
  // Subscribe every source first, then replay: a join sees both sides' topics in produce order.
  const replay: (() => void)[] = [];
  const ctx = transientContext(deps, queryId, props, (topic, handler) => {
    const existing = [...deps.readTopic(topic)];
    replay.push(() => existing.forEach(handler));
  });
  buildTopology(plan.root, ctx, (rec) => {
    if (rec.value !== null) rows.push([...rec.value]);
  });
  for (const r of replay) r();
  if (limit !== null && rows.length >= limit) return { queryId, columns: plan.columns, rows: rows.slice(0, limit), finalMessage: 'Limit Reached', sourceType: 'STREAM' };
  return { queryId, columns: plan.columns, rows, finalMessage: 'Query Completed', sourceType: 'STREAM' };
}

function nextPullQueryId(): string {
  return `query_${Date.now()}${transientCounter++}`;
}

/**
 * A pull query over a table planned and built once, run over the rows read
 * for each request (see exec/pull-cache.ts): no parsing, analysis, planning
 * or expression compiling per request. Its plan has no WHERE clause: it is
 * prepared only for requests whose WHERE selects exactly the keys read
 * (`isExactKeyLookup`), so the rows read are the rows that match.
 */
export interface PreparedTablePull {
  readonly source: DataSource;
  readonly columns: readonly TransientColumn[];
  /** the rows of the table records given (the latest row per key), in scan order, up to the LIMIT */
  run(records: readonly BrokerRecord[], limit: number | null): PullResult;
}

/**
 * Prepares a pull query over a table for exact key lookups (see
 * PreparedTablePull): `query` with its WHERE clause left out, already
 * validated with it. Throws what planning throws.
 */
export function prepareTablePull(deps: TransientDeps, query: Query, overrides: Readonly<Record<string, string>> = {}): PreparedTablePull {
  const props = propsOf(deps, overrides);
  const source = validatePull({ ...query, where: null, limit: null }, deps, { ...props, 'ksql.query.pull.table.scan.enabled': 'true' });
  if (source.sourceType !== 'TABLE') throw new Error(`prepareTablePull: ${source.name} is not a table`);
  const plan = planTransient({ ...query, where: null }, deps, 'pull');
  const table = tablePull(plan, deps, `query_prepared_${transientCounter++}`, props);
  // a dataflow with stores other than key-value ones cannot be emptied between runs
  if (!table.reusable) throw new Error(`prepareTablePull: the dataflow of ${source.name} keeps state it cannot empty`);
  return { source, columns: plan.columns, run: (records, limit) => ({ ...table.run(records, limit), queryId: nextPullQueryId() }) };
}

/**
 * The dataflow of a pull query over a table, built once: each run feeds it
 * a table's records and keeps the latest row per key. The source's table
 * store is emptied after each run (a run sees only its own records).
 */
function tablePull(plan: TransientPlan, deps: TransientDeps, queryId: string, props: Readonly<Record<string, string>>): { readonly reusable: boolean; run(records: readonly BrokerRecord[], limit: number | null): PullResult } {
  const handlers: ((r: BrokerRecord) => void)[] = [];
  const stores = new InMemoryStoreFactory();
  const ctx = transientContext(deps, queryId, props, (_topic, handler) => void handlers.push(handler), stores);
  let table = new Map<string, { row: unknown[]; partition: number; key: readonly unknown[]; window: Rec['window'] }>();
  buildTopology(plan.root, ctx, (rec) => {
    const k = keyString(rec.key) + (rec.window ? `@${rec.window.start}/${rec.window.end}` : '');
    if (rec.value === null) table.delete(k);
    else table.set(k, { row: [...rec.value], partition: rec.partition, key: rec.key, window: rec.window });
  });
  const order = scanOrder(ctx, plan.source);
  const kv = [...stores.stores.values()].filter((s) => s instanceof InMemoryStore);
  const reusable = kv.length === stores.stores.size;
  const empty = (): void => {
    for (const s of kv) for (const [k] of [...s.entries()]) s.delete(k);
  };
  return {
    reusable,
    run(records, limit) {
      table = new Map();
      try {
        for (const r of records) for (const h of handlers) h(r);
      } finally {
        empty();
      }
      const all = order([...table.values()]);
      table = new Map();
      return { queryId, columns: plan.columns, rows: limit !== null ? all.slice(0, limit) : all, finalMessage: null, sourceType: 'TABLE' };
    },
  };
}

/**
 * A table scan reads the store partition by partition, each in key-bytes
 * order: the rows come out in that order.
 */
function scanOrder(ctx: RuntimeContext, source: DataSource): (entries: { row: unknown[]; partition: number; key: readonly unknown[]; window: Rec['window'] }[]) => unknown[][] {
  let serde: ReturnType<typeof makeKeySerde> | null = null;
  try {
    const keyCols = source.columns.filter((c) => c.namespace === 'KEY');
    serde = makeKeySerde(ctx, source.topic, source.keyFormat, keyCols, source.window);
  } catch {
    serde = null;
  }
  return (entries) => {
    if (serde === null || entries.length < 2) return entries.map((e) => e.row);
    const s = serde;
    try {
      const keyed = entries.map((e) => ({ ...e, bytes: s.serialize(e.key, e.window) ?? Buffer.alloc(0) }));
      keyed.sort((a, b) => a.partition - b.partition || Buffer.compare(a.bytes, b.bytes));
      return keyed.map((e) => e.row);
    } catch {
      return entries.map((e) => e.row);
    }
  };
}

/**
 * Pull queries accept window bounds as datetime text (`WINDOWSTART >=
 * '2020-02-23T22:45'`) and refuse comparisons with NULL, as ksqlDB does.
 */
function pullWhere(where: Expr, source: DataSource): Expr {
  const isBound = (e: Expr): boolean => e.kind === 'ColumnRef' && (e.name === 'WINDOWSTART' || e.name === 'WINDOWEND');
  const toMillis = (e: Expr): Expr => {
    if (e.kind !== 'StringLiteral') return e;
    const ms = parseDatetime(e.value);
    if (ms === null) throw new KsqlError(`Failed to parse timestamp '${e.value}'`, e.loc);
    return ms < 0 ? { kind: 'Negate', operand: { kind: 'NumberLiteral', text: String(-ms), loc: e.loc }, loc: e.loc } : { kind: 'NumberLiteral', text: String(ms), loc: e.loc };
  };
  return rewrite(where, (x) => {
    if (x.kind === 'Comparison') {
      const [col, other] = x.left.kind === 'ColumnRef' ? [x.left, x.right] : [x.right, x.left];
      if (other.kind === 'NullLiteral' && col.kind === 'ColumnRef') {
        const c = source.columns.find((k) => k.name === col.name);
        const type = c ? c.type.kind : 'BIGINT';
        throw new KsqlError(`Error in WHERE expression: Comparison with NULL not supported: ${type} ${x.op} NULL\nUse 'IS NULL' or 'IS NOT NULL' instead.\nStatement: ${formatExpr(where)}`, x.loc);
      }
      if (isBound(x.left) || isBound(x.right)) return { ...x, left: isBound(x.left) ? x.left : toMillis(x.left), right: isBound(x.right) ? x.right : toMillis(x.right) };
      return undefined;
    }
    if (x.kind === 'Between' && isBound(x.operand)) return { ...x, low: toMillis(x.low), high: toMillis(x.high) };
    return undefined;
  });
}

/** ISO-8601 datetime text, possibly partial (`2020-02-23`, `2020-02-23T22:45`, `...T24`), with an optional offset; UTC by default. */
export function parseDatetime(text: string): number | null {
  const m = /^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?(?:T(\d{2})(?::?(\d{2}))?(?::?(\d{2}))?(?:\.(\d{1,9}))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/.exec(text.trim());
  if (!m) return null;
  const n = (i: number, d: number): number => (m[i] === undefined ? d : Number(m[i]));
  const ms = m[7] === undefined ? 0 : Number(m[7].padEnd(3, '0').slice(0, 3));
  let t = Date.UTC(n(1, 1970), n(2, 1) - 1, n(3, 1), n(4, 0), n(5, 0), n(6, 0), ms);
  const tz = m[8];
  if (tz && tz !== 'Z') {
    const sign = tz.startsWith('-') ? -1 : 1;
    const digits = tz.slice(1).replace(':', '');
    const off = (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0')) * 60000;
    t -= sign * off;
  }
  return t;
}

/** ksqlDB reports type errors of a pull query's WHERE with the clause that failed. */
function wrapWhereError(e: unknown, query: Query): unknown {
  if (!(e instanceof KsqlError) || !query.where) return e;
  const inner = e instanceof ClauseError && e.clause === 'WHERE' ? e.inner : e;
  if (inner.code === 'ComparisonTypes') {
    const bare = inner.message;
    const alias = query.from.kind === 'Source' ? query.from.alias ?? query.from.name : null;
    const message = alias ? bare.split(`${alias}.`).join('') : bare;
    return new KsqlError(`Error in WHERE expression: ${message}\nStatement: ${formatExpr(query.where)}`, e.loc, e.reason);
  }
  return e;
}

// --------------------------------------------------------------------------------------- push queries

/** Starts a push query; rows are delivered to `onRow` synchronously as records are produced. */
export function startPushQuery(deps: TransientDeps, st: QueryStatement | Query, onRow: (row: PushRow) => void, opts: PushQueryOptions, overrides: Readonly<Record<string, string>> = {}): PushQueryHandle {
  const query = 'kind' in st ? st.query : st;
  const props = propsOf(deps, overrides);
  checkPushWhere(query, deps.source, deps.functions);
  const plan = planTransient(query, deps, 'push');
  const queryId = opts.queryId ?? `transient_${plan.source.name}_${Date.now()}${transientCounter++}`;
  const unsubscribe: (() => void)[] = [];
  const replay: (() => void)[] = [];
  let closed = false;
  let count = 0;
  const limit = query.limit;
  const close = (): void => {
    if (closed) return;
    closed = true;
    for (const u of unsubscribe.splice(0)) u();
  };
  const handle: PushQueryHandle = {
    queryId,
    columns: plan.columns,
    plan,
    close,
    get closed() {
      return closed;
    },
  };
  const finish = (msg: string): void => {
    close();
    opts.onComplete?.(msg);
  };
  const ctx = transientContext(deps, queryId, props, (topic, handler) => {
    const guarded = (r: BrokerRecord): void => {
      if (!closed) handler(r);
    };
    if (opts.earliest) {
      const existing = [...deps.readTopic(topic)];
      replay.push(() => existing.forEach(guarded));
    }
    unsubscribe.push(deps.subscribeTopic(topic, guarded));
  });
  const aggregated = findAggregate(plan.root) !== null;
  const shown = new Set<string>();
  const rowKey = (rec: Rec): string => keyString(rec.key) + (rec.window ? `@${rec.window.start}/${rec.window.end}` : '');
  buildTopology(plan.root, ctx, (rec) => {
    if (closed) return;
    if (limit !== null && count >= limit) return;
    if (opts.dropNullKeys && rec.key.length > 0 && rec.key.every((k) => k === null)) return;
    if (rec.value === null) {
      if (plan.resultType !== 'TABLE') return;
      // a retraction of nothing (e.g. a HAVING that never matched) is not shown
      if (rec.old === null) return;
      if (aggregated && !shown.has(rowKey(rec))) return;
      shown.delete(rowKey(rec));
      const cols = plan.keyIndex.map((ki) => {
        if (ki === null) return null;
        if (ki === 'WINDOWSTART') return rec.window ? BigInt(rec.window.start) : null;
        if (ki === 'WINDOWEND') return rec.window ? BigInt(rec.window.end) : null;
        return rec.key[ki] ?? null;
      });
      onRow({ columns: cols, tombstone: true });
    } else {
      if (aggregated) shown.add(rowKey(rec));
      onRow({ columns: [...rec.value], tombstone: false });
    }
    count++;
    if (limit !== null && count >= limit) finish('Limit Reached');
  });
  opts.onStart?.(queryId, plan.columns);
  if (limit !== null && limit <= 0) {
    finish('Limit Reached');
    return handle;
  }
  for (const r of replay) r();
  return handle;
}

function transientContext(deps: TransientDeps, queryId: string, props: Readonly<Record<string, string>>, subscribe: RuntimeContext['subscribe'], stores: InMemoryStoreFactory = new InMemoryStoreFactory()): RuntimeContext {
  return {
    queryId,
    functions: deps.functions,
    registry: deps.registry,
    log: deps.log ?? new MemoryProcessingLog(),
    stores,
    properties: props,
    subscribe,
    produce: (_topic: string, _rec: ProduceRecord) => {
      throw new Error('transient queries do not produce');
    },
  };
}

// --------------------------------------------------------------------------------------- helpers

function firstSourceName(rel: Query['from']): string {
  return rel.kind === 'Source' ? rel.name : firstSourceName(rel.left);
}

function findProject(step: Step): ProjectStep {
  if (step.kind === 'Project') return step;
  throw new Error(`transient plan: unexpected root ${step.kind}`);
}

function findAggregate(step: Step): AggregateStep | null {
  switch (step.kind) {
    case 'Aggregate':
      return step;
    case 'Filter':
    case 'Suppress':
    case 'Project':
    case 'FlatMap':
    case 'Rekey':
    case 'Sink':
      return findAggregate(step.input);
    default:
      return null;
  }
}

function collect(e: Expr, pred: (x: Expr) => x is FunctionCall): FunctionCall[] {
  const out: FunctionCall[] = [];
  rewrite(e, (x) => {
    if (pred(x)) {
      out.push(x);
      return x;
    }
    return undefined;
  });
  return out;
}

function containsMatch(e: Expr, pred: (x: Expr) => boolean): boolean {
  let found = false;
  walk(e, (x) => {
    if (found) return false;
    if (pred(x)) found = true;
    return !found;
  });
  return found;
}


function isPseudo(name: string): boolean {
  return ['ROWTIME', 'ROWPARTITION', 'ROWOFFSET', 'WINDOWSTART', 'WINDOWEND'].includes(name);
}

function naturalName(e: Expr, isJoin: boolean): string | null {
  if (e.kind === 'ColumnRef') return isJoin && e.source ? `${e.source}_${e.name}` : e.name;
  if (e.kind === 'Dereference') return e.field;
  return null;
}
