import type { KsqlBackend } from './backend.js';
import { CONSOLE_PATH, consoleAssets, type ConsoleAsset } from './console-assets.js';
import { queryGraph } from './console-graph.js';

/**
 * The web console under /console: its static files, and three small JSON
 * extensions of the REST API the console needs and ksqlDB's endpoints lack.
 * All of them sit behind the server's authentication like every other route
 * (the server mounts `serveConsole` after its auth middleware):
 *
 * - GET /console/api/config                 { serviceId, prometheus }: whether the dashboards read Prometheus
 * - GET /console/api/topology/:queryId      a persistent query's plan as a graph (console-graph.ts)
 * - GET /console/api/topics/:topic/sample   the latest records of a topic (?limit, default 10, at most 100)
 * - GET /console/api/prometheus/query_range Prometheus' range query (query, start, end, step), forwarded to
 *                                           `ksetl.console.prometheus.url` when set (404 otherwise)
 *
 * Everything else under /console is a file of the built console
 * (console-assets.ts). The console's other data comes from the ksqlDB API
 * (/ksql, /query-stream, /close-query) and /metrics.
 */
export const CONSOLE_PROMETHEUS_URL = 'ksetl.console.prometheus.url';

export interface ConsoleReply {
  readonly status: number;
  readonly contentType: string;
  readonly body: string | Buffer;
}

export type ConsoleQuery = Readonly<Record<string, unknown>>;

export interface ConsoleOptions {
  /** the asset lookup (default: the built console in dist/console/) */
  readonly assets?: (path: string) => ConsoleAsset | null;
  /** fetch for the Prometheus proxy (tests) */
  readonly fetch?: typeof fetch;
}

/** A GET handler for every path under /console: null for paths outside it. */
export function serveConsole(backend: KsqlBackend, opts: ConsoleOptions = {}): (path: string, query: ConsoleQuery) => Promise<ConsoleReply> | null {
  const assets = opts.assets ?? consoleAssets();
  const doFetch = opts.fetch ?? fetch;
  return (path, query) => {
    if (path !== CONSOLE_PATH && !path.startsWith(CONSOLE_PATH + '/')) return null;
    const api = /^\/console\/api\/(.*)$/.exec(path);
    if (!api) {
      const a = assets(path);
      return Promise.resolve(a ? { status: 200, contentType: a.contentType, body: a.body } : notFound(`No console file ${path}`));
    }
    return apiReply(backend, api[1]!, query, doFetch).catch((e: unknown) => json(502, { '@type': 'generic_error', error_code: 50200, message: e instanceof Error ? e.message : String(e) }));
  };
}

async function apiReply(b: KsqlBackend, rest: string, query: ConsoleQuery, doFetch: typeof fetch): Promise<ConsoleReply> {
  const parts = rest.split('/').map(decodeURIComponent);
  if (parts[0] === 'config' && parts.length === 1) {
    return json(200, { serviceId: b.properties['ksql.service.id'] ?? 'default_', prometheus: Boolean(b.properties[CONSOLE_PROMETHEUS_URL]) });
  }
  if (parts[0] === 'topology' && parts.length === 2) {
    const id = parts[1]!;
    const plan = b.metastore.query(id) ? b.queryPlan?.(id) : undefined;
    return plan ? json(200, queryGraph(id, plan)) : notFound(`No running query ${id}`);
  }
  if (parts[0] === 'topics' && parts.length === 3 && parts[2] === 'sample') {
    const topic = parts[1]!;
    if (!b.topics().some((t) => t.name === topic)) return notFound(`No topic ${topic}`);
    const limit = Math.min(100, Math.max(1, Number(str(query['limit']) || 10) || 10));
    const records = b.scanTopic ? await b.scanTopic(topic) : b.readTopic(topic);
    const latest = [...records].sort((x, y) => x.timestamp - y.timestamp).slice(-limit).reverse();
    return json(200, {
      topic,
      records: latest.map((r) => ({ partition: r.partition, offset: r.offset, timestamp: r.timestamp, key: text(r.key), value: text(r.value) })),
    });
  }
  if (parts[0] === 'prometheus' && parts[1] === 'query_range' && parts.length === 2) {
    const base = b.properties[CONSOLE_PROMETHEUS_URL];
    if (!base) return notFound(`${CONSOLE_PROMETHEUS_URL} is not set`);
    const params = new URLSearchParams();
    for (const k of ['query', 'start', 'end', 'step']) params.set(k, str(query[k]));
    const r = await doFetch(`${base.replace(/\/+$/, '')}/api/v1/query_range?${params}`, { signal: AbortSignal.timeout(10_000) });
    return { status: r.status, contentType: 'application/json', body: await r.text() };
  }
  return notFound(`No console API ${rest}`);
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** A record's key or value as text (UTF-8), or its bytes in hex when it is not valid UTF-8. */
function text(b: Buffer | null): string | null {
  if (b === null) return null;
  const s = b.toString('utf8');
  return Buffer.from(s, 'utf8').equals(b) ? s : `0x${b.toString('hex')}`;
}

function json(status: number, value: unknown): ConsoleReply {
  return { status, contentType: 'application/json', body: JSON.stringify(value) };
}

function notFound(message: string): ConsoleReply {
  return json(404, { '@type': 'generic_error', error_code: 40400, message });
}
