import type { BrokerRecord } from '../driver/broker.js';
import { InMemoryWindowStore, WindowSegments, type KeyValueStore, type StoreFactory, type WindowStore } from '../runtime/store.js';
import { decodeText, decodeValue, encodeText, encodeValue } from './codec.js';
import type { OutRecord } from './port.js';

/** What the query runner needs of a task's store: restore, checkpoint, flush. */
export interface ChangelogBacked {
  readonly topic: string;
  readonly partition: number;
  readonly size: number;
  /** Entries as the codec's JSON text, under their changelog keys (checkpoints). */
  encodedEntries(): IterableIterator<[string, string]>;
  /** Changelog records for what changed since the last call. */
  drainChanges(timestamp: number): OutRecord[];
  /** Forgets writes not yet flushed (an aborted batch; the task is then closed and restored). */
  discardChanges(): void;
  /** Puts a value read from a local checkpoint, as codec text (not written to the changelog again). */
  load(key: string, text: string): void;
  /** Forgets everything (a checkpoint that turned out unusable). */
  clear(): void;
  /** Replays one changelog record (the latest value of its key, or a tombstone). */
  restore(r: BrokerRecord): void;
}

/**
 * A task's key-value store backed by a compacted changelog partition: reads
 * and writes hit memory; the keys written since the last flush are sent to
 * the changelog (the latest value per key, or a tombstone) with the task's
 * outputs, before the input offsets are committed. `restore` replays the
 * changelog into memory before the task processes anything.
 */
export class ChangelogStore<V> implements KeyValueStore<V>, ChangelogBacked {
  /** values read or written since the restore */
  readonly #map = new Map<string, V>();
  /**
   * Values restored and not read yet, in the codec's encoding: the changelog
   * record's bytes (a view of the fetched response, not a copy) or a
   * checkpoint's text. They are decoded on their first read, so a large store
   * restores at the speed its records arrive. A key is in one map or the
   * other, never both; no wrapper object per entry (a large restore's entries
   * all survive into the old generation, and every object there costs the
   * garbage collector a copy or two).
   */
  readonly #encoded = new Map<string, Buffer | string>();
  readonly #dirty = new Set<string>();

  constructor(
    readonly topic: string,
    readonly partition: number,
  ) {}

  get(key: string): V | undefined {
    const v = this.#map.get(key);
    if (v !== undefined || this.#encoded.size === 0) return v;
    const encoded = this.#encoded.get(key);
    if (encoded === undefined) return undefined;
    return this.#decoded(key, encoded);
  }

  #decoded(key: string, encoded: Buffer | string): V {
    const value = typeof encoded === 'string' ? decodeText<V>(encoded) : decodeValue<V>(encoded);
    this.#encoded.delete(key);
    this.#map.set(key, value);
    return value;
  }

