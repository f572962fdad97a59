import { request as h1request, Agent } from 'node:http';
import { connect as h2connect, type ClientHttp2Session } from 'node:http2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrap, newPort, readTopic, seed, stopOwnBroker, waitFor } from './int-test-support.js';
import { commandTopic } from './names.js';
import type { KafkaPort } from './port.js';
import { startServer, type RunningServer } from './server-main.js';

/**
 * The REST API over both HTTP versions on a real broker, with node's own
 * clients (`http2` with prior knowledge, `http` for HTTP/1.1): each endpoint's
 * happy path and errors, /inserts-stream with bad rows in the middle,
 * /close-query, DROP of a table a query writes, and the limits checked before
 * anything is written.
 */
let brokers: string;
let admin: KafkaPort;
let running: RunningServer;
let serviceId: string;
const sessions: ClientHttp2Session[] = [];
const agent = new Agent({ keepAlive: true });

beforeAll(async () => {
  brokers = await bootstrap();
  admin = newPort(brokers, 'rest-http2-test');
  serviceId = `http2_${seed()}_`;
  running = await startServer({
    env: { KSQL_BOOTSTRAP_SERVERS: brokers, KSQL_KSQL_SERVICE_ID: serviceId, KSQL_LISTENERS: 'http://127.0.0.1:0', KSQL_KSQL_STREAMS_AUTO_OFFSET_RESET: 'earliest', KSETL_LOG_LEVEL: 'silent' },
    // rows up to 3 MB pass the server's own check: the broker's limit (1 MB) is the one met
    overrides: { 'ksetl.server.inserts.row.max.bytes': String(3 * 1024 * 1024), 'ksetl.server.request.max.bytes': String(4 * 1024 * 1024) },
  });
}, 180_000);

afterAll(async () => {
  for (const s of sessions) s.close();
  agent.destroy();
  await running?.close();
  await admin?.close();
  await stopOwnBroker();
}, 60_000);

type Version = '1.1' | '2';

interface Exchange {
  readonly status: Promise<number>;
  /** the body so far */
  text(): string;
  /** resolves with the whole body once the response ends */
  readonly ended: Promise<string>;
  /** writes more of the request body */
  write(s: string): void;
  end(s?: string): void;
  close(): void;
}

function session(): ClientHttp2Session {
  let s = sessions.find((x) => !x.closed && !x.destroyed);
  if (!s) {
    s = h2connect(running.url);
    s.on('error', () => undefined);
    sessions.push(s);
  }
  return s;
}

/** A request whose body is written by the caller, over either version. */
function open(v: Version, method: string, path: string, headers: Record<string, string> = {}): Exchange {
  let text = '';
  let resolveStatus!: (n: number) => void;
  let resolveEnd!: (s: string) => void;
  const status = new Promise<number>((r) => (resolveStatus = r));
  const ended = new Promise<string>((r) => (resolveEnd = r));
  if (v === '2') {
    const q = session().request({ ':method': method, ':path': path, 'content-type': 'application/json', ...headers }, { endStream: false });
    q.on('response', (h) => resolveStatus(Number(h[':status'])));
    q.setEncoding('utf8');
    q.on('data', (c: string) => (text += c));
    q.on('end', () => resolveEnd(text));
    q.on('close', () => resolveEnd(text));
    q.on('error', () => resolveEnd(text));
    return { status, ended, text: () => text, write: (s) => void q.write(s), end: (s) => void q.end(s), close: () => q.close() };
  }
  const req = h1request({ host: '127.0.0.1', port: new URL(running.url).port, method, path, agent, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
    resolveStatus(res.statusCode ?? 0);
    res.setEncoding('utf8');
    res.on('data', (c: string) => (text += c));
    res.on('end', () => resolveEnd(text));
    res.on('close', () => resolveEnd(text));
  });
  req.on('error', () => resolveEnd(text));
  return { status, ended, text: () => text, write: (s) => void req.write(s), end: (s) => void req.end(s), close: () => req.destroy() };
}

async function call(v: Version, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; text: string; json: () => unknown }> {
  const x = open(v, method, path, headers);
  x.end(body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body));
  const [status, text] = await Promise.all([x.status, x.ended]);
  return { status, text, json: () => JSON.parse(text) as unknown };
}

async function ksql(v: Version, statement: string): Promise<unknown> {
  const r = await call(v, 'POST', '/ksql', { ksql: statement, streamsProperties: {} });
  expect(r.status, r.text).toBe(200);
  return r.json();
}

async function commandTopicEnd(): Promise<number> {
  const w = await admin.admin.fetchWatermarks(commandTopic(serviceId));
  return w.reduce((n, p) => n + Number(p.high), 0);
}

