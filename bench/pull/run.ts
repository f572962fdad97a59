/**
 * `npm run bench:pull`: pull-query key lookups on a table served from state
 * (issue 11: p99 under 10 ms on the process that owns the key, under 20 ms
 * when the request is forwarded to the owner; no consumer group per query).
 *
 * 1. Two `ksetl server` processes of one service (child processes: each its
 *    own heap and event loop, as two pods) on a real broker.
 * 2. A stream of N records with N distinct keys (4 partitions) and
 *    `CREATE TABLE T AS SELECT ID, COUNT(*), SUM(V) ... GROUP BY ID`: a table
 *    of N keys, half of its partitions on each server. Loaded once every
 *    update reached the table's topic.
 * 3. Key lookups (`SELECT * FROM T WHERE ID = '<key>';` on POST /query) from
 *    this process to server A, for random keys, classified by where the
 *    key's partition lives (the query's consumer group: local to A, or
 *    forwarded to B): one at a time for the latency percentiles, then
 *    `--concurrency` at a time for lookups per second. Every answer is checked.
 * 4. The service's consumer groups before and after the lookups (admin
 *    listGroups): the pull queries must create none.
 *
 * Usage: tsx bench/pull/run.ts [--keys 1000000] [--lookups 2000] [--seconds 5] [--concurrency 8]
 * KSETL_KAFKA_BOOTSTRAP: use a running broker; otherwise one is started.
 * Results: bench/results/pull-<date>[-n].json.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { kafkajsPort } from '../../engine/kafka/kafkajs-port.js';
import { queryGroupId } from '../../engine/kafka/names.js';
import type { KafkaPort } from '../../engine/kafka/port.js';
import { groupPartition } from '../../engine/kafka/pull-store.js';
import { startServer } from '../../engine/kafka/server-main.js';
import { tuneYoungGeneration } from '../../engine/server/heap.js';
import { startKafka } from '../../test/infra/kafka/broker.js';

const semiSpaceMb = tuneYoungGeneration();
const { values } = parseArgs({
  options: {
    keys: { type: 'string', default: '1000000' },
    lookups: { type: 'string', default: '2000' },
    seconds: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '8' },
    server: { type: 'string' },
  },
});
const PARTITIONS = 4;

/** `--server <json>`: one ksetl server in this process until SIGTERM; prints `URL <url>` once listening. */
async function serve(o: { bootstrap: string; serviceId: string }): Promise<void> {
  const running = await startServer({
    env: {
      KSQL_BOOTSTRAP_SERVERS: o.bootstrap,
      KSQL_KSQL_SERVICE_ID: o.serviceId,
      KSQL_LISTENERS: 'http://127.0.0.1:0',
      KSQL_KSQL_STREAMS_AUTO_OFFSET_RESET: 'earliest',
      KSETL_LOG_LEVEL: 'warn',
    },
  });
  console.log(`URL ${running.url}`);
  process.on('SIGTERM', () => void running.close().finally(() => process.exit(0)));
}

async function startChild(bootstrap: string, serviceId: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--server', JSON.stringify({ bootstrap, serviceId })], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^URL (\S+)$/m.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`server exited (${code}) before listening: ${out.slice(-500)}`)));
  });
  return { child, url };
}

async function load(port: KafkaPort, topic: string, n: number): Promise<void> {
  const producer = await port.producer();
  const chunk = 5000;
  const inFlight: Promise<unknown>[] = [];
  for (let c = 0; c * chunk < n; c++) {
    const batch = [];
    for (let i = c * chunk; i < Math.min(n, (c + 1) * chunk); i++) batch.push({ topic, key: Buffer.from(keyOf(i)), value: Buffer.from(`{"V":${i}}`), timestamp: 1_600_000_000_000 });
    inFlight.push(producer.send(batch));
    if (inFlight.length >= 4) await inFlight.shift();
  }
  await Promise.all(inFlight);
  await producer.close();
}

const keyOf = (i: number): string => `k${i}`;

async function post(url: string, path: string, body: unknown): Promise<{ status: number; text: string }> {
  const r = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: r.status, text: await r.text() };
}

