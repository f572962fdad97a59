import { createHash, timingSafeEqual } from 'node:crypto';
import type { KsqlBackend } from './backend.js';
import { HttpListener, type HttpRequest, type ListenerTls, type RequestHandler } from './http/listener.js';
import { router, type Route } from './http/router.js';
import { setRegexBudgetMs } from '../functions/scalar/regex-sandbox.js';
import { DEFAULT_LIMITS, type ServerLimits } from './limits.js';
import type { EngineMetrics } from './metrics.js';
import { dryRunRoutes } from './dry-run.js';
import { consoleRoutes } from './routes/console.js';
import { infoRoutes } from './routes/info.js';
import { insertsStreamRoutes } from './routes/inserts-stream.js';
import { ksqlRoutes } from './routes/ksql.js';
import { pullPartitionsRoutes } from './routes/pull-partitions.js';
import { queryRoutes } from './routes/query.js';
import type { CommandStatus, HealthReport, ServerState } from './routes/state.js';

/**
 * A ksqlDB-compatible REST API over a KsqlBackend, on HTTP/1.1 and HTTP/2
 * alike (http/listener.ts):
 *
 * - POST /ksql           statements → KsqlEntity list (currentStatus, streams, ...)
 * - POST /query          SELECT → JSON array: header, rows, final message (push: chunked)
 * - POST /query-stream   SELECT → delimited JSON (metadata line, then one array per row)
 * - POST /inserts-stream rows into a stream, acked one by one
 * - POST /close-query    stop a push query started by /query-stream
 * - GET  /info, /healthcheck, /clusterStatus, /status[/:type/:entity/:action]
 * - GET  /ready (readiness), /metrics (Prometheus; both open even with basic auth)
 *
 * Each group of routes is a module under routes/ returning a route table
 * (http/router.ts); `routes` adds more.
 */
export interface ServerOptions {
  readonly backend: KsqlBackend;
  /** enables HTTP basic authentication */
  readonly auth?: { readonly user: string; readonly password: string } | null;
  /** properties applied to every request (e.g. the test runner's `ksql.streams.auto.offset.reset`) */
  readonly properties?: Readonly<Record<string, string>>;
  readonly version?: string;
  /** liveness for GET /healthcheck (default: always healthy); see health.ts for checks that need a round trip */
  readonly health?: () => HealthReport | Promise<HealthReport>;
  /** readiness for GET /ready (default: always ready) */
  readonly ready?: () => boolean;
  /** served at GET /metrics (Prometheus text), without authentication */
  readonly metrics?: EngineMetrics;
  /** limits of one request (default DEFAULT_LIMITS) */
  readonly limits?: Partial<ServerLimits>;
  /** more routes, matched after the API's own (so they cannot shadow them) */
  readonly routes?: readonly Route[];
  /** server failures (500s), for the log */
  readonly onError?: (err: unknown, req: HttpRequest) => void;
}

export class KsqlRestServer {
  /** the request handler: node's request/response of either HTTP version */
  readonly handler: RequestHandler;
  /** method and path of every route served (docs/rest-api.md is checked against it) */
  readonly routes: readonly { readonly method: string; readonly path: string; readonly open: boolean }[];
  readonly #state: ServerState;
  #listener: HttpListener | null = null;

  constructor(opts: ServerOptions) {
    const limits: ServerLimits = { ...DEFAULT_LIMITS, ...opts.limits };
    // the process's functions take the budget of the server's properties (one server per process)
    if (opts.limits?.regexBacktrackingBudgetMs !== undefined) setRegexBudgetMs(limits.regexBacktrackingBudgetMs);
    let seq = 0;
    const state: ServerState = {
      backend: opts.backend,
      version: opts.version ?? '0.29.0',
      limits,
      properties: opts.properties ?? {},
      health: opts.health,
      ready: opts.ready,
      metrics: opts.metrics,
      commands: new Map<string, CommandStatus>(),
      push: new Map(),
      nextSequence: () => seq++,
    };
    this.#state = state;
    const auth = opts.auth;
    const routes: Route[] = [
      ...infoRoutes(state),
      ...ksqlRoutes(state),
      ...queryRoutes(state),
      ...insertsStreamRoutes(state),
      ...pullPartitionsRoutes(state),
      // the web console: its files and JSON extensions, behind the auth like every API route
      ...consoleRoutes(state),
      // the operator validates a KsqlQuery's SQL on the cluster's own engines (dry-run.ts)
      ...dryRunRoutes(() => state.backend),
      ...(opts.routes ?? []),
    ];
    this.routes = routes.map((r) => ({ method: r.method, path: r.path, open: r.open === true }));
    this.handler = router(routes, {
      maxBodyBytes: limits.requestMaxBytes,
      authenticate: auth ? (req) => authenticated(req, auth) : null,
      ...(opts.onError ? { onError: opts.onError } : {}),
    });
  }

  /** Listens on `port` (0: a free one) of `host`, HTTP/1.1 and HTTP/2 (TLS: chosen by ALPN); resolves with the address. */
  async listen(port = 0, host = '127.0.0.1', tls: ListenerTls | null = null): Promise<{ port: number; url: string }> {
    const listener = await HttpListener.listen({ port, host, tls, handler: this.handler });
    this.#listener = listener;
    const h = host.includes(':') ? `[${host}]` : host;
    return { port: listener.port, url: `${listener.scheme}://${h}:${listener.port}` };
  }

  /** Serves requests of a listener already bound (one bound before the engine started, to know its address). */
  attach(listener: HttpListener): void {
    this.#listener = listener;
    listener.handler = this.handler;
  }

  async close(): Promise<void> {
    for (const q of [...this.#state.push.values()]) q.close();
    this.#state.push.clear();
    const l = this.#listener;
    this.#listener = null;
    await l?.close();
  }

  get activePushQueries(): readonly string[] {
    return [...this.#state.push.keys()];
  }
}

function authenticated(req: HttpRequest, auth: { readonly user: string; readonly password: string }): boolean {
  const m = /^Basic\s+(.+)$/i.exec(req.headers.authorization ?? '');
  if (!m) return false;
  const [user = '', ...rest] = Buffer.from(m[1]!, 'base64').toString('utf8').split(':');
  // both compared, in constant time, so the answer's timing tells nothing about either
  const u = sameSecret(user, auth.user);
  const p = sameSecret(rest.join(':'), auth.password);
  return u && p;
}

/** Constant-time equality of two strings (digests first, so unequal lengths take the same time too). */
function sameSecret(a: string, b: string): boolean {
  const d = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(d(a), d(b));
}

/** Starts a server (tests, `ksetl server` over the in-memory runtime). */
export async function startServer(opts: ServerOptions & { port?: number; host?: string }): Promise<{ server: KsqlRestServer; port: number; url: string }> {
  const server = new KsqlRestServer(opts);
  const { port, url } = await server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1');
  return { server, port, url };
}
