/**
 * The alert rules shipped beside the dashboards, as data: each alert is a
 * list of conditions (an expression, a comparison, a threshold) joined by
 * `and` or `unless`, so the threshold-free expressions can be executed on their own
 * (the PromQL e2e test does) and the rules render to a Prometheus rule file
 * (`npm run gen` → dashboards/generated/ksetl-alerts.rules.yaml) or to a
 * per-cluster PrometheusRule (operator/controllers/ksql-cluster/monitoring.ts)
 * with the cluster's label matchers in every selector.
 */
import { stringify } from 'yaml';

export type Comparison = '>' | '<' | '==' | '!=' | '>=' | '<=';

export interface Condition {
  /** a PromQL expression without the comparison */
  readonly expr: string;
  readonly op: Comparison;
  readonly value: number;
  /** how it joins the conditions before it (default `and`; ignored on the first) */
  readonly join?: 'and' | 'unless';
}

export type Severity = 'critical' | 'warning' | 'info';

export interface AlertSpec {
  readonly alert: string;
  /** joined by `and` / `unless` (their label sets must match) */
  readonly conditions: readonly Condition[];
  /** how long the condition must hold, a Prometheus duration */
  readonly for: string;
  readonly severity: Severity;
  readonly summary: string;
  readonly description: string;
  /** the series come from the operator process, not the engines */
  readonly source: 'engine' | 'operator';
}

export interface AlertGroup {
  readonly name: string;
  readonly alerts: readonly AlertSpec[];
}

/** Which engine cluster a rule set is for; without one the rules cover every cluster Prometheus scrapes. */
export interface AlertScope {
  readonly namespace: string;
  readonly cluster: string;
}

/**
 * What a deployment (or a test) may tune in the engine rules: how long the
 * stuck-query conditions must hold, and the restart threshold.
 */
export interface AlertTuning {
  /** `for:` and the look-back window of KsetlQueryStalled and KsetlQueryNoOutput (default 10m) */
  readonly stalledAfter?: string;
  /** `for:` of KsetlQueryError (default 1m) */
  readonly errorFor?: string;
  /** KsetlProcessRestarting: more than `count` restarts within `window` (default 2 in 30m) */
  readonly restarts?: { readonly window: string; readonly count: number };
  /** overrides every `for:` (tests: a short one, so rules fire within the run) */
  readonly for?: string;
}

export const DEFAULT_STALLED_AFTER = '10m';

const quote = (s: string): string => JSON.stringify(s);

/** `name{matchers}` without empty matchers. */
const sel = (metric: string, ...matchers: readonly string[]): string => {
  const m = matchers.filter((x) => x !== '');
  return m.length === 0 ? metric : `${metric}{${m.join(', ')}}`;
};

/**
 * Engine-side rules: queries in error, stuck (lag and no consumption; input
 * and no output), lag, errors, restores, readiness, restarts, the cluster's
 * Ready condition.
 */
