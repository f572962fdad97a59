/**
 * State stores behind one interface. The in-memory store backs the test runner
 * and the in-memory driver; the Kafka runtime wraps stores with a changelog.
 */
export interface KeyValueStore<V> {
  get(key: string): V | undefined;
  put(key: string, value: V): void;
  delete(key: string): void;
  entries(): IterableIterator<[string, V]>;
  readonly size: number;
}

/**
 * Time-window state, as Kafka Streams' segmented window store: the values of
 * the windows that start at one instant sit together, so expiring windows
 * drops whole segments instead of visiting every key, and a lookup hashes the
 * group key alone. (A changelog record's key is still `key + '@' + start`.)
 */
export interface WindowStore<V> {
  get(key: string, start: number): V | undefined;
  put(key: string, start: number, value: V): void;
  /** drops every window that starts before `start` */
  expireBefore(start: number): void;
  /** every entry, earliest window first */
  entries(): IterableIterator<[key: string, start: number, value: V]>;
  readonly size: number;
}

export interface StoreFactory {
  /** a store named `name` within the query (names are unique per query) */
  keyValue<V>(name: string): KeyValueStore<V>;
  /** a window store named `name` within the query (the same namespace as keyValue's) */
  window<V>(name: string): WindowStore<V>;
}

/** The store's segments by window start, each a map by key; `segment` remembers the last one used (records mostly stay in one window). */
export class WindowSegments<S> {
  readonly #segments = new Map<number, S>();
  #lastStart = Number.NaN;
  #last: S | undefined = undefined;

  constructor(private readonly create: (start: number) => S) {}

  segment(start: number, create: boolean): S | undefined {
    if (start === this.#lastStart) return this.#last;
    let seg = this.#segments.get(start);
    if (seg === undefined) {
      if (!create) return undefined;
      seg = this.create(start);
      this.#segments.set(start, seg);
    }
    this.#lastStart = start;
    this.#last = seg;
    return seg;
  }

  /** removes and returns the segments that start before `start` */
  expireBefore(start: number): [number, S][] {
    const out: [number, S][] = [];
    for (const e of this.#segments) if (e[0] < start) out.push(e);
    for (const [s] of out) this.#segments.delete(s);
    if (this.#lastStart < start) {
      this.#lastStart = Number.NaN;
      this.#last = undefined;
    }
    return out;
  }

  /** segments, earliest first */
  ordered(): [number, S][] {
    return [...this.#segments].sort((a, b) => a[0] - b[0]);
  }

  clear(): void {
    this.#segments.clear();
    this.#lastStart = Number.NaN;
    this.#last = undefined;
  }
}

export class InMemoryWindowStore<V> implements WindowStore<V> {
  readonly #segments = new WindowSegments(() => new Map<string, V>());
  get(key: string, start: number): V | undefined {
    return this.#segments.segment(start, false)?.get(key);
  }
  put(key: string, start: number, value: V): void {
    this.#segments.segment(start, true)!.set(key, value);
  }
  expireBefore(start: number): void {
    this.#segments.expireBefore(start);
  }
  *entries(): IterableIterator<[string, number, V]> {
    for (const [start, seg] of this.#segments.ordered()) for (const [k, v] of seg) yield [k, start, v];
  }
  get size(): number {
    let n = 0;
    for (const [, seg] of this.#segments.ordered()) n += seg.size;
    return n;
  }
}

export class InMemoryStore<V> implements KeyValueStore<V> {
  readonly #map = new Map<string, V>();
  get(key: string): V | undefined {
    return this.#map.get(key);
  }
  put(key: string, value: V): void {
    this.#map.set(key, value);
  }
  delete(key: string): void {
    this.#map.delete(key);
  }
  entries(): IterableIterator<[string, V]> {
    return this.#map.entries();
  }
  get size(): number {
    return this.#map.size;
  }
}

export class InMemoryStoreFactory implements StoreFactory {
  readonly stores = new Map<string, InMemoryStore<unknown> | InMemoryWindowStore<unknown>>();
  keyValue<V>(name: string): KeyValueStore<V> {
    let s = this.stores.get(name);
    if (!s) {
      s = new InMemoryStore<unknown>();
      this.stores.set(name, s);
    }
    if (!(s instanceof InMemoryStore)) throw new Error(`store ${name} is a window store`);
    return s as KeyValueStore<V>;
  }
  window<V>(name: string): WindowStore<V> {
    let s = this.stores.get(name);
    if (!s) {
      s = new InMemoryWindowStore<unknown>();
      this.stores.set(name, s);
    }
    if (!(s instanceof InMemoryWindowStore)) throw new Error(`store ${name} is a key-value store`);
    return s as WindowStore<V>;
  }
}
