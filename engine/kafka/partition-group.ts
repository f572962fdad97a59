/**
 * A task's input queues and the choice of its next record, as Kafka Streams'
 * PartitionGroup makes it (org.apache.kafka.streams.processor.internals.PartitionGroup,
 * KIP-353 and KIP-695): one queue per input partition of the task (the
 * co-partitioned partitions of its source and repartition topics), and the
 * record with the lowest timestamp among the heads of the non-empty queues
 * goes next. So a stream-table join sees the table rows older than a stream
 * record before that record, whatever order the fetches brought them in.
 *
 * A task is not ready while one of its queues is empty and the partition may
 * hold older records: `max.task.idle.ms` (ksqlDB: `ksql.streams.max.task.idle.ms`)
 * says how long it waits.
 * - -1: never waits; whatever is buffered is processed.
 * - 0 (Kafka Streams' default): waits while an empty partition has known lag
 *   (its position is below the end of what the consumer may read, as last
 *   fetched) or unknown lag (nothing known of it yet); a caught-up empty
 *   partition does not hold the task up.
 * - n > 0: also waits up to n ms for a caught-up empty partition to get data.
 *
 * Pure: no I/O, time comes in as an argument.
 */

/** What the group needs of a record. */
export interface Timestamped {
  readonly offset: number;
  readonly timestamp: number;
}

export interface PartitionGroupOptions {
  /** max.task.idle.ms (see the module comment); default 0 */
  readonly maxTaskIdleMs?: number;
}

/** Whether the task may process now; if not, when to ask again (null: when something is fetched). */
export type Readiness = { readonly ready: true } | { readonly ready: false; readonly retryAt: number | null };

class RecordQueue<R extends Timestamped> {
  #records: R[] = [];
  #head = 0;
  /** the offset the consumer reads next (after the last fetched entry, markers included) */
  position: number | null = null;
  /** the end of what the consumer may read (last stable offset or high watermark) at the last fetch */
  end: number | null = null;
  /** wall-clock time until which the task waits for this (empty, caught-up) partition */
  idleDeadline: number | null = null;

  get size(): number {
    return this.#records.length - this.#head;
  }

  get headTimestamp(): number {
    return this.#records[this.#head]!.timestamp;
  }

  push(records: readonly R[]): void {
    for (const r of records) this.#records.push(r);
  }

  shift(): R {
    const r = this.#records[this.#head]!;
    this.#records[this.#head++] = undefined as unknown as R; // let it go
    if (this.#head === this.#records.length) {
      this.#records = [];
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#records.length) {
      this.#records = this.#records.slice(this.#head);
      this.#head = 0;
    }
    return r;
  }

  clear(): void {
    this.#records = [];
    this.#head = 0;
  }

  /** known lag: -1 unknown, else records (or markers) still to fetch */
  get lag(): number {
    if (this.position === null || this.end === null) return -1;
    return Math.max(0, this.end - this.position);
  }
}

export class PartitionGroup<R extends Timestamped> {
  readonly #queues = new Map<string, RecordQueue<R>>();
  readonly #maxTaskIdleMs: number;
  #buffered = 0;

  /** `partitions`: the task's input partitions, in the order ties between equal timestamps are broken */
  constructor(partitions: readonly string[], options: PartitionGroupOptions = {}) {
    for (const p of partitions) this.#queues.set(p, new RecordQueue());
    this.#maxTaskIdleMs = options.maxTaskIdleMs ?? 0;
  }

