/**
 * The monitoring side of the KsqlCluster controller (monitoring.ts renders,
 * this observes and provisions):
 *
 * - observe: list the cluster's monitoring objects of every kind (label
 *   `ksetl.io/monitoring`). Listing a Prometheus Operator kind is also the
 *   discovery: 404 means its CRD is not installed, 403 that the operator's
 *   role does not cover it (the Helm chart's `rbac.prometheusOperator: false`);
 * - provision: server-side apply of the dashboards, ServiceMonitor/PodMonitor
 *   and PrometheusRule, each failure kept, none fatal to the engine;
 * - prune: delete what the cluster owns and the spec no longer asks for;
 * - the `MonitoringReady` condition from the render's notes and failures.
 *
 * The pure parts (discovery, prune plan, condition) are exported for tests.
 */
import type { V1ConfigMap } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { KsqlCluster } from '../../api/ksql-cluster.js';
import { KubeApiError, type KubeObject, type KubePort } from '../../kube/port.js';
import { RESOURCE, type ResourceType } from '../../kube/resources.js';
import { FIELD_MANAGER, LABEL } from '../../names.js';
import type { ConditionInput } from '../conditions.js';
import { MONITORING_LABEL, MONITORING_RESOURCE, monitoringObjectsInApplyOrder, provisionedMonitoringObjects, type DesiredMonitoring, type MonitoringObject } from './monitoring.js';

export const MONITORING_CONDITION = 'MonitoringReady';

/** Whether the Prometheus Operator's kinds can be used, and what the cluster has of each monitoring kind. */
export interface ObservedMonitoring {
  readonly prometheusOperator: 'Installed' | 'NotInstalled' | 'Forbidden';
  /** the cluster's existing monitoring objects (ConfigMaps and, when installed, Prometheus Operator objects) */
  readonly existing: readonly KubeObject[];
}

/** Something that could not be provisioned; `retryable` asks for an earlier reconcile. */
export interface ProvisionFailure {
  readonly reason: 'Forbidden' | 'Invalid' | 'ApplyFailed' | 'DeleteFailed';
  readonly message: string;
  readonly retryable: boolean;
}

export interface PruneTarget {
  readonly type: ResourceType;
  readonly name: string;
}

export type ListOutcome = { readonly ok: true; readonly items: readonly KubeObject[] } | { readonly ok: false; readonly code: 404 | 403 };

/** 404 (no such resource: CRD not installed) and 403 (not in the role) are answers, anything else is an error. */
async function listOrAnswer(kube: KubePort, t: ResourceType, namespace: string, labelSelector: string): Promise<ListOutcome> {
  try {
    return { ok: true, items: (await kube.list(t, namespace, { labelSelector })).items };
  } catch (e) {
    if (e instanceof KubeApiError && (e.code === 404 || e.code === 403)) return { ok: false, code: e.code };
    throw e;
  }
}

/** The Prometheus Operator is usable when every one of its kinds lists; forbidden wins over missing in the report. */
export function prometheusOperatorFrom(outcomes: readonly ListOutcome[]): ObservedMonitoring['prometheusOperator'] {
  if (outcomes.some((o) => !o.ok && o.code === 403)) return 'Forbidden';
  if (outcomes.some((o) => !o.ok)) return 'NotInstalled';
  return 'Installed';
}

export function monitoringSelector(clusterName: string): string {
  return `${LABEL.cluster}=${clusterName},${LABEL.managedBy}=${FIELD_MANAGER},${MONITORING_LABEL}`;
}

export async function observeMonitoring(kube: KubePort, kc: KsqlCluster): Promise<ObservedMonitoring> {
  const ns = kc.metadata.namespace ?? 'default';
  const selector = monitoringSelector(kc.metadata.name);
  const kinds = Object.values(MONITORING_RESOURCE);
  const outcomes = await Promise.all(kinds.map((t) => listOrAnswer(kube, t, ns, selector)));
  const configMaps = await kube.list(RESOURCE.ConfigMap, ns, { labelSelector: selector });
  const existing: KubeObject[] = [...configMaps.items];
  for (const o of outcomes) if (o.ok) existing.push(...o.items);
  return { prometheusOperator: prometheusOperatorFrom(outcomes), existing };
}

