import { rowScope } from '../../analyzer/scope.js';
import { storeName } from '../../topology/internal-names.js';
import { compileWithLayout } from '../../expr/compile.js';
import { typeExpression } from '../../expr/typer.js';
import type { AggregateImpl, FunctionRegistry } from '../../functions/types.js';
import { effectiveGrace } from '../../analyzer/window.js';
import type { WindowBounds } from '../../serde/types.js';
import type { AggregateStep, SuppressStep, WindowSpec } from '../../topology/topology.js';
import { pseudoQualifierOf, recordLayout, type RecordExpr } from '../compile-step-expr.js';
import type { RuntimeContext } from '../context.js';
import { keyString } from '../key-string.js';
import { MinHeap } from '../min-heap.js';
import type { Emit, Rec } from '../record.js';
import { logProcessingError } from './stateless.js';

interface CompiledAgg {
  readonly impl: AggregateImpl & { readonly valueArgs: number };
  readonly args: readonly RecordExpr[];
}

const NO_ARGS: readonly unknown[] = [];

function compileAggregates(step: AggregateStep, functions: FunctionRegistry): CompiledAgg[] {
  const scope = rowScope(step.input.schema, pseudoQualifierOf(step.input));
  const layout = recordLayout(step.input.schema.key.length, step.input.schema.value.length);
  return step.aggregates.map((a) => {
    const fn = functions.get(a.name);
    if (!fn || fn.kind !== 'aggregate') throw new Error(`not an aggregate function: ${a.name}`);
    const typed = a.args.map((x) => typeExpression(x, scope, functions));
    const impl = fn.resolve(typed.map((t) => (t.kind === 'Literal' ? { type: t.type, literal: t.value } : { type: t.type })));
    return { impl, args: typed.slice(0, impl.valueArgs).map((t) => compileWithLayout<RecordExpr>(t, layout)) };
  });
}

/** What an aggregation's store holds per group (non-windowed and time windows). */
export interface AggState {
  readonly key: readonly unknown[];
  accs: unknown[];
  ts: number;
}

/** What a session-windowed aggregation's store holds per group: its open sessions. */
export interface SessionState {
  readonly key: readonly unknown[];
  sessions: { start: number; end: number; accs: unknown[]; ts: number }[];
}

/**
 * The store of an aggregation and how to read it (pull queries read the
 * aggregation's state, as ksqlDB's materialization does): its name, its kind,
 * and the results of a group's accumulators (the aggregation's value columns).
 */
export function aggregateStore(step: AggregateStep, functions: FunctionRegistry): { name: string; kind: 'keyValue' | 'window' | 'session'; results: (accs: readonly unknown[]) => unknown[] } {
  const aggs = compileAggregates(step, functions);
  const results = (accs: readonly unknown[]): unknown[] => aggs.map((a, i) => a.impl.result(accs[i]));
  const kind = step.window === null ? 'keyValue' : step.window.kind === 'SESSION' ? 'session' : 'window';
  return { name: aggregateStoreName(step), kind, results };
}

function aggregateStoreName(step: AggregateStep): string {
  return storeName(step, 'aggregate');
}

/**
 * The arrival order LATEST_BY_OFFSET / EARLIEST_BY_OFFSET compare, kept in
 * their state. One counter for the process, started from the clock (in
 * microseconds): values aggregated after a restart (state restored from a
 * changelog) sort after the restored ones, as they arrived after them.
 */
let nextSequence = Date.now() * 1000;

/**
 * GROUP BY with aggregates over a stream (optionally windowed) or a table (with retraction).
 * `sendOld`: each change carries the group's previous result (`Rec.old`, null for a new
 * group), for a HAVING filter downstream (see build.ts).
 */
