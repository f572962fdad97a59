import { AggregatorRegistry, Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type Metric } from 'prom-client';

/**
 * The engine process's Prometheus metrics, served at GET /metrics. The
 * catalog below is the contract with the operator and the dashboards (names,
 * types, labels): it drives registration here and the generated
 * docs/metrics.md. Add entries; never rename one.
 */
export interface MetricDef {
  readonly name: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  readonly help: string;
  /** labels besides the constant ones (namespace, cluster, service_id) */
  readonly labels: readonly string[];
  /** histogram buckets (seconds) */
  readonly buckets?: readonly number[];
}

/** Labels every engine metric carries: from KSETL_NAMESPACE, KSETL_CLUSTER and the service id (empty when unset). */
export const CONSTANT_LABELS = ['namespace', 'cluster', 'service_id'] as const;

export const PROCESSING_ERROR_KINDS = ['deserialization', 'evaluation', 'serialization', 'other'] as const;
export type ProcessingErrorKind = (typeof PROCESSING_ERROR_KINDS)[number];

export const QUERY_STATES = ['RUNNING', 'PAUSED', 'ERROR', 'REBALANCING', 'PENDING_SHUTDOWN', 'NOT_RUNNING'] as const;
export type QueryState = (typeof QUERY_STATES)[number];

const LATENCY_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
const COMMIT_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export const ENGINE_METRICS = [
  { name: 'ksetl_query_records_in_total', type: 'counter', help: 'Records consumed by the query from its source topics (not its internal repartition topics).', labels: ['query_id'] },
  { name: 'ksetl_query_records_out_total', type: 'counter', help: 'Records produced by the query to its sink topic.', labels: ['query_id'] },
  { name: 'ksetl_query_bytes_in_total', type: 'counter', help: 'Key and value bytes of the records consumed by the query.', labels: ['query_id'] },
  { name: 'ksetl_query_bytes_out_total', type: 'counter', help: 'Key and value bytes of the records produced to the sink topic.', labels: ['query_id'] },
  { name: 'ksetl_query_processing_errors_total', type: 'counter', help: 'Records the query could not process (kind: deserialization, evaluation, serialization, other); each also goes to the processing log.', labels: ['query_id', 'kind'] },
  { name: 'ksetl_query_consumer_lag', type: 'gauge', help: 'Records between the query\'s position (or committed offset) and the log end, per input partition assigned to this process.', labels: ['query_id', 'topic', 'partition'] },
  { name: 'ksetl_query_e2e_latency_seconds', type: 'histogram', help: 'Wall-clock time at sink write minus the record timestamp.', labels: ['query_id'], buckets: LATENCY_BUCKETS },
  { name: 'ksetl_query_state', type: 'gauge', help: '1 for the query\'s current state (RUNNING, PAUSED, ERROR, REBALANCING, PENDING_SHUTDOWN, NOT_RUNNING), 0 for the others.', labels: ['query_id', 'state'] },
  { name: 'ksetl_queries', type: 'gauge', help: 'Persistent queries on this process.', labels: [] },
  { name: 'ksetl_state_store_entries', type: 'gauge', help: 'Entries in the query\'s state store, summed over the tasks on this process.', labels: ['query_id', 'store'] },
  { name: 'ksetl_state_store_restore_records_total', type: 'counter', help: 'Changelog records replayed into the state store.', labels: ['query_id', 'store'] },
  { name: 'ksetl_state_store_restore_remaining_records', type: 'gauge', help: 'Changelog records still to replay before the store\'s tasks can process.', labels: ['query_id', 'store'] },
  { name: 'ksetl_query_rebalances_total', type: 'counter', help: 'Partition assignments the query\'s consumer received.', labels: ['query_id'] },
  { name: 'ksetl_query_commit_latency_seconds', type: 'histogram', help: 'Time to commit a task\'s processed offsets (or its transaction), every commit.interval.ms.', labels: ['query_id'], buckets: COMMIT_BUCKETS },
  { name: 'ksetl_query_transaction_aborts_total', type: 'counter', help: 'Transactions aborted (exactly_once_v2).', labels: ['query_id'] },
  { name: 'ksetl_processing_log_records_total', type: 'counter', help: 'Entries written to the processing log, by kind.', labels: ['kind'] },
  { name: 'ksetl_process_ready', type: 'gauge', help: '1 when the process is ready: command log replayed and its queries started.', labels: [] },
] as const satisfies readonly MetricDef[];

export type EngineMetricName = (typeof ENGINE_METRICS)[number]['name'];
type DefOf<N extends EngineMetricName> = Extract<(typeof ENGINE_METRICS)[number], { name: N }>;
type LabelOf<N extends EngineMetricName> = DefOf<N>['labels'][number];
type MetricOf<N extends EngineMetricName> = DefOf<N>['type'] extends 'counter'
  ? Counter<LabelOf<N>>
  : DefOf<N>['type'] extends 'gauge'
    ? Gauge<LabelOf<N>>
    : Histogram<LabelOf<N>>;

