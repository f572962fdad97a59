/**
 * A small client for ksetl's (ksqlDB's) REST API: /info, /ksql, /query-stream
 * (read incrementally) and /close-query.
 */
export interface ClientOptions {
  readonly server: string;
  readonly user?: string | undefined;
  readonly password?: string | undefined;
}

export interface Response<T> {
  readonly ok: boolean;
  readonly status: number;
  readonly body: T;
}

/** The first line of a /query-stream response. */
export interface QueryMeta {
  readonly queryId: string;
  readonly columnNames: readonly string[];
  readonly columnTypes: readonly string[];
}

export interface QueryStreamHandlers {
  onMeta(meta: QueryMeta): void;
  onRow(row: readonly unknown[]): void;
}

/** Outcome of a streamed query: done (server ended it), cancelled, or failed with the server's error body. */
export type QueryOutcome = { readonly kind: 'done' } | { readonly kind: 'cancelled' } | { readonly kind: 'error'; readonly status: number; readonly body: unknown };

export class ConnectionError extends Error {}

const DELIMITED = 'application/vnd.ksqlapi.delimited.v1';

export class KsqlClient {
  readonly server: string;
  readonly #headers: Record<string, string>;

  constructor(opts: ClientOptions) {
    this.server = opts.server.replace(/\/+$/, '');
    this.#headers = { 'Content-Type': 'application/json' };
    if (opts.user !== undefined) this.#headers['Authorization'] = `Basic ${Buffer.from(`${opts.user}:${opts.password ?? ''}`).toString('base64')}`;
  }

  async info(): Promise<Response<unknown>> {
    return this.#request('GET', '/info');
  }

  async ksql(sql: string, properties: Readonly<Record<string, string>>, variables: Readonly<Record<string, string>>): Promise<Response<unknown>> {
    return this.#request('POST', '/ksql', { ksql: sql, streamsProperties: properties, sessionVariables: variables }, { Accept: 'application/vnd.ksql.v1+json' });
  }

  async closeQuery(queryId: string): Promise<Response<unknown>> {
    return this.#request('POST', '/close-query', { queryId });
  }

  /**
   * Runs a query through /query-stream, calling the handlers as lines arrive,
   * until the server ends the response or `signal` aborts it.
   */
  async queryStream(
    sql: string,
    properties: Readonly<Record<string, string>>,
    variables: Readonly<Record<string, string>>,
    handlers: QueryStreamHandlers,
    signal: AbortSignal,
  ): Promise<QueryOutcome> {
    let res: globalThis.Response;
    try {
      res = await fetch(this.server + '/query-stream', {
        method: 'POST',
        headers: { ...this.#headers, Accept: DELIMITED },
        body: JSON.stringify({ sql, properties, sessionVariables: variables }),
        signal,
      });
    } catch (e) {
      if (signal.aborted) return { kind: 'cancelled' };
      throw this.#connectionError(e);
    }
    if (!res.ok || !res.body) {
      const text = await res.text().catch(() => '');
      return { kind: 'error', status: res.status, body: parseJson(text) };
    }
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buf = '';
    let first = true;
    const handle = (line: string): QueryOutcome | null => {
      if (!line.trim()) return null;
      const v = parseJson(line);
      if (first) {
        first = false;
        if (v && typeof v === 'object' && !Array.isArray(v) && 'columnNames' in v) {
          handlers.onMeta(v as QueryMeta);
          return null;
        }
      }
      if (Array.isArray(v)) {
        handlers.onRow(v);
        return null;
      }
      // an error object in the middle of the stream
      return { kind: 'error', status: res.status, body: v };
    };
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buf += decoder.decode(value, { stream: true });
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const r = handle(buf.slice(0, nl));
          buf = buf.slice(nl + 1);
          if (r) {
            await reader.cancel().catch(() => undefined);
            return r;
          }
        }
      }
    } catch (e) {
      if (signal.aborted) return { kind: 'cancelled' };
      throw this.#connectionError(e);
    }
    const r = handle(buf);
    if (r) return r;
    return signal.aborted ? { kind: 'cancelled' } : { kind: 'done' };
  }

  async #request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response<unknown>> {
    let res: globalThis.Response;
    try {
      res = await fetch(this.server + path, { method, headers: { ...this.#headers, ...headers }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    } catch (e) {
      throw this.#connectionError(e);
    }
    const text = await res.text();
    return { ok: res.ok, status: res.status, body: parseJson(text) };
  }

  #connectionError(e: unknown): ConnectionError {
    const cause = e instanceof Error ? ((e.cause as Error | undefined)?.message ?? e.message) : String(e);
    return new ConnectionError(`Could not reach the server at ${this.server}: ${cause}`);
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