  put(key: string, value: V): void {
    this.#map.set(key, value);
    if (this.#encoded.size > 0) this.#encoded.delete(key);
    this.#dirty.add(key);
  }
  delete(key: string): void {
    this.#map.delete(key);
    this.#encoded.delete(key);
    this.#dirty.add(key);
  }
  *entries(): IterableIterator<[string, V]> {
    yield* this.#map;
    for (const [k, encoded] of this.#encoded) yield [k, this.#decoded(k, encoded)];
  }

  /** Entries as the codec's JSON text (checkpoints: values never read are written as restored). */
  *encodedEntries(): IterableIterator<[string, string]> {
    for (const [k, v] of this.#map) yield [k, encodeText(v)];
    for (const [k, encoded] of this.#encoded) yield [k, typeof encoded === 'string' ? encoded : encoded.toString('utf8')];
  }
  get size(): number {
    return this.#map.size + this.#encoded.size;
  }

  /** Changelog records for the keys written since the last call (values encoded now, so later in-place changes are caught). */
  drainChanges(timestamp: number): OutRecord[] {
    const out: OutRecord[] = [];
    for (const k of this.#dirty) {
      const v = this.get(k);
      out.push({ topic: this.topic, partition: this.partition, key: Buffer.from(k, 'utf8'), value: v === undefined ? null : encodeValue(v), timestamp });
    }
    this.#dirty.clear();
    return out;
  }

  /** Forgets writes not yet flushed (an aborted batch; the task is then closed and restored). */
  discardChanges(): void {
    this.#dirty.clear();
  }

  /** Puts a value read from a local checkpoint, as codec text (not written to the changelog again). */
  load(key: string, text: string): void {
    this.#encoded.set(key, text);
    if (this.#map.size > 0) this.#map.delete(key);
  }

  /** Forgets everything (a checkpoint that turned out unusable). */
  clear(): void {
    this.#map.clear();
    this.#encoded.clear();
    this.#dirty.clear();
  }

  /** Replays one changelog record (the latest value of its key, or a tombstone). */
  restore(r: BrokerRecord): void {
    if (r.key === null) return;
    const k = r.key.toString('utf8');
    if (r.value === null) {
      this.#map.delete(k);
      this.#encoded.delete(k);
      return;
    }
    this.#encoded.set(k, r.value);
    if (this.#map.size > 0) this.#map.delete(k);
  }
}

/** One window start's entries in a changelog-backed window store (see ChangelogStore for the two maps). */
interface WindowSegment<V> {
  readonly values: Map<string, V>;
  readonly encoded: Map<string, Buffer | string>;
  /** keys written since the last flush */
  readonly dirty: Set<string>;
}

/** A changelog key `key@start` split in two; null when it has no window start. */
function splitWindowKey(k: string): { key: string; start: number } | null {
  const at = k.lastIndexOf('@');
  if (at < 0) return null;
  const start = Number(k.slice(at + 1));
  return Number.isSafeInteger(start) ? { key: k.slice(0, at), start } : null;
}

/**
 * A task's window store backed by a compacted changelog partition: segments by
 * window start in memory (runtime/store.ts), changelog records keyed
 * `key@start`, values restored lazily as in ChangelogStore. Expired windows
 * are deleted from the changelog too (tombstones at the next flush), so the
 * compacted topic holds the retained windows only.
 */
export class ChangelogWindowStore<V> implements WindowStore<V>, ChangelogBacked {
  readonly #segments = new WindowSegments<WindowSegment<V>>(() => ({ values: new Map(), encoded: new Map(), dirty: new Set() }));
  /** changelog keys of the windows expired since the last flush */
  #expired: string[] = [];

  constructor(
    readonly topic: string,
    readonly partition: number,
  ) {}

  get(key: string, start: number): V | undefined {
    const seg = this.#segments.segment(start, false);
    if (seg === undefined) return undefined;
    const v = seg.values.get(key);
    if (v !== undefined || seg.encoded.size === 0) return v;
    const encoded = seg.encoded.get(key);
    if (encoded === undefined) return undefined;
    const value = typeof encoded === 'string' ? decodeText<V>(encoded) : decodeValue<V>(encoded);
    seg.encoded.delete(key);
    seg.values.set(key, value);
    return value;
  }

  put(key: string, start: number, value: V): void {
    const seg = this.#segments.segment(start, true)!;
    seg.values.set(key, value);
    if (seg.encoded.size > 0) seg.encoded.delete(key);
    seg.dirty.add(key);
  }

  expireBefore(start: number): void {
    for (const [s, seg] of this.#segments.expireBefore(start)) {
      for (const k of seg.values.keys()) this.#expired.push(`${k}@${s}`);
      for (const k of seg.encoded.keys()) this.#expired.push(`${k}@${s}`);
    }
  }

  *entries(): IterableIterator<[string, number, V]> {
    for (const [start, seg] of this.#segments.ordered()) {
      for (const k of [...seg.values.keys(), ...seg.encoded.keys()]) yield [k, start, this.get(k, start)!];
    }
  }

  *encodedEntries(): IterableIterator<[string, string]> {
    for (const [start, seg] of this.#segments.ordered()) {
      for (const [k, v] of seg.values) yield [`${k}@${start}`, encodeText(v)];
      for (const [k, e] of seg.encoded) yield [`${k}@${start}`, typeof e === 'string' ? e : e.toString('utf8')];
    }
  }

  get size(): number {
    let n = 0;
    for (const [, seg] of this.#segments.ordered()) n += seg.values.size + seg.encoded.size;
    return n;
  }

  drainChanges(timestamp: number): OutRecord[] {
    const out: OutRecord[] = [];
    for (const [start, seg] of this.#segments.ordered()) {
      for (const k of seg.dirty) {
        const v = this.get(k, start);
        out.push({ topic: this.topic, partition: this.partition, key: Buffer.from(`${k}@${start}`, 'utf8'), value: v === undefined ? null : encodeValue(v), timestamp });
      }
      seg.dirty.clear();
    }
    for (const k of this.#expired) out.push({ topic: this.topic, partition: this.partition, key: Buffer.from(k, 'utf8'), value: null, timestamp });
    this.#expired = [];
    return out;
  }

  discardChanges(): void {
    for (const [, seg] of this.#segments.ordered()) seg.dirty.clear();
    this.#expired = [];
  }

  load(key: string, text: string): void {
    const w = splitWindowKey(key);
    if (w === null) return;
    const seg = this.#segments.segment(w.start, true)!;
    seg.encoded.set(w.key, text);
    if (seg.values.size > 0) seg.values.delete(w.key);
  }

  clear(): void {
    this.#segments.clear();
    this.#expired = [];
  }

  restore(r: BrokerRecord): void {
    if (r.key === null) return;
    const w = splitWindowKey(r.key.toString('utf8'));
    if (w === null) return;
    if (r.value === null) {
      const seg = this.#segments.segment(w.start, false);
      seg?.values.delete(w.key);
      seg?.encoded.delete(w.key);
      return;
    }
    const seg = this.#segments.segment(w.start, true)!;
    seg.encoded.set(w.key, r.value);
    if (seg.values.size > 0) seg.values.delete(w.key);
  }
}

/** The stores of one task: one changelog-backed store per name, on the task's partition. */
export class TaskStoreFactory implements StoreFactory {
  readonly stores = new Map<string, ChangelogStore<unknown> | ChangelogWindowStore<unknown>>();

  constructor(
    readonly partition: number,
    private readonly changelogTopicOf: (storeName: string) => string,
  ) {}

  keyValue<V>(name: string): KeyValueStore<V> {
    let s = this.stores.get(name);
    if (!s) {
      s = new ChangelogStore<unknown>(this.changelogTopicOf(name), this.partition);
      this.stores.set(name, s);
    }
    if (!(s instanceof ChangelogStore)) throw new Error(`store ${name} is a window store`);
    return s as KeyValueStore<V>;
  }

  window<V>(name: string): WindowStore<V> {
    let s = this.stores.get(name);
    if (!s) {
      s = new ChangelogWindowStore<unknown>(this.changelogTopicOf(name), this.partition);
      this.stores.set(name, s);
    }
    if (!(s instanceof ChangelogWindowStore)) throw new Error(`store ${name} is a key-value store`);
    return s as WindowStore<V>;
  }

  byTopic(): Map<string, ChangelogBacked> {
    return new Map([...this.stores.values()].map((s) => [s.topic, s]));
  }

  drainChanges(timestamp: number): OutRecord[] {
    return [...this.stores.values()].flatMap((s) => s.drainChanges(timestamp));
  }
}

/** Records the store names a topology asks for, without keeping anything (to plan internal topics). */
export class ProbeStoreFactory implements StoreFactory {
  readonly names: string[] = [];
  keyValue<V>(name: string): KeyValueStore<V> {
    if (!this.names.includes(name)) this.names.push(name);
    const map = new Map<string, V>();
    return {
      get: (k) => map.get(k),
      put: (k, v) => void map.set(k, v),
      delete: (k) => void map.delete(k),
      entries: () => map.entries(),
      get size() {
        return map.size;
      },
    };
  }
  window<V>(name: string): WindowStore<V> {
    if (!this.names.includes(name)) this.names.push(name);
    return new InMemoryWindowStore<V>();
  }
}