const typeOf = (o: KubeObject): ResourceType | undefined =>
  o.kind === 'ConfigMap' ? RESOURCE.ConfigMap : Object.values(MONITORING_RESOURCE).find((t) => t.kind === o.kind);

/** The cluster's monitoring objects (controller-owned by this KsqlCluster) that the desired state does not hold. Pure. */
export function pruneTargets(desired: DesiredMonitoring, observed: ObservedMonitoring, ownerUid: string | undefined): PruneTarget[] {
  const keep = new Set(monitoringObjectsInApplyOrder(desired).map((o) => `${o.kind}/${o.metadata?.name}`));
  const out: PruneTarget[] = [];
  for (const o of observed.existing) {
    const name = o.metadata?.name;
    const type = typeOf(o);
    if (!name || !type || keep.has(`${o.kind}/${name}`)) continue;
    const owned = o.metadata?.ownerReferences?.some((r) => r.controller && r.uid === ownerUid);
    if (owned) out.push({ type, name });
  }
  return out;
}

function failureOf(what: string, e: unknown, reason: 'ApplyFailed' | 'DeleteFailed'): ProvisionFailure {
  if (e instanceof KubeApiError) {
    if (e.code === 403) return { reason: 'Forbidden', message: `${what}: forbidden (the operator's ClusterRole does not cover it)`, retryable: false };
    if (e.code === 422) return { reason: 'Invalid', message: `${what}: ${e.message}`, retryable: false };
    return { reason, message: `${what}: ${e.message}`, retryable: e.retryable };
  }
  return { reason, message: `${what}: ${e instanceof Error ? e.message : String(e)}`, retryable: true };
}

/** Applies the dashboards, scrape config and alert rules; deletes what the spec dropped. Never throws for one object. */
export async function provisionMonitoring(
  kube: KubePort,
  kc: KsqlCluster,
  desired: DesiredMonitoring,
  observed: ObservedMonitoring,
  log: Logger,
): Promise<ProvisionFailure[]> {
  const failures: ProvisionFailure[] = [];
  for (const obj of provisionedMonitoringObjects(desired)) {
    try {
      await kube.apply(obj as (V1ConfigMap | MonitoringObject) & KubeObject);
    } catch (e) {
      const f = failureOf(`${obj.kind} ${obj.metadata?.name}`, e, 'ApplyFailed');
      log.warn({ err: e, kind: obj.kind, name: obj.metadata?.name }, 'could not provision a monitoring object');
      failures.push(f);
    }
  }
  const ns = kc.metadata.namespace ?? 'default';
  for (const t of pruneTargets(desired, observed, kc.metadata.uid)) {
    try {
      await kube.delete(t.type, ns, t.name);
      log.info({ kind: t.type.kind, name: t.name }, 'pruned a monitoring object the spec no longer asks for');
    } catch (e) {
      failures.push(failureOf(`${t.type.kind} ${t.name}`, e, 'DeleteFailed'));
    }
  }
  return failures;
}

/** `MonitoringReady`: True when everything asked for is provisioned as asked. Pure. */
export function monitoringCondition(desired: DesiredMonitoring, observed: ObservedMonitoring, failures: readonly ProvisionFailure[]): ConditionInput {
  const problems: { reason: string; message: string }[] = [...failures];
  if (observed.prometheusOperator === 'Forbidden') {
    problems.push({ reason: 'Forbidden', message: 'the operator may not list monitoring.coreos.com objects; treating the Prometheus Operator as absent' });
  }
  problems.push(...desired.notes);
  if (problems.length === 0) {
    const n = provisionedMonitoringObjects(desired).length;
    return { type: MONITORING_CONDITION, status: 'True', reason: 'Provisioned', message: `${n} monitoring object(s) provisioned` };
  }
  return { type: MONITORING_CONDITION, status: 'False', reason: problems[0]!.reason, message: problems.map((p) => p.message).join('; ') };
}
