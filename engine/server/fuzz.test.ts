import { request as h1request, Agent } from 'node:http';
import { connect as h2connect, type ClientHttp2Session } from 'node:http2';
import { connect as netConnect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryRuntime } from '../driver/memory-runtime.js';
import { kafkaBackend } from '../kafka/kafka-backend.js';
import { KsqlRestServer } from './app.js';

/**
 * Malformed, truncated, oversized and wrongly typed requests to every endpoint,
 * over HTTP/1.1 and HTTP/2: each gets an answer (a ksqlDB error entity for
 * every error status, never a 5xx), the server stays up and its memory stays
 * bounded. Deterministic: the requests come from a seeded generator.
 */
const REQUESTS = 10_000;
const CONCURRENCY = 24;
const LIMIT = 64 * 1024;

let server: KsqlRestServer;
let runtime: MemoryRuntime;
let port = 0;
let url = '';

beforeAll(async () => {
  runtime = await MemoryRuntime.start({ properties: { 'ksql.streams.auto.offset.reset': 'earliest' } });
  server = new KsqlRestServer({ backend: kafkaBackend(runtime.engine), limits: { requestMaxBytes: LIMIT, insertRowMaxBytes: 4096 } });
  ({ port, url } = await server.listen(0));
  const res = await fetch(`${url}/ksql`, {
    method: 'POST',
    body: JSON.stringify({
      ksql: "CREATE STREAM S (ID STRING KEY, AMOUNT INT, TAGS ARRAY<STRING>) WITH (KAFKA_TOPIC='fuzz_s', PARTITIONS=1, VALUE_FORMAT='JSON'); CREATE TABLE T AS SELECT ID, COUNT(*) AS N FROM S GROUP BY ID;",
    }),
  });
  expect(res.status).toBe(200);
});

afterAll(async () => {
  await server.close();
  await runtime.close();
});

