/**
 * Every Kubernetes object name, label and Kafka name the operator uses, built
 * here and nowhere else (STYLE.md habit 7). Kafka names the engine itself
 * uses come from engine/kafka/names.ts; this module only derives the
 * per-cluster parts (service id, internal topic prefix) the operator reports.
 */
import { API_VERSION } from './api/common.js';
import type { KsqlCluster } from './api/ksql-cluster.js';

/** The engine's REST (and metrics) port. */
export const ENGINE_PORT = 8088;
export const ENGINE_PORT_NAME = 'http';

/** The field manager of every server-side apply the operator makes. */
export const FIELD_MANAGER = 'ksetl-operator';

export const LABEL = {
  name: 'app.kubernetes.io/name',
  instance: 'app.kubernetes.io/instance',
  component: 'app.kubernetes.io/component',
  partOf: 'app.kubernetes.io/part-of',
  managedBy: 'app.kubernetes.io/managed-by',
  cluster: 'ksetl.io/cluster',
} as const;

export const ANNOTATION = {
  configHash: 'ksetl.io/config-hash',
} as const;

const SUFFIX = '-ksetl';

/** Object names of a KsqlCluster's parts. */
export function clusterObjectNames(clusterName: string) {
  const base = `${clusterName}${SUFFIX}`;
  return {
    serviceAccount: base,
    configMap: `${base}-config`,
    statefulSet: base,
    headlessService: `${base}-headless`,
    clientService: base,
    podDisruptionBudget: base,
    stateVolume: 'state',
  } as const;
}
export type ClusterObjectNames = ReturnType<typeof clusterObjectNames>;

/** Labels on every object of a cluster. */
export function clusterLabels(clusterName: string): Record<string, string> {
  return {
    [LABEL.name]: 'ksetl',
    [LABEL.instance]: clusterName,
    [LABEL.component]: 'engine',
    [LABEL.partOf]: 'ksetl',
    [LABEL.managedBy]: FIELD_MANAGER,
    [LABEL.cluster]: clusterName,
  };
}

/** The engine pods' selector: a stable subset of the labels (StatefulSet selectors are immutable). */
export function engineSelector(clusterName: string): Record<string, string> {
  return { [LABEL.name]: 'ksetl', [LABEL.instance]: clusterName, [LABEL.component]: 'engine' };
}

/** `k=v,k=v`, for status.selector (scale subresource). */
export function selectorString(selector: Readonly<Record<string, string>>): string {
  return Object.entries(selector)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** `ksql.service.id`: spec.serviceId, else `<namespace>_<name>_` (unique per Kubernetes cluster, as Kafka is often shared). */
export function serviceId(kc: Pick<KsqlCluster, 'metadata' | 'spec'>): string {
  return kc.spec.serviceId ?? `${kc.metadata.namespace ?? 'default'}_${kc.metadata.name}_`;
}

/** The prefix of every internal topic and consumer group of a service id (engine/kafka/names.ts: `_confluent-ksql-<serviceId>`). */
export function internalTopicPrefix(id: string): string {
  return `_confluent-ksql-${id}`;
}

/** The in-cluster URL of the client Service. */
export function restEndpoint(clusterName: string, namespace: string): string {
  return `http://${clusterObjectNames(clusterName).clientService}.${namespace}.svc:${ENGINE_PORT}`;
}

/** The stable DNS name of one engine pod, as the engine advertises itself to its peers. */
export function podHost(clusterName: string, namespace: string, podName: string): string {
  return `${podName}.${clusterObjectNames(clusterName).headlessService}.${namespace}.svc`;
}

/** The owner reference that lets the garbage collector delete a cluster's objects with it. */
export function ownerReference(kc: Pick<KsqlCluster, 'metadata' | 'kind'>) {
  if (!kc.metadata.uid) throw new Error(`KsqlCluster ${kc.metadata.name} has no uid (render from an object read from the API server)`);
  return { apiVersion: API_VERSION, kind: kc.kind, name: kc.metadata.name, uid: kc.metadata.uid, controller: true, blockOwnerDeletion: true };
}
