import { afterEach, describe, expect, it } from 'vitest';
import { MemoryRuntime } from '../driver/memory-runtime.js';
import { kafkaBackend } from '../kafka/kafka-backend.js';
import { KsqlRestServer } from './app.js';
import type { KsqlBackend } from './backend.js';

let server: KsqlRestServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

async function start(opts: { auth?: { user: string; password: string }; properties?: Record<string, string>; backend?: (b: KsqlBackend) => KsqlBackend } = {}): Promise<{ url: string; engine: MemoryRuntime }> {
  const engine = await MemoryRuntime.start({ properties: { 'ksql.streams.auto.offset.reset': 'earliest', ...opts.properties } });
  const backend = kafkaBackend(engine.engine);
  server = new KsqlRestServer({ backend: opts.backend?.(backend) ?? backend, ...(opts.auth ? { auth: opts.auth } : {}) });
  const { url } = await server.listen(0);
  return { url, engine };
}

async function post(url: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; text: string; json: () => unknown }> {
  const res = await fetch(url + path, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, text, json: () => JSON.parse(text) as unknown };
}

describe('REST server', () => {
  it('answers /info, /healthcheck and /clusterStatus', async () => {
    const { url } = await start();
    const info = (await (await fetch(`${url}/info`)).json()) as { KsqlServerInfo: { serverStatus: string; version: string } };
    expect(info.KsqlServerInfo.serverStatus).toBe('RUNNING');
    const health = (await (await fetch(`${url}/healthcheck`)).json()) as { isHealthy: boolean };
    expect(health.isHealthy).toBe(true);
    const cluster = (await (await fetch(`${url}/clusterStatus`)).json()) as { clusterStatus: Record<string, { hostAlive: boolean }> };
    expect(Object.values(cluster.clusterStatus)[0]!.hostAlive).toBe(true);
  });

  it('enforces basic authentication when configured', async () => {
    const { url } = await start({ auth: { user: 'u', password: 'p' } });
    expect((await fetch(`${url}/info`)).status).toBe(401);
    const ok = await fetch(`${url}/info`, { headers: { Authorization: `Basic ${Buffer.from('u:p').toString('base64')}` } });
    expect(ok.status).toBe(200);
    expect((await fetch(`${url}/healthcheck`)).status).toBe(200);
    expect((await fetch(`${url}/ready`)).status).toBe(200);
    // everything else needs the credentials: statements, queries, status, unknown paths
    for (const path of ['/ksql', '/query', '/query-stream', '/inserts-stream', '/close-query']) expect((await post(url, path, { ksql: 'SHOW STREAMS;' })).status, path).toBe(401);
    for (const path of ['/clusterStatus', '/status', '/nope']) expect((await fetch(`${url}${path}`)).status, path).toBe(401);
    const wrong = await fetch(`${url}/info`, { headers: { Authorization: `Basic ${Buffer.from('u:px').toString('base64')}` } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toBe('Basic realm="KsqlServer"');
  });

  it('shows secret properties as [hidden] in SHOW PROPERTIES', async () => {
    const secret = 'pw-4f1c2b';
    const { url } = await start({
      properties: {
        'ksql.streams.sasl.jaas.config': `org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="${secret}";`,
        'ksql.schema.registry.basic.auth.user.info': `u:${secret}`,
        'ksql.streams.ssl.truststore.password': secret,
      },
    });
    const r = await post(url, '/ksql', { ksql: 'SHOW PROPERTIES;' });
    expect(r.status).toBe(200);
    expect(r.text).not.toContain(secret);
    const [entity] = r.json() as { properties: { name: string; value: string }[] }[];
    expect(entity!.properties.find((p) => p.name === 'ksql.streams.sasl.jaas.config')?.value).toBe('[hidden]');
    expect(entity!.properties.find((p) => p.name === 'ksql.streams.auto.offset.reset')?.value).toBe('earliest');
  });

  it('runs DDL through /ksql with currentStatus entities and reports errors as statement_error', async () => {
    const { url } = await start();
    const r = await post(url, '/ksql', { ksql: "CREATE STREAM S (K STRING KEY, V INT) WITH (kafka_topic='t', value_format='JSON', partitions=1);" });
    expect(r.status).toBe(200);
    const [entity] = r.json() as Record<string, unknown>[];
    expect(entity).toMatchObject({ '@type': 'currentStatus', commandId: 'stream/`S`/create', commandStatus: { status: 'SUCCESS', message: 'Stream created' } });
    expect(typeof entity!['commandSequenceNumber']).toBe('number');
    const status = (await (await fetch(`${url}/status/stream/%60S%60/create`)).json()) as { status: string };
    expect(status.status).toBe('SUCCESS');

    const err = await post(url, '/ksql', { ksql: "CREATE STREAM S (K STRING KEY) WITH (kafka_topic='t', value_format='JSON');" });
    expect(err.status).toBe(400);
    expect(err.json()).toMatchObject({ '@type': 'statement_error', error_code: 40001, entities: [] });
    expect((err.json() as { message: string }).message).toContain('already exists');

    const select = await post(url, '/ksql', { ksql: 'SELECT * FROM S;' });
    expect(select.status).toBe(400);
    expect((select.json() as { message: string }).message).toContain("endpoint '/query'");
  });

  it('lists and describes sources', async () => {
    const { url } = await start();
    await post(url, '/ksql', { ksql: "CREATE STREAM S (K STRING KEY, V INT) WITH (kafka_topic='t', value_format='JSON', partitions=1);" });
    const streams = (await post(url, '/ksql', { ksql: 'SHOW STREAMS;' })).json() as Record<string, unknown>[];
    expect(streams[0]).toMatchObject({ '@type': 'streams', streams: [{ type: 'STREAM', name: 'S', topic: 't', keyFormat: 'KAFKA', valueFormat: 'JSON', isWindowed: false }] });
    const desc = (await post(url, '/ksql', { ksql: 'DESCRIBE S;' })).json() as Record<string, unknown>[];
    expect(desc[0]).toMatchObject({
      '@type': 'sourceDescription',
      sourceDescription: { name: 'S', type: 'STREAM', fields: [{ name: 'K', type: 'KEY', schema: { type: 'STRING' } }, { name: 'V', schema: { type: 'INTEGER' } }] },
    });
    const props = (await post(url, '/ksql', { ksql: 'SHOW PROPERTIES;' })).json() as Record<string, unknown>[];
    expect(props[0]!['@type']).toBe('properties');
    const fns = (await post(url, '/ksql', { ksql: 'SHOW FUNCTIONS;' })).json() as { functions: { name: string }[] }[];
    expect(fns[0]!.functions.some((f) => f.name === 'COUNT')).toBe(true);
  });

  it('answers pull queries on streams through /query and /query-stream', async () => {
    const { url } = await start();
    await post(url, '/ksql', {
      ksql: "CREATE STREAM S (K STRING KEY, V INT) WITH (kafka_topic='t', value_format='JSON', partitions=1); INSERT INTO S (K, V) VALUES ('a', 1); INSERT INTO S (K, V) VALUES ('b', 2);",
    });
    const q = await post(url, '/query', { ksql: 'SELECT * FROM S;' });
    expect(q.status).toBe(200);
    const items = q.json() as Record<string, unknown>[];
    expect(items[0]).toMatchObject({ header: { schema: '`K` STRING, `V` INTEGER' } });
    expect(items.slice(1)).toEqual([{ row: { columns: ['a', 1] } }, { row: { columns: ['b', 2] } }, { finalMessage: 'Query Completed' }]);

    const qs = await post(url, '/query-stream', { sql: 'SELECT V FROM S WHERE V > 1;' }, { Accept: 'application/vnd.ksqlapi.delimited.v1' });
    const lines = qs.text.trim().split('\n').map((l) => JSON.parse(l) as unknown);
    expect(lines[0]).toMatchObject({ columnNames: ['V'], columnTypes: ['INTEGER'] });
    expect(lines.slice(1)).toEqual([[2]]);
  });

  it('streams push queries until their LIMIT', async () => {
    const { url, engine } = await start();
    await post(url, '/ksql', { ksql: "CREATE STREAM S (K STRING KEY, V INT) WITH (kafka_topic='t', value_format='JSON', partitions=1);" });
    const res = fetch(`${url}/query`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ ksql: 'SELECT K, V FROM S EMIT CHANGES LIMIT 2;', streamsProperties: { 'auto.offset.reset': 'latest' } }) });
    const r = await res;
    expect(r.status).toBe(200);
    // the query is active once the header is written
    void engine.execute("INSERT INTO S (K, V) VALUES ('x', 7); INSERT INTO S (K, V) VALUES ('y', 8); INSERT INTO S (K, V) VALUES ('z', 9);");
    const items = JSON.parse(await r.text()) as Record<string, unknown>[];
    expect(items[0]).toMatchObject({ header: { schema: '`K` STRING, `V` INTEGER' } });
    expect(items.slice(1)).toEqual([{ row: { columns: ['x', 7] } }, { row: { columns: ['y', 8] } }, { finalMessage: 'Limit Reached' }]);
  });

  it('inserts rows through /inserts-stream', async () => {
    const { url, engine } = await start();
    await post(url, '/ksql', { ksql: "CREATE STREAM S (K STRING KEY, V INT) WITH (kafka_topic='t', value_format='JSON', partitions=1);" });
    const r = await post(url, '/inserts-stream', '{"target":"S"}\n{"K":"a","V":1}\n{"K":"b","V":2}\n');
    const acks = r.text.trim().split('\n').map((l) => JSON.parse(l) as unknown);
    expect(acks).toEqual([
      { status: 'ok', seq: 0 },
      { status: 'ok', seq: 1 },
    ]);
    expect(engine.broker.readInOrder('t').map((x) => x.value?.toString())).toEqual(['{"V":1}', '{"V":2}']);
  });

  it("answers each /inserts-stream row once it is written, with the backend's error when the write fails", async () => {
    let writes = 0;
    // a backend whose statements settle later (as the Kafka one's), and whose second write fails
    const { url } = await start({
      backend: (b) => ({
        ...b,
        metastore: b.metastore,
        executeStatement: async (st, props) => {
          if (st.kind === 'InsertValues' && ++writes === 2) throw new Error("Failed to insert values into 'S'. Could not write to t: broker gone");
          await new Promise((r) => setTimeout(r, 5));
          return b.executeStatement(st, props);
        },
      }),
    });
    await post(url, '/ksql', { ksql: "CREATE STREAM S (K STRING KEY, V INT) WITH (kafka_topic='t', value_format='JSON', partitions=1);" });
    const r = await post(url, '/inserts-stream', '{"target":"S"}\n{"K":"a","V":1}\n{"K":"b","V":2}\n{"K":"c","V":3}\n');
    expect(r.text.trim().split('\n').map((l) => JSON.parse(l) as unknown)).toEqual([
      { status: 'ok', seq: 0 },
      { status: 'error', seq: 1, error_code: 40000, message: "Failed to insert values into 'S'. Could not write to t: broker gone" },
      { status: 'ok', seq: 2 },
    ]);
  });

  it("shows the runtime's query state and errors in SHOW QUERIES and EXPLAIN", async () => {
    const error = { timestamp: 1, errorMessage: 'in/0: Could not write to out: This server does not host this topic-partition', type: 'UNKNOWN' as const };
    const { url } = await start({ backend: (b) => ({ ...b, metastore: b.metastore, properties: b.properties, queryStatus: () => ({ state: 'ERROR', errors: [error] }) }) });
    await post(url, '/ksql', { ksql: "CREATE STREAM S (K STRING KEY, V INT) WITH (kafka_topic='t', value_format='JSON', partitions=1); CREATE STREAM T AS SELECT * FROM S;" });
    const [shown] = (await post(url, '/ksql', { ksql: 'SHOW QUERIES;' })).json() as { queries: Record<string, unknown>[] }[];
    expect(shown!.queries[0]).toMatchObject({ id: 'CSAS_T_0', state: 'ERROR', statusCount: { ERROR: 1 } });
    const [explained] = (await post(url, '/ksql', { ksql: 'EXPLAIN CSAS_T_0;' })).json() as { queryDescription: Record<string, unknown> }[];
    expect(explained!.queryDescription).toMatchObject({ state: 'ERROR', queryErrors: [error] });
  });
});
