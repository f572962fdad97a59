import { createServer as createHttp1Server, type IncomingMessage, type Server as Http1Server, type ServerResponse } from 'node:http';
import {
  createSecureServer,
  createServer as createHttp2Server,
  type Http2SecureServer,
  type Http2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type Http2Session,
} from 'node:http2';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';

/** A request of either HTTP version, through node's compatibility API (the same surface on both). */
export type HttpRequest = IncomingMessage | Http2ServerRequest;
/** What routes use of a response: the surface node's HTTP/1.1 and HTTP/2 compatibility responses share. */
export interface HttpResponse {
  statusCode: number;
  readonly headersSent: boolean;
  readonly writableEnded: boolean;
  readonly destroyed: boolean;
  setHeader(name: string, value: string | number | readonly string[]): unknown;
  write(chunk: string | Uint8Array): boolean;
  end(chunk?: string | Uint8Array): unknown;
  on(event: 'close' | 'error' | 'finish' | 'drain', listener: (...args: unknown[]) => void): unknown;
  once(event: 'close' | 'error' | 'finish' | 'drain', listener: (...args: unknown[]) => void): unknown;
}
export type RequestHandler = (req: HttpRequest, res: HttpResponse) => void;

export interface ListenerTls {
  readonly key: string | Buffer;
  readonly cert: string | Buffer;
  readonly ca?: string | Buffer;
  readonly passphrase?: string;
}

export interface ListenOptions {
  readonly port?: number;
  readonly host?: string;
  /** serve HTTPS: HTTP/2 and HTTP/1.1 chosen by ALPN */
  readonly tls?: ListenerTls | null;
  /** the handler until `handler` is set (e.g. a 503 while the engine starts) */
  readonly handler?: RequestHandler;
}

/** The client connection preface every HTTP/2 connection begins with (RFC 9113 §3.4). */
const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
/** A connection that sends nothing for this long before its first bytes is closed. */
const FIRST_BYTES_TIMEOUT_MS = 30_000;

/**
 * One listening port that serves HTTP/1.1 and HTTP/2, as ksqlDB's REST listener:
 *
 * - cleartext: the first bytes of a connection decide. The HTTP/2 preface
 *   (a client with prior knowledge, `curl --http2-prior-knowledge`) goes to
 *   node's `http2` server, anything else to node's `http` server. An
 *   HTTP/1.1 `Upgrade: h2c` is answered in HTTP/1.1 (node's http2 has no
 *   upgrade path; RFC 9113 lets a server ignore the offer).
 * - TLS: node's `http2` secure server with `allowHTTP1`, the protocol chosen
 *   by ALPN (`h2`, else `http/1.1`).
 *
 * Both servers call the same handler with node's compatibility request and
 * response, so routes are written once for both versions.
 */
export class HttpListener {
  handler: RequestHandler;
  readonly #outer: NetServer | Http2SecureServer;
  readonly #h1: Http1Server | null;
  readonly #h2: Http2Server | null;
  readonly #sessions = new Set<Http2Session>();
  readonly #sockets = new Set<Socket>();
  readonly #tls: boolean;

  private constructor(tls: ListenerTls | null, handler: RequestHandler) {
    this.handler = handler;
    this.#tls = tls !== null;
    const dispatch = (req: HttpRequest, res: ServerResponse | Http2ServerResponse): void => this.handler(req, res);
    if (tls) {
      const secure = createSecureServer({ ...tls, allowHTTP1: true }, dispatch);
      secure.on('session', (s: Http2Session) => this.#track(s));
      secure.on('secureConnection', (sock: Socket) => this.#trackSocket(sock));
      this.#outer = secure;
      this.#h1 = null;
      this.#h2 = null;
      return;
    }
    this.#h1 = createHttp1Server(dispatch);
    // bytes that are not HTTP/1.1 get ksqlDB's error entity too, then the connection closes
    this.#h1.on('clientError', (err: NodeJS.ErrnoException, sock: Socket) => {
      if (!sock.writable || (err.code === 'ECONNRESET' && !sock.readable)) {
        sock.destroy();
        return;
      }
      const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
      const body = JSON.stringify({ '@type': 'generic_error', error_code: tooLarge ? 43100 : 40000, message: tooLarge ? 'Request headers too large' : `Bad request: ${err.code ?? 'malformed HTTP'}` });
      sock.end(`HTTP/1.1 ${tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    });
    this.#h2 = createHttp2Server(dispatch);
    this.#h2.on('session', (s: Http2Session) => this.#track(s));
    this.#outer = createNetServer((sock) => this.#sniff(sock));
  }

  /** Binds `port` (0: a free one) on `host` and serves there. */
  static async listen(opts: ListenOptions = {}): Promise<HttpListener> {
    const l = new HttpListener(opts.tls ?? null, opts.handler ?? notReady);
    const outer = l.#outer;
    await new Promise<void>((resolve, reject) => {
      outer.once('error', reject);
      outer.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
        outer.off('error', reject);
        resolve();
      });
    });
    return l;
  }

  get port(): number {
    return (this.#outer.address() as AddressInfo).port;
  }

  get host(): string {
    return (this.#outer.address() as AddressInfo).address;
  }

  get scheme(): 'http' | 'https' {
    return this.#tls ? 'https' : 'http';
  }

  /** Stops listening and closes every connection (HTTP/2 sessions get a GOAWAY). */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#outer.close(() => resolve()));
    for (const s of this.#sessions) s.destroy();
    for (const s of this.#sockets) s.destroy();
    this.#h1?.closeAllConnections();
    await closed;
  }

  #track(s: Http2Session): void {
    this.#sessions.add(s);
    s.once('close', () => this.#sessions.delete(s));
    // a protocol error of one session ends that session, never the process
    s.on('error', () => s.destroy());
  }

  #trackSocket(sock: Socket): void {
    this.#sockets.add(sock);
    sock.once('close', () => this.#sockets.delete(sock));
    sock.on('error', () => sock.destroy());
  }

  /** Reads a connection's first bytes and hands it, bytes put back, to the server of its protocol. */
  #sniff(sock: Socket): void {
    this.#trackSocket(sock);
    let seen: Buffer = Buffer.alloc(0);
    const timer = setTimeout(() => sock.destroy(), FIRST_BYTES_TIMEOUT_MS);
    timer.unref();
    const onData = (chunk: Buffer): void => {
      seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
      const n = Math.min(seen.length, PREFACE.length);
      const prefix = seen.subarray(0, n).equals(PREFACE.subarray(0, n));
      // undecided until the bytes differ from the preface or the whole preface came
      if (prefix && n < PREFACE.length) return;
      clearTimeout(timer);
      sock.off('data', onData);
      sock.pause();
      sock.unshift(seen);
      if (prefix) {
        // the session reads the socket's buffered bytes before its native handle
        this.#h2!.emit('connection', sock);
      } else {
        this.#h1!.emit('connection', sock);
        sock.resume();
      }
    };
    sock.on('data', onData);
    sock.once('close', () => clearTimeout(timer));
  }
}

function notReady(_req: HttpRequest, res: HttpResponse): void {
  res.statusCode = 503;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ '@type': 'generic_error', error_code: 50300, message: 'The server is starting.' }));
}

/** The request's authority: `Host` for HTTP/1.1, `:authority` for HTTP/2. */
export function authorityOf(req: HttpRequest): string {
  const h = req.headers;
  return (h[':authority'] as string | undefined) ?? h.host ?? 'localhost';
}
