/**
 * `npm run bench` — ksetl side by side with Kafka Streams on one real broker
 * (issue 6). `npm run bench -- --quick` (or `npm run bench:quick`) is the
 * short version (< 5 minutes).
 *
 * 1. builds bench/kstreams (Maven, cached in ~/.cache/ksetl) and starts a
 *    KRaft broker (test/infra/kafka);
 * 2. pre-loads the inputs (8 partitions, ~200 B JSON values, event time);
 * 3. throughput: per workload and variant, fresh output topics with
 *    LogAppendTime; records / (first → last output append time) once every
 *    source record is committed and the outputs stopped growing;
 * 4. latency: records offered live at a fixed rate, stamped with the send
 *    time, read back from the output: p50/p99;
 * 5. writes bench/results/bench-<date>.json and .md, and docs/charts/<workload>.svg
 *    (quick: bench-<date>-quick.*, charts in bench/results/charts-quick/).
 *
 * Options: --quick  --records N  --guarantee at_least_once|exactly_once_v2
 *          --workloads filter,join,...  --variants ksetl-1,kstreams-1t,...  --ceilings none|kafkajs-passthrough,...
 *          --rates 20000,50000  --latency-seconds S  --no-latency  --no-throughput  --out DIR
 *          (latency alone, ksetl alone, e.g. while tuning: --no-throughput --variants ksetl-1
 *          --latency-workloads filter,join,aggregate --rates 20000 --records 10000)
 *          KSETL_KAFKA_BOOTSTRAP=host:port uses that broker instead of starting one
 *          --cpu-prof DIR  (ksetl processes write V8 CPU profiles there; stopped with SIGTERM)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { startKafka } from '../../test/infra/kafka/broker.js';
import { jvmFlags, startVariant, type Running } from './engines.js';
import { JavaTool } from './java-tool.js';
import { percentile } from './stats.js';
import { waitDone } from './progress.js';
import { QUICK_WARNING, writeReports, type BenchResults, type LatencyResult, type ThroughputResult } from './report.js';
import { WORKLOADS, type Role, type Variant, type Workload } from './workloads.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const PARTITIONS = 8;
const CUSTOMERS = 100_000;

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    records: { type: 'string' },
    guarantee: { type: 'string', default: 'at_least_once' },
    workloads: { type: 'string' },
    variants: { type: 'string' },
    ceilings: { type: 'string' },
    rates: { type: 'string' },
    'latency-seconds': { type: 'string' },
    'latency-variants': { type: 'string' },
    'latency-workloads': { type: 'string' },
    'no-latency': { type: 'boolean', default: false },
    'no-throughput': { type: 'boolean', default: false },
    out: { type: 'string' },
    'cpu-prof': { type: 'string' },
  },
});
const quick = args.quick!;
const records = Number(args.records ?? (quick ? 40_000 : 1_000_000));
const guarantee = args.guarantee === 'exactly_once_v2' ? 'exactly_once_v2' : 'at_least_once';
const list = <T extends string>(v: string | undefined, d: readonly T[]): T[] => (v ? (v.split(',').map((s) => s.trim()) as T[]) : [...d]);
const workloads = list(args.workloads, WORKLOADS.map((w) => w.id)).map((id) => {
  const w = WORKLOADS.find((x) => x.id === id);
  if (!w) throw new Error(`unknown workload ${id}`);
  return w;
});
const variants = list<Variant>(args.variants, ['ksetl-1', 'ksetl-2', 'ksetl-2t', 'kstreams-1t', 'kstreams-2t']);
// quick: two processes / two threads only where a target names them (filter as the baseline, the A/B test)
const variantsOf = (w: Workload): Variant[] => (quick && !args.variants && w.id !== 'filter' && w.id !== 'abtest' ? variants.filter((v) => v.endsWith('-1') || v.endsWith('-1t')) : variants);
const ceilings = args.ceilings === 'none' ? [] : list<Variant>(args.ceilings, ['kafkajs-passthrough', 'platformatic-passthrough', 'java-passthrough']);
const rates = args['no-latency'] ? [] : list(args.rates, quick ? ['20000'] : ['20000', '50000']).map(Number);
const latencySeconds = Number(args['latency-seconds'] ?? (quick ? 6 : 10));
// The latency matrix is trimmed to keep `npm run bench` near 20 minutes on two cores:
// quick: the filter at 20k/s on one process / one thread; full: every workload at 20k/s and
// the filter and the A/B test at 50k/s, on ksetl 1 process and Kafka Streams 1 thread, plus
// ksetl 2 processes for the A/B test (its target: p99 < 100 ms at 50k/s with two processes).
const latencyVariantsFor = (w: Workload): Variant[] =>
  args['latency-variants']
    ? list<Variant>(args['latency-variants'], [])
    : (['ksetl-1', 'kstreams-1t', ...(!quick && w.id === 'abtest' ? ['ksetl-2' as const] : [])] as Variant[]).filter((v) => !args.variants || variants.includes(v));
const latencyWorkloadsGiven = args['latency-workloads'] ? new Set<string>(list<string>(args['latency-workloads'], [])) : null;
const latencyFor = (rate: number, w: Workload): boolean =>
  latencyWorkloadsGiven ? latencyWorkloadsGiven.has(w.id) : quick ? w.id === 'filter' : rate <= 20_000 || w.id === 'filter' || w.id === 'abtest';
const stallMs = quick ? 45_000 : 120_000;

const log = (m: string): void => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${m}`);

function machine(): BenchResults['machine'] {
  // `java -version` writes to stderr
  const sh = (c: string, a: string[]): string => {
    const r = spawnSync(c, a, { encoding: 'utf8' });
    return r.error ? '' : `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
  };
  const pom = readFileSync(join(root, 'test/infra/kafka/pom.xml'), 'utf8');
  return {
    cpus: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    java: sh('java', ['-version']).split('\n')[0] ?? '',
    kafka: process.env['KSETL_KAFKA_VERSION'] ?? /<kafka.version>(.*?)<\/kafka.version>/.exec(pom)?.[1] ?? '?',
    loadAverageAtStart: loadavg().map((x) => Math.round(x * 100) / 100),
    loadAverageAtEnd: [],
    pinned: sh('taskset', ['-V']) !== '',
  };
}

async function createTopics(admin: Admin, names: readonly string[], logAppendTime: boolean): Promise<void> {
  if (names.length === 0) return;
  // no waitForLeaders: kafkajs's wait loop can throw UNKNOWN_TOPIC_OR_PARTITION outside its
  // promise (an uncaught exception) while a new topic propagates; poll the metadata instead
  await admin.createTopics({
    waitForLeaders: false,
    topics: names.map((topic) => ({
      topic,
      numPartitions: PARTITIONS,
      replicationFactor: 1,
      // the records carry event times in 2023: without retention.ms=-1 the broker's retention
      // check deletes them mid-run
      configEntries: [{ name: 'retention.ms', value: '-1' }, ...(logAppendTime ? [{ name: 'message.timestamp.type', value: 'LogAppendTime' }] : [])],
    })),
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ok = await admin
      .fetchTopicMetadata({ topics: [...names] })
      .then((m) => m.topics.every((t) => t.partitions.length === PARTITIONS && t.partitions.every((p) => p.leader >= 0)))
      .catch(() => false);
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`topics ${names.join(', ')} have no leaders after 30 s`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

/** resolves once the engine is ready; throws as soon as it reports a failure (a query that failed to start stays failed) */
async function readyOrFailed(engine: Running, timeoutMs: number): Promise<void> {
  let ready = false;
  let error: unknown = null;
  engine.ready.then(
    () => (ready = true),
    (e: unknown) => (error = e ?? new Error('not ready')),
  );
  const deadline = Date.now() + timeoutMs;
  while (!ready) {
    if (error) throw error;
    const failed = engine.failure();
    if (failed) throw new Error(failed);
    if (Date.now() > deadline) throw new Error(`not ready after ${timeoutMs / 1000} s`);
    await new Promise((ok) => setTimeout(ok, 200));
  }
}

