import type { JoinStep, SourceStep, Step } from '../../topology/topology.js';
import { joinReadsTable, storeName, tableSourceOf } from '../../topology/internal-names.js';
import { compileOverRecord, type RecordExpr } from '../compile-step-expr.js';
import type { RuntimeContext } from '../context.js';
import { keyString } from '../key-string.js';
import type { Emit, Rec } from '../record.js';
import { MinHeap } from '../min-heap.js';
import type { KeyValueStore } from '../store.js';
import { storedRow, type StoredRow } from './source-sink.js';
import { filterOperator, logProcessingError, projectOperator } from './stateless.js';

interface Side {
  readonly keyFn: RecordExpr;
  /** the columns this side contributes to the joined row */
  readonly width: number;
  readonly rowOf: (rec: Rec, value: readonly unknown[]) => unknown[];
}

function side(step: Step, keyExpr: JoinStep['leftKey'], ctx: RuntimeContext): Side {
  const { fn } = compileOverRecord(keyExpr, step, ctx.functions);
  const isJoin = step.kind === 'Join';
  const windowed = step.schema.window !== null;
  const width = isJoin ? step.schema.value.length : step.schema.key.length + step.schema.value.length + (windowed ? 5 : 3);
  const rowOf = (rec: Rec, value: readonly unknown[]): unknown[] => {
    if (isJoin) return [...value];
    const row = [...rec.key, ...value, BigInt(rec.ts), rec.partition, BigInt(rec.offset)];
    if (windowed) row.push(rec.window ? BigInt(rec.window.start) : null, rec.window ? BigInt(rec.window.end) : null);
    return row;
  };
  return { keyFn: fn, width, rowOf };
}

/** Builds the join operator; returns the inputs for the left and right sides. */
export function joinOperator(step: JoinStep, ctx: RuntimeContext, emit: Emit): { left: Emit; right: Emit } {
  const L = side(step.left, step.leftKey, ctx);
  const R = side(step.right, step.rightKey, ctx);
  const nullsL = new Array<unknown>(L.width).fill(null);
  const nullsR = new Array<unknown>(R.width).fill(null);
  const keyOf = (s: Side, rec: Rec, value: readonly unknown[]): unknown => {
    try {
      return s.keyFn(rec.key, value, rec);
    } catch (e) {
      logProcessingError(ctx, 'join key', e);
      return null;
    }
  };
  const out: Out = (key, l, r, base, ts, old) => {
    emit({
      key,
      value: l === null && r === null ? null : concat(l ?? nullsL, r ?? nullsR),
      old: old === undefined ? undefined : old === null ? null : concat(old.l ?? nullsL, old.r ?? nullsR),
      ts,
      partition: base.partition,
      offset: base.offset,
      window: base.window,
      headers: base.headers,
      nullKey: undefined,
    });
  };
  switch (step.variant) {
    case 'STREAM_STREAM':
      return streamStream(step, ctx, L, R, keyOf, out);
    case 'STREAM_TABLE':
      return streamTable(step, ctx, L, R, keyOf, out);
    case 'TABLE_TABLE':
      return tableTable(step, ctx, L, R, keyOf, out);
    case 'FK_TABLE_TABLE':
      return fkJoin(step, ctx, L, R, keyOf, out);
  }
}

function concat(a: readonly unknown[], b: readonly unknown[]): unknown[] {
  const out = new Array<unknown>(a.length + b.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i];
  for (let i = 0; i < b.length; i++) out[a.length + i] = b[i];
  return out;
}

type KeyOf = (s: Side, rec: Rec, value: readonly unknown[]) => unknown;
/** The sides of a joined row; a side without a match is null. */
interface Joined {
  readonly l: readonly unknown[] | null;
  readonly r: readonly unknown[] | null;
}
/**
 * Emits a joined row (a delete when both sides are null). Table joins pass
 * `old`, the row previously joined for the key (null: none), so that a table
 * aggregation downstream can retract it.
 */
type Out = (key: readonly unknown[], l: readonly unknown[] | null, r: readonly unknown[] | null, base: Rec, ts: number, old?: Joined | null) => void;

