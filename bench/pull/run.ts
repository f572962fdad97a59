/**
 * `npm run bench:pull`: pull-query key lookups on a table served from state
 * (issue 11: p99 under 10 ms on the process that owns the key, under 20 ms
 * when the request is forwarded to the owner; no consumer group per query).
 *
 * 1. Two `ksetl server` processes of one service (child processes: each its
 *    own heap and event loop, as two pods) on a real broker.
 * 2. `CREATE TABLE T AS SELECT ID, COUNT(*), SUM(V) ... GROUP BY ID` over a
 *    stream (4 partitions), running on both servers (half of its partitions
 *    on each), then N records with N distinct keys: a table of N keys,
 *    loaded once every update reached the table's topic.
 * 3. Key lookups (`SELECT * FROM T WHERE ID = '<key>';` on POST /query) from
 *    this process to server A, for random keys, classified by where the
 *    key's partition lives (the query's consumer group: local to A, or
 *    forwarded to B): one at a time for the latency percentiles, then
 *    `--concurrency` at a time for lookups per second. Every answer is checked.
 * 4. The service's consumer groups before and after the lookups (admin
 *    listGroups): the pull queries must create none.
 *
 * Latency is measured one lookup at a time (concurrency 1: what a lookup
 * costs, without queueing behind others); throughput with `--concurrency`
 * lookups in flight, with its own percentiles (queueing included). The
 * machine's load average is recorded before and after each phase: on a
 * shared machine the figures mean little without it.
 *
 * Usage: tsx bench/pull/run.ts [--keys 1000000] [--lookups 2000] [--seconds 5] [--concurrency 8] [--cpu-prof DIR]
 * --cpu-prof DIR: each server writes a V8 CPU profile of the one-at-a-time
 *   lookups (local and forwarded, each on its own) to DIR
 *   (read with `npx tsx bench/harness/cpu-profile.ts FILE`).
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
import { Session } from 'node:inspector/promises';
import { Agent, request } from 'node:http';
import { kafkajsPort } from '../../engine/kafka/kafkajs-port.js';
import { queryGroupId } from '../../engine/kafka/names.js';
import type { KafkaPort } from '../../engine/kafka/port.js';
import { murmur2Partition } from '../../engine/driver/broker.js';
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
    'cpu-prof': { type: 'string' },
    server: { type: 'string' },
  },
});
const PARTITIONS = 4;

/** `--server <json>`: one ksetl server in this process until SIGTERM; prints `URL <url>` once listening. */
async function serve(o: { bootstrap: string; serviceId: string; cpuProfileDir?: string }): Promise<void> {
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
  if (o.cpuProfileDir) {
    // SIGUSR2 starts a CPU profile, the next one writes it (prints `PROFILE <file>`)
    const dir = o.cpuProfileDir;
    const session = new Session();
    session.connect();
    let profiling = false;
    let n = 0;
    process.on('SIGUSR2', () => {
      void (async () => {
        if (!profiling) {
          profiling = true;
          await session.post('Profiler.enable');
          await session.post('Profiler.setSamplingInterval', { interval: 200 });
          await session.post('Profiler.start');
          console.log('PROFILING');
          return;
        }
        profiling = false;
        const { profile } = await session.post('Profiler.stop');
        mkdirSync(dir, { recursive: true });
        const file = join(dir, `pull-server-${process.pid}-${++n}.cpuprofile`);
        writeFileSync(file, JSON.stringify(profile));
        console.log(`PROFILE ${file}`);
      })();
    });
  }
  process.on('SIGTERM', () => void running.close().finally(() => process.exit(0)));
}

interface Child {
  readonly child: ChildProcess;
  readonly url: string;
  /** resolves with the first line the child prints after this call that matches */
  nextLine(re: RegExp): Promise<string>;
}

async function startChild(bootstrap: string, serviceId: string, cpuProfileDir: string | undefined): Promise<Child> {
  const options = { bootstrap, serviceId, ...(cpuProfileDir ? { cpuProfileDir } : {}) };
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--server', JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const waiting: { re: RegExp; resolve: (line: string) => void }[] = [];
  let out = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    const lines = out.split('\n');
    out = lines.pop()!;
    for (const line of lines) {
      const i = waiting.findIndex((w) => w.re.test(line));
      if (i >= 0) waiting.splice(i, 1)[0]!.resolve(line);
    }
  });
  const nextLine = (re: RegExp): Promise<string> =>
    new Promise((resolve, reject) => {
      waiting.push({ re, resolve });
      child.once('exit', (code) => reject(new Error(`server exited (${code})`)));
    });
  const url = (await nextLine(/^URL \S+$/)).slice(4);
  return { child, url, nextLine };
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

/** Connections to the servers stay open (as a client library's pool would keep them). */
const agent = new Agent({ keepAlive: true, maxSockets: 64 });

