import { KsqlError } from '../errors.js';
import type { Loc } from '../sql/ast/node.js';
import type { Query } from '../sql/ast/query.js';
import { semanticError } from './errors.js';
import type { WindowSpec } from '../topology/topology.js';

/** ksqlDB's default grace period of a window: 24 hours. */
const DEFAULT_GRACE_MS = 24 * 3600 * 1000;

/** The WINDOW clause as the aggregation's window (docs: "Time and Windows", window types). */
export function toWindowSpec(w: NonNullable<Query['window']>): WindowSpec {
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

export function effectiveGrace(w: WindowSpec): number {
  return w.graceMs ?? DEFAULT_GRACE_MS;
}

/**
 * Kafka Streams' rule for a windowed aggregation's store, which ksqlDB reports
 * when it builds the query: RETENTION must cover the window size (a session's
 * inactivity gap) plus the grace period. Without GRACE PERIOD, Kafka Streams'
 * grace is a day minus the size, so a RETENTION under a day needs one.
 */
export function checkWindowRetention(w: WindowSpec, storeName: string, loc: Loc | null): void {
  if (w.retentionMs === null) return;
  const grace = w.graceMs ?? Math.max(DEFAULT_GRACE_MS - w.sizeMs, 0);
  if (w.sizeMs + grace <= w.retentionMs) return;
  throw semanticError(
    w.kind === 'SESSION' ? 'SessionRetentionTooShort' : 'WindowRetentionTooShort',
    { store: storeName, sizeMs: w.sizeMs, graceMs: grace, retentionMs: w.retentionMs },
    loc,
  );
}