export interface EngineMetricsOptions {
  readonly namespace?: string;
  readonly cluster?: string;
  readonly serviceId?: string;
  /** registers prom-client's process_* / nodejs_* metrics too (default true) */
  readonly defaultMetrics?: boolean;
}

/**
 * One registry per engine process (tests run several in one Node process).
 * Gauges whose value is read at scrape time get their value from hooks added
 * with `onCollect`.
 */
export class EngineMetrics {
  readonly registry = new Registry();
  readonly #metrics = new Map<string, Metric>();
  readonly #hooks = new Map<string, (() => void)[]>();

  constructor(o: EngineMetricsOptions = {}) {
    this.registry.setDefaultLabels({
      namespace: o.namespace ?? process.env['KSETL_NAMESPACE'] ?? '',
      cluster: o.cluster ?? process.env['KSETL_CLUSTER'] ?? '',
      service_id: o.serviceId ?? '',
    });
    if (o.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    for (const def of ENGINE_METRICS as readonly MetricDef[]) this.#register(def);
  }

  #register(def: MetricDef): void {
    const hooks = this.#hooks;
    const base = {
      name: def.name,
      help: def.help,
      labelNames: [...def.labels],
      registers: [this.registry],
    };
    let metric: Metric;
    if (def.type === 'counter') metric = new Counter(base);
    else if (def.type === 'histogram') metric = new Histogram({ ...base, buckets: [...(def.buckets ?? LATENCY_BUCKETS)] });
    else {
      metric = new Gauge({
        ...base,
        collect() {
          for (const h of hooks.get(def.name) ?? []) h();
        },
      });
    }
    this.#metrics.set(def.name, metric);
  }

  get<N extends EngineMetricName>(name: N): MetricOf<N> {
    return this.#metrics.get(name) as MetricOf<N>;
  }

  /** Runs `hook` before each scrape of gauge `name` (to set it from live state); returns the remover. */
  onCollect(name: EngineMetricName, hook: () => void): () => void {
    const list = this.#hooks.get(name) ?? [];
    list.push(hook);
    this.#hooks.set(name, list);
    return () => {
      const l = this.#hooks.get(name) ?? [];
      const i = l.indexOf(hook);
      if (i >= 0) l.splice(i, 1);
    };
  }

  /** Sets ksetl_query_state: 1 for `state`, 0 for the others. */
  setQueryState(queryId: string, state: QueryState): void {
    const g = this.get('ksetl_query_state');
    for (const s of QUERY_STATES) g.set({ query_id: queryId, state: s }, s === state ? 1 : 0);
  }

  /** Forgets every series of a query (TERMINATE). */
  removeQuery(queryId: string): void {
    for (const def of ENGINE_METRICS as readonly MetricDef[]) {
      if (!def.labels.includes('query_id')) continue;
      const m = this.#metrics.get(def.name) as unknown as { remove(labels: Record<string, string>): void; hashMap?: Record<string, { labels: Record<string, string | number> }> };
      // prom-client removes by the full label set: find this query's series
      const series = seriesOf(m);
      // only the metric's own labels: aggregating with other registries (addSource) copies the default labels into the series
      for (const labels of series) if (labels['query_id'] === queryId) m.remove(Object.fromEntries(def.labels.filter((l) => labels[l] !== undefined).map((l) => [l, String(labels[l])])));
    }
  }

  readonly #sources = new Set<() => Promise<object[]>>();

  /**
   * Adds metrics kept elsewhere (the worker stream threads' registries, as
   * prom-client JSON) to the exposition: series of the same name and labels
   * are summed (prom-client's AggregatorRegistry). Returns the remover.
   */
  addSource(source: () => Promise<object[]>): () => void {
    this.#sources.add(source);
    return () => void this.#sources.delete(source);
  }

  /** The exposition text for GET /metrics. */
  async text(): Promise<{ contentType: string; body: string }> {
    if (this.#sources.size === 0) return { contentType: this.registry.contentType, body: await this.registry.metrics() };
    const others = (await Promise.all([...this.#sources].map((s) => s()))).flat();
    const merged = AggregatorRegistry.aggregate([await this.registry.getMetricsAsJSON(), ...others]);
    return { contentType: this.registry.contentType, body: await merged.metrics() };
  }
}

/** Label sets of a metric's current series (prom-client keeps them in `hashMap`). */
function seriesOf(m: unknown): Record<string, string | number>[] {
  const hashMap = (m as { hashMap?: Record<string, { labels?: Record<string, string | number> }> }).hashMap ?? {};
  return Object.values(hashMap).map((v) => ({ ...(v.labels ?? {}) }));
}

/** The processing-error kind of a processing-log entry type. */
export function errorKind(type: string): ProcessingErrorKind {
  switch (type) {
    case 'DESERIALIZATION_ERROR':
      return 'deserialization';
    case 'RECORD_PROCESSING_ERROR':
      return 'evaluation';
    case 'SERIALIZATION_ERROR':
      return 'serialization';
    default:
      return 'other';
  }
}
