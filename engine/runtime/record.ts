import type { Header } from '../driver/broker.js';
import type { WindowBounds } from '../serde/types.js';

/**
 * A record between operators: key and value columns in the step's schema order.
 * For tables, `value === null` is a delete (tombstone) and `old` carries the
 * previous value of the same key when the change came from a materialized table
 * (needed to retract it in table aggregations).
 */
export interface Rec {
  readonly key: readonly unknown[];
  readonly value: readonly unknown[] | null;
  readonly old?: readonly unknown[] | null;
  readonly ts: number;
  readonly partition: number;
  readonly offset: number;
  readonly window: WindowBounds | null;
  readonly headers: readonly Header[];
  /** the record's key bytes were null (as opposed to a key whose fields are null): sinks write a null key */
  readonly nullKey?: boolean;
  /**
   * The GROUP BY values, when a repartition already computed them to route the
   * record (the Kafka runtime): the aggregation takes them instead of
   * evaluating GROUP BY a second time, as ksqlDB's aggregation reads the key
   * its repartition selected.
   */
  readonly group?: readonly unknown[];
}

export type Emit = (rec: Rec) => void;

/**
 * The record with another value (and previous value): one object literal of
 * the record's full shape, so operators stay monomorphic (no spread copies).
 */
export function withValue(rec: Rec, value: readonly unknown[] | null, old: readonly unknown[] | null | undefined): Rec {
  return {
    key: rec.key,
    value,
    old,
    ts: rec.ts,
    partition: rec.partition,
    offset: rec.offset,
    window: rec.window,
    headers: rec.headers,
    nullKey: rec.nullKey,
  };
}
