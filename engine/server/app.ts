import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import { KsqlError } from '../errors.js';
import { isPullQuery, runPullQuery, startPushQuery, type PushQueryHandle, type TransientColumn } from '../exec/transient.js';
import { parseScript } from '../sql/index.js';
import type { Statement } from '../sql/ast/statement.js';
import { PULL_PARTITIONS_PATH, pullSnapshot, queryState, transientDepsOf, type KsqlBackend } from './backend.js';
import { DRY_RUN_PATH, dryRunHandler } from './dry-run.js';
import { describeEntity, describeFunctionEntity, showEntity, type Entity } from './describe.js';
import { insertRow } from './inserts.js';
import { headerSchema, rowToJson, streamTypeName } from './json.js';
import type { EngineMetrics } from './metrics.js';

/**
 * A ksqlDB-compatible REST API over a KsqlBackend:
 *
 * - POST /ksql           statements → KsqlEntity list (currentStatus, streams, ...)
 * - POST /query          SELECT → JSON array: header, rows, final message (push: chunked)
 * - POST /query-stream   SELECT → delimited JSON (metadata line, then one array per row)
 * - POST /inserts-stream rows into a stream, acked one by one
 * - POST /close-query    stop a push query started by /query-stream
 * - GET  /info, /healthcheck, /clusterStatus, /status[/:type/:entity/:action]
 * - GET  /ready (readiness), /metrics (Prometheus; both open even with basic auth)
 */
export interface ServerOptions {
  readonly backend: KsqlBackend;
  /** enables HTTP basic authentication */
  readonly auth?: { readonly user: string; readonly password: string } | null;
  /** properties applied to every request (e.g. the test runner's `ksql.streams.auto.offset.reset`) */
  readonly properties?: Readonly<Record<string, string>>;
  readonly version?: string;
  /** liveness for GET /healthcheck (default: always healthy) */
  readonly health?: () => { readonly isHealthy: boolean; readonly details: Record<string, { readonly isHealthy: boolean }> };
  /** readiness for GET /ready (default: always ready) */
  readonly ready?: () => boolean;
  /** served at GET /metrics (Prometheus text), without authentication */
  readonly metrics?: EngineMetrics;
}

interface CommandStatus {
  status: 'QUEUED' | 'PARSING' | 'EXECUTING' | 'RUNNING' | 'TERMINATED' | 'SUCCESS' | 'ERROR';
  message: string;
  queryId: string | null;
}

const DELIMITED = 'application/vnd.ksqlapi.delimited.v1';
const KSQL_JSON = 'application/vnd.ksql.v1+json';
const WRONG_ENDPOINT = "The following statement types should be issued to the websocket endpoint '/query':\n\t* PRINT\n\t* SELECT";

export class KsqlRestServer {
  readonly app = express();
  readonly #backend: KsqlBackend;
  readonly #opts: ServerOptions;
  readonly #commands = new Map<string, CommandStatus>();
  readonly #push = new Map<string, PushQueryHandle>();
  #seq = 0;
  #server: Server | null = null;

  constructor(opts: ServerOptions) {
    this.#opts = opts;
    this.#backend = opts.backend;
    this.#routes();
  }

  /** Listens on `port` (0: a free one) of `host`; resolves with the address. */
  async listen(port = 0, host = '127.0.0.1'): Promise<{ port: number; url: string }> {
    const server = createServer(this.app);
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    const addr = server.address() as AddressInfo;
    return { port: addr.port, url: `http://${host}:${addr.port}` };
  }

  /** Serves requests of a server already listening (one bound before the engine started, to know its address). */
  attach(server: Server): void {
    this.#server = server;
    server.on('request', this.app);
  }

