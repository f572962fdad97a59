import { KsqlError } from '../../errors.js';
import type { HttpRequest, HttpResponse, RequestHandler } from './listener.js';

/**
 * A route table over node's request/response (either HTTP version): routes
 * are plain data, matched in order, so a module adds its routes by exporting
 * a list. The router reads and checks the body before the handler runs
 * (size → 413, charset and JSON → 400), and turns whatever a handler throws
 * into a ksqlDB error entity: a request never crashes the process.
 */
export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'HEAD';

export interface Route {
  readonly method: Method;
  /** `/status/:type/:entity/:action` (segments after `:` are parameters), or a prefix ending in `/*` (the rest in `params['*']`) */
  readonly path: string;
  /**
   * What the router reads before the handler: `json` (parsed, any JSON value),
   * `text` (decoded), or `stream` (nothing: the handler reads the request).
   * Default: `json` for POST and PUT, nothing otherwise.
   */
  readonly body?: 'json' | 'text' | 'stream';
  /** no basic authentication (probes, scrapes, static assets) */
  readonly open?: boolean;
  /** body limit of this route in bytes (default: the router's) */
  readonly maxBodyBytes?: number;
  handle(ctx: RouteContext): void | Promise<void>;
}

export interface RouteContext {
  readonly req: HttpRequest;
  readonly res: HttpResponse;
  readonly url: URL;
  readonly params: Readonly<Record<string, string>>;
  /** the parsed JSON (body `json`), the text (body `text`), else undefined */
  readonly body: unknown;
}

/** An error answered with `status` and ksqlDB's generic_error entity. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export interface RouterOptions {
  /** default body limit in bytes */
  readonly maxBodyBytes: number;
  /** null: every request passes; else true when the request's credentials are good */
  readonly authenticate: ((req: HttpRequest) => boolean) | null;
  /** failures that are the server's (500): reported, never thrown */
  readonly onError?: (err: unknown, req: HttpRequest) => void;
}

export const KSQL_JSON = 'application/vnd.ksql.v1+json';

interface Compiled {
  readonly route: Route;
  readonly segments: readonly string[];
  readonly prefix: boolean;
}

export function router(routes: readonly Route[], opts: RouterOptions): RequestHandler {
  const table: Compiled[] = routes.map((route) => {
    const prefix = route.path.endsWith('/*');
    const path = prefix ? route.path.slice(0, -2) : route.path;
    return { route, prefix, segments: path.split('/').filter((s) => s !== '') };
  });
  return (req, res) => {
    // errors of the connection (a client gone mid-request) end that request only
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    void serve(table, opts, req, res).catch((err: unknown) => fail(req, res, err, opts));
  };
}