interface Buffered {
  readonly row: unknown[];
  /** where the record came from (its time, position, window and headers); its columns are in `row` (see buffered) */
  readonly rec: Rec;
  matched: boolean;
  emitted: boolean;
}

function streamStream(step: JoinStep, ctx: RuntimeContext, L: Side, R: Side, keyOf: KeyOf, out: Out): { left: Emit; right: Emit } {
  const within = step.within!;
  const grace = within.graceMs;
  const leftBuf = ctx.stores.keyValue<Buffered[]>(storeName(step, 'left'));
  const rightBuf = ctx.stores.keyValue<Buffered[]>(storeName(step, 'right'));
  const leftOuter = step.joinType === 'LEFT' || step.joinType === 'FULL';
  const rightOuter = step.joinType === 'RIGHT' || step.joinType === 'FULL';
  // stream time over both sides (closes windows), and per side (each side's buffer expires by its own, as a Kafka Streams window store)
  let streamTime = Number.NEGATIVE_INFINITY;
  let leftTime = Number.NEGATIVE_INFINITY;
  let rightTime = Number.NEGATIVE_INFINITY;
  const retention = within.beforeMs + within.afterMs + (grace ?? 24 * 3600 * 1000);
  // outer-join records waiting for their window to close, in timestamp order (as Kafka Streams scans its outer-join store)
  const unmatched = new MinHeap<{ buf: Buffered; isLeft: boolean; key: unknown }>((a, b) => a.buf.rec.ts - b.buf.rec.ts);
  // buffered records older than the retention can no longer join: swept out by stream time, so keys that never recur do not stay forever
  let nextSweep = Number.NEGATIVE_INFINITY;
  const sweepEvery = Math.max(1000, Math.floor(retention / 2));

  const flushUnmatched = (): void => {
    if (grace === null) return;
    for (let u = unmatched.peek(); u !== undefined; u = unmatched.peek()) {
      const closeAt = u.isLeft ? u.buf.rec.ts + within.afterMs + grace : u.buf.rec.ts + within.beforeMs + grace;
      if (closeAt >= streamTime) break;
      unmatched.pop();
      if (!u.buf.matched && !u.buf.emitted) {
        u.buf.emitted = true;
        if (u.isLeft) out([u.key], u.buf.row, null, u.buf.rec, u.buf.rec.ts);
        else out([u.key], null, u.buf.row, u.buf.rec, u.buf.rec.ts);
      }
    }
  };

  // After a restart: stream time resumes where the task's commits left it, and each side's time at
  // the newest record its restored buffer holds (as a Kafka Streams window store's observed stream
  // time comes back with its changelog), so what was too old to keep before stays so.
  let resumed = false;
  const resume = (): void => {
    resumed = true;
    streamTime = Math.max(streamTime, ctx.resumedStreamTime?.(step) ?? Number.NEGATIVE_INFINITY);
    for (const [, list] of leftBuf.entries()) for (const b of list) if (b.rec.ts > leftTime) leftTime = b.rec.ts;
    for (const [, list] of rightBuf.entries()) for (const b of list) if (b.rec.ts > rightTime) rightTime = b.rec.ts;
  };

  const process = (rec: Rec, isLeft: boolean): void => {
    if (!resumed) resume();
    if (rec.value === null) return;
    const me = isLeft ? L : R;
    const key = keyOf(me, rec, rec.value);
    const row = me.rowOf(rec, rec.value);
    const outer = isLeft ? leftOuter : rightOuter;
    if (key === null) {
      if (outer) out([null], isLeft ? row : null, isLeft ? null : row, rec, rec.ts);
      return;
    }
    // A late record still joins what the other side retains; it is only kept itself while its side retains it.
    if (rec.ts > streamTime) streamTime = rec.ts;
    if (isLeft && rec.ts > leftTime) leftTime = rec.ts;
    if (!isLeft && rec.ts > rightTime) rightTime = rec.ts;
    // windowed streams join records of the same window only (the window is part of their key)
    const k = rec.window ? `${keyString([key])}@${rec.window.start}-${rec.window.end}` : keyString([key]);
    const otherStore = isLeft ? rightBuf : leftBuf;
    const other = otherStore.get(k) ?? [];
    const lo = Math.max(isLeft ? rec.ts - within.beforeMs : rec.ts - within.afterMs, (isLeft ? rightTime : leftTime) - retention + 1);
    const hi = isLeft ? rec.ts + within.afterMs : rec.ts + within.beforeMs;
    const buf: Buffered = { row, rec: buffered(rec), matched: false, emitted: false };
    for (const o of other) {
      if (o.rec.ts < lo || o.rec.ts > hi) continue;
      buf.matched = true;
      o.matched = true;
      const ts = Math.max(o.rec.ts, rec.ts);
      if (isLeft) out([key], row, o.row, rec, ts);
      else out([key], o.row, row, rec, ts);
    }
    // matched flags changed on buffered records: write the buffer back so a changelog sees it
    // (only an outer side reads them: an inner side's buffer is not written again)
    if (buf.matched && (isLeft ? rightOuter : leftOuter)) otherStore.put(k, other);
    // an unmatched outer record waits for its window to close, unless stream time is already past it
    const waits = outer && !buf.matched && grace !== null && hi >= streamTime;
    if (outer && !buf.matched && !waits) {
      buf.emitted = true;
      if (isLeft) out([key], row, null, rec, rec.ts);
      else out([key], null, row, rec, rec.ts);
    }
    const mine = isLeft ? leftBuf : rightBuf;
    const cutoff = (isLeft ? leftTime : rightTime) - retention + 1;
    if (rec.ts >= cutoff) {
      const existing = mine.get(k);
      const list = existing === undefined ? [] : unexpired(existing, cutoff);
      list.push(buf);
      mine.put(k, list);
    }
    if (waits) unmatched.push({ buf, isLeft, key });
    flushUnmatched();
    if (streamTime >= nextSweep) {
      if (nextSweep !== Number.NEGATIVE_INFINITY) {
        sweep(leftBuf, leftTime - retention + 1);
        sweep(rightBuf, rightTime - retention + 1);
      }
      nextSweep = streamTime + sweepEvery;
    }
  };
  return { left: (rec) => process(rec, true), right: (rec) => process(rec, false) };
}

