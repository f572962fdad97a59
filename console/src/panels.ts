import { MetricsHistory, SEP, type Series } from './metrics.js';

/**
 * The dashboards' panels (dashboards/cluster-overview.ts and query-detail.ts):
 * the same titles and PromQL, restricted to this cluster's service id. Each
 * target also says how to compute it from the engine's own recent metrics
 * (MetricsHistory) when no Prometheus is configured.
 */
export type Unit = 'ops' | 'Bps' | 'bytes' | 's' | 'short' | 'percentunit';

export interface Target {
  /** PromQL, given the selector of this cluster's series for a metric */
  readonly expr: (sel: (metric: string, extra?: string) => string) => string;
  /** Grafana's legend template: {{label}} */
  readonly legend: string;
  /** the labels the series are split by (the legend's) */
  readonly by: readonly string[];
  readonly local: (h: MetricsHistory) => Map<string, (number | null)[]>;
}

export interface Panel {
  readonly id: string;
  readonly title: string;
  readonly unit: Unit;
  readonly targets: readonly Target[];
}

const RATE = '1m';
const rate = (sel: (m: string) => string, m: string): string => `rate(${sel(m)}[${RATE}])`;
const quantile = (q: number, m: string, by: string[]): Target => ({
  expr: (sel) => `histogram_quantile(${q}, sum by (${[...by, 'le'].join(', ')}) (rate(${sel(`${m}_bucket`)}[${RATE}])))`,
  legend: `p${Math.round(q * 100)} ${by.map((b) => `{{${b}}}`).join(' ')}`,
  by,
  local: (h) => h.quantile(q, m, by),
});

export const PANELS: readonly Panel[] = [
  {
    id: 'records-in',
    title: 'Records in / s by query',
    unit: 'ops',
    targets: [{ expr: (s) => `sum by (query_id) (${rate(s, 'ksetl_query_records_in_total')})`, legend: '{{query_id}}', by: ['query_id'], local: (h) => h.rate('ksetl_query_records_in_total', ['query_id']) }],
  },
  {
    id: 'records-out',
    title: 'Records out / s by query',
    unit: 'ops',
    targets: [{ expr: (s) => `sum by (query_id) (${rate(s, 'ksetl_query_records_out_total')})`, legend: '{{query_id}}', by: ['query_id'], local: (h) => h.rate('ksetl_query_records_out_total', ['query_id']) }],
  },
  {
    id: 'bytes',
    title: 'Bytes in / out',
    unit: 'Bps',
    targets: [
      { expr: (s) => `sum(${rate(s, 'ksetl_query_bytes_in_total')})`, legend: 'in', by: [], local: (h) => h.rate('ksetl_query_bytes_in_total', []) },
      { expr: (s) => `sum(${rate(s, 'ksetl_query_bytes_out_total')})`, legend: 'out', by: [], local: (h) => h.rate('ksetl_query_bytes_out_total', []) },
    ],
  },
  {
    id: 'lag',
    title: 'Consumer lag by query',
    unit: 'short',
    targets: [{ expr: (s) => `sum by (query_id) (${s('ksetl_query_consumer_lag')})`, legend: '{{query_id}}', by: ['query_id'], local: (h) => h.gauge('ksetl_query_consumer_lag', ['query_id']) }],
  },
  {
    id: 'e2e-latency',
    title: 'End-to-end latency',
    unit: 's',
    targets: [quantile(0.5, 'ksetl_query_e2e_latency_seconds', ['query_id']), quantile(0.99, 'ksetl_query_e2e_latency_seconds', ['query_id'])],
  },
  {
    id: 'commit-latency',
    title: 'Commit latency',
    unit: 's',
    targets: [quantile(0.5, 'ksetl_query_commit_latency_seconds', ['query_id']), quantile(0.99, 'ksetl_query_commit_latency_seconds', ['query_id'])],
  },
  {
    id: 'errors',
    title: 'Processing errors / s',
    unit: 'ops',
    targets: [{ expr: (s) => `sum by (query_id, kind) (${rate(s, 'ksetl_query_processing_errors_total')})`, legend: '{{query_id}} {{kind}}', by: ['query_id', 'kind'], local: (h) => h.rate('ksetl_query_processing_errors_total', ['query_id', 'kind']) }],
  },
  {
    id: 'processing-log',
    title: 'Processing log records / s',
    unit: 'ops',
    targets: [{ expr: (s) => `sum by (kind) (${rate(s, 'ksetl_processing_log_records_total')})`, legend: '{{kind}}', by: ['kind'], local: (h) => h.rate('ksetl_processing_log_records_total', ['kind']) }],
  },
  {
    id: 'store-entries',
    title: 'State store entries',
    unit: 'short',
    targets: [{ expr: (s) => `sum by (query_id, store) (${s('ksetl_state_store_entries')})`, legend: '{{query_id}} {{store}}', by: ['query_id', 'store'], local: (h) => h.gauge('ksetl_state_store_entries', ['query_id', 'store']) }],
  },
  {
    id: 'query-states',
    title: 'Query states',
    unit: 'short',
    targets: [{ expr: (s) => `count by (state) (${s('ksetl_query_state')} == 1)`, legend: '{{state}}', by: ['state'], local: (h) => h.gauge('ksetl_query_state', ['state'], 'sum', () => true) }],
  },
  {
    id: 'cpu',
    title: 'CPU',
    unit: 'percentunit',
    targets: [{ expr: (s) => `sum by (instance) (${rate(s, 'process_cpu_seconds_total')})`, legend: 'cpu {{instance}}', by: ['instance'], local: (h) => h.rate('process_cpu_seconds_total', ['instance']) }],
  },
  {
    id: 'memory',
    title: 'Memory',
    unit: 'bytes',
    targets: [
      { expr: (s) => `sum by (instance) (${s('process_resident_memory_bytes')})`, legend: 'rss {{instance}}', by: ['instance'], local: (h) => h.gauge('process_resident_memory_bytes', ['instance']) },
      { expr: (s) => `sum by (instance) (${s('nodejs_heap_size_used_bytes')})`, legend: 'heap {{instance}}', by: ['instance'], local: (h) => h.gauge('nodejs_heap_size_used_bytes', ['instance']) },
    ],
  },
  {
    id: 'event-loop-lag',
    title: 'Event-loop lag',
    unit: 's',
    targets: [{ expr: (s) => `max by (instance) (${s('nodejs_eventloop_lag_seconds')})`, legend: 'lag {{instance}}', by: ['instance'], local: (h) => h.gauge('nodejs_eventloop_lag_seconds', ['instance'], 'max') }],
  },
];

