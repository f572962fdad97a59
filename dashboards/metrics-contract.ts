/**
 * The metrics contract agreed between the engine, operator and dashboards
 * engineers, as data. The engine's own catalog (`engine/server/metrics.ts`,
 * `ENGINE_METRICS`) and the operator's (`operator/metrics.ts`,
 * `OPERATOR_METRICS`) are preferred when they exist (see catalog.ts); this
 * copy is what the dashboards were written against, and the catalog test
 * fails when the two drift apart.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary';

/** One metric as its registry declares it (the shape of ENGINE_METRICS / OPERATOR_METRICS). */
export interface MetricDef {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  /** per-series labels (constant labels of the process are listed apart) */
  readonly labels: readonly string[];
}

/** Labels every engine series carries (from KSETL_NAMESPACE, KSETL_CLUSTER and the service id). */
export const ENGINE_CONSTANT_LABELS = ['namespace', 'cluster', 'service_id'] as const;

export const QUERY_STATES = ['RUNNING', 'PAUSED', 'ERROR', 'REBALANCING', 'PENDING_SHUTDOWN', 'NOT_RUNNING'] as const;
export const PROCESSING_ERROR_KINDS = ['deserialization', 'evaluation', 'serialization', 'other'] as const;

export const ENGINE_METRICS_CONTRACT: readonly MetricDef[] = [
  { name: 'ksetl_query_records_in_total', type: 'counter', help: 'Records consumed by the query', labels: ['query_id'] },
  { name: 'ksetl_query_records_out_total', type: 'counter', help: 'Records produced to the sink', labels: ['query_id'] },
  { name: 'ksetl_query_bytes_in_total', type: 'counter', help: 'Bytes consumed by the query (keys and values)', labels: ['query_id'] },
  { name: 'ksetl_query_bytes_out_total', type: 'counter', help: 'Bytes produced to the sink (keys and values)', labels: ['query_id'] },
  {
    name: 'ksetl_query_processing_errors_total',
    type: 'counter',
    help: `Records the query could not process, by kind (${PROCESSING_ERROR_KINDS.join('|')}); each goes to the processing log`,
    labels: ['query_id', 'kind'],
  },
  { name: 'ksetl_query_consumer_lag', type: 'gauge', help: 'Records behind the log end, per input partition', labels: ['query_id', 'topic', 'partition'] },
  { name: 'ksetl_query_e2e_latency_seconds', type: 'histogram', help: 'Wall clock now minus record timestamp at sink write', labels: ['query_id'] },
  {
    name: 'ksetl_query_state',
    type: 'gauge',
    help: `1 for the query's current state (${QUERY_STATES.join(', ')}), 0 for the others`,
    labels: ['query_id', 'state'],
  },
  { name: 'ksetl_queries', type: 'gauge', help: 'Persistent queries on this process', labels: [] },
  { name: 'ksetl_state_store_entries', type: 'gauge', help: 'Entries in a state store', labels: ['query_id', 'store'] },
  { name: 'ksetl_state_store_restore_records_total', type: 'counter', help: 'Records restored into a state store from its changelog', labels: ['query_id', 'store'] },
  {
    name: 'ksetl_state_store_restore_remaining_records',
    type: 'gauge',
    help: 'Changelog records still to restore before the store is ready',
    labels: ['query_id', 'store'],
  },
  { name: 'ksetl_query_rebalances_total', type: 'counter', help: "Consumer-group rebalances of the query's consumer", labels: ['query_id'] },
  { name: 'ksetl_query_commit_latency_seconds', type: 'histogram', help: 'Time to commit offsets (and the transaction, under exactly_once_v2)', labels: ['query_id'] },
  { name: 'ksetl_query_transaction_aborts_total', type: 'counter', help: 'Kafka transactions aborted (exactly_once_v2)', labels: ['query_id'] },
  { name: 'ksetl_processing_log_records_total', type: 'counter', help: 'Records written to the processing log, by kind', labels: ['kind'] },
  { name: 'ksetl_process_ready', type: 'gauge', help: '1 when the process is ready (command log replayed, queries started)', labels: [] },
];

export const OPERATOR_METRICS_CONTRACT: readonly MetricDef[] = [
  {
    name: 'ksetl_operator_reconciles_total',
    type: 'counter',
    help: 'Reconciles by controller (ksqlcluster|ksqlquery) and result (success|error|requeue)',
    labels: ['controller', 'result'],
  },
  { name: 'ksetl_operator_reconcile_duration_seconds', type: 'histogram', help: 'Reconcile duration', labels: ['controller'] },
  { name: 'ksetl_operator_workqueue_depth', type: 'gauge', help: 'Objects waiting in the work queue', labels: ['controller'] },
  { name: 'ksetl_operator_workqueue_retries_total', type: 'counter', help: 'Work-queue retries (requeues after an error)', labels: ['controller'] },
  {
    name: 'ksetl_operator_resource_condition',
    type: 'gauge',
    help: "1 per current condition status of each KsqlCluster/KsqlQuery",
    labels: ['kind', 'namespace', 'name', 'type', 'status'],
  },
  { name: 'ksetl_operator_leader', type: 'gauge', help: '1 when this replica holds the leader-election Lease', labels: [] },
];

/**
 * Labels of prom-client's default (process and Node.js) metrics, which both
 * processes register unprefixed; their names, types and help texts come from
 * prom-client itself (catalog.ts).
 */
export const DEFAULT_METRIC_LABELS: Readonly<Record<string, readonly string[]>> = {
  nodejs_active_resources: ['type'],
  nodejs_active_handles: ['type'],
  nodejs_active_requests: ['type'],
  nodejs_heap_space_size_total_bytes: ['space'],
  nodejs_heap_space_size_used_bytes: ['space'],
  nodejs_heap_space_size_available_bytes: ['space'],
  nodejs_version_info: ['version', 'major', 'minor', 'patch'],
  nodejs_gc_duration_seconds: ['kind'],
};
