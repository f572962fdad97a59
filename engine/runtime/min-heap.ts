/**
 * A binary min-heap: O(log n) push and pop, for state that is consumed in
 * time order (outer-join records waiting for their window to close). Ties
 * come out in insertion order, as a stable sort would give them.
 */
export class MinHeap<T> {
  readonly #items: { value: T; seq: number }[] = [];
  #seq = 0;

  constructor(private readonly compare: (a: T, b: T) => number) {}

  get size(): number {
    return this.#items.length;
  }

  push(value: T): void {
    const items = this.#items;
    items.push({ value, seq: this.#seq++ });
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(i, parent)) break;
      this.#swap(i, parent);
      i = parent;
    }
  }

  peek(): T | undefined {
    return this.#items[0]?.value;
  }

  pop(): T | undefined {
    const items = this.#items;
    const top = items[0];
    if (top === undefined) return undefined;
    const last = items.pop()!;
    if (items.length > 0) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < items.length && this.#less(l, m)) m = l;
        if (r < items.length && this.#less(r, m)) m = r;
        if (m === i) break;
        this.#swap(i, m);
        i = m;
      }
    }
    return top.value;
  }

  #less(i: number, j: number): boolean {
    const a = this.#items[i]!;
    const b = this.#items[j]!;
    const c = this.compare(a.value, b.value);
    return c < 0 || (c === 0 && a.seq < b.seq);
  }

  #swap(i: number, j: number): void {
    const items = this.#items;
    const t = items[i]!;
    items[i] = items[j]!;
    items[j] = t;
  }
}