export function engineAlerts(scope?: AlertScope, tuning: AlertTuning = {}): AlertGroup {
  const S = scope ? `namespace=${quote(scope.namespace)}, cluster=${quote(scope.cluster)}` : '';
  const byQuery = 'namespace, cluster, query_id';
  const stalled = tuning.stalledAfter ?? DEFAULT_STALLED_AFTER;
  const restarts = tuning.restarts ?? { window: '30m', count: 2 };
  const group: AlertGroup = {
    name: scope ? `ksetl-engine-${scope.namespace}-${scope.cluster}` : 'ksetl-engine',
    alerts: [
      {
        alert: 'KsetlQueryError',
        conditions: [{ expr: `max by (${byQuery}) (${sel('ksetl_query_state', S, 'state="ERROR"')})`, op: '==', value: 1 }],
        for: tuning.errorFor ?? '1m',
        severity: 'critical',
        summary: 'Query {{ $labels.query_id }} is in ERROR',
        description:
          'Persistent query {{ $labels.query_id }} of cluster {{ $labels.namespace }}/{{ $labels.cluster }} has been in state ERROR for a minute. Its KsqlQuery status and the processing log say why.',
        source: 'engine',
      },
      {
        alert: 'KsetlQueryStalled',
        conditions: [
          { expr: `sum by (${byQuery}) (${sel('ksetl_query_consumer_lag', S)})`, op: '>', value: 0 },
          { expr: `sum by (${byQuery}) (increase(${sel('ksetl_query_records_in_total', S)}[${stalled}]))`, op: '>', value: 0, join: 'unless' },
        ],
        for: stalled,
        severity: 'critical',
        summary: 'Query {{ $labels.query_id }} is stuck: lag and no consumption',
        description:
          `Query {{ $labels.query_id }} ({{ $labels.namespace }}/{{ $labels.cluster }}) has records waiting on its inputs (lag {{ $value }}) and has consumed none for ${stalled}, ` +
          'whether the lag grows or stays flat. A PAUSED query fires it too (RESUME or drop it); otherwise look at its state, the engine log and the processing log.',
        source: 'engine',
      },
      {
        alert: 'KsetlQueryNoOutput',
        conditions: [
          { expr: `sum by (${byQuery}) (increase(${sel('ksetl_query_records_in_total', S)}[${stalled}]))`, op: '>', value: 0 },
          { expr: `sum by (${byQuery}) (increase(${sel('ksetl_query_records_out_total', S)}[${stalled}]))`, op: '>', value: 0, join: 'unless' },
        ],
        for: stalled,
        severity: 'warning',
        summary: 'Query {{ $labels.query_id }} consumes records and produces none',
        description:
          `Query {{ $labels.query_id }} ({{ $labels.namespace }}/{{ $labels.cluster }}) has consumed {{ $value | humanize }} records in ${stalled} and written none to its sink: ` +
          'every record fails (see KsetlProcessingErrors and the processing log), or its filter drops them all.',
        source: 'engine',
      },
      {
        alert: 'KsetlConsumerLagGrowing',
        conditions: [
          { expr: `sum by (${byQuery}) (${sel('ksetl_query_consumer_lag', S)})`, op: '>', value: 0 },
          { expr: `sum by (${byQuery}) (deriv(${sel('ksetl_query_consumer_lag', S)}[10m]))`, op: '>', value: 0 },
        ],
        for: '15m',
        severity: 'warning',
        summary: 'Lag of query {{ $labels.query_id }} has grown for 15 minutes',
        description:
          'The consumer lag of {{ $labels.query_id }} ({{ $labels.namespace }}/{{ $labels.cluster }}) has kept growing for 15 minutes: the query does not keep up with its inputs. Scale the cluster (spec.replicas) or look at the query dashboard.',
        source: 'engine',
      },
      {
        alert: 'KsetlProcessingErrors',
        conditions: [{ expr: `sum by (${byQuery}, kind) (rate(${sel('ksetl_query_processing_errors_total', S)}[5m]))`, op: '>', value: 0 }],
        for: '5m',
        severity: 'warning',
        summary: 'Query {{ $labels.query_id }} drops {{ $labels.kind }} errors',
        description:
          'Query {{ $labels.query_id }} ({{ $labels.namespace }}/{{ $labels.cluster }}) has skipped records with {{ $labels.kind }} errors for 5 minutes ({{ $value | humanize }}/s). The records are in the processing log.',
        source: 'engine',
      },
      {
        alert: 'KsetlStateRestoreSlow',
        conditions: [{ expr: `sum by (${byQuery}, store) (${sel('ksetl_state_store_restore_remaining_records', S)})`, op: '>', value: 0 }],
        for: '15m',
        severity: 'warning',
        summary: 'State store {{ $labels.store }} of {{ $labels.query_id }} has been restoring for 15 minutes',
        description:
          'The state store {{ $labels.store }} of query {{ $labels.query_id }} ({{ $labels.namespace }}/{{ $labels.cluster }}) still has {{ $value | humanize }} changelog records to restore after 15 minutes; the query does not process new records meanwhile.',
        source: 'engine',
      },
      {
        alert: 'KsetlProcessNotReady',
        conditions: [{ expr: `min by (namespace, cluster, instance) (${sel('ksetl_process_ready', S)})`, op: '<', value: 1 }],
        for: '5m',
        severity: 'critical',
        summary: 'Engine {{ $labels.instance }} is not ready',
        description:
          'Engine process {{ $labels.instance }} of {{ $labels.namespace }}/{{ $labels.cluster }} has not been ready (command log replayed, queries started) for 5 minutes.',
        source: 'engine',
      },
      {
        alert: 'KsetlProcessRestarting',
        conditions: [
          {
            expr: `sum by (namespace, cluster, instance) (changes(${sel('process_start_time_seconds', S || 'service_id!=""')}[${restarts.window}]))`,
            op: '>',
            value: restarts.count,
          },
        ],
        for: '0m',
        severity: 'warning',
        summary: `Engine {{ $labels.instance }} restarted {{ $value }} times in ${restarts.window}`,
        description: 'Engine process {{ $labels.instance }} of {{ $labels.namespace }}/{{ $labels.cluster }} is restarting repeatedly (crash loop or OOM kill).',
        source: 'engine',
      },
      {
        alert: 'KsetlClusterNotReady',
        conditions: [
          {
            expr: `max by (namespace, name) (${sel(
              'ksetl_operator_resource_condition',
              'kind="KsqlCluster"',
              'type="Ready"',
              'status="False"',
              scope ? `namespace=${quote(scope.namespace)}, name=${quote(scope.cluster)}` : '',
            )})`,
            op: '==',
            value: 1,
          },
        ],
        for: '10m',
        severity: 'critical',
        summary: 'KsqlCluster {{ $labels.namespace }}/{{ $labels.name }} is not Ready',
        description: "The operator has reported KsqlCluster {{ $labels.namespace }}/{{ $labels.name }} not Ready for 10 minutes (pods not ready or not scheduled); see the resource's conditions.",
        source: 'operator',
      },
    ],
  };
  const forAll = tuning.for;
  return forAll === undefined ? group : { ...group, alerts: group.alerts.map((a) => ({ ...a, for: forAll })) };
}