  async close(): Promise<void> {
    for (const h of this.#push.values()) h.close();
    this.#push.clear();
    const s = this.#server;
    this.#server = null;
    if (!s) return;
    s.closeAllConnections?.();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  get activePushQueries(): readonly string[] {
    return [...this.#push.keys()];
  }

  #props(extra: unknown): Record<string, string> {
    const out: Record<string, string> = { ...(this.#opts.properties ?? {}) };
    if (extra && typeof extra === 'object') for (const [k, v] of Object.entries(extra as Record<string, unknown>)) out[k] = String(v);
    return out;
  }

  #routes(): void {
    const app = this.app;
    app.disable('x-powered-by');
    app.use((req, res, next) => this.#auth(req, res, next));
    const json = express.json({ type: () => true, limit: '10mb' });

    app.get('/healthcheck', (_req, res) => {
      const h = this.#opts.health?.() ?? { isHealthy: true, details: { metastore: { isHealthy: true }, kafka: { isHealthy: true }, commandRunner: { isHealthy: true } } };
      res.status(h.isHealthy ? 200 : 503).json(h);
    });
    // readiness (Kubernetes): the backend caught up and runs its queries
    app.get('/ready', (_req, res) => {
      const ready = this.#opts.ready?.() ?? true;
      res.status(ready ? 200 : 503).json({ isReady: ready });
    });
    app.get('/metrics', (_req, res, next) => {
      const m = this.#opts.metrics;
      if (!m) {
        res.status(404).json({ '@type': 'generic_error', error_code: 40400, message: 'Not found' });
        return;
      }
      m.text()
        .then(({ contentType, body }) => res.type(contentType).send(body))
        .catch(next);
    });
    app.get('/info', (_req, res) => {
      res.json({ KsqlServerInfo: { version: this.#opts.version ?? '0.29.0', kafkaClusterId: 'ksetl-in-memory', ksqlServiceId: this.#backend.properties['ksql.service.id'] ?? 'default_', serverStatus: 'RUNNING' } });
    });
    app.get('/clusterStatus', (req, res) => {
      const host = req.headers.host ?? 'localhost';
      res.json({ clusterStatus: { [host]: { hostAlive: true, lastStatusUpdateMs: Date.now(), activeStandbyPerQuery: {}, hostStoreLags: { stateStoreLags: {}, updateTimeMs: Date.now() } } } });
    });
    app.get('/status', (_req, res) => {
      res.json({ commandStatuses: Object.fromEntries([...this.#commands.entries()].map(([k, v]) => [k, v.status])) });
    });
    app.get('/status/:type/:entity/:action', (req, res) => {
      const id = `${req.params['type']}/${req.params['entity']}/${req.params['action']}`;
      const st = this.#commands.get(id);
      if (!st) {
        res.status(404).json({ '@type': 'generic_error', error_code: 40400, message: `Command not found: ${id}` });
        return;
      }
      res.json({ status: st.status, message: st.message, queryId: st.queryId });
    });
    app.post('/ksql', json, (req, res, next) => void this.#ksql(req, res).catch(next));
    app.post('/query', json, (req, res, next) => void this.#query(req, res).catch(next));
    app.post('/query-stream', json, (req, res, next) => void this.#queryStream(req, res).catch(next));
    app.post('/close-query', json, (req, res) => {
      const id = String((req.body as { queryId?: unknown })?.queryId ?? '');
      const h = this.#push.get(id);
      if (!h) {
        res.status(400).json({ '@type': 'generic_error', error_code: 40002, message: `No query with id ${id}` });
        return;
      }
      h.close();
      this.#push.delete(id);
      res.status(200).end();
    });
    app.post('/inserts-stream', (req, res) => this.#insertsStream(req, res));
    app.post(DRY_RUN_PATH, json, dryRunHandler(() => this.#backend));
    // another process of the service asks for rows of partitions this one owns (pull queries served from state)
    app.post(PULL_PARTITIONS_PATH, express.text({ type: () => true, limit: '512mb' }), (req, res, next) => {
      const b = this.#backend;
      if (!b.servePullPartitions) {
        res.status(404).json({ '@type': 'generic_error', error_code: 40400, message: 'Not found' });
        return;
      }
      void b
        .servePullPartitions(String(req.body ?? ''))
        .then((body) => res.type('application/json').send(body))
        .catch(next);
    });
    app.use((_req: Request, res: Response) => {
      res.status(404).json({ '@type': 'generic_error', error_code: 40400, message: 'Not found' });
    });
     
    app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
      const message = err instanceof Error ? err.message : String(err);
      if (!res.headersSent) res.status((err as { status?: number }).status === 400 ? 400 : 500).json({ '@type': 'generic_error', error_code: 50000, message });
    });
  }

  #auth(req: Request, res: Response, next: NextFunction): void {
    const auth = this.#opts.auth;
    // probes and Prometheus scrapes carry no credentials (ksqlDB leaves /healthcheck open too)
    if (!auth || req.path === '/healthcheck' || req.path === '/ready' || req.path === '/metrics') {
      next();
      return;
    }
    const header = req.headers.authorization ?? '';
    const m = /^Basic\s+(.+)$/i.exec(header);
    if (m) {
      const [user = '', ...rest] = Buffer.from(m[1]!, 'base64').toString('utf8').split(':');
      // both compared, in constant time, so the answer's timing tells nothing about either
      if (sameSecret(user, auth.user) && sameSecret(rest.join(':'), auth.password)) {
        next();
        return;
      }
    }
    res.setHeader('WWW-Authenticate', 'Basic realm="KsqlServer"');
    res.status(401).json({ '@type': 'generic_error', error_code: 40100, message: 'Unauthorized' });
  }

  // ---------------------------------------------------------------------------------- /ksql

  async #ksql(req: Request, res: Response): Promise<void> {
    const body = (req.body ?? {}) as { ksql?: unknown; streamsProperties?: unknown; sessionVariables?: unknown };
    const text = typeof body.ksql === 'string' ? body.ksql : '';
    const props = this.#props(body.streamsProperties);
    const vars = new Map<string, string>(Object.entries((body.sessionVariables ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
    const entities: Entity[] = [];
    let statements: Statement[];
    try {
      statements = parseScript(text, vars);
    } catch (e) {
      sendStatementError(res, e, text, entities);
      return;
    }
    for (const st of statements) {
      try {
        const entity = await this.#execute(st, props);
        if (entity) entities.push(entity);
      } catch (e) {
        sendStatementError(res, e, st.text, entities);
        return;
      }
    }
    res.type(accepts(req, KSQL_JSON) ? KSQL_JSON : 'application/json').send(JSON.stringify(entities));
  }

  /** Runs one statement; null when ksqlDB answers with no entity (INSERT VALUES, DEFINE, ...). */
  async #execute(st: Statement, props: Record<string, string>): Promise<Entity | null> {
    const b = this.#backend;
    switch (st.kind) {
      case 'Show':
        return showEntity(st, b);
      case 'Describe':
        return describeEntity(st, b);
      case 'DescribeFunction':
        return describeFunctionEntity(st, b);
      case 'QueryStatement':
        throw new KsqlError(WRONG_ENDPOINT, st.loc);
      case 'SetProperty':
        props[st.name] = st.value;
        return null;
      case 'UnsetProperty':
        delete props[st.name];
        return null;
      case 'DefineVariable':
      case 'UndefineVariable':
        return null;
      case 'InsertValues':
        await b.executeStatement(st, props);
        return null;
      case 'Explain': {
        const r = await b.executeStatement(st, props);
        const q = st.target.kind === 'QueryId' ? b.metastore.query(st.target.queryId) : undefined;
        return {
          '@type': 'queryDescription',
          statementText: st.text,
          warnings: [],
          queryDescription: {
            id: q?.id ?? '',
            statementText: q?.sql ?? (st.target.kind === 'Statement' ? st.target.statement.text : ''),
            windowType: null,
            fields: [],
            sources: q ? [...q.sources] : [],
            sinks: q?.sink ? [q.sink] : [],
            topology: '',
            executionPlan: st.target.kind === 'Statement' ? r.message : '',
            overriddenProperties: {},
            ksqlHostQueryStatus: {},
            queryType: q ? 'PERSISTENT' : 'PUSH',
            queryErrors: q ? (b.queryStatus?.(q.id)?.errors ?? []) : [],
            tasksMetadata: [],
            state: q ? queryState(b, q) : 'RUNNING',
          },
        };
      }
      default: {
        if ((st.kind === 'CreateAsSelect' || st.kind === 'InsertInto') && st.query.limit !== null) {
          const what = st.kind === 'InsertInto' ? 'INSERT INTO' : `CREATE ${st.sourceType} AS SELECT`;
          throw new KsqlError(`${what} statements don't support LIMIT clause.`, st.loc);
        }
        const r = await b.executeStatement(st, props);
        const commandId = commandIdOf(st, r.queryId);
        const status: CommandStatus = { status: 'SUCCESS', message: r.message, queryId: r.queryId };
        this.#commands.set(commandId, status);
        return {
          '@type': 'currentStatus',
          statementText: st.text,
          commandId,
          commandStatus: { ...status },
          commandSequenceNumber: this.#seq++,
          warnings: [],
        };
      }
    }
  }

  // ---------------------------------------------------------------------------------- /query

  #parseQuery(text: string, vars: unknown): Statement & { kind: 'QueryStatement' } {
    const v = new Map<string, string>(Object.entries((vars ?? {}) as Record<string, unknown>).map(([k, x]) => [k, String(x)]));
    const statements = parseScript(text, v).filter((s) => s.kind !== 'DefineVariable' && s.kind !== 'UndefineVariable');
    if (statements.length !== 1) throw new KsqlError(`Expected exactly one statement, got ${statements.length}`);
    const st = statements[0]!;
    if (st.kind !== 'QueryStatement') throw new KsqlError(`Statement type \`${st.kind}' not supported for this resource`, st.loc);
    return st;
  }

  /** Pull queries over a backend that reads asynchronously get their source read first (tables from state where it keeps them). */
  async #pullDeps(st: Statement & { kind: 'QueryStatement' }, props: Readonly<Record<string, string>>, req: Request): Promise<ReturnType<typeof transientDepsOf>> {
    const snapshot = await pullSnapshot(this.#backend, st.query, props, req.headers.authorization);
    return transientDepsOf(this.#backend, undefined, { snapshot });
  }

  async #query(req: Request, res: Response): Promise<void> {
    const body = (req.body ?? {}) as { ksql?: unknown; streamsProperties?: unknown; sessionVariables?: unknown };
    const text = typeof body.ksql === 'string' ? body.ksql : '';
    const props = this.#props(body.streamsProperties);
    const earliest = isEarliest(props);
    const deps = transientDepsOf(this.#backend, undefined, { earliest });
    let st: Statement & { kind: 'QueryStatement' };
    try {
      st = this.#parseQuery(text, body.sessionVariables);
      if (isPullQuery(st.query)) {
        const r = runPullQuery(await this.#pullDeps(st, props, req), st, props);
        const items = [
          JSON.stringify({ header: { queryId: r.queryId, schema: headerSchema(r.columns, true) } }),
          ...r.rows.map((row) => `{"row":{"columns":${rowToJson(row, r.columns)}}}`),
          ...(r.finalMessage ? [JSON.stringify({ finalMessage: r.finalMessage })] : []),
        ];
        res.type('application/json').send('[' + items.join(',\n') + ']');
        return;
      }
    } catch (e) {
      sendStatementError(res, e, text, []);
      return;
    }
    // push query: a chunked JSON array, closed when the LIMIT is reached or the client goes away
    let handle: PushQueryHandle | null = null;
    let ended = false;
    let columns: readonly TransientColumn[] = [];
    const end = (finalMessage: string | null): void => {
      if (ended) return;
      ended = true;
      if (finalMessage) res.write(`,\n${JSON.stringify({ finalMessage })}`);
      res.end(']');
      if (handle) this.#push.delete(handle.queryId);
    };
    try {
      const queryId = pushQueryId(this.#backend, st, earliest);
      handle = startPushQuery(
        deps,
        st,
        (row) => {
          if (ended) return;
          res.write(`,\n{"row":{"columns":${rowToJson(row.columns, columns)}${row.tombstone ? ',"tombstone":true' : ''}}}`);
        },
        {
          earliest,
          queryId,
          dropNullKeys: queryId.startsWith('SCALABLE_PUSH_QUERY'),
          onStart: (id, cols) => {
            columns = cols;
            res.status(200);
            res.setHeader('Content-Type', 'application/json');
            res.setHeader('Transfer-Encoding', 'chunked');
            res.write('[' + JSON.stringify({ header: { queryId: id, schema: headerSchema(cols, false) } }));
          },
          onComplete: (msg) => end(msg),
        },
        props,
      );
    } catch (e) {
      if (!res.headersSent) sendStatementError(res, e, text, []);
      else end(null);
      return;
    }
    if (ended) return;
    const h = handle;
    this.#push.set(h.queryId, h);
    res.on('close', () => {
      h.close();
      this.#push.delete(h.queryId);
    });
  }

  // ---------------------------------------------------------------------------------- /query-stream

  async #queryStream(req: Request, res: Response): Promise<void> {
    const body = (req.body ?? {}) as { sql?: unknown; properties?: unknown; sessionVariables?: unknown };
    const text = typeof body.sql === 'string' ? body.sql : '';
    const props = this.#props(body.properties);
    const earliest = isEarliest(props);
    const deps = transientDepsOf(this.#backend, undefined, { earliest });
    const asJson = accepts(req, 'application/json') && !accepts(req, DELIMITED);
    const meta = (queryId: string, columns: readonly TransientColumn[]): string =>
      JSON.stringify({ queryId, columnNames: columns.map((c) => c.name), columnTypes: columns.map((c) => streamTypeName(c.type)) });
    let st: Statement & { kind: 'QueryStatement' };
    try {
      st = this.#parseQuery(text, body.sessionVariables);
      if (isPullQuery(st.query)) {
        const r = runPullQuery(await this.#pullDeps(st, props, req), st, props);
        const lines = [meta(r.queryId, r.columns), ...r.rows.map((row) => rowToJson(row, r.columns))];
        if (asJson) res.type('application/json').send('[' + lines.join(',') + ']');
        else res.type(DELIMITED).send(lines.map((l) => l + '\n').join(''));
        return;
      }
    } catch (e) {
      sendStatementError(res, e, text, []);
      return;
    }
    let handle: PushQueryHandle | null = null;
    let ended = false;
    let first = true;
    let columns: readonly TransientColumn[] = [];
    const line = (l: string): void => {
      if (ended) return;
      res.write(asJson ? (first ? '[' : ',') + l : l + '\n');
      first = false;
    };
    const end = (): void => {
      if (ended) return;
      ended = true;
      res.end(asJson ? ']' : undefined);
      if (handle) this.#push.delete(handle.queryId);
    };
    try {
      handle = startPushQuery(
        deps,
        st,
        (row) => line(rowToJson(row.columns, columns)),
        {
          earliest,
          queryId: pushQueryId(this.#backend, st, earliest),
          onStart: (queryId, cols) => {
            columns = cols;
            res.status(200);
            res.setHeader('Content-Type', asJson ? 'application/json' : DELIMITED);
            res.setHeader('Transfer-Encoding', 'chunked');
            line(meta(queryId, cols));
          },
          onComplete: () => end(),
        },
        props,
      );
    } catch (e) {
      if (!res.headersSent) sendStatementError(res, e, text, []);
      else end();
      return;
    }
    if (ended) return;
    const h = handle;
    this.#push.set(h.queryId, h);
    res.on('close', () => {
      h.close();
      this.#push.delete(h.queryId);
    });
  }

  // ---------------------------------------------------------------------------------- /inserts-stream

  #insertsStream(req: Request, res: Response): void {
    let buf = '';
    let target: string | null = null;
    let seq = 0;
    let failed = false;
    // rows are written and acknowledged one after the other, in order
    let previous: Promise<void> = Promise.resolve();
    res.status(200);
    res.setHeader('Content-Type', DELIMITED);
    const ack = (o: Record<string, unknown>): void => void res.write(JSON.stringify(o) + '\n');
    const handle = (obj: unknown): void => {
      if (failed) return;
      if (target === null) {
        const t = (obj as { target?: unknown })?.target;
        if (typeof t !== 'string') {
          failed = true;
          ack({ status: 'error', seq: 0, error_code: 40000, message: 'Invalid JSON in inserts stream: missing target' });
          return;
        }
        target = t;
        return;
      }
      const [into, n] = [target, seq++];
      previous = previous.then(() =>
        insertRow(this.#backend, into, obj as Record<string, unknown>).then(
          () => ack({ status: 'ok', seq: n }),
          (e: unknown) => ack({ status: 'error', seq: n, error_code: 40000, message: e instanceof Error ? e.message : String(e) }),
        ),
      );
    };
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      buf += chunk;
      for (const [obj, rest] of takeJsonObjects(buf)) {
        buf = rest;
        handle(obj);
      }
    });
    req.on('end', () => {
      const rest = buf.trim();
      if (rest) {
        try {
          handle(JSON.parse(rest));
        } catch {
          previous = previous.then(() => ack({ status: 'error', seq, error_code: 40000, message: 'Invalid JSON in inserts stream' }));
        }
      }
      void previous.then(() => res.end());
    });
  }
}

/** Splits complete top-level JSON values off the front of `text`. */
function* takeJsonObjects(text: string): Generator<[unknown, string]> {
  let rest = text;
  for (;;) {
    const start = rest.search(/\S/);
    if (start < 0) return;
    let depth = 0;
    let inStr = false;
    let end = -1;
    for (let i = start; i < rest.length; i++) {
      const ch = rest[i]!;
      if (inStr) {
        if (ch === '\\') i++;
        else if (ch === '"') inStr = false;
        continue;
      }
      if (ch === '"') inStr = true;
      else if (ch === '{' || ch === '[') depth++;
      else if (ch === '}' || ch === ']') {
        depth--;
        if (depth === 0) {
          end = i + 1;
          break;
        }
      }
    }
    if (end < 0) return;
    const value = JSON.parse(rest.slice(start, end)) as unknown;
    rest = rest.slice(end);
    yield [value, rest];
  }
}

/** Constant-time equality of two strings (digests first, so unequal lengths take the same time too). */
function sameSecret(a: string, b: string): boolean {
  const d = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(d(a), d(b));
}

function accepts(req: Request, type: string): boolean {
  return (req.headers.accept ?? '').includes(type);
}

function isEarliest(props: Readonly<Record<string, string>>): boolean {
  const v = props['auto.offset.reset'] ?? props['ksql.streams.auto.offset.reset'] ?? 'latest';
  return v.toLowerCase() === 'earliest';
}

/** ksqlDB names push queries over a persistent query's sink, started from latest, as scalable push queries. */
function pushQueryId(b: KsqlBackend, st: Statement & { kind: 'QueryStatement' }, earliest: boolean): string {
  const from = st.query.from;
  const name = from.kind === 'Source' ? from.name : null;
  const src = name ? b.metastore.source(name) : undefined;
  const rand = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e9).toString(36)}`;
  if (!earliest && src?.isSink && from.kind === 'Source' && st.query.groupBy === null && st.query.window === null) return `SCALABLE_PUSH_QUERY_${rand}`;
  return `transient_${name ?? 'JOIN'}_${rand}`;
}

function commandIdOf(st: Statement, queryId: string | null): string {
  switch (st.kind) {
    case 'CreateSource':
    case 'CreateAsSelect':
      return `${st.sourceType.toLowerCase()}/\`${st.name}\`/create`;
    case 'DropSource':
      return `${st.sourceType.toLowerCase()}/\`${st.name}\`/drop`;
    case 'InsertInto':
      return `stream/\`${st.target}\`/create`;
    case 'CreateType':
      return `type/\`${st.name}\`/create`;
    case 'DropType':
      return `type/\`${st.name}\`/drop`;
    case 'Terminate':
      return `terminate/${st.queryId ?? 'ALL'}/execute`;
    case 'PauseResume':
      return `${st.action.toLowerCase()}/${st.queryId ?? 'ALL'}/execute`;
    default:
      return `${st.kind.toLowerCase()}/${queryId ?? 'statement'}/execute`;
  }
}

/** ksqlDB's error entity: 400 + statement_error for refused statements, 500 + generic_error otherwise. */
function sendStatementError(res: Response, e: unknown, statementText: string, entities: readonly Entity[]): void {
  if (e instanceof KsqlError) {
    res.status(400).json({ '@type': 'statement_error', error_code: 40001, message: e.message, statementText, entities });
    return;
  }
  const message = e instanceof Error ? e.message : String(e);
  res.status(500).json({ '@type': 'generic_error', error_code: 50000, message });
}

/** Starts a server over an in-memory engine (tests, `ksetl server`). */
export async function startServer(opts: ServerOptions & { port?: number; host?: string }): Promise<{ server: KsqlRestServer; port: number; url: string }> {
  const server = new KsqlRestServer(opts);
  const { port, url } = await server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1');
  return { server, port, url };
}