/** A small seeded generator (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface FuzzRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: Buffer | null;
}

const PATHS = ['/ksql', '/query', '/query-stream', '/inserts-stream', '/close-query', '/info', '/healthcheck', '/clusterStatus', '/status', '/status/stream/`S`/create', '/status/a/b', '/nope', '/ksql/x', '/%E0%A4%A', '/query?x=%zz'];
const SQL = [
  'SELECT * FROM S;',
  "SELECT * FROM T WHERE ID='a';",
  'SELECT * FROM S EMIT CHANGES LIMIT 1;',
  'SHOW STREAMS;',
  'DESCRIBE S;',
  'CREATE STREAM',
  "INSERT INTO S (ID, AMOUNT) VALUES ('k', 'abc');",
  'SELECT ' + '('.repeat(700) + '1' + ')'.repeat(700) + ' FROM S;',
  `SELECT * FROM S WHERE AMOUNT IN (${Array.from({ length: 12_000 }, (_, i) => i).join(',')});`,
  "SELECT REGEXP_EXTRACT('(a+)+$', ID) FROM S;",
  'DROP STREAM NOPE;',
  'TERMINATE x-y;',
  "'unterminated",
  '/* unterminated comment',
  '\u0000\uffff\ud800',
];

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

function randomBytes(r: () => number, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(r() * 256);
  return b;
}

function jsonValue(r: () => number, depth = 0): unknown {
  const k = Math.floor(r() * (depth > 3 ? 6 : 9));
  switch (k) {
    case 0:
      return null;
    case 1:
      return r() < 0.5;
    case 2:
      return Math.floor(r() * 1e6) - 5e5;
    case 3:
      return pick(r, SQL);
    case 4:
      return 'x'.repeat(Math.floor(r() * 50));
    case 5:
      return 1e308 * (r() < 0.5 ? 10 : 1);
    case 6:
      return Array.from({ length: Math.floor(r() * 4) }, () => jsonValue(r, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = 0; i < Math.floor(r() * 4); i++) o[pick(r, ['ksql', 'sql', 'queryId', 'target', 'streamsProperties', 'properties', 'sessionVariables', 'ID', 'AMOUNT', 'TAGS', '__proto__', 'constructor'])] = jsonValue(r, depth + 1);
      return o;
    }
  }
}

function body(r: () => number, path: string): Buffer | null {
  const k = Math.floor(r() * 12);
  switch (k) {
    case 0:
      return null;
    case 1:
      return randomBytes(r, Math.floor(r() * 300));
    case 2: {
      // truncated JSON
      const t = JSON.stringify({ ksql: pick(r, SQL), sql: pick(r, SQL), streamsProperties: { 'auto.offset.reset': 'earliest' } });
      return Buffer.from(t.slice(0, Math.floor(r() * t.length)));
    }
    case 3:
      return Buffer.from(JSON.stringify(jsonValue(r)));
    case 4:
      // deep JSON nesting
      return Buffer.from('['.repeat(5000 + Math.floor(r() * 5000)) + ']'.repeat(r() < 0.5 ? 10_000 : 0));
    case 5:
      // oversized (rare: they are large)
      return r() < 0.1 ? Buffer.alloc(LIMIT + 1 + Math.floor(r() * 1000), 'a') : Buffer.from('{}');
    case 6:
      return Buffer.from([0xc3, 0x28, 0x7b, 0x7d]);
    case 7:
      if (path === '/inserts-stream') {
        const rows = [JSON.stringify({ target: pick(r, ['S', 's', 'T', 'NOPE', 5]) })];
        for (let i = 0; i < Math.floor(r() * 5); i++) rows.push(r() < 0.3 ? JSON.stringify({ ID: 'k', AMOUNT: pick(r, [1, 'abc', null, [1], { a: 1 }, 1e20]) }) : JSON.stringify(jsonValue(r)).slice(0, Math.floor(r() * 40)));
        if (r() < 0.2) rows.push(JSON.stringify({ ID: 'big', TAGS: ['x'.repeat(5000)] }));
        return Buffer.from(rows.join(r() < 0.5 ? '\n' : ''));
      }
      return Buffer.from(JSON.stringify({ queryId: pick(r, ['nope', 5, null, '']) }));
    default:
      return Buffer.from(JSON.stringify({ ksql: pick(r, SQL), sql: pick(r, SQL), streamsProperties: r() < 0.5 ? { 'auto.offset.reset': 'earliest' } : pick(r, [5, [1], 'x', null]), sessionVariables: pick(r, [{}, { a: 1 }, 'x', [1]]) }));
  }
}

function generate(r: () => number): FuzzRequest {
  const path = pick(r, PATHS);
  const method = r() < 0.85 ? (['/info', '/healthcheck', '/clusterStatus', '/status', '/nope'].some((p) => path.startsWith(p)) ? 'GET' : 'POST') : pick(r, ['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']);
  const headers: Record<string, string> = {};
  const ct = r();
  if (ct < 0.6) headers['content-type'] = 'application/json';
  else if (ct < 0.7) headers['content-type'] = 'application/json; charset=' + pick(r, ['utf-8', 'latin1', 'nope', 'utf-16', '"', '']);
  else if (ct < 0.8) headers['content-type'] = pick(r, ['text/plain', '', 'application/vnd.ksql.v1+json', 'multipart/form-data; boundary=x']);
  if (r() < 0.3) headers['accept'] = pick(r, ['application/json', 'application/vnd.ksqlapi.delimited.v1', 'application/vnd.ksql.v1+json', '*/*', '']);
  return { method, path, headers, body: method === 'GET' ? null : body(r, path) };
}

interface Answer {
  readonly status: number;
  readonly body: string;
}

const MAX_READ = 4096;

function overH1(agent: Agent, q: FuzzRequest, retry = true): Promise<Answer> {
  return new Promise((resolve) => {
    const req = h1request({ host: '127.0.0.1', port, method: q.method, path: q.path, headers: q.headers, agent }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
        // a push query streams on: what came is enough
        if (res.statusCode === 200 && (text.length > MAX_READ || text.includes('\n'))) {
          res.destroy();
          resolve({ status: res.statusCode ?? 0, body: text });
        }
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on('error', () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on('close', () => resolve({ status: res.statusCode ?? 0, body: text }));
      if (res.statusCode === 200 && (q.path === '/query' || q.path === '/query-stream')) setTimeout(() => res.destroy(), 50);
    });
    req.on('error', (e: NodeJS.ErrnoException) => {
      // a kept-alive connection the server closed (its idle timeout) as the request went out: node's advice is to send it again
      if (retry && req.reusedSocket && e.code === 'ECONNRESET') resolve(overH1(agent, q, false));
      else resolve({ status: -1, body: e.message });
    });
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    req.end(q.body ?? undefined);
  });
}