const NO_COLUMNS: readonly unknown[] = Object.freeze([]);

/**
 * The record as a join buffer keeps it: without its key and value columns,
 * which its row holds already. A buffer keeps every record of the join
 * window (a day without GRACE PERIOD) and writes it to its changelog, so the
 * copy is half of both. (Entries written before keep the columns; nothing
 * reads them.)
 */
function buffered(rec: Rec): Rec {
  return { key: NO_COLUMNS, value: null, ts: rec.ts, partition: rec.partition, offset: rec.offset, window: rec.window, headers: rec.headers };
}

/** The buffered records at or after `cutoff`: the same array when none is older. */
function unexpired(list: Buffered[], cutoff: number): Buffered[] {
  for (const b of list) if (b.rec.ts < cutoff) return list.filter((x) => x.rec.ts >= cutoff);
  return list;
}

/** Drops buffered records older than `cutoff` from every key of a join buffer. */
function sweep(store: KeyValueStore<Buffered[]>, cutoff: number): void {
  const changes: [string, Buffered[]][] = [];
  for (const [k, list] of store.entries()) {
    const kept = unexpired(list, cutoff);
    if (kept !== list) changes.push([k, kept]);
  }
  for (const [k, kept] of changes) {
    if (kept.length === 0) store.delete(k);
    else store.put(k, kept);
  }
}

/**
 * A table side's current row for a key, read from the table source's store
 * through the filters and projections between the source and the join, as
 * Kafka Streams' KTableValueGetter (see joinReadsTable): the join keeps no
 * copy of the table. Expression errors were logged when the row went by;
 * a lookup does not log them again.
 */
type Getter = (key: readonly unknown[]) => unknown[] | null;

