/**
 * A KsqlQuery's figures from its engines' counters, and whether it is
 * stalled. Pure: the reconciler keeps the history (QueryMemory) and passes
 * the clock.
 *
 * - Rates come from counters over an interval of at least `rateWindowMs`
 *   (not from two samples a second apart, which read 0 whenever the
 *   engine's counters had not moved in between).
 * - The figures in status change only when they moved by a meaningful
 *   amount, or at most every `refreshMs` otherwise, so a steady query does
 *   not rewrite its status on every poll.
 * - Stalled: records wait on the source topics (lag > 0) and the query
 *   consumed none for `stallAfterMs`.
 */
import type { QueryStats } from '../../api/ksql-query.js';

export interface Counters {
  /** records read from the source topics (summed over engines and queries) */
  readonly recordsIn: number;
  readonly recordsOut: number;
  readonly errors: number;
  /** records waiting on the source topics */
  readonly lag: number;
}

export interface FigureHistory {
  /** the sample the next rates are computed from */
  readonly base: { readonly at: number } & Counters;
  /** the rates of the last complete interval */
  readonly rates: { readonly inPerSecond?: number; readonly outPerSecond?: number };
  /** last time records were consumed, or nothing waited */
  readonly progressAt: number;
  readonly lastRecordsIn: number;
}

export interface StatsOptions {
  readonly rateWindowMs: number;
  readonly refreshMs: number;
  readonly stallAfterMs: number;
}

export const DEFAULT_STATS_OPTIONS: StatsOptions = { rateWindowMs: 30_000, refreshMs: 30_000, stallAfterMs: 300_000 };

export interface Figures {
  readonly history: FigureHistory;
  /** what status.stats should hold: the last written stats when nothing meaningful changed */
  readonly stats: QueryStats;
  /** stalled for `stalledForMs` (null: not stalled) */
  readonly stalledForMs: number | null;
}

const round2 = (n: number): number => Math.round(n * 100) / 100;
const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** A change worth a status write: a rate appearing, vanishing, or moving by more than 10 % (and 0.5/s). */
function rateMoved(a: number | undefined, b: number | undefined): boolean {
  if (a === undefined || b === undefined) return a !== b;
  const d = Math.abs(a - b);
  return d > 0.5 && d > 0.1 * Math.max(Math.abs(a), Math.abs(b));
}

/** Lag moving between zero and non-zero, or by more than 10 % (and 100 records). */
function lagMoved(a: number | undefined, b: number): boolean {
  if (a === undefined) return true;
  if ((a === 0) !== (b === 0)) return true;
  const d = Math.abs(a - b);
  return d > 100 && d > 0.1 * Math.max(a, b);
}

/**
 * The next figures from `prev` (undefined: the first sample), the counters
 * now, the stats in status now (`written`), at `now` (ms). Pure.
 */
export function nextFigures(prev: FigureHistory | undefined, c: Counters, written: QueryStats | undefined, now: number, o: StatsOptions = DEFAULT_STATS_OPTIONS): Figures {
  // counters that went down: an engine restarted (its counters start over); the interval starts again
  const restarted = prev !== undefined && (c.recordsIn < prev.base.recordsIn || c.recordsOut < prev.base.recordsOut);
  let base = prev && !restarted ? prev.base : { at: now, ...c };
  let rates = prev && !restarted ? prev.rates : {};
  const elapsed = now - base.at;
  if (elapsed >= o.rateWindowMs && elapsed > 0) {
    rates = { inPerSecond: round2(((c.recordsIn - base.recordsIn) * 1000) / elapsed), outPerSecond: round2(((c.recordsOut - base.recordsOut) * 1000) / elapsed) };
    base = { at: now, ...c };
  }
  const consumed = prev === undefined || restarted || c.recordsIn > prev.lastRecordsIn;
  const progressAt = consumed || c.lag === 0 ? now : prev.progressAt;
  const history: FigureHistory = { base, rates, progressAt, lastRecordsIn: c.recordsIn };
  const stalledForMs = c.lag > 0 && now - progressAt >= o.stallAfterMs ? now - progressAt : null;

  const fresh: QueryStats = {
    ...(rates.inPerSecond !== undefined ? { messagesInPerSecond: rates.inPerSecond } : {}),
    ...(rates.outPerSecond !== undefined ? { messagesOutPerSecond: rates.outPerSecond } : {}),
    processingErrors: Math.round(c.errors),
    consumerLag: Math.round(c.lag),
    observedAt: iso(now),
  };
  const writtenAt = written?.observedAt ? Date.parse(written.observedAt) : Number.NaN;
  const meaningful =
    written === undefined ||
    rateMoved(written.messagesInPerSecond, fresh.messagesInPerSecond) ||
    rateMoved(written.messagesOutPerSecond, fresh.messagesOutPerSecond) ||
    written.processingErrors !== fresh.processingErrors ||
    lagMoved(written.consumerLag, fresh.consumerLag ?? 0);
  const due = !(now - writtenAt < o.refreshMs) && !sameFigures(written, fresh);
  return { history, stats: meaningful || due ? fresh : written!, stalledForMs };
}

function sameFigures(a: QueryStats | undefined, b: QueryStats): boolean {
  return a !== undefined && a.messagesInPerSecond === b.messagesInPerSecond && a.messagesOutPerSecond === b.messagesOutPerSecond && a.processingErrors === b.processingErrors && a.consumerLag === b.consumerLag;
}
