/**
 * Percentiles of the latency runs, from the histogram the load driver
 * reports (whole milliseconds → how many outputs took that long).
 */

/** [milliseconds, count] pairs */
export type Histogram = readonly (readonly [number, number])[];

/**
 * The nearest-rank percentile: the smallest value with at least ⌈q·n⌉ of the
 * n observations at or below it (q in (0, 1]; q = 1 is the maximum). Null
 * without observations. Pairs need not be sorted.
 */
export function percentile(h: Histogram, q: number): number | null {
  if (!(q > 0 && q <= 1)) throw new RangeError(`percentile ${q} is outside (0, 1]`);
  const sorted = [...h].filter(([, c]) => c > 0).sort((a, b) => a[0] - b[0]);
  const n = sorted.reduce((a, [, c]) => a + c, 0);
  if (n === 0) return null;
  const rank = Math.max(1, Math.ceil(q * n));
  let seen = 0;
  for (const [v, c] of sorted) {
    seen += c;
    if (seen >= rank) return v;
  }
  return sorted[sorted.length - 1]![0];
}

export function observations(h: Histogram): number {
  return h.reduce((a, [, c]) => a + c, 0);
}
