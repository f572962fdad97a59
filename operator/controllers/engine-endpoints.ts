/**
 * How the operator reaches a KsqlCluster's engines (the EngineEndpoints
 * port):
 * - `service` (default, in-cluster): the client Service's DNS name;
 * - `pods`: the ready engine pods' IPs from the client Service's
 *   EndpointSlices, for an operator running outside the cluster network
 *   (the local end-to-end setup, where each engine pod is a local process
 *   on its own loopback address);
 * - an override URL (tests).
 */
import { RESOURCE } from '../kube/resources.js';
import type { KubeObject, KubePort } from '../kube/port.js';
import { ENGINE_PORT, ENGINE_PORT_NAME, clusterObjectNames, restEndpoint } from '../names.js';

export interface EngineEndpoints {
  /** Base URLs of the cluster's engines, best first; empty when none is ready. */
  urls(namespace: string, clusterName: string): Promise<string[]>;
}

export type EngineEndpointsMode = 'service' | 'pods';

export function serviceEndpoints(): EngineEndpoints {
  return { urls: async (namespace, name) => [restEndpoint(name, namespace)] };
}

export function overrideEndpoints(url: string): EngineEndpoints {
  return { urls: async () => [url.replace(/\/$/, '')] };
}

interface EndpointSlice extends KubeObject {
  addressType?: string;
  endpoints?: { addresses?: string[]; conditions?: { ready?: boolean | null; terminating?: boolean | null } }[] | null;
  ports?: { name?: string; port?: number }[] | null;
}

/** Ready endpoint URLs from EndpointSlices. Pure. */
export function urlsFromSlices(slices: readonly EndpointSlice[]): string[] {
  const out: string[] = [];
  for (const s of slices) {
    const port = s.ports?.find((p) => p.name === ENGINE_PORT_NAME)?.port ?? s.ports?.[0]?.port ?? ENGINE_PORT;
    for (const e of s.endpoints ?? []) {
      // ready unset means ready (EndpointSlice API); terminating endpoints are not ready
      if (e.conditions?.ready === false || e.conditions?.terminating === true) continue;
      for (const a of e.addresses ?? []) out.push(s.addressType === 'IPv6' ? `http://[${a}]:${port}` : `http://${a}:${port}`);
    }
  }
  return [...new Set(out)].sort();
}

export function podEndpoints(kube: KubePort): EngineEndpoints {
  return {
    urls: async (namespace, name) => {
      const service = clusterObjectNames(name).clientService;
      const { items } = await kube.list<EndpointSlice>(RESOURCE.EndpointSlice, namespace, { labelSelector: `kubernetes.io/service-name=${service}` });
      return urlsFromSlices(items);
    },
  };
}
