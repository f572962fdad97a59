import { pullWhere, validatePull, wrapWhereError } from '../analyzer/pull-query.js';
import { checkPushWhere } from '../analyzer/pull-rules.js';
import type { TransientColumn } from '../analyzer/resolved-query.js';
import { analyzeTransientQuery } from '../analyzer/transient-query.js';
import type { DataSource } from '../catalog/data-source.js';
import type { BrokerRecord, ProduceRecord } from '../driver/broker.js';
import type { FunctionRegistry } from '../functions/types.js';
import { planResolved } from '../plan/plan-query.js';
import { buildTopology } from '../runtime/build.js';
import type { RuntimeContext } from '../runtime/context.js';
import { keyString } from '../runtime/key-string.js';
import { makeKeySerde } from '../runtime/operators/source-sink.js';
import { MemoryProcessingLog, type ProcessingLogger } from '../runtime/processing-log.js';
import type { Rec } from '../runtime/record.js';
import { InMemoryStore, InMemoryStoreFactory } from '../runtime/store.js';
import type { SchemaRegistry } from '../serde/types.js';
import type { Query } from '../sql/ast/query.js';
import type { QueryStatement } from '../sql/ast/statement.js';
import type { AggregateStep, Step } from '../topology/topology.js';

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

export type { TransientColumn };

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

let transientCounter = 0;

export function isPullQuery(q: Query): boolean {
  return q.emit === null;
}

/** Merged engine + request properties. */
function propsOf(deps: TransientDeps, overrides: Readonly<Record<string, string>>): Record<string, string> {
  return { ...deps.properties, ...overrides };
}

// --------------------------------------------------------------------------------------- planning

/**
 * Plans a transient query: analysed by the analyzer (analyzer/transient-query.ts,
 * where its projection rules are), planned as any query.
 */
export function planTransient(query: Query, deps: TransientDeps, mode: 'pull' | 'push'): TransientPlan {
  const resolved = analyzeTransientQuery(query, { source: deps.source, functions: deps.functions, sinkName: null }, mode);
  const planned = planResolved(resolved);
  const facts = resolved.projection.transient!;
  return { root: planned.root, columns: facts.columns, keyIndex: facts.keyIndex, source: planned.primary, resultType: planned.resultType, limit: query.limit };
}

// --------------------------------------------------------------------------------------- pull queries

/** Runs a pull query to completion over the topic replayed from its beginning. */
export function runPullQuery(deps: TransientDeps, st: QueryStatement | Query, overrides: Readonly<Record<string, string>> = {}): PullResult {
  const query = 'kind' in st ? st.query : st;
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
