import { afterEach, describe, expect, it } from 'vitest';
import { MemoryRuntime } from '../driver/memory-runtime.js';
import { kafkaBackend } from '../kafka/kafka-backend.js';
import { KsqlRestServer } from './app.js';

let server: KsqlRestServer | null = null;
let runtime: MemoryRuntime | null = null;
afterEach(async () => {
  await server?.close();
  await runtime?.close();
  server = null;
  runtime = null;
});

async function start(): Promise<string> {
  runtime = await MemoryRuntime.start({});
  server = new KsqlRestServer({ backend: kafkaBackend(runtime.engine), properties: { 'auto.offset.reset': 'earliest' } });
  const { url } = await server.listen(0);
  await fetch(`${url}/ksql`, { method: 'POST', body: JSON.stringify({ ksql: "CREATE STREAM S (ID STRING KEY, V INT) WITH (KAFKA_TOPIC='s', PARTITIONS=1, VALUE_FORMAT='JSON');" }) });
  return url;
}

describe('REST status codes and error entities', () => {
  it('answers errors in the JSON type the client asked for', async () => {
    const url = await start();
    const r = await fetch(`${url}/ksql`, { method: 'POST', headers: { accept: 'application/vnd.ksql.v1+json' }, body: '{"ksql":' });
    expect(r.status).toBe(400);
    expect(r.headers.get('content-type')).toBe('application/vnd.ksql.v1+json');
    const s = await fetch(`${url}/ksql`, { method: 'POST', headers: { accept: 'application/vnd.ksql.v1+json' }, body: JSON.stringify({ ksql: 'SHOW NOPE;' }) });
    expect(s.status).toBe(400);
    expect(s.headers.get('content-type')).toBe('application/vnd.ksql.v1+json');
    expect(await s.json()).toMatchObject({ '@type': 'statement_error', error_code: 40001 });
  });

  it('405 for a known path with another method, 404 for an unknown one', async () => {
    const url = await start();
    const r = await fetch(`${url}/ksql`);
    expect(r.status).toBe(405);
    expect(await r.json()).toMatchObject({ '@type': 'generic_error', error_code: 40500 });
    expect((await fetch(`${url}/nope`)).status).toBe(404);
  });

  it('/inserts-stream answers a JSON array of acks for application/json, and refuses an unknown target', async () => {
    const url = await start();
    const body = ['{"target":"S"}', '{"ID":"a","V":1}', '{"ID":"b","V":"x"}', '7', '{"ID":"c","V":3}'].join('\n');
    const r = await fetch(`${url}/inserts-stream`, { method: 'POST', headers: { accept: 'application/json' }, body });
    expect(r.headers.get('content-type')).toBe('application/json');
    const acks = (await r.json()) as { status: string; seq: number }[];
    expect(acks.map((a) => [a.seq, a.status])).toEqual([
      [0, 'ok'],
      [1, 'error'],
      [2, 'error'],
      [3, 'ok'],
    ]);
    const bad = await (await fetch(`${url}/inserts-stream`, { method: 'POST', body: '{"target":"NOPE"}\n{"ID":"a"}' })).text();
    expect(JSON.parse(bad.trim())).toMatchObject({ status: 'error', seq: 0, error_code: 40000, message: expect.stringContaining('NOPE') });
  });

  it('/close-query ends the response of a push query on /query as well', async () => {
    const url = await start();
    const res = await fetch(`${url}/query`, { method: 'POST', body: JSON.stringify({ ksql: 'SELECT * FROM S EMIT CHANGES;' }) });
    const reader = res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    const queryId = (JSON.parse(first.slice(1)) as { header: { queryId: string } }).header.queryId;
    expect((await fetch(`${url}/close-query`, { method: 'POST', body: JSON.stringify({ queryId }) })).status).toBe(200);
    let rest = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      rest += new TextDecoder().decode(value);
    }
    expect(JSON.parse(first + rest)).toHaveLength(1);
    expect(server!.activePushQueries).toEqual([]);
  });
});
