/**
 * A small REST client for the test infrastructure (pod runner, e2e tests,
 * local-up): plain HTTP(S) requests to the API server with the kubeconfig's
 * credentials (@kubernetes/client-node's KubeConfig does the auth), server-side
 * apply of arbitrary manifests through discovery, and line-delimited watches.
 * Not the operator's client (operator/kube/): this one serves tests and tools.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeApiError } from '../../../operator/kube/port.js';

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    deletionTimestamp?: string;
    deletionGracePeriodSeconds?: number;
    generation?: number;
    ownerReferences?: { kind: string; name: string; uid: string }[];
    finalizers?: string[];
    [k: string]: unknown;
  };
  [k: string]: unknown;
}

export interface KubeList<T = KubeObject> {
  metadata: { resourceVersion: string };
  items: T[];
}

export interface WatchEvent<T = KubeObject> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

// the operator's API error (HTTP status `code`, Status `reason`): one type for tests and operator alike
export { KubeApiError };

export const isNotFound = (e: unknown): boolean => e instanceof KubeApiError && e.code === 404;
export const isConflict = (e: unknown): boolean => e instanceof KubeApiError && e.code === 409;

interface Resource {
  readonly plural: string;
  readonly namespaced: boolean;
}

export class KubeRest {
  readonly #server: URL;
  readonly #options: https.RequestOptions;
  readonly #resources = new Map<string, Resource>();

  private constructor(server: URL, options: https.RequestOptions) {
    this.#server = server;
    this.#options = options;
  }

  static async fromKubeConfig(kc: KubeConfig): Promise<KubeRest> {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    const options: https.RequestOptions = {};
    await kc.applyToHTTPSOptions(options);
    return new KubeRest(new URL(cluster.server), options);
  }

  static async fromFile(file: string): Promise<KubeRest> {
    const kc = new KubeConfig();
    kc.loadFromFile(file);
    return KubeRest.fromKubeConfig(kc);
  }

  get server(): string {
    return this.#server.toString().replace(/\/$/, '');
  }

  #send(method: string, path: string, body: unknown, contentType: string, signal?: AbortSignal): Promise<http.IncomingMessage> {
    const url = new URL(path, this.#server);
    const data = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const headers: Record<string, string> = { ...(this.#options.headers as Record<string, string> | undefined), Accept: 'application/json' };
    if (data !== undefined) {
      headers['Content-Type'] = contentType;
      headers['Content-Length'] = String(Buffer.byteLength(data));
    }
    const mod = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = mod.request(url, { ...this.#options, method, headers, ...(signal ? { signal } : {}) }, resolve);
      req.on('error', reject);
      if (data !== undefined) req.write(data);
      req.end();
    });
  }

  /** One request; JSON in and out; non-2xx responses throw KubeApiError. */
  async request<T = KubeObject>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
    const res = await this.#send(method, path, body, contentType);
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) {
      let reason = '';
      let message = text;
      try {
        const s = JSON.parse(text) as { reason?: string; message?: string };
        reason = s.reason ?? '';
        message = s.message ?? text;
      } catch {
        // not a Status object
      }
      throw new KubeApiError(status, reason, `${method} ${path}: ${status} ${message}`);
    }
    return (text ? JSON.parse(text) : {}) as T;
  }

  get<T = KubeObject>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  /** The object, or null when it does not exist. */
  async find<T = KubeObject>(path: string): Promise<T | null> {
    try {
      return await this.get<T>(path);
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
  }

  create<T = KubeObject>(path: string, body: unknown): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  mergePatch<T = KubeObject>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PATCH', path, body, 'application/merge-patch+json');
  }

  /** DELETE; a missing object is not an error. */
  async delete(path: string, options: Record<string, unknown> = {}): Promise<void> {
    try {
      await this.request('DELETE', path, { apiVersion: 'v1', kind: 'DeleteOptions', ...options });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  // ---- resources by apiVersion/kind (discovery) -------------------------------

  async #resource(apiVersion: string, kind: string): Promise<Resource> {
    const key = `${apiVersion}/${kind}`;
    const known = this.#resources.get(key);
    if (known) return known;
    const list = await this.get<{ resources: { name: string; kind: string; namespaced: boolean }[] }>(apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`);
    for (const r of list.resources) if (!r.name.includes('/')) this.#resources.set(`${apiVersion}/${r.kind}`, { plural: r.name, namespaced: r.namespaced });
    const found = this.#resources.get(key);
    if (!found) throw new Error(`the API server does not serve ${kind} in ${apiVersion}`);
    return found;
  }

  /** Forgets discovered resources (after CRDs were installed). */
  forgetDiscovery(): void {
    this.#resources.clear();
  }

  /** The collection path of a kind (`namespace` ignored for cluster-scoped kinds). */
  async collectionPath(apiVersion: string, kind: string, namespace?: string): Promise<string> {
    const r = await this.#resource(apiVersion, kind);
    const prefix = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    return r.namespaced ? `${prefix}/namespaces/${namespace ?? 'default'}/${r.plural}` : `${prefix}/${r.plural}`;
  }

  async objectPath(obj: KubeObject, defaultNamespace?: string): Promise<string> {
    if (!obj.apiVersion || !obj.kind || !obj.metadata?.name) throw new Error('object needs apiVersion, kind and metadata.name');
    const ns = obj.metadata.namespace ?? defaultNamespace;
    return `${await this.collectionPath(obj.apiVersion, obj.kind, ns)}/${obj.metadata.name}`;
  }

  /** Server-side apply (force: the caller owns what it applies). */
  async apply<T = KubeObject>(obj: KubeObject, fieldManager: string, defaultNamespace?: string): Promise<T> {
    const path = await this.objectPath(obj, defaultNamespace);
    const body = defaultNamespace && !obj.metadata?.namespace && (await this.#resource(obj.apiVersion!, obj.kind!)).namespaced ? { ...obj, metadata: { ...obj.metadata, namespace: defaultNamespace } } : obj;
    return this.request<T>('PATCH', `${path}?fieldManager=${encodeURIComponent(fieldManager)}&force=true`, body, 'application/apply-patch+yaml');
  }

  // ---- watch ------------------------------------------------------------------

  /**
   * Watches a collection from `resourceVersion`, calling `onEvent` for each
   * event, until the server closes the stream (resolves with the last
   * resourceVersion seen) or `signal` aborts. A 410 Gone rejects: relist.
   */
  async watch<T = KubeObject>(path: string, resourceVersion: string, onEvent: (e: WatchEvent<T>) => void, signal: AbortSignal, params: Record<string, string> = {}): Promise<string> {
    const q = new URLSearchParams({ ...params, watch: '1', resourceVersion, allowWatchBookmarks: 'true', timeoutSeconds: '240' });
    const res = await this.#send('GET', `${path}?${q.toString()}`, undefined, '', signal);
    if ((res.statusCode ?? 0) !== 200) {
      res.resume();
      throw new KubeApiError(res.statusCode ?? 0, '', `watch ${path}: ${res.statusCode}`);
    }
    let last = resourceVersion;
    let buf = '';
    try {
      for await (const chunk of res) {
        buf += (chunk as Buffer).toString('utf8');
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i).trim();
          buf = buf.slice(i + 1);
          if (!line) continue;
          const e = JSON.parse(line) as WatchEvent<T>;
          if (e.type === 'ERROR') {
            const s = e.object as unknown as { code?: number; message?: string };
            throw new KubeApiError(s.code ?? 500, 'WatchError', `watch ${path}: ${s.message ?? 'error'}`);
          }
          last = (e.object as KubeObject).metadata?.resourceVersion ?? last;
          if (e.type !== 'BOOKMARK') onEvent(e);
        }
      }
    } catch (e) {
      if (signal.aborted) return last;
      throw e;
    }
    return last;
  }
}