// a stray rejection (a child's promise settling after it was killed) must not end the whole run
process.on('unhandledRejection', (e) => log(`unhandled rejection (ignored): ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`));

async function main(): Promise<void> {
  const startedAt = new Date();
  const m = machine();
  if (quick) log(QUICK_WARNING);
  log(`mode ${quick ? 'quick' : 'full'}: ${records} records, ${guarantee}, workloads ${workloads.map((w) => w.id).join(',')}, variants ${variants.join(',')}; load average ${m.loadAverageAtStart.join(' ')}`);
  log('building bench/kstreams (cached)');
  const classpath = execFileSync('bash', [join(root, 'bench/kstreams/build.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  log('starting the broker');
  const given = process.env['KSETL_KAFKA_BOOTSTRAP'];
  const broker = given ? { bootstrap: given, stop: async (): Promise<void> => {} } : await startKafka();
  const tool = new JavaTool(jvmFlags(), classpath);
  const kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'bench-harness', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const throughput: ThroughputResult[] = [];
  const latency: LatencyResult[] = [];
  // on a given (shared) broker the run's input topics are deleted at the end
  const inputTopics: string[] = [];
  const running = new Set<Running>();
  const stopRunning = async (): Promise<void> => {
    await Promise.allSettled([...running].map((r) => r.stop()));
    running.clear();
  };
  const onSignal = (): void => void stopRunning().finally(() => broker.stop().finally(() => process.exit(130)));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const run = randomBytes(3).toString('hex');
    // ------------------------------------------------------------ inputs
    const inputs: Partial<Record<Role, string>> = {};
    const needed = new Set<Role>(['ratings']);
    for (const w of workloads) for (const r of [...w.streams, ...w.tables]) needed.add(r);
    for (const r of needed) inputs[r] = `bench-${r}-${run}`;
    inputTopics.push(...Object.values(inputs));
    await createTopics(admin, inputTopics, false);
    const sourceCount: Partial<Record<Role, number>> = {};
    for (const kind of ['filter', 'aggregate', 'abtest'] as const) {
      const roles: Role[] = kind === 'filter' ? ['ratings'] : kind === 'aggregate' ? ['transactions'] : ['requests', 'events'];
      if (!roles.every((r) => needed.has(r))) continue;
      const t = Object.fromEntries(roles.map((r) => [`t.${r}`, inputs[r]!]));
      const res = await tool.run('load', { workload: kind, bootstrap: broker.bootstrap, count: records, ...t }, 600_000);
      for (const r of roles) sourceCount[r] = records / roles.length;
      log(`loaded ${res.num('records')} records for ${roles.join('+')} (${res.num('avgValueBytes')} B values) in ${res.num('ms')} ms`);
    }
    if (needed.has('customers')) {
      const res = await tool.run('load', { workload: 'filter', bootstrap: broker.bootstrap, count: 0, customers: CUSTOMERS, 't.customers': inputs.customers! }, 600_000);
      log(`loaded ${res.num('records')} customers (${res.num('avgValueBytes')} B values)`);
    }

    // -------------------------------------------------------- throughput
    let n = 0;
    const measureOnce = async (w: Workload, v: Variant, roles: readonly Role[], label: string): Promise<ThroughputResult> => {
      const tag = `${run}${(n++).toString(36)}`;
      const topics: Partial<Record<Role, string>> = {};
      for (const r of roles) topics[r] = inputs[r]!;
      const between = w.between.map((r) => (topics[r] = `bench-${w.id}-${r}-${tag}`));
      topics.out = `bench-${w.id}-out-${tag}`;
      await createTopics(admin, between, false);
      await createTopics(admin, [topics.out], true);
      const sources = w.streams.map((r) => topics[r]!);
      const count = w.streams.reduce((a, r) => a + (sourceCount[r] ?? 0), 0);
      const base = { workload: label, variant: v, records: count };
      let engine: Running | null = null;
      let peak: number | null = null;
      let processes = 0;
      const t0 = Date.now();
      let startedAt = t0;
      let timings = '';
      const rss = (): void => {
        if (!engine) return;
        const values = engine.procs.map((p) => p.peakRssMiB()).filter((x): x is number => x !== null);
        if (values.length) peak = Math.max(peak ?? 0, ...values);
      };
      try {
        engine = await startVariant(v, w, { bootstrap: broker.bootstrap, guarantee, classpath, tag, topics, ...(args['cpu-prof'] ? { cpuProfileDir: args['cpu-prof'] } : {}) });
        startedAt = Date.now();
        running.add(engine);
        processes = engine.procs.length;
        const e = engine;
        const done = await waitDone(admin, engine.groupPrefix, sources, [topics.out], {
          sourceRecords: count,
          lagTolerance: guarantee === 'at_least_once' ? 0 : PARTITIONS * 4,
          between,
          stallMs,
          timeoutMs: Math.max(300_000, count * 2),
          check: () => {
            rss();
            return e.failure();
          },
        });
        rss();
        const processedAt = Date.now();
        // stopping (consumer leave, JVM exit) overlaps with the probe
        const stopped = engine.stop();
        const probe = await tool.run('probe', { bootstrap: broker.bootstrap, topics: topics.out }, 60_000);
        await stopped;
        const seconds = (probe.num('last') - probe.num('first')) / 1000;
        const reason = done.outputEnd === 0 || probe.num('first') < 0 ? 'no output record' : null;
        const r: ThroughputResult = {
          ...base,
          status: reason ? 'failed' : 'ok',
          ...(reason ? { reason } : {}),
          outputs: done.outputEnd,
          seconds: reason ? null : seconds,
          recordsPerSec: !reason && seconds > 0 ? Math.round(count / seconds) : null,
          // from the engine's launch (the broker runs on this machine: one clock)
          wallSeconds: reason ? null : Math.round(probe.num('last') - t0) / 1000,
          wallRecordsPerSec: reason ? null : Math.round(count / ((probe.num('last') - t0) / 1000)),
          peakRssMiB: peak,
          processes,
          cpus: engine.procs.map((p) => p.cpus ?? 'any').join(' '),
        };
        timings = `start ${((startedAt - t0) / 1000).toFixed(1)} s, done ${((processedAt - startedAt) / 1000).toFixed(1)} s, probe+stop ${((Date.now() - processedAt) / 1000).toFixed(1)} s`;
        log(`${label} ${v}: ${r.status === 'ok' ? `${r.recordsPerSec} rec/s` : `FAILED (${r.reason})`} (${count} records in ${seconds.toFixed(2)} s, ${done.outputEnd} outputs, peak RSS ${peak} MiB; ${timings})`);
        return r;
      } catch (err) {
        rss();
        const reason = err instanceof Error ? err.message : String(err);
        log(`${label} ${v}: FAILED ${reason.slice(0, 300)}`);
        return { ...base, status: 'failed', reason: reason.slice(0, 600), outputs: null, seconds: null, recordsPerSec: null, wallSeconds: null, wallRecordsPerSec: null, peakRssMiB: peak, processes, cpus: '' };
      } finally {
        if (engine) {
          running.delete(engine);
          await engine.stop();
        }
        // the run's topics are not reused; deleting them keeps the broker's page cache for the next run
        await admin.deleteTopics({ topics: [...between, topics.out] }).catch(() => {});
      }
    };
    // a failed run is tried again (up to 3 attempts) on fresh topics and groups; the result keeps the first failure
    const measure = async (w: Workload, v: Variant, roles: readonly Role[], label: string = w.id): Promise<void> => {
      const first = await measureOnce(w, v, roles, label);
      let r = first;
      let attempts = 1;
      while (r.status !== 'ok' && attempts < 3) {
        attempts++;
        r = await measureOnce(w, v, roles, label);
      }
      throughput.push(attempts === 1 ? r : { ...r, attempts, earlierFailure: first.reason ?? 'failed' });
    };
    const ceilingWorkload = WORKLOADS.find((w) => w.id === 'filter')!;
    if (!args['no-throughput']) {
      for (const v of ceilings) await measure(ceilingWorkload, v, ['ratings'], 'passthrough');
      for (const w of workloads) for (const v of variantsOf(w)) await measure(w, v, [...w.streams, ...w.tables]);
    }

    // ----------------------------------------------------------- latency
    const latencyOnce = async (w: Workload, v: Variant, rate: number): Promise<{ result: LatencyResult; startFailed: boolean }> => {
      const tag = `${run}${(n++).toString(36)}`;
      const topics: Partial<Record<Role, string>> = {};
      for (const r of w.tables) topics[r] = inputs[r]!;
      const fresh = [...w.streams, ...w.between, 'out' as const].map((r) => (topics[r] = `bench-lat-${w.id}-${r}-${tag}`));
      await createTopics(admin, fresh, false);
      let engine: Running | null = null;
      let offered = false;
      const base = { workload: w.id, variant: v, offered: rate };
      try {
        engine = await startVariant(v, w, { bootstrap: broker.bootstrap, guarantee, classpath, tag, topics, ...(args['cpu-prof'] ? { cpuProfileDir: args['cpu-prof'] } : {}) });
        running.add(engine);
        await readyOrFailed(engine, 120_000);
        offered = true;
        const t = Object.fromEntries(Object.entries(topics).map(([r, x]) => [`t.${r}`, x]));
        const res = await tool.run('latency', { workload: w.id, bootstrap: broker.bootstrap, rate, warmup: quick ? 3 : 5, seconds: latencySeconds, drain: quick ? 3 : 8, ...t }, 300_000);
        const peak = Math.max(...engine.procs.map((p) => p.peakRssMiB() ?? 0));
        const failed = engine.failure();
        const measured = res.num('measured');
        const r: LatencyResult = {
          ...base,
          status: failed || measured === 0 ? 'failed' : 'ok',
          ...(failed ? { reason: failed } : measured > 0 ? {} : { reason: `no output of the ${res.num('sent')} records offered during the measurement reached the output topic in time (${res.num('outputs')} outputs read in all)` }),
          achieved: res.num('achieved'),
          measured,
          p50Ms: percentile(res.histogram(), 0.5),
          p99Ms: percentile(res.histogram(), 0.99),
          maxMs: percentile(res.histogram(), 1),
          peakRssMiB: peak || null,
        };
        log(`latency ${w.id} ${v} @${rate}/s: ${r.status === 'ok' ? '' : 'FAILED '}achieved ${r.achieved}/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms (${r.measured} outputs measured)`);
        return { result: r, startFailed: false };
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        log(`latency ${w.id} ${v} @${rate}/s: FAILED ${reason.slice(0, 300)}`);
        return { result: { ...base, status: 'failed', reason: reason.slice(0, 600), achieved: null, measured: 0, p50Ms: null, p99Ms: null, maxMs: null, peakRssMiB: null }, startFailed: !offered };
      } finally {
        if (engine) {
          running.delete(engine);
          await engine.stop();
        }
        await admin.deleteTopics({ topics: fresh }).catch(() => {});
      }
    };
    for (const rate of rates) {
      for (const w of workloads.filter((x) => latencyFor(rate, x))) {
        for (const v of latencyVariantsFor(w)) {
          // an engine that failed before any load was offered is started again (up to 3 attempts)
          let a = await latencyOnce(w, v, rate);
          const first = a.result;
          let attempts = 1;
          while (a.startFailed && attempts < 3) {
            attempts++;
            a = await latencyOnce(w, v, rate);
          }
          latency.push(attempts === 1 ? a.result : { ...a.result, attempts, earlierFailure: first.reason ?? 'failed' });
        }
      }
    }
  } finally {
    await stopRunning();
    await tool.close();
    if (given) await admin.deleteTopics({ topics: inputTopics }).catch(() => {});
    await admin.disconnect().catch(() => {});
    await broker.stop();
  }
  m.loadAverageAtEnd = loadavg().map((x) => Math.round(x * 100) / 100);
  const results: BenchResults = {
    date: startedAt.toISOString().slice(0, 10),
    startedAt: startedAt.toISOString(),
    minutes: Math.round((Date.now() - startedAt.getTime()) / 600) / 100,
    mode: quick ? 'quick' : 'full',
    records,
    partitions: PARTITIONS,
    customers: CUSTOMERS,
    guarantee,
    machine: m,
    throughput,
    latency,
  };
  const files = writeReports(
    results,
    // docs/charts holds the full run's charts (docs/performance.md shows them): a quick run does not overwrite them
    args.out
      ? { resultsDir: args.out, chartsDir: join(args.out, 'charts') }
      : { resultsDir: join(root, 'bench/results'), chartsDir: quick ? join(root, 'bench/results/charts-quick') : join(root, 'docs/charts') },
  );
  console.log(readFileSync(files.markdown, 'utf8'));
  log(`results: ${files.json}, ${files.markdown}; charts: ${files.charts.join(', ')}`);
}

await main();
