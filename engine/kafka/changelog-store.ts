import type { BrokerRecord } from '../driver/broker.js';
import type { KeyValueStore, StoreFactory } from '../runtime/store.js';
import { decodeText, decodeValue, encodeText, encodeValue } from './codec.js';
import type { OutRecord } from './port.js';

/**
 * A task's key-value store backed by a compacted changelog partition: reads
 * and writes hit memory; the keys written since the last flush are sent to
 * the changelog (the latest value per key, or a tombstone) with the task's
 * outputs, before the input offsets are committed. `restore` replays the
 * changelog into memory before the task processes anything.
 */
export class ChangelogStore<V> implements KeyValueStore<V> {
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

/** The stores of one task: one changelog-backed store per name, on the task's partition. */
export class TaskStoreFactory implements StoreFactory {
  readonly stores = new Map<string, ChangelogStore<unknown>>();

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
    return s as KeyValueStore<V>;
  }

  byTopic(): Map<string, ChangelogStore<unknown>> {
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
}