function overH2(session: ClientHttp2Session, q: FuzzRequest): Promise<Answer> {
  return new Promise((resolve) => {
    const stream = session.request({ ':method': q.method, ':path': q.path, ...q.headers }, { endStream: false });
    let status = 0;
    let text = '';
    const done = (): void => resolve({ status, body: text });
    stream.on('response', (h) => {
      status = Number(h[':status']);
      if (status === 200 && (q.path === '/query' || q.path === '/query-stream')) setTimeout(() => stream.close(), 50);
    });
    stream.setEncoding('utf8');
    stream.on('data', (c: string) => {
      text += c;
      if (status === 200 && (text.length > MAX_READ || text.includes('\n'))) {
        stream.close();
        done();
      }
    });
    stream.on('end', done);
    stream.on('close', done);
    stream.on('error', (e) => resolve({ status: status || -1, body: e.message }));
    stream.setTimeout(10_000, () => stream.close());
    stream.end(q.body ?? undefined);
  });
}

/** Bytes that are neither HTTP/1.1 nor HTTP/2 (or a broken start of either) on a raw connection. */
function raw(bytes: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const s = netConnect(port, '127.0.0.1', () => {
      s.end(bytes);
    });
    s.on('data', () => undefined);
    s.on('close', () => resolve());
    s.on('error', () => resolve());
    s.setTimeout(2000, () => s.destroy());
  });
}

describe('fuzz: malformed requests over HTTP/1.1 and HTTP/2', () => {
  it(`answers ${REQUESTS} of them, each error as a ksqlDB error entity, and stays up with bounded memory`, { timeout: 600_000 }, async () => {
    const r = prng(12);
    const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    let session = h2connect(url);
    session.on('error', () => undefined);
    const counts = new Map<string, number>();
    const count = (k: string): void => void counts.set(k, (counts.get(k) ?? 0) + 1);
    const failures: string[] = [];
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < REQUESTS) {
        const i = next++;
        const q = generate(r);
        const h2 = i % 2 === 1;
        if (h2 && (session.closed || session.destroyed)) {
          session = h2connect(url);
          session.on('error', () => undefined);
        }
        const a = h2 ? await overH2(session, q) : await overH1(agent, q);
        count(`${h2 ? 'h2' : 'h1'} ${a.status}`);
        if (a.status >= 500 || a.status === -1 || a.status === 0) {
          // a stream the server reset or a connection it closed is not an answer; a 5xx is the server's failure
          if (!(a.status <= 0 && q.body !== null && q.body.length > LIMIT)) failures.push(`${h2 ? 'h2' : 'h1'} ${q.method} ${q.path} → ${a.status} ${a.body.slice(0, 200)}`);
        } else if (a.status >= 400) {
          let ok = false;
          try {
            const e = JSON.parse(a.body) as { '@type'?: unknown; error_code?: unknown; message?: unknown };
            ok = typeof e['@type'] === 'string' && typeof e.error_code === 'number' && Math.floor(e.error_code / 100) === a.status && typeof e.message === 'string';
          } catch {
            ok = false;
          }
          if (!ok) failures.push(`${q.method} ${q.path} → ${a.status} not an error entity: ${a.body.slice(0, 200)}`);
        }
        if (i % 500 === 0) rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, () => worker()));
    // garbage on raw connections: neither protocol, a truncated HTTP/2 preface, a preface then garbage frames
    const garbage = [randomBytes(r, 64), Buffer.from('PRI * HTTP/2.0\r\n'), Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), randomBytes(r, 200)]), Buffer.from('GET / HTTP/9.9\r\n\r\n'), Buffer.from('POST /ksql HTTP/1.1\r\nContent-Length: -1\r\n\r\n')];
    for (let i = 0; i < 200; i++) await raw(garbage[i % garbage.length]!);
    counts.set('raw connections', 200);
    agent.destroy();
    session.close();
    const rssAfter = process.memoryUsage().rss;
    rssPeak = Math.max(rssPeak, rssAfter);
    const summary = [...counts.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}: ${v}`);
    console.log(`fuzz: ${REQUESTS} requests (${REQUESTS / 2} HTTP/1.1, ${REQUESTS / 2} HTTP/2) + 200 raw connections; answers by status: ${summary.join(', ')}; RSS ${Math.round(rssBefore / 2 ** 20)} → peak ${Math.round(rssPeak / 2 ** 20)} MiB`);
    expect(failures.slice(0, 20)).toEqual([]);
    // still up and answering on both versions
    expect((await fetch(`${url}/healthcheck`)).status).toBe(200);
    const s = h2connect(url);
    const st = await new Promise<number>((resolve, reject) => {
      const q = s.request({ ':path': '/info' });
      q.on('response', (h) => resolve(Number(h[':status'])));
      q.on('error', reject);
      q.end();
    });
    s.close();
    expect(st).toBe(200);
    // the requests' memory is not kept (client and server share this process)
    expect(rssPeak - rssBefore).toBeLessThan(512 * 2 ** 20);
  });
});
