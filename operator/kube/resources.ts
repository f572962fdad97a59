/**
 * The Kubernetes resource types the operator reads or writes, and their REST
 * paths. One table, so the ClusterRole and the code cannot disagree about
 * what the operator touches.
 */
import { GROUP, VERSION } from '../api/common.js';

export interface ResourceType {
  readonly group: string; // '' for the core group
  readonly version: string;
  readonly kind: string;
  readonly plural: string;
  readonly namespaced: boolean;
}

const rt = (group: string, version: string, kind: string, plural: string, namespaced = true): ResourceType => ({ group, version, kind, plural, namespaced });

export const RESOURCE = {
  KsqlCluster: rt(GROUP, VERSION, 'KsqlCluster', 'ksqlclusters'),
  KsqlQuery: rt(GROUP, VERSION, 'KsqlQuery', 'ksqlqueries'),
  ServiceAccount: rt('', 'v1', 'ServiceAccount', 'serviceaccounts'),
  ConfigMap: rt('', 'v1', 'ConfigMap', 'configmaps'),
  Pod: rt('', 'v1', 'Pod', 'pods'),
  Service: rt('', 'v1', 'Service', 'services'),
  Secret: rt('', 'v1', 'Secret', 'secrets'),
  StatefulSet: rt('apps', 'v1', 'StatefulSet', 'statefulsets'),
  PodDisruptionBudget: rt('policy', 'v1', 'PodDisruptionBudget', 'poddisruptionbudgets'),
  NetworkPolicy: rt('networking.k8s.io', 'v1', 'NetworkPolicy', 'networkpolicies'),
  Lease: rt('coordination.k8s.io', 'v1', 'Lease', 'leases'),
  Event: rt('events.k8s.io', 'v1', 'Event', 'events'),
  EndpointSlice: rt('discovery.k8s.io', 'v1', 'EndpointSlice', 'endpointslices'),
  // the Prometheus Operator's kinds, provisioned per cluster when its CRDs are installed
  ServiceMonitor: rt('monitoring.coreos.com', 'v1', 'ServiceMonitor', 'servicemonitors'),
  PodMonitor: rt('monitoring.coreos.com', 'v1', 'PodMonitor', 'podmonitors'),
  PrometheusRule: rt('monitoring.coreos.com', 'v1', 'PrometheusRule', 'prometheusrules'),
} as const;

export type ResourceName = keyof typeof RESOURCE;

export function apiVersionOf(t: ResourceType): string {
  return t.group === '' ? t.version : `${t.group}/${t.version}`;
}

/** The resource type of an object by its apiVersion and kind. */
export function resourceOf(apiVersion: string, kind: string): ResourceType {
  const found = Object.values(RESOURCE).find((t) => t.kind === kind && apiVersionOf(t) === apiVersion);
  if (!found) throw new Error(`unknown resource ${apiVersion} ${kind}: add it to operator/kube/resources.ts`);
  return found;
}

/** `/api/v1/namespaces/ns/configmaps/name[/status]`, `/apis/apps/v1/statefulsets` (all namespaces), ... */
export function resourcePath(t: ResourceType, namespace?: string, name?: string, subresource?: string): string {
  const base = t.group === '' ? `/api/${t.version}` : `/apis/${t.group}/${t.version}`;
  const ns = t.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  const n = name ? `/${encodeURIComponent(name)}` : '';
  const sub = name && subresource ? `/${subresource}` : '';
  return `${base}${ns}/${t.plural}${n}${sub}`;
}
