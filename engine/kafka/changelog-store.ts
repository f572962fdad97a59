import type { BrokerRecord } from '../driver/broker.js';
import { WindowSegments, type KeyValueStore, type StoreFactory, type WindowStore } from '../runtime/store.js';
import { decodeText, decodeValue, encodeText, encodeValue, textOf } from './codec.js';
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

  /** `changelogKey`: the changelog record key (and checkpoint key) of a store key */
  constructor(
    readonly topic: string,
    readonly partition: number,
    private readonly changelogKey: (key: string) => string = (key) => key,
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
  /** the keys, decoded values or not */
  *keys(): IterableIterator<string> {
    yield* this.#map.keys();
    yield* this.#encoded.keys();
  }

  /** Entries as the codec's text under their changelog keys (checkpoints: values never read are written as restored, binary ones in base64). */
  *encodedEntries(): IterableIterator<[string, string]> {
    for (const [k, v] of this.#map) yield [this.changelogKey(k), encodeText(v)];
    for (const [k, encoded] of this.#encoded) yield [this.changelogKey(k), typeof encoded === 'string' ? encoded : textOf(encoded)];
  }
  get size(): number {
    return this.#map.size + this.#encoded.size;
  }

  /** Changelog records for the keys written since the last call (values encoded now, so later in-place changes are caught). */
  drainChanges(timestamp: number): OutRecord[] {
    const out: OutRecord[] = [];
    for (const k of this.#dirty) {
      const v = this.get(k);
      out.push({ topic: this.topic, partition: this.partition, key: Buffer.from(this.changelogKey(k), 'utf8'), value: v === undefined ? null : encodeValue(v), timestamp });
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
    if (r.key !== null) this.restoreEntry(r.key.toString('utf8'), r.value);
  }

  /** Replays a changelog value (null: a tombstone) under its store key. */
  restoreEntry(k: string, value: Buffer | null): void {
    if (value === null) {
      this.#map.delete(k);
      this.#encoded.delete(k);
      return;
    }
    this.#encoded.set(k, value);
    if (this.#map.size > 0) this.#map.delete(k);
  }

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
 * window start in memory (runtime/store.ts), each a ChangelogStore whose
 * changelog records are keyed `key@start` (values restored lazily, writes
 * flushed as there). Expired windows are deleted from the changelog too
 * (tombstones at the next flush), so the compacted topic holds the retained
 * windows only.
 */
export class ChangelogWindowStore<V> implements WindowStore<V>, ChangelogBacked {
  readonly #segments: WindowSegments<ChangelogStore<V>>;
  /** changelog keys of the windows expired since the last flush */
  #expired: string[] = [];

  constructor(
    readonly topic: string,
    readonly partition: number,
  ) {
    this.#segments = new WindowSegments((start) => new ChangelogStore<V>(topic, partition, (key) => `${key}@${start}`));
  }

  get(key: string, start: number): V | undefined {
    return this.#segments.segment(start, false)?.get(key);
  }

  put(key: string, start: number, value: V): void {
    this.#segments.segment(start, true)!.put(key, value);
  }

  expireBefore(start: number): void {
    for (const [s, seg] of this.#segments.expireBefore(start)) for (const k of seg.keys()) this.#expired.push(`${k}@${s}`);
  }

  *entries(): IterableIterator<[string, number, V]> {
    for (const [start, seg] of this.#segments.ordered()) for (const [k, v] of seg.entries()) yield [k, start, v];
  }

  *encodedEntries(): IterableIterator<[string, string]> {
    for (const [, seg] of this.#segments.ordered()) yield* seg.encodedEntries();
  }

  get size(): number {
    let n = 0;
    for (const [, seg] of this.#segments.ordered()) n += seg.size;
    return n;
  }

  drainChanges(timestamp: number): OutRecord[] {
    const out = this.#segments.ordered().flatMap(([, seg]) => seg.drainChanges(timestamp));
    for (const k of this.#expired) out.push({ topic: this.topic, partition: this.partition, key: Buffer.from(k, 'utf8'), value: null, timestamp });
    this.#expired = [];
    return out;
  }

  discardChanges(): void {
    for (const [, seg] of this.#segments.ordered()) seg.discardChanges();
    this.#expired = [];
  }

  load(key: string, text: string): void {
    const w = splitWindowKey(key);
    if (w !== null) this.#segments.segment(w.start, true)!.load(w.key, text);
  }

  clear(): void {
    this.#segments.clear();
    this.#expired = [];
  }

  restore(r: BrokerRecord): void {
    if (r.key === null) return;
    const w = splitWindowKey(r.key.toString('utf8'));
    if (w === null) return;
    this.#segments.segment(w.start, r.value !== null)?.restoreEntry(w.key, r.value);
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
