import { connect as h2connect } from 'node:http2';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryRuntime } from '../driver/memory-runtime.js';
import { kafkaBackend } from '../kafka/kafka-backend.js';
import { KsqlRestServer } from './app.js';
import type { KsqlBackend } from './backend.js';

// ksetl.server.request.max.memory.bytes: what one request may make the server hold

let server: KsqlRestServer | null = null;
let runtime: MemoryRuntime | null = null;
let backend: KsqlBackend | null = null;
afterEach(async () => {
  await server?.close();
  await runtime?.close();
  server = null;
  runtime = null;
});

async function start(maxBytes: number): Promise<string> {
  runtime = await MemoryRuntime.start({ properties: { 'ksql.streams.auto.offset.reset': 'earliest' } });
  backend = kafkaBackend(runtime.engine);
  server = new KsqlRestServer({ backend, limits: { requestMaxMemoryBytes: maxBytes } });
  return (await server.listen(0)).url;
}

async function post(url: string, path: string, body: unknown): Promise<{ status: number; text: string }> {
  const res = await fetch(url + path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, text: await res.text() };
}

/** Rows written through /inserts-stream (acks all ok). */
async function insert(url: string, target: string, rows: readonly Record<string, unknown>[]): Promise<string[]> {
  const body = [JSON.stringify({ target }), ...rows.map((r) => JSON.stringify(r))].join('\n');
  const r = await post(url, '/inserts-stream', body);
  expect(r.status).toBe(200);
  return r.text.split('\n').filter((l) => l !== '');
}

describe('the memory of one request', () => {
  it('refuses a pull query that reads or answers more than the limit, naming the property, and answers a smaller one', async () => {
    const url = await start(8192);
    for (const [t, n] of [
      ['BIG', 200],
      ['SMALL', 3],
    ] as const) {
      expect((await post(url, '/ksql', { ksql: `CREATE SOURCE TABLE ${t} (ID STRING PRIMARY KEY, V STRING) WITH (KAFKA_TOPIC='mem_${t}', VALUE_FORMAT='JSON', PARTITIONS=1);` })).status).toBe(200);
      // the table's topic written through a stream over it (a source table takes no inserts)
      expect((await post(url, '/ksql', { ksql: `CREATE STREAM ${t}_IN (ID STRING KEY, V STRING) WITH (KAFKA_TOPIC='mem_${t}', VALUE_FORMAT='JSON');` })).status).toBe(200);
      const acks = await insert(
        url,
        `${t}_IN`,
        Array.from({ length: n }, (_, i) => ({ ID: `k${i}`, V: 'v'.repeat(100) })),
      );
      expect(acks.every((a) => a.includes('"ok"'))).toBe(true);
    }
    for (const path of ['/query', '/query-stream']) {
      const field = path === '/query' ? 'ksql' : 'sql';
      const big = await post(url, path, { [field]: 'SELECT * FROM BIG;' });
      expect(big.status, path).toBe(400);
      expect(JSON.parse(big.text)).toMatchObject({ '@type': 'statement_error', error_code: 40001, message: expect.stringMatching(/larger than 8192 bytes \(ksetl\.server\.request\.max\.memory\.bytes\)/) });
      const small = await post(url, path, { [field]: 'SELECT * FROM SMALL;' });
      expect(small.status, path).toBe(200);
      expect(small.text).toContain('k2');
      // a small read whose result grows past the limit
      const wide = await post(url, path, { [field]: "SELECT ID, LPAD(V, 5000, 'x') AS W FROM SMALL;" });
      expect(wide.status, path).toBe(400);
      expect(JSON.parse(wide.text)).toMatchObject({ message: expect.stringMatching(/^The pull query's result is larger than 8192 bytes/) });
    }
  });

  it.each(['/query-stream', '/query'] as const)('ends a push query on %s whose client does not read its rows with an error, past the limit', async (path) => {
    const url = await start(64 * 1024);
    expect((await post(url, '/ksql', { ksql: "CREATE STREAM S (ID STRING, V STRING) WITH (KAFKA_TOPIC='mem_s', VALUE_FORMAT='JSON', PARTITIONS=1);" })).status).toBe(200);
    const session = h2connect(url);
    try {
      const q = session.request({ ':path': path, ':method': 'POST', 'content-type': 'application/json' });
      const sql = 'SELECT * FROM S EMIT CHANGES;';
      q.end(JSON.stringify(path === '/query' ? { ksql: sql, streamsProperties: { 'auto.offset.reset': 'latest' } } : { sql, properties: { 'auto.offset.reset': 'latest' } }));
      q.setEncoding('utf8');
      // the metadata / header: the query runs; then the client stops reading (HTTP/2 flow control holds the rest in the server)
      const first = await new Promise<string>((resolve) => q.once('data', resolve));
      expect(first).toMatch(/columnNames|header/);
      q.pause();
      const ended = new Promise<string>((resolve) => {
        let text = first;
        q.on('data', (c: string) => (text += c));
        q.on('end', () => resolve(text));
      });
      // ~2 MB of rows, far past the 64 KiB limit and the flow-control window
      const rows = Array.from({ length: 2000 }, (_, i) => ({ ID: `r${i}`, V: 'x'.repeat(1000) }));
      const acks = await insert(url, 'S', rows);
      expect(acks).toHaveLength(2000);
      q.resume();
      const text = await ended;
      let error: { '@type': string; error_code: number; message: string };
      let ids: string[];
      if (path === '/query') {
        // ksqlDB's streamed rows: header, rows, then {"errorMessage": ...}, one JSON array
        const all = JSON.parse(text) as { row?: { columns: string[] }; errorMessage?: typeof error }[];
        error = all.at(-1)!.errorMessage!;
        ids = all.slice(1, -1).map((r) => r.row!.columns[0]!);
      } else {
        const lines = text.split('\n').filter((l) => l !== '');
        error = JSON.parse(lines.at(-1)!) as typeof error;
        ids = lines.slice(1, -1).map((l) => (JSON.parse(l) as string[])[0]!);
      }
      expect(error).toMatchObject({ '@type': 'generic_error', error_code: 40000 });
      expect(error.message).toMatch(/ksetl\.server\.request\.max\.memory\.bytes/);
      // the rows before the error came, in order, and far fewer than were written
      expect(ids.length).toBeLessThan(2000);
      expect(ids).toEqual(rows.slice(0, ids.length).map((r) => r.ID));
      expect(server!.activePushQueries).toEqual([]);
    } finally {
      session.close();
    }
  });

  it('keeps acking every row of an /inserts-stream, in order, when its rows are over the limit in flight', async () => {
    const url = await start(4096);
    expect((await post(url, '/ksql', { ksql: "CREATE STREAM S (ID STRING, V STRING) WITH (KAFKA_TOPIC='mem_i', VALUE_FORMAT='JSON', PARTITIONS=1);" })).status).toBe(200);
    const acks = await insert(
      url,
      'S',
      Array.from({ length: 500 }, (_, i) => ({ ID: `r${i}`, V: 'y'.repeat(500) })),
    );
    expect(acks.map((a) => JSON.parse(a) as unknown)).toEqual(Array.from({ length: 500 }, (_, i) => ({ status: 'ok', seq: i })));
    expect((await backend!.scanTopic!('mem_i')).map((r) => (JSON.parse(String(r.value)) as { ID: string }).ID)).toEqual(Array.from({ length: 500 }, (_, i) => `r${i}`));
  });
});