/** Fills a legend template from labels. */
export function legendOf(template: string, labels: Readonly<Record<string, string>>): string {
  return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, l: string) => labels[l] ?? '').trim() || template;
}

/** The selector of a metric's series of one cluster (its service id). */
export function selector(serviceId: string): (metric: string, extra?: string) => string {
  return (m, extra) => `${m}{service_id="${serviceId.replace(/["\\]/g, '\\$&')}"${extra ? `, ${extra}` : ''}}`;
}

/** A panel's series from the engine's recent metrics. */
export function localSeries(p: Panel, h: MetricsHistory): Series {
  const xs = h.snapshots.map((s) => s.t);
  const lines = p.targets.flatMap((t) =>
    [...t.local(h).entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, values]) => {
        const parts = k.split(SEP);
        return { label: legendOf(t.legend, Object.fromEntries(t.by.map((b, i) => [b, parts[i] ?? '']))), values };
      }),
  );
  return { xs, lines };
}

/** Prometheus query_range results (matrix) as aligned chart data over start..end by step. */
export interface PromMatrix {
  readonly result: readonly { readonly metric: Readonly<Record<string, string>>; readonly values: readonly (readonly [number, string])[] }[];
}

export function promSeries(targets: readonly { readonly legend: string; readonly data: PromMatrix }[], start: number, end: number, step: number): Series {
  const xs: number[] = [];
  for (let t = start; t <= end; t += step) xs.push(t);
  const index = new Map(xs.map((t, i) => [t, i]));
  const lines = targets.flatMap((t) =>
    t.data.result.map((r) => {
      const values = new Array<number | null>(xs.length).fill(null);
      for (const [ts, v] of r.values) {
        const i = index.get(ts);
        if (i !== undefined) values[i] = Number(v);
      }
      return { label: legendOf(t.legend, r.metric), values };
    }),
  );
  return { xs, lines };
}