  get partitions(): string[] {
    return [...this.#queues.keys()];
  }

  /** Records buffered over all partitions. */
  get buffered(): number {
    return this.#buffered;
  }

  size(partition: string): number {
    return this.#queues.get(partition)?.size ?? 0;
  }

  /** The offset after what was fetched (or the committed offset the task started from) of a partition; null before anything is known. */
  position(partition: string): number | null {
    return this.#queues.get(partition)?.position ?? null;
  }

  /**
   * Adds a partition's fetched records (in offset order) with what the fetch
   * said: `position`, the offset after the fetched entries; `end`, the end of
   * what may be read (null: not told, the last known end stays).
   */
  add(partition: string, records: readonly R[], position: number, end: number | null): void {
    const q = this.#queue(partition);
    q.push(records);
    this.#buffered += records.length;
    // data came: the next time it runs empty, the task may wait for it again
    if (records.length > 0) q.idleDeadline = null;
    this.#updateLag(q, position, end);
  }

  /**
   * What is known of a partition without a fetch (the committed offset and
   * the end offset when the task is assigned); ignored once fetches told more.
   */
  initLag(partition: string, position: number, end: number): void {
    const q = this.#queue(partition);
    if (q.position === null) this.#updateLag(q, position, end);
  }

  #updateLag(q: RecordQueue<R>, position: number, end: number | null): void {
    q.position = Math.max(position, q.position ?? position);
    if (end !== null) q.end = end;
    // a fetch reached past the last known end (markers, data since): nothing known beyond it
    if (q.end === null || q.end < q.position) q.end = q.position;
  }

  #queue(partition: string): RecordQueue<R> {
    const q = this.#queues.get(partition);
    if (!q) throw new Error(`${partition} is not an input partition of this task`);
    return q;
  }

  /** Whether the next record may be processed now (Kafka Streams' PartitionGroup.readyToProcess). */
  readiness(now: number): Readiness {
    if (this.#buffered === 0) return { ready: false, retryAt: null };
    if (this.#maxTaskIdleMs < 0) return { ready: true };
    let retryAt: number | null = null;
    let waiting = false;
    for (const q of this.#queues.values()) {
      if (q.size > 0) {
        q.idleDeadline = null;
        continue;
      }
      const lag = q.lag;
      if (lag !== 0) {
        // unknown or known lag: the records the fetch brings may be older than every buffered one
        q.idleDeadline = null;
        return { ready: false, retryAt: null };
      }
      q.idleDeadline ??= now + this.#maxTaskIdleMs;
      if (now < q.idleDeadline) {
        waiting = true;
        retryAt = Math.min(retryAt ?? q.idleDeadline, q.idleDeadline);
      }
    }
    return waiting ? { ready: false, retryAt } : { ready: true };
  }

  /**
   * Takes up to `max` records in timestamp order (the lowest head first; on
   * equal timestamps, the partition given first), while the task is ready:
   * readiness is checked again each time a queue runs empty.
   */
  take(max: number, now: number): R[] {
    const out: R[] = [];
    if (!this.readiness(now).ready) return out;
    const queues = [...this.#queues.values()];
    while (out.length < max) {
      let best: RecordQueue<R> | null = null;
      let second = Number.POSITIVE_INFINITY;
      for (const q of queues) {
        if (q.size === 0) continue;
        const ts = q.headTimestamp;
        if (best === null || ts < best.headTimestamp) {
          if (best !== null) second = Math.min(second, best.headTimestamp);
          best = q;
        } else {
          second = Math.min(second, ts);
        }
      }
      if (best === null) break;
      // drain the chosen queue while its head stays the lowest: the same order as one record at a time
      const before = out.length;
      while (out.length < max && best.size > 0 && (out.length === before || best.headTimestamp < second || (best.headTimestamp === second && this.#firstOf(queues, best, second)))) {
        out.push(best.shift());
      }
      this.#buffered -= out.length - before;
      if (best.size === 0 && !this.readiness(now).ready) break;
    }
    return out;
  }

  /** Whether `q` comes before every other queue whose head has timestamp `ts` (ties go to the partition given first). */
  #firstOf(queues: readonly RecordQueue<R>[], q: RecordQueue<R>, ts: number): boolean {
    for (const other of queues) {
      if (other === q) return true;
      if (other.size > 0 && other.headTimestamp === ts) return false;
    }
    return true;
  }

  /** Drops every buffered record (the task is closed, or rewinds to its committed offsets). */
  clear(): void {
    for (const q of this.#queues.values()) q.clear();
    this.#buffered = 0;
  }
}