function valueGetter(sideStep: Step, source: SourceStep, ctx: RuntimeContext, S: Side): Getter {
  const store = ctx.stores.keyValue<StoredRow | readonly unknown[]>(storeName(source, 'table'));
  const quiet: RuntimeContext = { ...ctx, log: { log: () => {} } };
  const got: { rec: Rec | null } = { rec: null };
  const capture: Emit = (r) => {
    got.rec = r;
  };
  const through = (step: Step, downstream: Emit): Emit => {
    if (step === source) return downstream;
    switch (step.kind) {
      case 'Filter':
        return through(step.input, filterOperator(step, quiet, downstream, false));
      case 'Project':
        return through(step.input, projectOperator(step, quiet, downstream, false));
      default:
        throw new Error(`${step.id}: a join reads a table through filters and projections only`);
    }
  };
  const chain = through(sideStep, capture);
  const direct = sideStep === source;
  return (key) => {
    const stored = store.get(keyString(key));
    if (stored === undefined) return null;
    const row = storedRow(stored);
    const rec: Rec = { key, value: row.v, old: undefined, ts: row.t, partition: row.p, offset: row.o, window: null, headers: [] };
    if (direct) return S.rowOf(rec, row.v);
    got.rec = null;
    chain(rec);
    const r = got.rec as Rec | null;
    return r !== null && r.value !== null ? S.rowOf(r, r.value) : null;
  };
}

/** The getter of a join side the join reads from its table's store; null when the join keeps that side itself. */
function tableGetter(step: JoinStep, side: 'left' | 'right', ctx: RuntimeContext, S: Side): Getter | null {
  if (!joinReadsTable(step, side)) return null;
  const input = side === 'left' ? step.left : step.right;
  return valueGetter(input, tableSourceOf(input)!, ctx, S);
}

function streamTable(step: JoinStep, ctx: RuntimeContext, L: Side, R: Side, keyOf: KeyOf, out: Out): { left: Emit; right: Emit } {
  const getter = tableGetter(step, 'right', ctx, R);
  const table = getter === null ? ctx.stores.keyValue<unknown[]>(storeName(step, 'right')) : null;
  const lookup: Getter = getter ?? ((key) => table!.get(keyString(key)) ?? null);
  return {
    left: (rec) => {
      if (rec.value === null) return;
      const key = keyOf(L, rec, rec.value);
      const row = L.rowOf(rec, rec.value);
      const r = key === null ? null : lookup([key]);
      if (r) out([key], row, r, rec, rec.ts);
      else if (step.joinType === 'LEFT') out([key], row, null, rec, rec.ts);
    },
    right: (rec) => {
      // the table's store has the change already
      if (table === null) return;
      const k = keyString(rec.key);
      if (rec.value === null) table.delete(k);
      else table.put(k, R.rowOf(rec, rec.value));
    },
  };
}

function tableTable(step: JoinStep, ctx: RuntimeContext, L: Side, R: Side, keyOf: KeyOf, out: Out): { left: Emit; right: Emit } {
  // a side read from its table's store: its current row from the getter, its previous one from the change (Rec.old)
  const lGet = tableGetter(step, 'left', ctx, L);
  const rGet = tableGetter(step, 'right', ctx, R);
  const lt = lGet === null ? ctx.stores.keyValue<{ key: unknown; row: unknown[] }>(storeName(step, 'left')) : null;
  const rt = rGet === null ? ctx.stores.keyValue<unknown[]>(storeName(step, 'right')) : null;
  const leftRow: Getter = lGet ?? ((key) => lt!.get(keyString(key))?.row ?? null);
  const rightRow: Getter = rGet ?? ((key) => rt!.get(keyString(key)) ?? null);
  const type = step.joinType;
  /**
   * Whether a joined row exists for a key whose sides are `l` and `r`: read
   * from the stores (not remembered apart), so it holds after the stores are
   * restored from their changelogs.
   */
  const joinedExists = (l: readonly unknown[] | null, r: readonly unknown[] | null): boolean => {
    switch (type) {
      case 'INNER':
        return l !== null && r !== null;
      case 'LEFT':
        return l !== null;
      case 'RIGHT':
        return r !== null;
      case 'FULL':
        return l !== null || r !== null;
    }
  };
  const emitFor = (key: unknown, l: unknown[] | null, r: unknown[] | null, rec: Rec, fromLeft: boolean, old: Joined): void => {
    let lv = l;
    let rv = r;
    switch (type) {
      case 'INNER':
        if (!l || !r) {
          lv = null;
          rv = null;
        }
        break;
      case 'LEFT':
        if (!l) {
          if (!fromLeft) return;
          rv = null;
        }
        break;
      case 'RIGHT':
        if (!r) {
          if (fromLeft) return;
          lv = null;
        }
        break;
      case 'FULL':
        break;
    }
    const had = joinedExists(old.l, old.r);
    // nothing was joined for this key: no delete to send
    if (lv === null && rv === null && !had) return;
    out([key], lv, rv, rec, rec.ts, had ? old : null);
  };
  return {
    left: (rec) => {
      const key = rec.value !== null ? keyOf(L, rec, rec.value) : rec.old ? keyOf(L, rec, rec.old) : rec.key[0] ?? null;
      if (key === null) return;
      const k = keyString([key]);
      const row = rec.value === null ? null : L.rowOf(rec, rec.value);
      const r = rightRow([key]);
      const old: Joined = { l: lt === null ? (rec.old ? L.rowOf(rec, rec.old) : null) : lt.get(k)?.row ?? null, r };
      if (lt !== null) {
        if (row) lt.put(k, { key, row });
        else lt.delete(k);
      }
      emitFor(key, row, r, rec, true, old);
    },
    right: (rec) => {
      const key = rec.key[0] ?? null;
      const k = keyString(rec.key);
      const row = rec.value === null ? null : R.rowOf(rec, rec.value);
      const l = leftRow([key]);
      const old: Joined = { l, r: rt === null ? (rec.old ? R.rowOf(rec, rec.old) : null) : rt.get(k) ?? null };
      if (rt !== null) {
        if (row) rt.put(k, row);
        else rt.delete(k);
      }
      emitFor(key, l, row, rec, false, old);
    },
  };
}

