import { KsqlError } from '../errors.js';
import type { Query } from '../sql/ast/query.js';
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
