/**
 * `npm run bench:restore`: how long a Kafka engine process takes to restore a
 * large table's state store from its changelog topic (issue 3: a 1M-key table
 * restores in under 10 s).
 *
 * 1. An engine runs a stream-table join (RATINGS ⋈ CUSTOMERS); CUSTOMERS gets
 *    N distinct keys, so the table's store (and its changelog) holds N entries
 *    (the join reads the table source's store: one store since issue 11).
 * 2. That engine closes; a new process of the same service (a child process:
 *    a fresh heap, as a restarted pod has) starts, replays the command log and
 *    restores the store from the changelog before processing.
 *    The figure is the time from the new engine's start until its tasks are
 *    restored and running (it includes the command-log replay and the
 *    consumer-group join).
 *
 * 3. That process, run with `ksql.streams.state.dir`, checkpoints its stores
 *    to local disk when it closes; a third start loads the checkpoint and
 *    replays only the changelog after it (a restart on the same disk).
 *
 * Each figure is wall time; `cpuSeconds` (this process's CPU time over the
 * same span) is steadier on a shared machine.
 *
 * Usage: tsx bench/restore/run.ts [--keys 1000000]
 * KSETL_KAFKA_BOOTSTRAP: use a running broker; otherwise one is started.
 * Results: bench/results/kafka-restore-<date>[-n].json.
 */
import { randomBytes } from 'node:crypto';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { KafkaEngine } from '../../engine/kafka/kafka-engine.js';
import { kafkajsPort } from '../../engine/kafka/kafkajs-port.js';
import type { KafkaPort } from '../../engine/kafka/port.js';
import { tuneYoungGeneration } from '../../engine/server/heap.js';
import { startKafka } from '../../test/infra/kafka/broker.js';

// the young generation an engine server process runs with (engine/server/heap.ts)
const semiSpaceMb = tuneYoungGeneration();

const { values } = parseArgs({ options: { keys: { type: 'string', default: '1000000' }, restart: { type: 'string' } } });
const keys = Number(values.keys);
const PARTITIONS = 4;
const s = randomBytes(3).toString('hex');
const serviceId = `restore_${s}_`;

async function load(port: KafkaPort, topic: string, n: number): Promise<void> {
  const producer = await port.producer();
  const chunk = 2000;
  const inFlight: Promise<unknown>[] = [];
  for (let c = 0; c * chunk < n; c++) {
    const batch = [];
    for (let i = c * chunk; i < Math.min(n, (c + 1) * chunk); i++) {
      const value = { FIRST_NAME: `first${i}`, LAST_NAME: `last${i}`, EMAIL: `c${i}@example.com`, CLUB_STATUS: i % 4 === 0 ? 'platinum' : 'gold' };
      batch.push({ topic, key: Buffer.from(String(i)), value: Buffer.from(JSON.stringify(value)), timestamp: 1_600_000_000_000 });
    }
    inFlight.push(producer.send(batch));
    if (inFlight.length >= 4) await inFlight.shift();
  }
  await Promise.all(inFlight);
  await producer.close();
}

async function waitUntil(what: string, check: () => boolean, timeoutMs: number, report?: () => string): Promise<void> {
  const started = Date.now();
  let last = started;
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out: ${what}${report ? ` (${report()})` : ''}`);
    if (report && Date.now() - last > 10_000) {
      last = Date.now();
      console.log(`  ${what}: ${report()}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface Restart {
  readonly from: 'changelog' | 'local checkpoint';
  readonly bootstrap: string;
  readonly serviceId: string;
  readonly queryId: string;
  readonly stateDir: string;
  readonly keys: number;
  /** store entries the first engine materialized */
  readonly entries: number;
}

/** One restart in this process (`--restart <json>`): prints `RESULT <json>` once restored, running and closed again. */
async function restart(r: Restart): Promise<void> {
  const { queryId: id } = r;
  // the machine is shared: the load when the restart begins says how far wall time is from CPU time
  const loadAverage1m = Number(loadavg()[0]!.toFixed(1));
  const restartStarted = Date.now();
  const cpuStarted = process.cpuUsage();
  const engine = await KafkaEngine.start({ port: kafkajsPort({ brokers: r.bootstrap, logLevel: 'nothing' }), serviceId: r.serviceId, properties: { 'ksql.streams.auto.offset.reset': 'earliest', 'ksql.streams.state.dir': r.stateDir } });
  const restored = (): number => [...(engine.runner(id)?.storeEntries().values() ?? [])].reduce((a, b) => a + b, 0);
  await waitUntil(`restoring from the ${r.from}`, () => engine.runner(id)?.metricState === 'RUNNING' && (engine.queryStatus(id)?.assigned.length ?? 0) === PARTITIONS && restored() >= r.entries, 300_000, () => `${engine.queryStatus(id)?.restored} changelog records replayed, ${restored()} entries, ${engine.runner(id)?.metricState}`);
  const secs = (Date.now() - restartStarted) / 1000;
  const cpu = process.cpuUsage(cpuStarted);
  const cpuSeconds = Number(((cpu.user + cpu.system) / 1e6).toFixed(2));
  const replayed = engine.queryStatus(id)?.restored ?? 0;
  const result = { from: r.from, keys: r.keys, stores: r.entries / r.keys, entries: restored(), changelogRecordsReplayed: replayed, seconds: secs, cpuSeconds, loadAverage1m, entriesPerSec: Math.round(restored() / secs) };
  const internal = engine.runner(id)?.internalTopics ?? [];
  const closeStarted = Date.now();
  await engine.close();
  await engine.port.close();
  console.log(`RESULT ${JSON.stringify({ result, closeSeconds: (Date.now() - closeStarted) / 1000, internal })}`);
}

/** Runs `restart` in a child process (a fresh heap, as a restarted pod has). */
async function restartInNewProcess(r: Restart): Promise<{ result: Record<string, unknown>; closeSeconds: number; internal: string[] }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--restart', JSON.stringify(r)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    for (const line of d.toString().split('\n')) if (line.trim() && !line.startsWith('RESULT ')) console.log(line);
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  const line = out.split('\n').find((l) => l.startsWith('RESULT '));
  if (code !== 0 || !line) throw new Error(`restart from the ${r.from} failed (exit ${code})`);
  return JSON.parse(line.slice('RESULT '.length)) as { result: Record<string, unknown>; closeSeconds: number; internal: string[] };
}

