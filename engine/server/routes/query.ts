import { KsqlError } from '../../errors.js';
import { isPullQuery, startPushQuery, type PushQueryHandle, type TransientColumn } from '../../exec/transient.js';
import { parseScript } from '../../sql/index.js';
import type { Statement } from '../../sql/ast/statement.js';
import { runPull, transientDepsOf, type KsqlBackend } from '../backend.js';
import type { HttpRequest, HttpResponse } from '../http/listener.js';
import { memoryLimitMessage, OutputBudget } from '../http/output-budget.js';
import { HttpError, sendJson, type Route } from '../http/router.js';
import { headerSchema, rowToJson, streamTypeName } from '../json.js';
import { checkStatementText } from '../statement-limits.js';
import { requestBody, sendStatementError } from './ksql.js';
import { requestProperties, sessionVariables, type ServerState } from './state.js';

export const DELIMITED = 'application/vnd.ksqlapi.delimited.v1';

type QueryStatement = Statement & { kind: 'QueryStatement' };

/** POST /query (a JSON array: header, rows, final message), /query-stream (delimited or JSON), /close-query. */
export function queryRoutes(state: ServerState): Route[] {
  return [
    { method: 'POST', path: '/query', handle: ({ req, res, body }) => query(state, req, res, body) },
    { method: 'POST', path: '/query-stream', handle: ({ req, res, body }) => queryStream(state, req, res, body) },
    {
      method: 'POST',
      path: '/close-query',
      handle: ({ res, body }) => {
        const raw = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as { queryId?: unknown }).queryId : undefined;
        if (typeof raw !== 'string') throw new HttpError(400, 40000, 'Invalid JSON in request: "queryId" must be a string');
        const q = state.push.get(raw);
        if (!q) throw new HttpError(400, 40002, `No query with id ${raw}`);
        // stops the rows and ends the query's response
        q.close();
        state.push.delete(raw);
        res.statusCode = 200;
        res.end();
      },
    },
  ];
}

function parseQuery(state: ServerState, text: string, vars: unknown): QueryStatement {
  checkStatementText(text, state.limits);
  const statements = parseScript(text, sessionVariables(vars)).filter((s) => s.kind !== 'DefineVariable' && s.kind !== 'UndefineVariable');
  if (statements.length !== 1) throw new KsqlError(`Expected exactly one statement, got ${statements.length}`);
  const st = statements[0]!;
  if (st.kind !== 'QueryStatement') throw new KsqlError(`Statement type \`${st.kind}' not supported for this resource`, st.loc);
  return st;
}

/** Starts a chunked response: status and type only (HTTP/1.1 chunks by itself; HTTP/2 forbids Transfer-Encoding). */
function startStream(res: HttpResponse, type: string): void {
  res.statusCode = 200;
  res.setHeader('Content-Type', type);
}

async function query(state: ServerState, req: HttpRequest, res: HttpResponse, raw: unknown): Promise<void> {
  const body = requestBody(raw, 'ksql');
  const text = body.text;
  const b = state.backend;
  const props = requestProperties(state, body['streamsProperties']);
  const earliest = isEarliest(props);
  const deps = transientDepsOf(b, undefined, { earliest });
  let st: QueryStatement;
  try {
    st = parseQuery(state, text, body['sessionVariables']);
    if (isPullQuery(st.query)) {
      const r = await runPull(b, st, props, req.headers.authorization, state.limits.requestMaxMemoryBytes);
      const items = new BoundedLines(state.limits.requestMaxMemoryBytes);
      items.push(JSON.stringify({ header: { queryId: r.queryId, schema: headerSchema(r.columns, true) } }));
      for (const row of r.rows) items.push(`{"row":{"columns":${rowToJson(row, r.columns)}}}`);
      if (r.finalMessage) items.push(JSON.stringify({ finalMessage: r.finalMessage }));
      sendJson(res, 200, '[' + items.lines.join(',\n') + ']');
      return;
    }
  } catch (e) {
    sendStatementError(req, res, e, text, []);
    return;
  }
  // push query: a chunked JSON array, closed when the LIMIT is reached, the query is closed or the client goes away
  let handle: PushQueryHandle | null = null;
  let ended = false;
  let columns: readonly TransientColumn[] = [];
  const out = new OutputBudget(res, state.limits.requestMaxMemoryBytes);
  const end = (finalMessage: string | null, error?: string): void => {
    if (ended) return;
    ended = true;
    if (handle) {
      handle.close();
      state.push.delete(handle.queryId);
    }
    // a client gone: nothing to write (its stream is destroyed)
    if (res.writableEnded || res.destroyed) return;
    if (!res.headersSent) startStream(res, 'application/json');
    if (error !== undefined) res.write(`,\n${JSON.stringify({ errorMessage: { '@type': 'generic_error', error_code: 40000, message: error } })}`);
    if (finalMessage) res.write(`,\n${JSON.stringify({ finalMessage })}`);
    res.end(']');
  };
  try {
    const queryId = pushQueryId(b, st, earliest);
    handle = startPushQuery(
      deps,
      st,
      (row) => {
        if (ended || res.destroyed) return;
        if (!out.write(`,\n{"row":{"columns":${rowToJson(row.columns, columns)}${row.tombstone ? ',"tombstone":true' : ''}}}`)) end(null, slowClient(out));
      },
      {
        earliest,
        queryId,
        dropNullKeys: queryId.startsWith('SCALABLE_PUSH_QUERY'),
        onStart: (id, cols) => {
          columns = cols;
          startStream(res, 'application/json');
          res.write('[' + JSON.stringify({ header: { queryId: id, schema: headerSchema(cols, false) } }));
        },
        onComplete: (msg) => end(msg),
      },
      props,
    );
  } catch (e) {
    if (!res.headersSent) {
      ended = true;
      sendStatementError(req, res, e, text, []);
    } else end(null);
    return;
  }
  if (ended) return;
  state.push.set(handle.queryId, { close: () => end(null) });
  res.on('close', () => end(null));
}