export function aggregateOperator(step: AggregateStep, ctx: RuntimeContext, emit: Emit, sendOld = true): Emit {
  const scope = rowScope(step.input.schema, pseudoQualifierOf(step.input));
  const layout = recordLayout(step.input.schema.key.length, step.input.schema.value.length);
  const groupFns = step.groupBy.map((g) => compileWithLayout<RecordExpr>(typeExpression(g, scope, ctx.functions), layout));
  const aggs = compileAggregates(step, ctx.functions);
  const n = aggs.length;
  const window = step.window;
  // one store per aggregation, of the kind its windows need (each store is a changelog topic on Kafka)
  const store = window === null ? ctx.stores.keyValue<AggState>(storeName(step, 'aggregate')) : null;
  const windowStore = window !== null && window.kind !== 'SESSION' ? ctx.stores.window<AggState>(storeName(step, 'aggregate')) : null;
  const sessionStore = window?.kind === 'SESSION' ? ctx.stores.keyValue<SessionState>(storeName(step, 'aggregate')) : null;
  const grace = window ? effectiveGrace(window) : 0;
  const size = window?.sizeMs ?? 0;
  const advance = window?.advanceMs ?? 0;
  let streamTime = Number.NEGATIVE_INFINITY;
  // after a restart stream time resumes where the task's commits left it (RuntimeContext.resumedStreamTime)
  let resumed = false;
  // Kafka Streams' windowed store retention: RETENTION, else window size (session gap) + grace.
  // Windows that start before stream time - retention are dropped, swept as stream time advances.
  const retention = window ? (window.retentionMs ?? window.sizeMs + grace) : 0;
  const sweepEvery = Math.max(1000, Math.floor(retention / 2));
  let nextSweep = Number.NEGATIVE_INFINITY;

  // the bounds of the time windows held, shared by their records
  const boundsAt = new Map<number, WindowBounds>();
  const sweepWindows = (): void => {
    const cutoff = streamTime - retention + 1;
    if (windowStore) {
      windowStore.expireBefore(cutoff);
      for (const start of boundsAt.keys()) if (start < cutoff) boundsAt.delete(start);
    }
    if (!sessionStore) return;
    const changed: [string, SessionState][] = [];
    for (const [k, state] of sessionStore.entries()) {
      const kept = state.sessions.filter((x) => x.end >= cutoff);
      if (kept.length !== state.sessions.length) changed.push([k, { key: state.key, sessions: kept }]);
    }
    for (const [k, state] of changed) {
      if (state.sessions.length === 0) sessionStore.delete(k);
      else sessionStore.put(k, state);
    }
  };

  const initAccs = (): unknown[] => {
    const accs = new Array<unknown>(n);
    for (let i = 0; i < n; i++) accs[i] = aggs[i]!.impl.init();
    return accs;
  };
  const results = (accs: readonly unknown[]): unknown[] => {
    const out = new Array<unknown>(n);
    for (let i = 0; i < n; i++) out[i] = aggs[i]!.impl.result(accs[i]);
    return out;
  };
  const argsOf = (key: readonly unknown[], values: readonly unknown[], rec: Rec): (readonly unknown[])[] | null => {
    try {
      const out = new Array<readonly unknown[]>(n);
      for (let i = 0; i < n; i++) {
        const fs = aggs[i]!.args;
        if (fs.length === 0) {
          out[i] = NO_ARGS;
          continue;
        }
        const a = new Array<unknown>(fs.length);
        for (let j = 0; j < fs.length; j++) a[j] = fs[j]!(key, values, rec);
        out[i] = a;
      }
      return out;
    } catch (e) {
      logProcessingError(ctx, 'aggregate argument', e);
      return null;
    }
  };
  const groupOf = (key: readonly unknown[], values: readonly unknown[], rec: Rec): unknown[] | null => {
    if (rec.group !== undefined) return [...rec.group];
    try {
      const group = new Array<unknown>(groupFns.length);
      for (let i = 0; i < groupFns.length; i++) {
        const g = groupFns[i]!(key, values, rec);
        if (g === null) return null;
        group[i] = g;
      }
      return group;
    } catch (e) {
      logProcessingError(ctx, 'GROUP BY', e);
      return null;
    }
  };

  /** The previous results of the groups a table change touches, taken before the change (when sendOld). */
  const before = new Map<string, unknown[] | null>();

  /** Applies one row to its group; returns the group's key string when it changed (non-windowed), else null. */
  const apply = (rec: Rec, values: readonly unknown[], op: 'add' | 'remove', emitNow = true): { key: unknown[]; k: string } | null => {
    const key = groupOf(rec.key, values, rec);
    if (!key) return null;
    const args = argsOf(rec.key, values, rec);
    if (!args) return null;
    const actx = { sequence: nextSequence++, timestamp: rec.ts };
    if (store) {
      const k = keyString(key);
      const existing = store.get(k);
      // the previous result: for this emit, or (a table change) the first time the change touches the group
      const needOld = sendOld && (emitNow || !before.has(k));
      const old = !needOld ? undefined : existing === undefined ? null : results(existing.accs);
      if (!emitNow && needOld) before.set(k, old ?? null);
      const state = existing ?? { key, accs: initAccs(), ts: rec.ts };
      for (let i = 0; i < n; i++) {
        const impl = aggs[i]!.impl;
        if (op === 'add') state.accs[i] = impl.add(state.accs[i], args[i]!, actx);
        else if (impl.remove) state.accs[i] = impl.remove(state.accs[i], args[i]!, actx);
      }
      state.ts = Math.max(state.ts, rec.ts);
      store.put(k, state);
      if (emitNow) emit({ key: state.key, value: results(state.accs), old, ts: state.ts, partition: rec.partition, offset: rec.offset, window: null, headers: rec.headers, nullKey: undefined });
      return { key, k };
    }
    if (!resumed) {
      resumed = true;
      streamTime = Math.max(streamTime, ctx.resumedStreamTime?.(step) ?? Number.NEGATIVE_INFINITY);
    }
    if (rec.ts > streamTime) streamTime = rec.ts;
    if (streamTime >= nextSweep) {
      if (nextSweep !== Number.NEGATIVE_INFINITY) sweepWindows();
      nextSweep = streamTime + sweepEvery;
    }
    if (!windowStore) {
      sessionWindow(key, args, rec, actx);
      return null;
    }
    const ts = rec.ts;
    // the windows holding ts, earliest first: starts at multiples of advance in (ts - size, ts], none negative
    const last = ts - (((ts % advance) + advance) % advance);
    let first = last;
    while (first - advance > ts - size && first - advance >= 0) first -= advance;
    let gk: string | null = null;
    for (let start = first; start <= last; start += advance) {
      if (start + size + grace <= streamTime) continue; // the window closed: a late record is dropped
      gk ??= keyString(key);
      let state = windowStore.get(gk, start);
      let old: unknown[] | null | undefined = sendOld ? null : undefined;
      if (state === undefined) state = { key, accs: initAccs(), ts };
      else if (sendOld) old = results(state.accs);
      // the accumulator array belongs to the state: update it in place
      for (let i = 0; i < n; i++) state.accs[i] = aggs[i]!.impl.add(state.accs[i], args[i]!, actx);
      if (ts > state.ts) state.ts = ts;
      windowStore.put(gk, start, state);
      let bounds = boundsAt.get(start);
      if (bounds === undefined) boundsAt.set(start, (bounds = { start, end: start + size }));
      emit({ key, value: results(state.accs), old, ts: state.ts, partition: rec.partition, offset: rec.offset, window: bounds, headers: rec.headers, nullKey: undefined });
    }
    return null;
  };

  const emitGroup = (k: string, rec: Rec): void => {
    const state = store?.get(k);
    if (!state) return;
    const old = sendOld ? (before.get(k) ?? null) : undefined;
    emit({ key: state.key, value: results(state.accs), old, ts: state.ts, partition: rec.partition, offset: rec.offset, window: null, headers: rec.headers, nullKey: undefined });
  };

  const sessionWindow = (key: unknown[], args: (readonly unknown[])[], rec: Rec, actx: { sequence: number; timestamp: number }): void => {
    const gap = window!.sizeMs;
    const t = rec.ts;
    const k = keyString(key);
    const state = sessionStore!.get(k) ?? { key, sessions: [] };
    // sessions past retention are gone even before the sweep removes them
    const overlapping = state.sessions.filter((s) => s.end + gap >= t && s.start - gap <= t && s.end >= streamTime - retention);
    const start = Math.min(t, ...overlapping.map((s) => s.start));
    const end = Math.max(t, ...overlapping.map((s) => s.end));
    if (closesAt(window!, { start, end }) <= streamTime) return; // late
    let accs = initAccs();
    let ts = t;
    for (const s of overlapping) {
      accs = accs.map((acc, i) => {
        const impl = aggs[i]!.impl;
        return impl.merge ? impl.merge(acc, s.accs[i]) : s.accs[i];
      });
      ts = Math.max(ts, s.ts);
    }
    accs = accs.map((acc, i) => aggs[i]!.impl.add(acc, args[i]!, actx));
    for (const s of overlapping) {
      const old = sendOld ? results(s.accs) : undefined;
      emit({ key, value: null, old, ts: s.ts, partition: rec.partition, offset: rec.offset, window: { start: s.start, end: s.end }, headers: rec.headers, nullKey: undefined });
    }
    state.sessions = [...state.sessions.filter((s) => !overlapping.includes(s)), { start, end, accs, ts }];
    sessionStore!.put(k, state);
    // a session's bounds are part of its key: a grown or merged session is a new row
    emit({ key, value: results(accs), old: sendOld ? null : undefined, ts, partition: rec.partition, offset: rec.offset, window: { start, end }, headers: rec.headers, nullKey: undefined });
  };

  return (rec) => {
    if (step.inputType === 'TABLE') {
      // An update within one group is retracted and re-added, then emitted once.
      before.clear();
      const removed = rec.old ? apply(rec, rec.old, 'remove', false) : null;
      const added = rec.value ? apply(rec, rec.value, 'add', false) : null;
      if (removed && (!added || added.k !== removed.k)) emitGroup(removed.k, rec);
      if (added) emitGroup(added.k, rec);
      return;
    }
    if (rec.value) apply(rec, rec.value, 'add');
  };
}

