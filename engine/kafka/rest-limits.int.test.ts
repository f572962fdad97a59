import { connect as h2connect, type ClientHttp2Session } from 'node:http2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HealthMonitor } from '../server/health.js';
import { bootstrap, newPort, readTopic, seed, stopOwnBroker, waitFor } from './int-test-support.js';
import type { KafkaPort } from './port.js';
import { startServer, type RunningServer } from './server-main.js';

/**
 * The limits that hold at run time, on a real broker: a regular expression
 * that must run on the backtracking engine and takes exponential time fails
 * its records within its time budget (into the processing log) while another
 * query's rows still come and /healthcheck still answers.
 */
let brokers: string;
let admin: KafkaPort;
let running: RunningServer;
let session: ClientHttp2Session;

beforeAll(async () => {
  brokers = await bootstrap();
  admin = newPort(brokers, 'rest-limits-test');
  running = await startServer({
    env: { KSQL_BOOTSTRAP_SERVERS: brokers, KSQL_KSQL_SERVICE_ID: `limits_${seed()}_`, KSQL_LISTENERS: 'http://127.0.0.1:0', KSQL_KSQL_STREAMS_AUTO_OFFSET_RESET: 'earliest', KSETL_LOG_LEVEL: 'silent' },
  });
  session = h2connect(running.url);
  session.on('error', () => undefined);
}, 180_000);

afterAll(async () => {
  session?.close();
  await running?.close();
  await admin?.close();
  await stopOwnBroker();
}, 60_000);

function request(method: string, path: string, body?: string): { status: Promise<number>; text: () => string; ended: Promise<string>; close: () => void } {
  const q = session.request({ ':method': method, ':path': path, 'content-type': 'application/json' });
  let text = '';
  const status = new Promise<number>((r) => q.on('response', (h) => r(Number(h[':status']))));
  const ended = new Promise<string>((r) => {
    q.on('end', () => r(text));
    q.on('close', () => r(text));
  });
  q.setEncoding('utf8');
  q.on('data', (c: string) => (text += c));
  q.end(body);
  return { status, text: () => text, ended, close: () => q.close() };
}

async function ksql(statement: string): Promise<unknown> {
  const r = request('POST', '/ksql', JSON.stringify({ ksql: statement, streamsProperties: {} }));
  const [status, text] = await Promise.all([r.status, r.ended]);
  expect(status, text).toBe(200);
  return JSON.parse(text) as unknown;
}

async function insert(target: string, rows: readonly Record<string, unknown>[]): Promise<void> {
  const r = request('POST', '/inserts-stream', [JSON.stringify({ target }), ...rows.map((x) => JSON.stringify(x))].join('\n'));
  const acks = (await r.ended).split('\n').filter((l) => l !== '');
  expect(acks.map((a) => (JSON.parse(a) as { status: string }).status)).toEqual(rows.map(() => 'ok'));
}