/** A POST over node's http client (fetch costs this process several times the CPU, which the servers then lack on a small machine). */
function post(url: string, path: string, body: unknown): Promise<{ status: number; text: string }> {
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(data);
  });
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
  const loadAverageAtStart = loadAverage();
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
    // Both servers run the query before any record arrives: a rebalance while the table
    // loads may process records twice (at-least-once), and every answer is checked.
    const [a, b] = await Promise.all([startChild(broker.bootstrap, serviceId, values['cpu-prof']), startChild(broker.bootstrap, serviceId, values['cpu-prof'])]);
    children.push(a.child, b.child);
    const created = await post(a.url, '/ksql', {
      ksql: `CREATE STREAM S (ID STRING KEY, V INT) WITH (KAFKA_TOPIC='${topic}', VALUE_FORMAT='JSON');
             CREATE TABLE T WITH (KAFKA_TOPIC='${sink}', PARTITIONS=${PARTITIONS}) AS SELECT ID, COUNT(*) AS N, SUM(V) AS TOTAL FROM S GROUP BY ID;`,
      streamsProperties: {},
    });
    if (created.status !== 200) throw new Error(created.text);
    const queryId = (JSON.parse(created.text) as { commandStatus?: { queryId?: string } }[])[1]!.commandStatus!.queryId!;
    // who owns which partition: the query's group, as the servers see it
    const owners = new Map<number, string>();
    for (let tries = 0; ; tries++) {
      owners.clear();
      for (const m of await admin.admin.describeGroup!(queryGroupId(serviceId, queryId))) for (const tp of m.assignment) owners.set(tp.partition, m.memberInfo);
      if (new Set(owners.values()).size === 2 && owners.size === PARTITIONS) break;
      if (tries > 600) throw new Error(`partitions not split over the two servers: ${JSON.stringify([...owners])}`);
      await new Promise((r) => setTimeout(r, 200));
    }

    const loadStarted = Date.now();
    await load(admin, topic, keys);
    const loadSeconds = (Date.now() - loadStarted) / 1000;
    console.log(`${keys} records (distinct keys) loaded in ${loadSeconds.toFixed(1)} s`);
    // every key's update written to the table's topic (one per record: each key has one)
    for (let last = Date.now(); ; ) {
      const written = (await admin.admin.fetchWatermarks(sink)).reduce((n, w) => n + w.high, 0);
      if (written >= keys) break;
      if (Date.now() - last > 10_000) {
        last = Date.now();
        console.log(`  table: ${written}/${keys} updates written`);
      }
      if (Date.now() - loadStarted > 900_000) throw new Error(`table not loaded: ${written}/${keys}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const tableSeconds = (Date.now() - loadStarted) / 1000;
    console.log(`table of ${keys} keys materialized on two servers ${tableSeconds.toFixed(1)} s after the load started`);
    // the group as it is now (a rebalance meanwhile would have moved partitions)
    owners.clear();
    for (const m of await admin.admin.describeGroup!(queryGroupId(serviceId, queryId))) for (const tp of m.assignment) owners.set(tp.partition, m.memberInfo);
    if (new Set(owners.values()).size !== 2 || owners.size !== PARTITIONS) throw new Error(`partitions not split over the two servers: ${JSON.stringify([...owners])}`);
    // GROUP BY the stream's key: no repartition, a group stays in the partition the producer chose (murmur2 of the key's bytes)
    const isLocal = (i: number): boolean => owners.get(murmur2Partition(Buffer.from(keyOf(i)), PARTITIONS)) === a.url;
    const randomKey = (local: boolean): number => {
      for (;;) {
        const i = Math.floor(Math.random() * keys);
        if (isLocal(i) === local) return i;
      }
    };

    const groupsBefore = new Set((await admin.admin.listGroups!()).filter((g) => g.includes(serviceId)));
    // warm up both paths (JIT, connections)
    for (let n = 0; n < 200; n++) await lookup(a.url, randomKey(n % 2 === 0));
    const profileDir = values['cpu-prof'];
    const profiles: string[] = [];
    const results: Record<string, unknown>[] = [];
    for (const local of [true, false]) {
      const kind = local ? 'local' : 'forwarded';
      // latency: one lookup at a time
      if (profileDir) await Promise.all([a, b].map((c) => (c.child.kill('SIGUSR2'), c.nextLine(/^PROFILING$/))));
      const loadBefore = loadAverage();
      const ms: number[] = [];
      const cpuBefore = serverCpu(children);
      const clientCpu = process.cpuUsage();
      const latencyStarted = performance.now();
      for (let n = 0; n < lookups; n++) ms.push(await lookup(a.url, randomKey(local)));
      const latencySeconds = (performance.now() - latencyStarted) / 1000;
      const cpuAfter = serverCpu(children);
      const serverCpuMsPerLookup = round((cpuAfter.user + cpuAfter.system - cpuBefore.user - cpuBefore.system) / lookups);
      // the kernel's part (sockets, scheduling): on a loaded machine a loopback write costs far more than the JS around it
      const serverSystemCpuMsPerLookup = round((cpuAfter.system - cpuBefore.system) / lookups);
      const client = process.cpuUsage(clientCpu);
      const clientCpuMsPerLookup = round((client.user + client.system) / 1000 / lookups);
      if (profileDir) for (const line of await Promise.all([a, b].map((c) => (c.child.kill('SIGUSR2'), c.nextLine(/^PROFILE /))))) profiles.push(`${kind}: ${line.slice(8)}`);
      const latency = { concurrency: 1, lookups, ...percentiles(ms), lookupsPerSec: Math.round(lookups / latencySeconds), serverCpuMsPerLookup, serverSystemCpuMsPerLookup, clientCpuMsPerLookup, loadAverage: { before: loadBefore, after: loadAverage() } };
      // throughput: `concurrency` lookups in flight
      const throughputLoadBefore = loadAverage();
      const inFlightMs: number[] = [];
      const until = Date.now() + seconds * 1000;
      const started = performance.now();
      const cpuBeforeThroughput = serverCpu(children);
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (Date.now() < until) inFlightMs.push(await lookup(a.url, randomKey(local)));
        }),
      );
      const done = inFlightMs.length;
      const throughput = { concurrency, seconds, lookups: done, lookupsPerSec: Math.round(done / ((performance.now() - started) / 1000)), ...percentiles(inFlightMs), serverCpuMsPerLookup: round((total(serverCpu(children)) - total(cpuBeforeThroughput)) / done), loadAverage: { before: throughputLoadBefore, after: loadAverage() } };
      const r = { kind, target: { p99Ms: local ? 10 : 20 }, latency, throughput };
      results.push(r);
      console.log(
        `${kind}: one at a time p50 ${latency.p50Ms} ms, p90 ${latency.p90Ms} ms, p99 ${latency.p99Ms} ms (${lookups} lookups; servers' CPU ${serverCpuMsPerLookup} ms (kernel ${serverSystemCpuMsPerLookup}), client's ${clientCpuMsPerLookup} ms per lookup; load ${latency.loadAverage.before[0]} -> ${latency.loadAverage.after[0]}); ` +
          `${throughput.lookupsPerSec} lookups/s with ${concurrency} in flight (p50 ${throughput.p50Ms} ms, p99 ${throughput.p99Ms} ms; load ${throughput.loadAverage.after[0]})`,
      );
    }
    for (const p of profiles) console.log(`CPU profile, ${p}`);
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
          command: `npm run bench:pull -- --keys ${keys} --lookups ${lookups} --seconds ${seconds} --concurrency ${concurrency}${values['cpu-prof'] ? ' --cpu-prof DIR' : ''}`,
          keys,
          partitions: PARTITIONS,
          servers: 2,
          loadSeconds,
          tableSecondsFromLoadStart: tableSeconds,
          consumerGroupsCreated: newGroups.length,
          // load averages (1, 5, 15 minutes) at the start of the run and at its end; each phase has its own in results
          machine: { cpus: cpus().length, cpu: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), loadAverageAtStart, loadAverageAtEnd: loadAverage() },
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

/** The machine's load averages over 1, 5 and 15 minutes. */
const loadAverage = (): number[] => loadavg().map((x) => Number(x.toFixed(2)));

function percentiles(ms: number[]): { p50Ms: number; p90Ms: number; p99Ms: number; maxMs: number } {
  const sorted = [...ms].sort((x, y) => x - y);
  return { p50Ms: round(percentile(sorted, 50)), p90Ms: round(percentile(sorted, 90)), p99Ms: round(percentile(sorted, 99)), maxMs: round(sorted[sorted.length - 1]!) };
}

/** CPU time (user and system, ms) of the server processes so far, from /proc (clock ticks of 10 ms). */
function serverCpu(children: readonly ChildProcess[]): { user: number; system: number } {
  let user = 0;
  let system = 0;
  for (const c of children) {
    try {
      // the fields after the command name (which may hold spaces) start at the last ')'
      const fields = readFileSync(`/proc/${c.pid}/stat`, 'utf8').split(')').pop()!.trim().split(' ');
      user += Number(fields[11]) * 10;
      system += Number(fields[12]) * 10;
    } catch {
      return { user: Number.NaN, system: Number.NaN };
    }
  }
  return { user, system };
}

const total = (c: { user: number; system: number }): number => c.user + c.system;

function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: dirname(fileURLToPath(import.meta.url)), encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

if (values.server) await serve(JSON.parse(values.server) as { bootstrap: string; serviceId: string; cpuProfileDir?: string });
else await main();
