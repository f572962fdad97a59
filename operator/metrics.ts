/**
 * The operator's Prometheus metrics (names agreed with the dashboards; see
 * docs/metrics): reconciles, their duration, work queue depth and retries,
 * one gauge per current condition of each resource, and leadership.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type ControllerName = 'ksqlcluster' | 'ksqlquery';

export class OperatorMetrics {
  readonly registry = new Registry();
  readonly reconciles: Counter<'controller' | 'result'>;
  readonly reconcileDuration: Histogram<'controller'>;
  readonly workqueueDepth: Gauge<'controller'>;
  readonly workqueueRetries: Counter<'controller'>;
  readonly resourceCondition: Gauge<'kind' | 'namespace' | 'name' | 'type' | 'status'>;
  readonly leader: Gauge;
  /** label sets of each resource's condition series, so a change removes the old series */
  readonly #conditionSeries = new Map<string, Record<string, string>[]>();

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    this.reconciles = new Counter({ name: 'ksetl_operator_reconciles_total', help: 'Reconciles by controller and result', labelNames: ['controller', 'result'], registers });
    this.reconcileDuration = new Histogram({
      name: 'ksetl_operator_reconcile_duration_seconds',
      help: 'Duration of one reconcile',
      labelNames: ['controller'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.workqueueDepth = new Gauge({ name: 'ksetl_operator_workqueue_depth', help: 'Keys waiting in the work queue', labelNames: ['controller'], registers });
    this.workqueueRetries = new Counter({ name: 'ksetl_operator_workqueue_retries_total', help: 'Keys re-queued with backoff after an error', labelNames: ['controller'], registers });
    this.resourceCondition = new Gauge({
      name: 'ksetl_operator_resource_condition',
      help: '1 per current condition status of each KsqlCluster / KsqlQuery',
      labelNames: ['kind', 'namespace', 'name', 'type', 'status'],
      registers,
    });
    this.leader = new Gauge({ name: 'ksetl_operator_leader', help: '1 when this replica holds the leader Lease', registers });
    for (const c of ['ksqlcluster', 'ksqlquery'] as const) {
      this.workqueueDepth.set({ controller: c }, 0);
      for (const result of ['success', 'error', 'requeue']) this.reconciles.inc({ controller: c, result }, 0);
      this.workqueueRetries.inc({ controller: c }, 0);
    }
    this.leader.set(0);
  }

  /** The conditions a resource has now (an empty list when it is gone). */
  setConditions(kind: string, namespace: string, name: string, conditions: readonly { type: string; status: string }[]): void {
    const key = `${kind}/${namespace}/${name}`;
    for (const labels of this.#conditionSeries.get(key) ?? []) this.resourceCondition.remove(labels);
    const series = conditions.map((c) => ({ kind, namespace, name, type: c.type, status: c.status }));
    for (const labels of series) this.resourceCondition.set(labels, 1);
    if (series.length) this.#conditionSeries.set(key, series);
    else this.#conditionSeries.delete(key);
  }
}
