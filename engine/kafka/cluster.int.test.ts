import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaEngine } from './kafka-engine.js';
import { bootstrap, json, newPort, readTopic, seed, stopOwnBroker, waitFor } from './int-test-support.js';
import type { KafkaPort } from './port.js';
import { startServer } from './server-main.js';

let brokers: string;
let admin: KafkaPort;
const engines: KafkaEngine[] = [];
const children: ChildProcess[] = [];
const FAST_GROUP = { 'ksql.streams.session.timeout.ms': '6000', 'ksql.streams.heartbeat.interval.ms': '1000' };

beforeAll(async () => {
  brokers = await bootstrap();
  admin = newPort(brokers, 'cluster-test');
}, 180_000);

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await Promise.allSettled(engines.map(async (e) => (await e.close(), await e.port.close())));
  await admin?.close();
  await stopOwnBroker();
}, 60_000);

async function engine(serviceId: string, properties: Record<string, string> = {}): Promise<KafkaEngine> {
  const e = await KafkaEngine.start({ port: newPort(brokers, `engine-${serviceId}`), serviceId, properties: { 'ksql.streams.auto.offset.reset': 'earliest', ...FAST_GROUP, ...properties } });
  engines.push(e);
  return e;
}

/** Starts an engine in a child process (so it can be SIGKILLed); resolves once it runs its queries. */
async function childEngine(serviceId: string, guarantee: string): Promise<ChildProcess> {
  const script = fileURLToPath(new URL('./testdata/engine-child.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { ...process.env, KSETL_KAFKA_BOOTSTRAP: brokers, SERVICE_ID: serviceId, GUARANTEE: guarantee },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  await waitFor(`child engine ready (output so far: ${out.slice(-500)})`, () => (out.includes('READY') ? true : child.exitCode !== null ? Promise.reject(new Error(out)) : undefined), 90_000);
  return child;
}


async function produceLoad(topic: string, total: number, chunk: number, afterChunk: (i: number) => Promise<void> = async () => {}): Promise<void> {
  const producer = await admin.producer();
  // timestamps of now: a broker's time retention keeps them (records from 1970 go at its next retention check)
  const start = Date.now();
  for (let c = 0; c * chunk < total; c++) {
    await producer.send(
      Array.from({ length: Math.min(chunk, total - c * chunk) }, (_, j) => {
        const i = c * chunk + j;
        return { topic, key: Buffer.from(`k${i % 97}`), value: json({ V: i }), timestamp: start + i };
      }),
    );
    await afterChunk(c);
  }
  await producer.close();
}

const values = (seen: readonly { value: Buffer | null }[]): number[] => seen.map((r) => JSON.parse(r.value!.toString()).V as number);

describe('Kafka driver: server, shared service id, failures', () => {
  it('serves the REST API over the Kafka engine, with health and readiness', async () => {
    const s = seed();
    const running = await startServer({
      env: { KSQL_BOOTSTRAP_SERVERS: brokers, KSQL_KSQL_SERVICE_ID: `srv_${s}_`, KSQL_LISTENERS: 'http://127.0.0.1:0', KSQL_KSQL_STREAMS_AUTO_OFFSET_RESET: 'earliest' },
    });
    try {
      expect((await fetch(`${running.url}/healthcheck`)).status).toBe(200);
      const post = async (ksql: string) => {
        const r = await fetch(`${running.url}/ksql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ksql, streamsProperties: {} }) });
        return { status: r.status, body: (await r.json()) as { commandStatus?: { status: string; message: string } }[] };
      };
      const created = await post(`CREATE STREAM S (ID STRING KEY, V INT) WITH (KAFKA_TOPIC='srv-in-${s}', PARTITIONS=2, VALUE_FORMAT='JSON');`);
      expect(created.status).toBe(200);
      const csas = await post(`CREATE STREAM T WITH (KAFKA_TOPIC='srv-out-${s}') AS SELECT ID, V + 1 AS W FROM S;`);
      expect(csas.body[0]!.commandStatus).toMatchObject({ status: 'SUCCESS', message: 'Created query with ID CSAS_T_0' });
      const bad = await post(`CREATE STREAM T WITH (KAFKA_TOPIC='x') AS SELECT * FROM S;`);
      expect(bad.status).toBe(400);
      await waitFor('ready', async () => ((await fetch(`${running.url}/ready`)).status === 200 ? true : undefined));
      await post(`INSERT INTO S (ID, V) VALUES ('a', 41);`);
      const out = await readTopic(admin, `srv-out-${s}`, (seen) => seen.length >= 1);
      expect(JSON.parse(out[0]!.value!.toString())).toEqual({ W: 42 });
    } finally {
      await running.close();
    }
    // a closed server's engine is gone; the statements stay in the command topic for the next process
    const again = await engine(`srv_${s}_`);
    expect(again.executor.metastore.queries().map((q) => q.id)).toEqual(['CSAS_T_0']);
  });

  it('two processes with one service id split the partitions and process every record once', async () => {
    const s = seed();
    const serviceId = `pair_${s}_`;
    const a = await engine(serviceId);
    await a.execute(`CREATE STREAM S (ID STRING KEY, V INT) WITH (KAFKA_TOPIC='pair-in-${s}', PARTITIONS=4, VALUE_FORMAT='JSON');
                     CREATE STREAM T WITH (KAFKA_TOPIC='pair-out-${s}') AS SELECT ID, V FROM S;`);
    await waitFor('a runs all partitions', () => (a.queryStatus('CSAS_T_0')?.assigned.length === 4 ? true : undefined));
    const b = await engine(serviceId);
    await waitFor('partitions split', () => {
      const pa = a.queryStatus('CSAS_T_0')?.assigned ?? [];
      const pb = b.queryStatus('CSAS_T_0')?.assigned ?? [];
      return pa.length === 2 && pb.length === 2 ? true : undefined;
    });
    expect([...a.queryStatus('CSAS_T_0')!.assigned, ...b.queryStatus('CSAS_T_0')!.assigned].sort()).toEqual([0, 1, 2, 3]);
    const started = Date.now();
    await produceLoad(`pair-in-${s}`, 4000, 500);
    const out = await readTopic(admin, `pair-out-${s}`, (seen) => seen.length >= 4000);
    const ms = Date.now() - started;
    expect(new Set(values(out)).size).toBe(4000);
    expect(out).toHaveLength(4000);
    expect(a.queryStatus('CSAS_T_0')!.processed).toBeGreaterThan(0);
    expect(b.queryStatus('CSAS_T_0')!.processed).toBeGreaterThan(0);
    console.log(`[pair] 4000 records through 2 processes in ${ms} ms (${Math.round(4000 / (ms / 1000))} rec/s end to end)`);
  });

  for (const guarantee of ['at_least_once', 'exactly_once_v2'] as const) {
    it(`SIGKILL of one of two processes under load: ${guarantee === 'at_least_once' ? 'nothing lost' : 'nothing lost, nothing duplicated'}`, async () => {
      const s = seed();
      const serviceId = `kill_${guarantee === 'at_least_once' ? 'alos' : 'eos'}_${s}_`;
      const a = await engine(serviceId, { 'processing.guarantee': guarantee });
      await a.execute(`CREATE STREAM S (ID STRING KEY, V INT) WITH (KAFKA_TOPIC='kill-in-${s}', PARTITIONS=4, VALUE_FORMAT='JSON');
                       CREATE TABLE C WITH (KAFKA_TOPIC='kill-count-${s}', KEY_FORMAT='JSON') AS SELECT ID, COUNT(*) AS N FROM S GROUP BY ID;
                       CREATE STREAM T WITH (KAFKA_TOPIC='kill-out-${s}') AS SELECT ID, V FROM S;`);
      const child = await childEngine(serviceId, guarantee);
      await waitFor('partitions split', () => ((a.queryStatus('CSAS_T_1')?.assigned.length ?? 0) === 2 ? true : undefined), 60_000);
      const total = 6000;
      await produceLoad(`kill-in-${s}`, total, 200, async (c) => {
        if (c === 8) child.kill('SIGKILL');
      });
      // progress samples, so a timeout shows where the survivor stalled
      const samples: string[] = [];
      const sampler = setInterval(() => samples.push(`${a.queryStatus('CSAS_T_1')?.processed}/${a.queryStatus('CTAS_C_0')?.processed}@${a.queryStatus('CSAS_T_1')?.assigned.join('')}`), 2_000);
      const status = () => JSON.stringify({ T: a.queryStatus('CSAS_T_1'), Tm: a.runner('CSAS_T_1')?.metricState, C: a.queryStatus('CTAS_C_0'), Cm: a.runner('CTAS_C_0')?.metricState, errors: a.errors, samples });
      let missing = '';
      const out = await readTopic(admin, `kill-out-${s}`, (seen) => {
        const got = new Set(values(seen));
        const lost = Array.from({ length: total }, (_, i) => i).filter((i) => !got.has(i));
        missing = `${lost.length} missing: ${lost.slice(0, 40).join(',')}`;
        return got.size >= total;
      }, `every record after the kill (${status()})`, 90_000).catch((e: Error) => {
        throw new Error(`${e.message}; ${missing}; now ${status()}`);
      }).finally(() => clearInterval(sampler));
      expect(new Set(values(out)).size).toBe(total);
      // counts per key: at least (ALOS) or exactly (EOS) the number of records with that key
      let short = '';
      const counts = await readTopic(admin, `kill-count-${s}`, (seen) => {
        const last = new Map<string, number>();
        for (const r of seen) last.set(r.key!.toString(), JSON.parse(r.value!.toString()).N);
        short = `${last.size} keys; below ${Math.floor(total / 97)}: ${[...last].filter(([, n]) => n < Math.floor(total / 97)).map(([k, n]) => `${k}=${n}`).join(' ')}`;
        return last.size === 97 && [...last.values()].every((n) => n >= Math.floor(total / 97));
      }, 'counts', 90_000).catch((e: Error) => {
        throw new Error(`${e.message}: ${short}; ${status()}`);
      });
      const last = new Map<string, number>();
      for (const r of counts) last.set(r.key!.toString(), JSON.parse(r.value!.toString()).N);
      const expected = (k: number) => Math.floor(total / 97) + (k < total % 97 ? 1 : 0);
      if (guarantee === 'exactly_once_v2') {
        expect(out).toHaveLength(total);
        for (let k = 0; k < 97; k++) expect(last.get(JSON.stringify(`k${k}`)), `k${k}`).toBe(expected(k));
      } else {
        for (let k = 0; k < 97; k++) expect(last.get(JSON.stringify(`k${k}`))!, `k${k}`).toBeGreaterThanOrEqual(expected(k));
      }
      console.log(`[kill ${guarantee}] outputs ${out.length} for ${total} inputs (${out.length - total} duplicates)`);
    }, 180_000);
  }
});
