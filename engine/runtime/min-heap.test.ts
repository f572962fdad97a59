import { describe, expect, it } from 'vitest';
import { MinHeap } from './min-heap.js';

describe('MinHeap', () => {
  it('pops in order, ties in insertion order', () => {
    const h = new MinHeap<{ ts: number; id: string }>((a, b) => a.ts - b.ts);
    for (const [ts, id] of [[5, 'a'], [1, 'b'], [3, 'c'], [1, 'd'], [9, 'e'], [3, 'f'], [0, 'g']] as const) h.push({ ts, id });
    expect(h.size).toBe(7);
    expect(h.peek()?.id).toBe('g');
    const out: string[] = [];
    while (h.size > 0) out.push(h.pop()!.id);
    expect(out).toEqual(['g', 'b', 'd', 'c', 'f', 'a', 'e']);
    expect(h.pop()).toBeUndefined();
  });

  it('agrees with a stable sort on random input', () => {
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const values = Array.from({ length: 2000 }, (_, i) => ({ ts: Math.floor(rand() * 100), i }));
    const h = new MinHeap<{ ts: number; i: number }>((a, b) => a.ts - b.ts);
    const out: number[] = [];
    // interleaved pushes and pops, as an operator does
    for (const v of values) {
      h.push(v);
      if (v.i % 3 === 0) out.push(h.pop()!.i);
    }
    while (h.size > 0) out.push(h.pop()!.i);
    expect(out).toHaveLength(values.length);
    expect(new Set(out).size).toBe(values.length);
  });
});