describe.each(['1.1', '2'] as const)('REST API over HTTP/%s on a real broker', (v) => {
  it('answers every GET endpoint, and statements with their entities', async () => {
    const info = await call(v, 'GET', '/info');
    expect(info.status).toBe(200);
    expect(info.json()).toMatchObject({ KsqlServerInfo: { serverStatus: 'RUNNING', ksqlServiceId: serviceId } });
    // the broker's cluster id, not the in-memory placeholder
    expect((info.json() as { KsqlServerInfo: { kafkaClusterId: string } }).KsqlServerInfo.kafkaClusterId).not.toBe('ksetl-in-memory');
    expect((await call(v, 'GET', '/healthcheck')).json()).toMatchObject({ isHealthy: true });
    expect(Object.values((await call(v, 'GET', '/clusterStatus')).json() as { clusterStatus: object })).toHaveLength(1);
    const s = `S_${v.replace('.', '')}_${seed()}`.toUpperCase();
    const endBefore = await commandTopicEnd();
    const created = (await ksql(v, `CREATE STREAM ${s} (ID STRING KEY, V INT) WITH (KAFKA_TOPIC='${s}', PARTITIONS=1, VALUE_FORMAT='JSON');`)) as { commandId: string; commandSequenceNumber: number }[];
    expect(created[0]!.commandId).toBe(`stream/\`${s}\`/create`);
    // the command's offset in the command topic, as ksqlDB
    expect(created[0]!.commandSequenceNumber).toBe(endBefore);
    expect((await call(v, 'GET', '/status')).json()).toMatchObject({ commandStatuses: { [created[0]!.commandId]: 'SUCCESS' } });
    expect((await call(v, 'GET', `/status/stream/${encodeURIComponent('`' + s + '`')}/create`)).json()).toMatchObject({ status: 'SUCCESS' });
    const shown = (await ksql(v, 'SHOW STREAMS;')) as { streams: { name: string }[] }[];
    expect(shown[0]!.streams.map((x) => x.name)).toContain(s);
  });

  it('answers bad requests with ksqlDB error entities and 4xx codes', async () => {
    for (const body of ['{}', '{"ksql":5}', '{"ksql":null}', '[1,2]']) {
      const r = await call(v, 'POST', '/ksql', body);
      expect(r.status, body).toBe(400);
      expect(r.json()).toMatchObject({ '@type': 'generic_error', error_code: 40000 });
    }
    const bad = await call(v, 'POST', '/ksql', '{"ksql": "SHOW', { accept: 'application/vnd.ksql.v1+json' });
    expect(bad.status).toBe(400);
    expect(bad.json()).toMatchObject({ error_code: 40000, message: expect.stringContaining('Invalid JSON') });
    expect((await call(v, 'POST', '/ksql', '{"ksql":"SHOW STREAMS;"}', { 'content-type': 'application/json; charset=klingon' })).status).toBe(400);
    const big = await call(v, 'POST', '/ksql', JSON.stringify({ ksql: 'x'.repeat(5 * 1024 * 1024) }));
    expect(big.status).toBe(413);
    expect(big.json()).toMatchObject({ error_code: 41300 });
    const stmt = await call(v, 'POST', '/query-stream', { sql: 'SELECT * FROM NOPE EMIT CHANGES;' });
    expect(stmt.status).toBe(400);
    expect(stmt.json()).toMatchObject({ '@type': 'statement_error', error_code: 40001 });
    expect((await call(v, 'GET', '/nope')).status).toBe(404);
    expect((await call(v, 'POST', '/close-query', { queryId: 'nope' })).status).toBe(400);
  });

  it('/inserts-stream: acks each row once written, in order; bad and oversized rows get an error ack and the stream goes on', async () => {
    const s = `INS_${v.replace('.', '')}_${seed()}`.toUpperCase();
    await ksql(v, `CREATE STREAM ${s} (ID STRING KEY, AMOUNT INT, NOTE STRING) WITH (KAFKA_TOPIC='${s}', PARTITIONS=1, VALUE_FORMAT='JSON');`);
    const x = open(v, 'POST', '/inserts-stream');
    x.write(JSON.stringify({ target: s }) + '\n');
    x.write(JSON.stringify({ ID: 'a', AMOUNT: 1 }) + '\n');
    x.write(JSON.stringify({ ID: 'b', AMOUNT: 'abc' }) + '\n');
    x.write('{"ID":"c",' + '\n');
    x.write('"AMOUNT":3}\n');
    // over the broker's message size (1 MB): refused by Kafka, acked as an error, never as ok
    x.write(JSON.stringify({ ID: 'big', AMOUNT: 4, NOTE: 'n'.repeat(2 * 1024 * 1024) }) + '\n');
    x.write(JSON.stringify({ ID: 'd', AMOUNT: 5 }) + '\n');
    x.end();
    expect(await x.status).toBe(200);
    const acks = (await x.ended)
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as { status: string; seq: number; error_code?: number });
    expect(acks.map((a) => [a.seq, a.status])).toEqual([
      [0, 'ok'],
      [1, 'error'],
      [2, 'ok'],
      [3, 'error'],
      [4, 'ok'],
    ]);
    expect(acks[1]!.error_code).toBe(40000);
    const records = await readTopic(admin, s, (seen) => seen.length >= 3);
    // every acked row is there, in order, and nothing else
    expect(records.map((r) => r.key?.toString())).toEqual(['a', 'c', 'd']);
  });

  it('/close-query ends the push response', async () => {
    const s = `CQ_${v.replace('.', '')}_${seed()}`.toUpperCase();
    await ksql(v, `CREATE STREAM ${s} (ID STRING KEY, V INT) WITH (KAFKA_TOPIC='${s}', PARTITIONS=1, VALUE_FORMAT='JSON');`);
    const x = open(v, 'POST', '/query-stream', { accept: 'application/vnd.ksqlapi.delimited.v1' });
    x.end(JSON.stringify({ sql: `SELECT * FROM ${s} EMIT CHANGES;`, properties: {} }));
    expect(await x.status).toBe(200);
    const meta = await waitFor('the metadata line', () => (x.text().includes('\n') ? (JSON.parse(x.text().split('\n')[0]!) as { queryId: string }) : undefined));
    expect((await call(v, 'POST', '/close-query', { queryId: meta.queryId })).status).toBe(200);
    // the acceptance: the response ends within a second of the close
    const ended = await Promise.race([x.ended.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 1000))]);
    expect(ended).toBe(true);
    expect(running.server.activePushQueries).not.toContain(meta.queryId);
  });

  it('DROP TABLE terminates the query that writes the table', async () => {
    const s = `DR_${v.replace('.', '')}_${seed()}`.toUpperCase();
    await ksql(v, `CREATE STREAM ${s} (ID STRING KEY, V INT) WITH (KAFKA_TOPIC='${s}', PARTITIONS=1, VALUE_FORMAT='JSON');`);
    await ksql(v, `CREATE TABLE ${s}_T AS SELECT ID, COUNT(*) AS N FROM ${s} GROUP BY ID;`);
    const before = (await ksql(v, 'SHOW QUERIES;')) as { queries: { id: string; sinks: string[] }[] }[];
    const q = before[0]!.queries.find((x) => x.sinks.includes(`${s}_T`));
    expect(q).toBeDefined();
    await ksql(v, `DROP TABLE ${s}_T;`);
    const after = (await ksql(v, 'SHOW QUERIES;')) as { queries: { id: string }[] }[];
    expect(after[0]!.queries.map((x) => x.id)).not.toContain(q!.id);
    expect(running.engine.executor.metastore.query(q!.id)).toBeUndefined();
  });

  it('refuses CREATE STREAM over a missing topic without PARTITIONS, before the command topic; takes a topic another client just created', async () => {
    const s = `MISS_${v.replace('.', '')}_${seed()}`.toUpperCase();
    const end = await commandTopicEnd();
    const r = await call(v, 'POST', '/ksql', { ksql: `CREATE STREAM ${s} (ID STRING KEY, V INT) WITH (KAFKA_TOPIC='${s}', VALUE_FORMAT='JSON');` });
    expect(r.status).toBe(400);
    expect(r.json()).toMatchObject({ '@type': 'statement_error', error_code: 40001, message: expect.stringContaining(`Topic '${s}' does not exist.`) });
    expect(await commandTopicEnd()).toBe(end);
    expect(await admin.admin.listTopics()).not.toContain(s);
    // created behind the engine's back: the check asks the cluster
    await admin.admin.createTopics([{ name: s, partitions: 3 }]);
    await ksql(v, `CREATE STREAM ${s} (ID STRING KEY, V INT) WITH (KAFKA_TOPIC='${s}', VALUE_FORMAT='JSON');`);
  });

  it('refuses a statement nested past the limit with a 400 naming it, before the command topic', async () => {
    const end = await commandTopicEnd();
    const deep = `CREATE STREAM DEEP_${seed()} AS SELECT ${'('.repeat(716)}1${')'.repeat(716)} AS X FROM NOPE;`;
    const r = await call(v, 'POST', '/ksql', { ksql: deep });
    expect(r.status).toBe(400);
    expect(r.json()).toMatchObject({ '@type': 'statement_error', message: expect.stringContaining('ksetl.statement.max.nesting.depth') });
    const inList = await call(v, 'POST', '/ksql', { ksql: `CREATE STREAM IN_${seed()} AS SELECT * FROM NOPE WHERE X IN (${Array.from({ length: 20_000 }, (_, i) => i).join(',')});` });
    expect(inList.status).toBe(400);
    expect(inList.json()).toMatchObject({ message: expect.stringContaining('ksetl.statement.max.list.elements') });
    expect(await commandTopicEnd()).toBe(end);
  });
});