async function queryStream(state: ServerState, req: HttpRequest, res: HttpResponse, raw: unknown): Promise<void> {
  const body = requestBody(raw, 'sql');
  const text = body.text;
  const b = state.backend;
  const props = requestProperties(state, body['properties']);
  const earliest = isEarliest(props);
  const deps = transientDepsOf(b, undefined, { earliest });
  const accept = req.headers.accept ?? '';
  const asJson = accept.includes('application/json') && !accept.includes(DELIMITED);
  const meta = (queryId: string, columns: readonly TransientColumn[]): string =>
    JSON.stringify({ queryId, columnNames: columns.map((c) => c.name), columnTypes: columns.map((c) => streamTypeName(c.type)) });
  let st: QueryStatement;
  try {
    st = parseQuery(state, text, body['sessionVariables']);
    if (isPullQuery(st.query)) {
      const r = await runPull(b, st, props, req.headers.authorization, state.limits.requestMaxMemoryBytes);
      const bounded = new BoundedLines(state.limits.requestMaxMemoryBytes);
      bounded.push(meta(r.queryId, r.columns));
      for (const row of r.rows) bounded.push(rowToJson(row, r.columns));
      const lines = bounded.lines;
      if (asJson) sendJson(res, 200, '[' + lines.join(',') + ']');
      else sendJson(res, 200, lines.map((l) => l + '\n').join(''), DELIMITED);
      return;
    }
  } catch (e) {
    sendStatementError(req, res, e, text, []);
    return;
  }
  let handle: PushQueryHandle | null = null;
  let ended = false;
  let first = true;
  let columns: readonly TransientColumn[] = [];
  const out = new OutputBudget(res, state.limits.requestMaxMemoryBytes);
  const line = (l: string): void => {
    if (ended || res.destroyed) return;
    const ok = out.write(asJson ? (first ? '[' : ',') + l : l + '\n');
    first = false;
    if (!ok) end(slowClient(out));
  };
  const end = (error?: string): void => {
    if (ended) return;
    ended = true;
    if (handle) {
      handle.close();
      state.push.delete(handle.queryId);
    }
    // a client gone: nothing to write (its stream is destroyed)
    if (res.writableEnded || res.destroyed) return;
    if (!res.headersSent) startStream(res, asJson ? 'application/json' : DELIMITED);
    // an error ends the rows as ksqlDB's: the error entity as the last element / line
    if (error !== undefined) {
      const e = JSON.stringify({ '@type': 'generic_error', error_code: 40000, message: error });
      res.write(asJson ? (first ? '[' : ',') + e : e + '\n');
      first = false;
    }
    res.end(asJson ? (first ? '[]' : ']') : undefined);
  };
  try {
    handle = startPushQuery(
      deps,
      st,
      (row) => line(rowToJson(row.columns, columns)),
      {
        earliest,
        queryId: pushQueryId(b, st, earliest),
        onStart: (queryId, cols) => {
          columns = cols;
          startStream(res, asJson ? 'application/json' : DELIMITED);
          line(meta(queryId, cols));
        },
        onComplete: () => end(),
      },
      props,
    );
  } catch (e) {
    if (!res.headersSent) {
      ended = true;
      sendStatementError(req, res, e, text, []);
    } else end();
    return;
  }
  if (ended) return;
  state.push.set(handle.queryId, { close: () => end() });
  res.on('close', () => end());
}

/** The lines of a response built whole (a pull query's), within `ksetl.server.request.max.memory.bytes`. */
class BoundedLines {
  readonly lines: string[] = [];
  #size = 0;
  constructor(private readonly maxBytes: number) {}
  push(line: string): void {
    this.#size += line.length + 2;
    if (this.#size > this.maxBytes) throw new KsqlError(memoryLimitMessage("The pull query's result", this.maxBytes) + ' Narrow it with a WHERE clause or a LIMIT.');
    this.lines.push(line);
  }
}

/** The error a push query ends with when its client reads slower than its rows come. */
function slowClient(out: OutputBudget): string {
  return memoryLimitMessage('The rows the client has not read', out.maxBytes) + ' The query was closed: read its rows faster, or narrow it.';
}

function isEarliest(props: Readonly<Record<string, string>>): boolean {
  const v = props['auto.offset.reset'] ?? props['ksql.streams.auto.offset.reset'] ?? 'latest';
  return v.toLowerCase() === 'earliest';
}

/** ksqlDB names push queries over a persistent query's sink, started from latest, as scalable push queries. */
function pushQueryId(b: KsqlBackend, st: QueryStatement, earliest: boolean): string {
  const from = st.query.from;
  const name = from.kind === 'Source' ? from.name : null;
  const src = name ? b.metastore.source(name) : undefined;
  const rand = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e9).toString(36)}`;
  if (!earliest && src?.isSink && from.kind === 'Source' && st.query.groupBy === null && st.query.window === null) return `SCALABLE_PUSH_QUERY_${rand}`;
  return `transient_${name ?? 'JOIN'}_${rand}`;
}