/** Operator-side rules (global, not per cluster). */
export function operatorAlerts(): AlertGroup {
  return {
    name: 'ksetl-operator',
    alerts: [
      {
        alert: 'KsetlOperatorReconcileErrors',
        conditions: [{ expr: 'sum by (controller) (rate(ksetl_operator_reconciles_total{result="error"}[5m]))', op: '>', value: 0 }],
        for: '10m',
        severity: 'warning',
        summary: 'The {{ $labels.controller }} controller keeps failing',
        description: 'Reconciles of the {{ $labels.controller }} controller have ended in errors for 10 minutes; the operator log and the resources\' conditions say why.',
        source: 'operator',
      },
      {
        alert: 'KsetlOperatorWorkqueueBacklog',
        conditions: [{ expr: 'sum by (controller) (ksetl_operator_workqueue_depth)', op: '>', value: 50 }],
        for: '15m',
        severity: 'warning',
        summary: 'The {{ $labels.controller }} work queue holds {{ $value }} objects',
        description: 'More than 50 objects have waited in the {{ $labels.controller }} work queue for 15 minutes.',
        source: 'operator',
      },
      {
        // a stuck query with flat lag never trips KsetlConsumerLagGrowing; the operator's Stalled condition
        // (records waiting, none consumed for spec.progressDeadlineSeconds) does
        alert: 'KsetlKsqlQueryStalled',
        conditions: [{ expr: 'max by (namespace, name) (ksetl_operator_resource_condition{kind="KsqlQuery", type="Stalled", status="True"})', op: '==', value: 1 }],
        for: '1m',
        severity: 'warning',
        summary: 'KsqlQuery {{ $labels.namespace }}/{{ $labels.name }} is stalled',
        description: "Records wait on the source topics of KsqlQuery {{ $labels.namespace }}/{{ $labels.name }} and none has been consumed for its progressDeadlineSeconds; its Stalled condition and its queries' errors say more.",
        source: 'operator',
      },
      {
        alert: 'KsetlOperatorNoLeader',
        conditions: [{ expr: 'sum(ksetl_operator_leader)', op: '<', value: 1 }],
        for: '5m',
        severity: 'critical',
        summary: 'No ksetl operator replica holds the leader Lease',
        description: 'No operator replica has been leader for 5 minutes: nothing reconciles KsqlClusters and KsqlQueries.',
        source: 'operator',
      },
    ],
  };
}

/** The whole rule set of the generated file: engine rules for every cluster plus the operator's. */
export function allAlertGroups(): AlertGroup[] {
  return [engineAlerts(), operatorAlerts()];
}

/** The PromQL of an alert: `(cond1 op v) and (cond2 op v) unless (cond3 op v) ...`. */
export function alertExpr(a: AlertSpec): string {
  if (a.conditions.length === 1) {
    const c = a.conditions[0]!;
    return `${c.expr} ${c.op} ${c.value}`;
  }
  return a.conditions.map((c, i) => `${i === 0 ? '' : ` ${c.join ?? 'and'} `}(${c.expr} ${c.op} ${c.value})`).join('');
}

/** Prometheus rule groups (a rule file's content, and a PrometheusRule's spec). */
export function ruleGroups(groups: readonly AlertGroup[]): { groups: Record<string, unknown>[] } {
  return {
    groups: groups.map((g) => ({
      name: g.name,
      rules: g.alerts.map((a) => ({
        alert: a.alert,
        expr: alertExpr(a),
        for: a.for,
        labels: { severity: a.severity },
        annotations: { summary: a.summary, description: a.description },
      })),
    })),
  };
}

export const ALERTS_FILE = 'dashboards/generated/ksetl-alerts.rules.yaml';

export function renderRuleFile(groups: readonly AlertGroup[] = allAlertGroups()): string {
  return '# generated by `npm run gen` from dashboards/alerts.ts; do not edit\n' + stringify(ruleGroups(groups), { lineWidth: 0 });
}