/** One key lookup; checks the row (key i has COUNT 1 and SUM i). */
async function lookup(url: string, i: number): Promise<number> {
  const started = performance.now();
  const r = await post(url, '/query', { ksql: `SELECT * FROM T WHERE ID = '${keyOf(i)}';`, streamsProperties: {} });
  const ms = performance.now() - started;
  const rows = (JSON.parse(r.text) as { row?: { columns: unknown[] } }[]).flatMap((x) => (x.row ? [x.row.columns] : []));
  if (r.status !== 200 || rows.length !== 1 || rows[0]![0] !== keyOf(i) || rows[0]![1] !== 1 || rows[0]![2] !== i) throw new Error(`lookup of ${keyOf(i)}: ${r.status} ${r.text.slice(0, 300)}`);
  return ms;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function main(): Promise<void> {
  const keys = Number(values.keys);
  const lookups = Number(values.lookups);
  const seconds = Number(values.seconds);
  const concurrency = Number(values.concurrency);
  const given = process.env['KSETL_KAFKA_BOOTSTRAP'];
  const broker = given ? { bootstrap: given, stop: async () => {} } : await startKafka();
  const s = randomBytes(3).toString('hex');
  const serviceId = `pullbench_${s}_`;
  const topic = `pull-bench-${s}`;
  const sink = `pull-bench-out-${s}`;
  const children: ChildProcess[] = [];
  const admin = kafkajsPort({ brokers: broker.bootstrap, logLevel: 'nothing' });
  try {
    await admin.admin.createTopics([{ name: topic, partitions: PARTITIONS, config: { 'retention.ms': '-1' } }]);
    const loadStarted = Date.now();
    await load(admin, topic, keys);
    const loadSeconds = (Date.now() - loadStarted) / 1000;
    console.log(`${keys} records (distinct keys) loaded in ${loadSeconds.toFixed(1)} s`);

    const a = await startChild(broker.bootstrap, serviceId);
    children.push(a.child);
    const created = await post(a.url, '/ksql', {
      ksql: `CREATE STREAM S (ID STRING KEY, V INT) WITH (KAFKA_TOPIC='${topic}', VALUE_FORMAT='JSON');
             CREATE TABLE T WITH (KAFKA_TOPIC='${sink}', PARTITIONS=${PARTITIONS}) AS SELECT ID, COUNT(*) AS N, SUM(V) AS TOTAL FROM S GROUP BY ID;`,
      streamsProperties: {},
    });
    if (created.status !== 200) throw new Error(created.text);
    const queryId = (JSON.parse(created.text) as { commandStatus?: { queryId?: string } }[])[1]!.commandStatus!.queryId!;
    const b = await startChild(broker.bootstrap, serviceId);
    children.push(b.child);
    const tableStarted = Date.now();
    // every key's update written to the table's topic (one per record: each key has one)
    for (let last = Date.now(); ; ) {
      const written = (await admin.admin.fetchWatermarks(sink)).reduce((n, w) => n + w.high, 0);
      if (written >= keys) break;
      if (Date.now() - last > 10_000) {
        last = Date.now();
        console.log(`  table: ${written}/${keys} updates written`);
      }
      if (Date.now() - tableStarted > 900_000) throw new Error(`table not loaded: ${written}/${keys}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const tableSeconds = (Date.now() - tableStarted) / 1000;
    console.log(`table of ${keys} keys materialized on two servers in ${tableSeconds.toFixed(1)} s`);

    // who owns which partition: the query's group, as the servers see it
    const owners = new Map<number, string>();
    for (let tries = 0; ; tries++) {
      owners.clear();
      for (const m of await admin.admin.describeGroup!(queryGroupId(serviceId, queryId))) for (const tp of m.assignment) owners.set(tp.partition, m.memberInfo);
      if (new Set(owners.values()).size === 2 && owners.size === PARTITIONS) break;
      if (tries > 300) throw new Error(`partitions not split over the two servers: ${JSON.stringify([...owners])}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const isLocal = (i: number): boolean => owners.get(groupPartition([keyOf(i)], PARTITIONS)) === a.url;
    const randomKey = (local: boolean): number => {
      for (;;) {
        const i = Math.floor(Math.random() * keys);
        if (isLocal(i) === local) return i;
      }
    };

    const groupsBefore = new Set((await admin.admin.listGroups!()).filter((g) => g.includes(serviceId)));
    // warm up both paths (JIT, connections)
    for (let n = 0; n < 200; n++) await lookup(a.url, randomKey(n % 2 === 0));
    const results: Record<string, unknown>[] = [];
    for (const local of [true, false]) {
      const kind = local ? 'local' : 'forwarded';
      const ms: number[] = [];
      const cpuBefore = serverCpuMs(children);
      const clientCpu = process.cpuUsage();
      for (let n = 0; n < lookups; n++) ms.push(await lookup(a.url, randomKey(local)));
      const serverCpuMsPerLookup = round((serverCpuMs(children) - cpuBefore) / lookups);
      const client = process.cpuUsage(clientCpu);
      const clientCpuMsPerLookup = round((client.user + client.system) / 1000 / lookups);
      ms.sort((x, y) => x - y);
      let done = 0;
      const until = Date.now() + seconds * 1000;
      const started = Date.now();
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (Date.now() < until) {
            await lookup(a.url, randomKey(local));
            done++;
          }
        }),
      );
      const perSec = Math.round(done / ((Date.now() - started) / 1000));
      const r = { kind, lookups, p50Ms: round(percentile(ms, 50)), p90Ms: round(percentile(ms, 90)), p99Ms: round(percentile(ms, 99)), maxMs: round(ms[ms.length - 1]!), serverCpuMsPerLookup, clientCpuMsPerLookup, concurrency, lookupsPerSec: perSec, loadAverage1m: Number(loadavg()[0]!.toFixed(1)), target: { p99Ms: local ? 10 : 20 } };
      results.push(r);
      console.log(`${kind}: p50 ${r.p50Ms} ms, p90 ${r.p90Ms} ms, p99 ${r.p99Ms} ms (${lookups} lookups one at a time; servers' CPU ${serverCpuMsPerLookup} ms per lookup); ${perSec} lookups/s with ${concurrency} in flight; load ${r.loadAverage1m}`);
    }
    const groupsAfter = (await admin.admin.listGroups!()).filter((g) => g.includes(serviceId));
    const newGroups = groupsAfter.filter((g) => !groupsBefore.has(g));
    console.log(`consumer groups of the service before the lookups: ${groupsBefore.size}, after: ${groupsAfter.length} (created: ${newGroups.length})`);

    const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'results');
    mkdirSync(dir, { recursive: true });
    const date = new Date().toISOString().slice(0, 10);
    let file = join(dir, `pull-${date}.json`);
    for (let n = 2; existsSync(file); n++) file = join(dir, `pull-${date}-${n}.json`);
    writeFileSync(
      file,
      JSON.stringify(
        {
          date,
          node: process.version,
          commit: gitCommit(),
          semiSpaceMb,
          command: `npm run bench:pull -- --keys ${keys} --lookups ${lookups} --seconds ${seconds} --concurrency ${concurrency}`,
          keys,
          partitions: PARTITIONS,
          servers: 2,
          loadSeconds,
          tableSeconds,
          consumerGroupsCreated: newGroups.length,
          machine: { cpus: cpus().length, cpu: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), loadAverage1m: Number(loadavg()[0]!.toFixed(1)) },
          results,
        },
        null,
        2,
      ) + '\n',
    );
    console.log(`results: ${file}`);
    await post(a.url, '/ksql', { ksql: `TERMINATE ${queryId};`, streamsProperties: {} });
    const internal = (await admin.admin.listTopics()).filter((t) => t.startsWith(queryGroupId(serviceId, queryId)));
    await admin.admin.deleteTopics([topic, sink, ...internal]).catch(() => {});
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
    await admin.close();
    await broker.stop();
  }
}

const round = (x: number): number => Number(x.toFixed(2));

/** CPU time (user + system) of the server processes so far, from /proc (clock ticks of 10 ms). */
function serverCpuMs(children: readonly ChildProcess[]): number {
  let ticks = 0;
  for (const c of children) {
    try {
      // the fields after the command name (which may hold spaces) start at the last ')'
      const fields = readFileSync(`/proc/${c.pid}/stat`, 'utf8').split(')').pop()!.trim().split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      return Number.NaN;
    }
  }
  return ticks * 10;
}

function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: dirname(fileURLToPath(import.meta.url)), encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

if (values.server) await serve(JSON.parse(values.server) as { bootstrap: string; serviceId: string });
else await main();
