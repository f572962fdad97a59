/** Writing a resource's status: server-side apply to the status subresource, skipped when nothing changed. */
import { isDeepStrictEqual } from 'node:util';
import type { KubeObject, KubePort } from '../kube/port.js';

/**
 * `status` is the whole status the operator owns: applied, it replaces the
 * last one (fields left out are removed), so a field that went away is a
 * change too.
 */
export async function applyStatusIfChanged(kube: KubePort, o: KubeObject, status: Record<string, unknown>): Promise<void> {
  const old = (o['status'] ?? {}) as Record<string, unknown>;
  const same = [...new Set([...Object.keys(old), ...Object.keys(status)])].every((k) => isDeepStrictEqual(old[k], status[k]));
  if (same) return;
  await kube.applyStatus({ apiVersion: o.apiVersion, kind: o.kind, metadata: { name: o.metadata?.name, namespace: o.metadata?.namespace }, status });
}