async function serve(table: readonly Compiled[], opts: RouterOptions, req: HttpRequest, res: HttpResponse): Promise<void> {
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://localhost');
  } catch {
    throw new HttpError(400, 40000, 'Invalid request URI');
  }
  const parts = url.pathname.split('/').filter((s) => s !== '');
  const method = (req.method ?? 'GET').toUpperCase();
  let found: { c: Compiled; params: Record<string, string> } | null = null;
  let pathMatched = false;
  for (const c of table) {
    const params = match(c, parts);
    if (!params) continue;
    pathMatched = true;
    if (c.route.method === method || (method === 'HEAD' && c.route.method === 'GET')) {
      found = { c, params };
      break;
    }
  }
  if (!found) {
    drain(req);
    // what a server has is not told to a client without credentials
    if (opts.authenticate && !opts.authenticate(req)) {
      res.setHeader('WWW-Authenticate', 'Basic realm="KsqlServer"');
      throw new HttpError(401, 40100, 'Unauthorized');
    }
    if (pathMatched) throw new HttpError(405, 40500, `Method ${method} not allowed on ${url.pathname}`);
    throw new HttpError(404, 40400, 'Not found');
  }
  const { route } = found.c;
  if (!route.open && opts.authenticate && !opts.authenticate(req)) {
    drain(req);
    res.setHeader('WWW-Authenticate', 'Basic realm="KsqlServer"');
    throw new HttpError(401, 40100, 'Unauthorized');
  }
  const kind = route.body ?? (method === 'POST' || method === 'PUT' ? 'json' : null);
  let body: unknown;
  if (kind === 'json' || kind === 'text') {
    const text = await readBody(req, res, route.maxBodyBytes ?? opts.maxBodyBytes);
    if (kind === 'text') body = text;
    else {
      try {
        body = JSON.parse(text);
      } catch (e) {
        throw new HttpError(400, 40000, `Invalid JSON in request: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  } else if (kind === null) drain(req);
  await route.handle({ req, res, url, params: found.params, body });
}

function match(c: Compiled, parts: readonly string[]): Record<string, string> | null {
  const segs = c.segments;
  if (c.prefix ? parts.length < segs.length : parts.length !== segs.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i]!;
    let p: string;
    try {
      p = decodeURIComponent(parts[i]!);
    } catch {
      return null;
    }
    if (s.startsWith(':')) params[s.slice(1)] = p;
    else if (s !== p) return null;
  }
  if (c.prefix) params['*'] = parts.slice(segs.length).join('/');
  return params;
}

const CHARSETS: Readonly<Record<string, 'utf-8' | 'latin1'>> = { 'utf-8': 'utf-8', utf8: 'utf-8', 'us-ascii': 'utf-8', ascii: 'utf-8', 'iso-8859-1': 'latin1', latin1: 'latin1' };

/** The charset a request's Content-Type names (default UTF-8); 400 for one this server does not decode. */
export function requestCharset(req: HttpRequest): 'utf-8' | 'latin1' {
  const ct = req.headers['content-type'] ?? '';
  const m = /;\s*charset\s*=\s*"?([^";\s]*)"?/i.exec(ct);
  if (!m) return 'utf-8';
  const cs = CHARSETS[m[1]!.toLowerCase()];
  if (!cs) throw new HttpError(400, 40000, `Unsupported charset in Content-Type: ${m[1]}`);
  return cs;
}

/** Reads a request body of at most `max` bytes, decoded by its charset (413 beyond, 400 for bytes that are not text of the charset). */
export async function readBody(req: HttpRequest, res: HttpResponse, max: number): Promise<string> {
  const charset = requestCharset(req);
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > max) {
    drain(req);
    closeAfter(req, res);
    throw tooLarge(max);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let over = false;
  await new Promise<void>((resolve, reject) => {
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > max) {
        over = true;
        chunks.length = 0;
        closeAfter(req, res);
        resolve();
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => resolve());
    req.once('aborted', () => reject(new HttpError(400, 40000, 'Request aborted')));
    req.once('error', (e) => reject(e));
  });
  if (over) throw tooLarge(max);
  const buf = Buffer.concat(chunks);
  if (charset === 'latin1') return buf.toString('latin1');
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(buf);
  } catch {
    throw new HttpError(400, 40000, 'Invalid JSON in request: the body is not valid UTF-8');
  }
}

function tooLarge(max: number): HttpError {
  return new HttpError(413, 41300, `Request body larger than ${max} bytes (ksetl.server.request.max.bytes)`);
}

/** HTTP/1.1: the connection closes after this response (the rest of an oversized body is not read). */
function closeAfter(req: HttpRequest, res: HttpResponse): void {
  if (req.httpVersionMajor < 2 && !res.headersSent) res.setHeader('Connection', 'close');
}

/** Discards a body the route does not read. */
function drain(req: HttpRequest): void {
  req.resume();
}

/** Sends `body` (a value, or JSON text already) as JSON of `type`. */
export function sendJson(res: HttpResponse, status: number, body: unknown, type = 'application/json'): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('Content-Type', type);
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}

/** The JSON type to answer in: ksqlDB's own when the client asks for it. */
export function jsonTypeFor(req: HttpRequest): string {
  return (req.headers.accept ?? '').includes(KSQL_JSON) ? KSQL_JSON : 'application/json';
}

/** ksqlDB's generic_error entity. */
export function sendError(req: HttpRequest, res: HttpResponse, status: number, errorCode: number, message: string): void {
  sendJson(res, status, { '@type': 'generic_error', error_code: errorCode, message }, jsonTypeFor(req));
}

function fail(req: HttpRequest, res: HttpResponse, err: unknown, opts: RouterOptions): void {
  try {
    if (res.headersSent) {
      // a response already under way (a push query): end it, the client sees the stream stop
      if (!res.writableEnded) res.end();
      return;
    }
    if (err instanceof HttpError) {
      sendError(req, res, err.status, err.errorCode, err.message);
      return;
    }
    if (err instanceof KsqlError) {
      sendError(req, res, 400, 40000, err.message);
      return;
    }
    opts.onError?.(err, req);
    sendError(req, res, 500, 50000, err instanceof Error ? err.message : String(err));
  } catch {
    // the connection is gone: nothing to answer
  }
}