function fkJoin(step: JoinStep, ctx: RuntimeContext, L: Side, R: Side, keyOf: KeyOf, out: Out): { left: Emit; right: Emit } {
  const lt = ctx.stores.keyValue<{ key: readonly unknown[]; fk: unknown; row: unknown[] }>(storeName(step, 'left'));
  const rt = ctx.stores.keyValue<unknown[]>(storeName(step, 'right'));
  const index = ctx.stores.keyValue<Set<string>>(storeName(step, 'fkIndex'));
  const inner = step.joinType === 'INNER';
  // the row joined for a left row while the right side is `r`
  const joined = (l: unknown[], r: unknown[] | undefined): Joined | null => (r ? { l, r } : inner ? null : { l, r: null });
  return {
    left: (rec) => {
      const lk = keyString(rec.key);
      const prev = lt.get(lk);
      const old = prev ? joined(prev.row, prev.fk === null ? undefined : rt.get(keyString([prev.fk]))) : null;
      if (prev && prev.fk !== null) index.get(keyString([prev.fk]))?.delete(lk);
      if (rec.value === null) {
        lt.delete(lk);
        if (prev) out(rec.key, null, null, rec, rec.ts, old);
        return;
      }
      const fk = keyOf(L, rec, rec.value);
      const row = L.rowOf(rec, rec.value);
      lt.put(lk, { key: rec.key, fk, row });
      if (fk !== null) {
        const fkk = keyString([fk]);
        const set = index.get(fkk) ?? new Set<string>();
        set.add(lk);
        index.put(fkk, set);
      }
      const r = fk === null ? undefined : rt.get(keyString([fk]));
      if (r) out(rec.key, row, r, rec, rec.ts, old);
      else if (!inner) out(rec.key, row, null, rec, rec.ts, old);
      else if (prev) out(rec.key, null, null, rec, rec.ts, old);
    },
    right: (rec) => {
      const rk = keyString(rec.key);
      const row = rec.value === null ? null : R.rowOf(rec, rec.value);
      const prevRow = rt.get(rk);
      if (row) rt.put(rk, row);
      else rt.delete(rk);
      for (const lk of index.get(rk) ?? []) {
        const l = lt.get(lk);
        if (!l) continue;
        const old = joined(l.row, prevRow);
        if (row) out(l.key, l.row, row, rec, rec.ts, old);
        else if (inner) out(l.key, null, null, rec, rec.ts, old);
        else out(l.key, l.row, null, rec, rec.ts, old);
      }
    },
  };
}