/** Resolves with how long `p` took, failing past `boundMs` (a generous bound: the test is about "answers", not speed). */
async function within<T>(what: string, boundMs: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer within ${boundMs} ms`)), boundMs)));
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

describe('a catastrophic regular expression on a real broker', () => {
  it('fails its records within the budget into the processing log, while another query keeps serving and /healthcheck answers', async () => {
    const s = `RX_${seed()}`.toUpperCase();
    await ksql(`CREATE STREAM ${s} (ID STRING KEY, V STRING) WITH (KAFKA_TOPIC='${s}', PARTITIONS=1, VALUE_FORMAT='JSON');`);
    await ksql(`CREATE STREAM ${s}_OTHER (ID STRING KEY, V STRING) WITH (KAFKA_TOPIC='${s}_OTHER', PARTITIONS=1, VALUE_FORMAT='JSON');`);
    // a lookahead keeps the pattern on the backtracking engine; '(a|a)*' then backtracks 2^n ways on 'aaa…' without a 'b'
    await ksql(`CREATE STREAM ${s}_M AS SELECT ID, REGEXP_EXTRACT('(?=a)(a|a)*b', V) AS M FROM ${s};`);

    // the other query: a push query over another stream
    const push = request('POST', '/query-stream', JSON.stringify({ sql: `SELECT * FROM ${s}_OTHER EMIT CHANGES;`, properties: {} }));
    expect(await push.status).toBe(200);
    await waitFor('the push query metadata', () => (push.text().includes('columnNames') ? true : undefined));

    // 12 records that would each take longer than the universe's age, between good ones
    const bad = 'a'.repeat(64);
    const rows = Array.from({ length: 16 }, (_, i) => ({ ID: `k${i}`, V: i % 4 === 0 ? 'aab' : bad }));
    await insert(s, rows);

    // meanwhile the other query's rows come and /healthcheck answers, each in turn
    for (let i = 0; i < 3; i++) {
      const health = request('GET', '/healthcheck');
      expect(await within('/healthcheck', 15_000, health.status)).toBe(200);
      expect(JSON.parse(await health.ended)).toMatchObject({ isHealthy: true });
      await insert(`${s}_OTHER`, [{ ID: `o${i}`, V: 'x' }]);
      await within(`the push query's row o${i}`, 15_000, waitFor(`row o${i}`, () => (push.text().includes(`"o${i}"`) ? true : undefined)));
    }

    // every record went through: the good ones with their match, the catastrophic ones failed (M null) and logged
    const out = await readTopic(admin, `${s}_M`, (seen) => seen.length >= 16);
    const byKey = new Map(out.map((r) => [r.key?.toString(), (JSON.parse(String(r.value)) as { M: string | null }).M]));
    for (const [i, r] of rows.entries()) expect(byKey.get(r.ID), r.ID).toBe(i % 4 === 0 ? 'aab' : null);
    const logTopic = running.engine.processingLogTopic!;
    const logged = await readTopic(admin, logTopic, (seen) => seen.filter((r) => String(r.value).includes('ksetl.functions.regex.backtracking.budget.ms')).length >= 12);
    const messages = logged.map((r) => (JSON.parse(String(r.value)) as { MESSAGE: { ERRORTYPE: string; MESSAGE: string } }).MESSAGE).filter((m) => m.MESSAGE.includes('budget'));
    expect(messages.length).toBe(12);
    expect(messages[0]).toMatchObject({ ERRORTYPE: 'RECORD_PROCESSING_ERROR', MESSAGE: expect.stringContaining('took more than 100 ms') });

    // the query goes on
    const queries = (await ksql('SHOW QUERIES;')) as { queries: { sinks: string[]; state: string }[] }[];
    expect(queries[0]!.queries.find((q) => q.sinks.includes(`${s}_M`))?.state).toBe('RUNNING');
    push.close();
  });
});

describe('/healthcheck on a real broker', () => {
  it('checks that Kafka answers (details.kafka with the time of the check)', async () => {
    const r = request('GET', '/healthcheck');
    expect(await r.status).toBe(200);
    const body = JSON.parse(await r.ended) as { isHealthy: boolean; details: Record<string, { isHealthy: boolean; lastCheckMs?: number }> };
    expect(body.isHealthy).toBe(true);
    expect(body.details['kafka']).toMatchObject({ isHealthy: true, lastCheckMs: expect.any(Number) });
    expect(Object.keys(body.details)).toEqual(expect.arrayContaining(['metastore', 'kafka', 'commandRunner', 'queries']));
  });

  it('reports Kafka unhealthy, with the error, when no broker answers', async () => {
    // a real client towards an address where no broker listens
    const nowhere = newPort('127.0.0.1:1', 'rest-limits-nowhere');
    try {
      const monitor = new HealthMonitor(() => ({ isHealthy: true, details: { metastore: { isHealthy: true }, kafka: { isHealthy: true }, commandRunner: { isHealthy: true } } }), [{ name: 'kafka', run: () => nowhere.admin.describeTopics(['t']) }], { timeoutMs: 3000 });
      const report = await monitor.report();
      expect(report.isHealthy).toBe(false);
      expect(report.details['kafka']).toMatchObject({ isHealthy: false, error: expect.any(String) });
    } finally {
      await nowhere.close().catch(() => undefined);
    }
  });
});
