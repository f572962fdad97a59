/**
 * The engine's own recent metrics, for the dashboards when no Prometheus is
 * configured: the console scrapes /metrics (Prometheus text) every few
 * seconds, keeps the last minutes, and computes the panels' series the way
 * their PromQL would (rate over a window, sums by labels, histogram
 * quantiles).
 */

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Snapshot {
  /** seconds since the epoch */
  readonly t: number;
  readonly samples: readonly Sample[];
}

/** Aligned series for a chart: one x per snapshot, one value (or null) per x for each labelled series. */
export interface Series {
  readonly xs: readonly number[];
  readonly lines: readonly { readonly label: string; readonly values: readonly (number | null)[] }[];
}

/** Parses Prometheus text exposition (comments skipped; NaN and ±Inf kept as numbers). */
export function parsePrometheusText(text: string): Sample[] {
  const out: Sample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const brace = line.indexOf('{');
    const space = line.lastIndexOf(' ');
    let name: string;
    const labels: Record<string, string> = {};
    let valueText: string;
    if (brace >= 0 && brace < line.indexOf(' ')) {
      name = line.slice(0, brace);
      const close = line.lastIndexOf('}');
      const inside = line.slice(brace + 1, close);
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
      for (let m = re.exec(inside); m; m = re.exec(inside)) labels[m[1]!] = m[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
      valueText = line.slice(close + 1).trim().split(/\s+/)[0] ?? '';
    } else {
      const parts = line.split(/\s+/);
      name = parts[0]!;
      valueText = parts[1] ?? line.slice(space + 1);
    }
    const value = valueText === '+Inf' ? Infinity : valueText === '-Inf' ? -Infinity : Number(valueText);
    out.push({ name, labels, value });
  }
  return out;
}

/** Joins label values into a series key (SEP never occurs in label values the engine writes). */
export const SEP = '\u0001';
const keyOf = (labels: Readonly<Record<string, string>>, by: readonly string[]): string => by.map((l) => labels[l] ?? '').join(SEP);
const fullKey = (labels: Readonly<Record<string, string>>): string => JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));

/** Keeps the latest snapshots (default 10 minutes' worth). */
export class MetricsHistory {
  readonly #snaps: Snapshot[] = [];
  constructor(readonly keepSeconds = 600) {}

  add(s: Snapshot): void {
    this.#snaps.push(s);
    while (this.#snaps.length > 0 && this.#snaps[0]!.t < s.t - this.keepSeconds) this.#snaps.shift();
  }

  get snapshots(): readonly Snapshot[] {
    return this.#snaps;
  }

  get latest(): Snapshot | undefined {
    return this.#snaps[this.#snaps.length - 1];
  }

  /** Values of a counter's series per second over `window` seconds before each snapshot, summed by `by`. */
  rate(name: string, by: readonly string[], window = 30, filter: (l: Readonly<Record<string, string>>) => boolean = () => true): Map<string, (number | null)[]> {
    const snaps = this.#snaps;
    const out = new Map<string, (number | null)[]>();
    const put = (k: string, i: number, v: number): void => {
      let arr = out.get(k);
      if (!arr) out.set(k, (arr = new Array<number | null>(snaps.length).fill(null)));
      arr[i] = (arr[i] ?? 0) + v;
    };
    for (let i = 1; i < snaps.length; i++) {
      const cur = snaps[i]!;
      let j = i - 1;
      while (j > 0 && snaps[j - 1]!.t >= cur.t - window) j--;
      const prev = snaps[j]!;
      const dt = cur.t - prev.t;
      if (dt <= 0) continue;
      const before = new Map<string, number>();
      for (const s of prev.samples) if (s.name === name) before.set(fullKey(s.labels), s.value);
      for (const s of cur.samples) {
        if (s.name !== name || !filter(s.labels)) continue;
        const b = before.get(fullKey(s.labels));
        // a series new since then counts from 0; a reset (restart) from its new value
        const delta = b === undefined ? s.value : s.value >= b ? s.value - b : s.value;
        put(keyOf(s.labels, by), i, delta / dt);
      }
    }
    return out;
  }

  /** A gauge's values at each snapshot, summed (or maxed) by `by`. */
  gauge(name: string, by: readonly string[], agg: 'sum' | 'max' = 'sum', filter: (l: Readonly<Record<string, string>>) => boolean = () => true): Map<string, (number | null)[]> {
    const snaps = this.#snaps;
    const out = new Map<string, (number | null)[]>();
    snaps.forEach((snap, i) => {
      for (const s of snap.samples) {
        if (s.name !== name || !filter(s.labels)) continue;
        const k = keyOf(s.labels, by);
        let arr = out.get(k);
        if (!arr) out.set(k, (arr = new Array<number | null>(snaps.length).fill(null)));
        const prev = arr[i];
        arr[i] = prev === null || prev === undefined ? s.value : agg === 'sum' ? prev + s.value : Math.max(prev, s.value);
      }
    });
    return out;
  }

  /** histogram_quantile(q, sum by (by, le) (rate(<name>_bucket[window]))) at each snapshot. */
  quantile(q: number, name: string, by: readonly string[], window = 30): Map<string, (number | null)[]> {
    const buckets = this.rate(`${name}_bucket`, [...by, 'le'], window);
    const groups = new Map<string, { le: number; values: (number | null)[] }[]>();
    for (const [k, values] of buckets) {
      const cut = k.lastIndexOf(SEP);
      const g = cut >= 0 ? k.slice(0, cut) : '';
      const leText = k.slice(cut + 1);
      const le = leText === '+Inf' ? Infinity : Number(leText);
      const list = groups.get(g) ?? [];
      list.push({ le, values });
      groups.set(g, list);
    }
    const out = new Map<string, (number | null)[]>();
    for (const [g, list] of groups) {
      list.sort((a, b) => a.le - b.le);
      out.set(
        g,
        this.#snaps.map((_, i) => histogramQuantile(q, list.map((b) => ({ le: b.le, count: b.values[i] ?? 0 })))),
      );
    }
    return out;
  }
}

/** Prometheus' histogram_quantile over cumulative buckets (sorted by le, the last +Inf): linear within the bucket; null without observations. */
export function histogramQuantile(q: number, buckets: readonly { le: number; count: number }[]): number | null {
  const total = buckets[buckets.length - 1]?.count ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const b of buckets) {
    if (b.count >= rank) {
      if (b.le === Infinity) return prevLe;
      const inBucket = b.count - prevCount;
      return inBucket <= 0 ? b.le : prevLe + ((b.le - prevLe) * (rank - prevCount)) / inBucket;
    }
    prevLe = b.le;
    prevCount = b.count;
  }
  return prevLe;
}

/** A history's map of series as chart data (labels sorted). */
export function toSeries(h: MetricsHistory, lines: ReadonlyMap<string, readonly (number | null)[]>, legend: (key: string) => string): Series {
  return {
    xs: h.snapshots.map((s) => s.t),
    lines: [...lines.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, values]) => ({ label: legend(k), values })),
  };
}
