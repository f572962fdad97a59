/** Finalizers the operator puts on its resources, added and removed by server-side apply with its one field manager. */
import type { KubeObject, KubePort } from '../kube/port.js';

export const CLUSTER_FINALIZER = 'ksetl.io/cluster-cleanup';
export const QUERY_FINALIZER = 'ksetl.io/terminate-queries';

export const hasFinalizer = (o: KubeObject, f: string): boolean => (o.metadata?.finalizers ?? []).includes(f);

/**
 * Applies the operator's finalizer set on `o`. Under server-side apply the
 * field manager owns the entries it applied; applying without an entry
 * removes it (and leaves other managers' finalizers alone).
 */
export async function applyFinalizer(kube: KubePort, o: KubeObject, finalizer: string, present: boolean): Promise<void> {
  await kube.apply({
    apiVersion: o.apiVersion,
    kind: o.kind,
    metadata: { name: o.metadata?.name, namespace: o.metadata?.namespace, ...(present ? { finalizers: [finalizer] } : {}) },
  });
}