/**
 * The first stream time at which a window is closed: records for it are late,
 * and EMIT FINAL emits it. A time window closes at end + grace; a session at
 * end + gap + grace + 1, since a record within the gap could still extend it
 * until then.
 */
export function closesAt(window: WindowSpec, bounds: WindowBounds): number {
  const grace = effectiveGrace(window);
  return window.kind === 'SESSION' ? bounds.end + window.sizeMs + grace + 1 : bounds.end + grace;
}

/**
 * EMIT FINAL, Kafka Streams' emit on window close: the latest result of each
 * window is held and emitted once, when stream time reaches its close (see
 * closesAt; `streamTime` is the aggregation's: every record that advances it
 * updates a window, so its result comes through here).
 *
 * A time window is emitted only if the store still retains it then: its start
 * is at least stream time - retention (RETENTION, else size + grace). With the
 * default retention a window expires at its close, so when stream time jumps
 * past a window's close in one record, the window is gone, as in ksqlDB.
 * Sessions are emitted once closed.
 */
export function suppressOperator(step: SuppressStep, ctx: RuntimeContext, emit: Emit, window: WindowSpec): Emit {
  const buffer = ctx.stores.keyValue<Rec>(storeName(step, 'buffer'));
  const retention = window.kind === 'SESSION' ? Number.POSITIVE_INFINITY : (window.retentionMs ?? window.sizeMs + effectiveGrace(window));
  const closeOf = (w: WindowBounds): number => closesAt(window, w);
  // buffered windows by close time; an entry is stale once its window was emitted or a session grew
  const closing = new MinHeap<{ readonly at: number; readonly k: string }>((a, b) => a.at - b.at);
  let indexed = false;
  let streamTime = Number.NEGATIVE_INFINITY;
  return (rec) => {
    if (!indexed) {
      // after a restart stream time resumes where the task's commits left it
      streamTime = Math.max(streamTime, ctx.resumedStreamTime?.(step) ?? Number.NEGATIVE_INFINITY);
      // after a restore the buffer holds windows the heap does not know yet
      for (const [k, r] of buffer.entries()) if (r.window) closing.push({ at: closeOf(r.window), k });
      indexed = true;
    }
    if (rec.ts > streamTime) streamTime = rec.ts;
    if (rec.window) {
      const k = keyString(rec.key) + '@' + rec.window.start;
      if (rec.value === null) {
        buffer.delete(k); // a session merged into another one
      } else {
        const before = buffer.get(k);
        buffer.put(k, rec);
        const at = closeOf(rec.window);
        if (!before?.window || closeOf(before.window) !== at) closing.push({ at, k });
      }
    }
    for (let top = closing.peek(); top !== undefined && top.at <= streamTime; top = closing.peek()) {
      closing.pop();
      const r = buffer.get(top.k);
      if (!r?.window || closeOf(r.window) !== top.at) continue;
      buffer.delete(top.k);
      if (r.window.start >= streamTime - retention) emit(r);
    }
  };
}
