/**
 * The engine's REST API as the console uses it: ksqlDB's /ksql, /query-stream
 * and /close-query, /metrics, and the console's own /console/api extensions.
 * Requests are same-origin, so the browser sends the credentials it was
 * given for the page (basic auth) with each of them.
 */

/** A ksqlDB entity of a /ksql answer ('@type' says which). */
export type Entity = Record<string, unknown> & { readonly '@type': string; readonly statementText?: string };

/** ksqlDB's error body (statement_error, generic_error). */
export interface ErrorBody {
  readonly '@type': string;
  readonly error_code?: number;
  readonly message: string;
  readonly statementText?: string;
  readonly entities?: readonly Entity[];
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody,
  ) {
    super(body.message);
  }
}

async function errorOf(r: Response): Promise<ApiError> {
  const text = await r.text();
  try {
    const body = JSON.parse(text) as ErrorBody;
    if (typeof body.message === 'string') return new ApiError(r.status, body);
  } catch {
    // not JSON: the text itself
  }
  return new ApiError(r.status, { '@type': 'generic_error', message: text || `HTTP ${r.status}` });
}

/** POST /ksql: the entities of every statement, or an ApiError naming the statement that failed. */
export async function ksql(text: string, properties: Record<string, string> = {}): Promise<Entity[]> {
  const r = await fetch('/ksql', { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/vnd.ksql.v1+json' }, body: JSON.stringify({ ksql: text, streamsProperties: properties }) });
  if (!r.ok) throw await errorOf(r);
  return (await r.json()) as Entity[];
}

export async function getJson<T>(path: string): Promise<T> {
  const r = await fetch(path);
  if (!r.ok) throw await errorOf(r);
  return (await r.json()) as T;
}

export async function getText(path: string): Promise<string> {
  const r = await fetch(path);
  if (!r.ok) throw await errorOf(r);
  return r.text();
}

export interface StreamMeta {
  readonly queryId: string;
  readonly columnNames: readonly string[];
  readonly columnTypes: readonly string[];
}

export interface StreamHandlers {
  meta(m: StreamMeta): void;
  rows(rows: readonly (readonly unknown[])[]): void;
  error(e: ApiError): void;
  /** the server ended the query (LIMIT reached, pull query answered) or it was stopped */
  end(): void;
}

export interface StreamHandle {
  /** closes the query on the server (/close-query) and the response */
  stop(): Promise<void>;
}

/**
 * POST /query-stream (delimited): the metadata line, then a row per line as
 * it arrives. Rows read in one chunk reach `rows` together.
 */
export function queryStream(sql: string, properties: Record<string, string>, on: StreamHandlers): StreamHandle {
  const abort = new AbortController();
  let queryId: string | null = null;
  let stopped = false;
  const run = async (): Promise<void> => {
    const r = await fetch('/query-stream', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/vnd.ksqlapi.delimited.v1' },
      body: JSON.stringify({ sql, properties }),
      signal: abort.signal,
    });
    if (!r.ok || !r.body) {
      on.error(await errorOf(r));
      return;
    }
    const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += value;
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      const rows: unknown[][] = [];
      for (const line of lines) {
        if (line.trim() === '') continue;
        const v = JSON.parse(line) as unknown;
        if (Array.isArray(v)) rows.push(v);
        else if (v && typeof v === 'object' && 'queryId' in v) {
          queryId = (v as StreamMeta).queryId;
          on.meta(v as StreamMeta);
        } else if (v && typeof v === 'object' && 'message' in v) on.error(new ApiError(200, v as ErrorBody));
      }
      if (rows.length > 0) on.rows(rows);
    }
    on.end();
  };
  run().catch((e: unknown) => {
    if (stopped) on.end();
    else on.error(new ApiError(0, { '@type': 'generic_error', message: e instanceof Error ? e.message : String(e) }));
  });
  return {
    async stop() {
      if (stopped) return;
      stopped = true;
      const id = queryId;
      abort.abort();
      if (id) await fetch('/close-query', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ queryId: id }) }).catch(() => undefined);
    },
  };
}

/** Whether a statement is a query (/query-stream) rather than a /ksql statement. */
export function isQuery(text: string): boolean {
  const t = text.replace(/--[^\n]*\n?/g, '').replace(/\/\*[\s\S]*?\*\//g, '').trim();
  return /^SELECT\b/i.test(t);
}

/** Whether a query is a push query (EMIT CHANGES / EMIT FINAL). */
export function isPush(text: string): boolean {
  return /\bEMIT\s+(CHANGES|FINAL)\b/i.test(text);
}