async function main(): Promise<void> {
  const given = process.env['KSETL_KAFKA_BOOTSTRAP'];
  const broker = given ? { bootstrap: given, stop: async () => {} } : await startKafka();
  const stateDir = mkdtempSync(join(tmpdir(), 'ksetl-restore-bench-'));
  const properties: Record<string, string> = { 'ksql.streams.auto.offset.reset': 'earliest' };
  const results: Record<string, unknown>[] = [];
  try {
    const admin = kafkajsPort({ brokers: broker.bootstrap, logLevel: 'nothing' });
    const loadStarted = Date.now();
    // 2020 timestamps: keep them from the 7-day retention
    await admin.admin.createTopics([`customers-${s}`, `ratings-${s}`].map((name) => ({ name, partitions: PARTITIONS, config: { 'retention.ms': '-1' } })));
    await load(admin, `customers-${s}`, keys);
    console.log(`${keys} customers loaded in ${((Date.now() - loadStarted) / 1000).toFixed(1)} s`);

    // 1. materialize the table in its store (and its changelog), which the join reads
    const first = await KafkaEngine.start({ port: kafkajsPort({ brokers: broker.bootstrap, logLevel: 'nothing' }), serviceId, properties });
    await first.execute(`CREATE TABLE CUSTOMERS (ID STRING PRIMARY KEY, FIRST_NAME STRING, LAST_NAME STRING, EMAIL STRING, CLUB_STATUS STRING) WITH (KAFKA_TOPIC='customers-${s}', VALUE_FORMAT='JSON');
                         CREATE STREAM RATINGS (K STRING KEY, STARS INT) WITH (KAFKA_TOPIC='ratings-${s}', VALUE_FORMAT='JSON');`);
    const materializeStarted = Date.now();
    const [q] = await first.execute(`CREATE STREAM ENRICHED AS SELECT R.K AS K, R.STARS, C.CLUB_STATUS FROM RATINGS R LEFT JOIN CUSTOMERS C ON R.K = C.ID;`);
    const id = q!.queryId!;
    await waitUntil('materializing', () => (first.queryStatus(id)?.processed ?? 0) >= keys, 600_000, () => `${first.queryStatus(id)?.processed}/${keys}`);
    const materializeSecs = (Date.now() - materializeStarted) / 1000;
    const entries = [...(first.runner(id)?.storeEntries().values() ?? [])].reduce((a, b) => a + b, 0);
    console.log(`materialized ${entries} store entries in ${materializeSecs.toFixed(1)} s; changelog topics: ${first.runner(id)?.internalTopics.join(', ')}`);
    await first.close();
    await first.port.close();

    // 2. a new process restores from the changelog; 3. one on the same disk from its checkpoint
    let internal: string[] = [];
    for (const from of ['changelog', 'local checkpoint'] as const) {
      const r = await restartInNewProcess({ from, bootstrap: broker.bootstrap, serviceId, queryId: id, stateDir, keys, entries });
      const x = r.result;
      console.log(`restart from the ${from}: ${x['entries']} entries (${x['stores']} stores of ${keys} keys) ready in ${Number(x['seconds']).toFixed(2)} s (${x['cpuSeconds']} CPU s), ${x['changelogRecordsReplayed']} changelog records replayed`);
      if (from === 'changelog') console.log(`  close with checkpoint: ${r.closeSeconds.toFixed(2)} s`);
      results.push(x);
      internal = r.internal;
    }
    results.push({ materializeSeconds: materializeSecs });
    await admin.admin.deleteTopics([`customers-${s}`, `ratings-${s}`, ...internal]).catch(() => {});
    await admin.close();
  } finally {
    await broker.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
  const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'results');
  mkdirSync(dir, { recursive: true });
  const date = new Date().toISOString().slice(0, 10);
  // a second run on one day writes kafka-restore-<date>-2.json and so on (earlier files are kept)
  let file = join(dir, `kafka-restore-${date}.json`);
  for (let n = 2; existsSync(file); n++) file = join(dir, `kafka-restore-${date}-${n}.json`);
  writeFileSync(
    file,
    JSON.stringify({ date, node: process.version, commit: gitCommit(), semiSpaceMb, partitions: PARTITIONS, machine: { cpus: cpus().length, cpu: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), loadAverage1m: Number(loadavg()[0]!.toFixed(1)) }, results }, null, 2) + '\n',
  );
  console.log(`results: ${file}`);
}

function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: dirname(fileURLToPath(import.meta.url)), encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

if (values.restart) await restart(JSON.parse(values.restart) as Restart);
else await main();
