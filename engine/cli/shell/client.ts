import { connect, type ClientHttp2Session } from 'node:http2';

/**
 * A small client for ksetl's (ksqlDB's) REST API: /info, /ksql, /query-stream
 * (read incrementally) and /close-query, over HTTP/2 (one connection for all
 * requests), or HTTP/1.1 with a server that refuses HTTP/2.
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

/** A response whose body is read as it arrives. */
interface Exchange {
  readonly status: number;
  readonly body: AsyncIterable<Uint8Array>;
  /** stops reading the body (the stream is reset) */
  cancel(): void;
}

export class KsqlClient {
  readonly server: string;
  readonly #headers: Record<string, string>;
  #session: ClientHttp2Session | null = null;
  /** requests under way on the session: it keeps the process alive only while there are some */
  #active = 0;
  /** the server did not take HTTP/2: HTTP/1.1 from then on */
  #http1 = false;

  constructor(opts: ClientOptions) {
    this.server = opts.server.replace(/\/+$/, '');
    this.#headers = { 'content-type': 'application/json' };
    if (opts.user !== undefined) this.#headers['authorization'] = `Basic ${Buffer.from(`${opts.user}:${opts.password ?? ''}`).toString('base64')}`;
  }

  /** The protocol of the requests: HTTP/2 unless the server refused it. */
  get httpVersion(): '2' | '1.1' {
    return this.#http1 ? '1.1' : '2';
  }

  async info(): Promise<Response<unknown>> {
    return this.#request('GET', '/info');
  }

  async ksql(sql: string, properties: Readonly<Record<string, string>>, variables: Readonly<Record<string, string>>): Promise<Response<unknown>> {
    return this.#request('POST', '/ksql', { ksql: sql, streamsProperties: properties, sessionVariables: variables }, { accept: 'application/vnd.ksql.v1+json' });
  }

  async closeQuery(queryId: string): Promise<Response<unknown>> {
    return this.#request('POST', '/close-query', { queryId });
  }

  /** Closes the HTTP/2 connection. */
  close(): void {
    this.#session?.close();
    this.#session = null;
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
    let res: Exchange;
    try {
      res = await this.#send('POST', '/query-stream', JSON.stringify({ sql, properties, sessionVariables: variables }), { accept: DELIMITED }, signal);
    } catch (e) {
      if (signal.aborted) return { kind: 'cancelled' };
      throw this.#connectionError(e);
    }
    if (res.status < 200 || res.status >= 300) {
      const text = await readAll(res.body).catch(() => '');
      return { kind: 'error', status: res.status, body: parseJson(text) };
    }
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
      for await (const value of res.body) {
        buf += decoder.decode(value, { stream: true });
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const r = handle(buf.slice(0, nl));
          buf = buf.slice(nl + 1);
          if (r) {
            res.cancel();
            return r;
          }
        }
        if (signal.aborted) break;
      }
    } catch (e) {
      if (signal.aborted) return { kind: 'cancelled' };
      throw this.#connectionError(e);
    }
    if (signal.aborted) {
      res.cancel();
      return { kind: 'cancelled' };
    }
    const r = handle(buf);
    if (r) return r;
    return { kind: 'done' };
  }

  async #request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response<unknown>> {
    let text: string;
    let status: number;
    try {
      const res = await this.#send(method, path, body === undefined ? undefined : JSON.stringify(body), headers);
      status = res.status;
      text = await readAll(res.body);
    } catch (e) {
      throw this.#connectionError(e);
    }
    return { ok: status >= 200 && status < 300, status, body: parseJson(text) };
  }

  /** One request: over HTTP/2 (prior knowledge in cleartext, ALPN under TLS), or HTTP/1.1 once the server refused HTTP/2. */
  async #send(method: string, path: string, body: string | undefined, headers: Record<string, string>, signal?: AbortSignal): Promise<Exchange> {
    if (!this.#http1) {
      try {
        return await this.#sendH2(method, path, body, headers, signal);
      } catch (e) {
        if (!refusedHttp2(e)) throw e;
        this.#http1 = true;
        this.close();
      }
    }
    const res = await fetch(this.server + path, { method, headers: { ...this.#headers, ...headers }, ...(body !== undefined ? { body } : {}), ...(signal ? { signal } : {}) });
    const reader = res.body?.getReader();
    return {
      status: res.status,
      body: {
        async *[Symbol.asyncIterator]() {
          if (!reader) return;
          for (;;) {
            const { done, value } = await reader.read();
            if (done) return;
            yield value;
          }
        },
      },
      cancel: () => void reader?.cancel().catch(() => undefined),
    };
  }

  #sendH2(method: string, path: string, body: string | undefined, headers: Record<string, string>, signal?: AbortSignal): Promise<Exchange> {
    let session = this.#session;
    if (!session || session.closed || session.destroyed) {
      session = connect(this.server);
      session.on('error', () => undefined);
      session.unref();
      this.#session = session;
    }
    const s = session;
    return new Promise<Exchange>((resolve, reject) => {
      if (this.#active++ === 0) s.ref();
      const stream = s.request({ ':method': method, ':path': path, ...this.#headers, ...headers }, { endStream: body === undefined });
      let settled = false;
      const done = (): void => {
        if (settled) return;
        settled = true;
        if (--this.#active === 0 && !s.destroyed) s.unref();
      };
      stream.once('close', done);
      const onAbort = (): void => void stream.close();
      signal?.addEventListener('abort', onAbort, { once: true });
      stream.once('close', () => signal?.removeEventListener('abort', onAbort));
      stream.once('error', reject);
      stream.once('response', (h) => {
        stream.off('error', reject);
        resolve({ status: Number(h[':status']), body: stream, cancel: () => void stream.close() });
      });
      if (body !== undefined) stream.end(body);
    });
  }

  #connectionError(e: unknown): ConnectionError {
    const cause = e instanceof Error ? ((e.cause as Error | undefined)?.message ?? e.message) : String(e);
    return new ConnectionError(`Could not reach the server at ${this.server}: ${cause}`);
  }
}

/** A server that answers the HTTP/2 preface with something else (an HTTP/1.1-only server) or closes on it. */
function refusedHttp2(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  return code === 'ERR_HTTP2_ERROR' || code === 'ERR_HTTP2_SESSION_ERROR' || code === 'ERR_HTTP2_STREAM_CANCEL' || code === 'ECONNRESET' || code === 'ERR_HTTP2_GOAWAY_SESSION' || code === 'ERR_HTTP2_STREAM_ERROR';
}

async function readAll(body: AsyncIterable<Uint8Array>): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  for await (const c of body) text += decoder.decode(c, { stream: true });
  return text + decoder.decode();
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
