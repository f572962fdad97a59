/**
 * KubePort over the Kubernetes REST API, with the credentials and TLS
 * settings of a kubeconfig (@kubernetes/client-node's KubeConfig). Plain
 * node:http(s) requests: server-side apply is a PATCH with
 * `application/apply-patch+yaml` (JSON is valid YAML), and watches are read
 * line by line so the informer controls their lifetime (see informer.ts for
 * why it does not trust them).
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { FIELD_MANAGER } from '../names.js';
import { KubeApiError, type KubeObject, type KubePort, type ListOptions, type ObjectList, type WatchEvent, type WatchOptions } from './port.js';
import { resourceOf, resourcePath, type ResourceType } from './resources.js';

const APPLY_PATCH = 'application/apply-patch+yaml';
const REQUEST_TIMEOUT_MS = 30_000;

interface RequestInit {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly query?: Record<string, string | number | boolean | undefined>;
  readonly body?: unknown;
  readonly contentType?: string;
}

function queryString(q: Record<string, string | number | boolean | undefined> | undefined): string {
  if (!q) return '';
  const parts = Object.entries(q)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  return parts.length ? `?${parts.join('&')}` : '';
}

function apiError(code: number, text: string): KubeApiError {
  try {
    const s = JSON.parse(text) as { reason?: string; message?: string; code?: number };
    return new KubeApiError(s.code ?? code, s.reason ?? 'Unknown', s.message ?? text);
  } catch {
    return new KubeApiError(code, 'Unknown', text || `HTTP ${code}`);
  }
}

function metaOf(obj: KubeObject): { t: ResourceType; namespace: string | undefined; name: string } {
  if (!obj.apiVersion || !obj.kind) throw new Error('object without apiVersion/kind');
  const name = obj.metadata?.name;
  if (!name) throw new Error(`${obj.kind} without metadata.name`);
  return { t: resourceOf(obj.apiVersion, obj.kind), namespace: obj.metadata?.namespace, name };
}

export class KubeClient implements KubePort {
  readonly #kc: KubeConfig;
  readonly #server: URL;
  #opts: { at: number; value: https.RequestOptions } | null = null;

  constructor(kc: KubeConfig) {
    this.#kc = kc;
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    this.#server = new URL(cluster.server);
  }

  /** Connection options (credentials re-read every minute: projected service-account tokens rotate). */
  async #requestOptions(): Promise<https.RequestOptions> {
    const now = Date.now();
    if (this.#opts && now - this.#opts.at < 60_000) return this.#opts.value;
    const value: https.RequestOptions = { headers: {} };
    await this.#kc.applyToHTTPSOptions(value);
    this.#opts = { at: now, value };
    return value;
  }

  async #open(path: string, init: RequestInit, signal?: AbortSignal, timeoutMs = REQUEST_TIMEOUT_MS): Promise<http.IncomingMessage> {
    const base = await this.#requestOptions();
    const body = init.body === undefined ? undefined : JSON.stringify(init.body);
    const headers: Record<string, string | number> = { ...(base.headers as Record<string, string>), Accept: 'application/json' };
    if (body !== undefined) {
      headers['Content-Type'] = init.contentType ?? 'application/json';
      headers['Content-Length'] = Buffer.byteLength(body);
    }
    const isHttps = this.#server.protocol === 'https:';
    const basePath = this.#server.pathname.replace(/\/$/, '');
    const opts: https.RequestOptions = {
      ...base,
      protocol: this.#server.protocol,
      hostname: this.#server.hostname.replace(/^\[|\]$/g, ''),
      port: this.#server.port || (isHttps ? 443 : 80),
      method: init.method,
      path: `${basePath}${path}${queryString(init.query)}`,
      headers,
      ...(signal ? { signal } : {}),
    };
    if (!isHttps) delete opts.agent;
    return await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = (isHttps ? https : http).request(opts, resolve);
      req.setTimeout(timeoutMs, () => req.destroy(new KubeApiError(0, 'Timeout', `${init.method} ${path}: no response in ${timeoutMs} ms`)));
      req.on('error', (e) => reject(e instanceof KubeApiError ? e : new KubeApiError(0, 'ConnectionError', `${init.method} ${path}: ${e.message}`)));
      if (body !== undefined) req.write(body);
      req.end();
    });
  }

  async request<T>(path: string, init: RequestInit): Promise<T> {
    const res = await this.#open(path, init);
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const code = res.statusCode ?? 0;
    if (code < 200 || code >= 300) throw apiError(code, text);
    return (text ? JSON.parse(text) : {}) as T;
  }

  async get<T extends KubeObject>(t: ResourceType, namespace: string | undefined, name: string): Promise<T | null> {
    try {
      return await this.request<T>(resourcePath(t, namespace, name), { method: 'GET' });
    } catch (e) {
      if (e instanceof KubeApiError && e.code === 404) return null;
      throw e;
    }
  }

  async list<T extends KubeObject>(t: ResourceType, namespace: string | undefined, opts: ListOptions = {}): Promise<ObjectList<T>> {
    const r = await this.request<{ items?: T[]; metadata?: { resourceVersion?: string } }>(resourcePath(t, namespace), {
      method: 'GET',
      query: { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector },
    });
    // list items carry no apiVersion/kind
    const items = (r.items ?? []).map((i) => ({ apiVersion: t.group ? `${t.group}/${t.version}` : t.version, kind: t.kind, ...i }));
    return { items, resourceVersion: r.metadata?.resourceVersion ?? '' };
  }

  async apply<T extends KubeObject>(obj: T): Promise<T> {
    const { t, namespace, name } = metaOf(obj);
    return await this.request<T>(resourcePath(t, namespace, name), {
      method: 'PATCH',
      query: { fieldManager: FIELD_MANAGER, force: true },
      body: obj,
      contentType: APPLY_PATCH,
    });
  }

  async applyStatus<T extends KubeObject>(obj: KubeObject): Promise<T> {
    const { t, namespace, name } = metaOf(obj);
    return await this.request<T>(resourcePath(t, namespace, name, 'status'), {
      method: 'PATCH',
      query: { fieldManager: FIELD_MANAGER, force: true },
      body: obj,
      contentType: APPLY_PATCH,
    });
  }

  async create<T extends KubeObject>(obj: T): Promise<T> {
    if (!obj.apiVersion || !obj.kind) throw new Error('object without apiVersion/kind');
    const t = resourceOf(obj.apiVersion, obj.kind);
    return await this.request<T>(resourcePath(t, obj.metadata?.namespace), { method: 'POST', query: { fieldManager: FIELD_MANAGER }, body: obj });
  }

  async replace<T extends KubeObject>(obj: T): Promise<T> {
    const { t, namespace, name } = metaOf(obj);
    return await this.request<T>(resourcePath(t, namespace, name), { method: 'PUT', query: { fieldManager: FIELD_MANAGER }, body: obj });
  }

  async delete(t: ResourceType, namespace: string | undefined, name: string, opts: { propagationPolicy?: 'Foreground' | 'Background' | 'Orphan' } = {}): Promise<boolean> {
    try {
      await this.request(resourcePath(t, namespace, name), {
        method: 'DELETE',
        body: { kind: 'DeleteOptions', apiVersion: 'v1', ...(opts.propagationPolicy ? { propagationPolicy: opts.propagationPolicy } : {}) },
      });
      return true;
    } catch (e) {
      if (e instanceof KubeApiError && e.code === 404) return false;
      throw e;
    }
  }

  async watch<T extends KubeObject>(t: ResourceType, namespace: string | undefined, opts: WatchOptions, onEvent: (e: WatchEvent<T>) => void): Promise<void> {
    const query = {
      watch: true,
      resourceVersion: opts.resourceVersion,
      allowWatchBookmarks: opts.allowWatchBookmarks ?? true,
      timeoutSeconds: opts.timeoutSeconds,
      labelSelector: opts.labelSelector,
      fieldSelector: opts.fieldSelector,
    };
    // no socket timeout: the informer's watchdog decides when a quiet watch is dead
    const res = await this.#open(resourcePath(t, namespace), { method: 'GET', query }, opts.signal, 0);
    const code = res.statusCode ?? 0;
    if (code < 200 || code >= 300) {
      const chunks: Buffer[] = [];
      for await (const c of res) chunks.push(c as Buffer);
      throw apiError(code, Buffer.concat(chunks).toString('utf8'));
    }
    let buf = '';
    try {
      for await (const chunk of res) {
        buf += (chunk as Buffer).toString('utf8');
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (!line) continue;
          const ev = JSON.parse(line) as WatchEvent<T>;
          if (ev.type === 'ERROR') {
            const s = ev.object as unknown as { code?: number; reason?: string; message?: string };
            throw new KubeApiError(s.code ?? 500, s.reason ?? 'Unknown', s.message ?? 'watch error');
          }
          onEvent(ev);
        }
      }
    } catch (e) {
      if (opts.signal?.aborted) return;
      throw e;
    }
  }
}
