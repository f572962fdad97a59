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

export interface StoreFactory {
  /** a store named `name` within the query (names are unique per query) */
  keyValue<V>(name: string): KeyValueStore<V>;
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
  readonly stores = new Map<string, InMemoryStore<unknown>>();
  keyValue<V>(name: string): KeyValueStore<V> {
    let s = this.stores.get(name);
    if (!s) {
      s = new InMemoryStore<unknown>();
      this.stores.set(name, s);
    }
    return s as KeyValueStore<V>;
  }
}
