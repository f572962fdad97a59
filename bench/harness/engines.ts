/**
 * Starting the engines under test: ksetl server processes (bin/ksetl.js
 * server, statements sent to its REST API), the Kafka Streams app and the two
 * pass-throughs. Each returns the processes to measure and the consumer-group
 * prefix whose committed offsets tell when the input is consumed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuList, start, type Proc } from './procs.js';
import type { Role, Variant, Workload } from './workloads.js';
import { youngGenerationNodeOption } from '../../engine/server/heap.js';
import type { KafkaClientName } from '../../engine/kafka/kafka-client.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface Running {
  readonly procs: readonly Proc[];
  /** consumer groups of the run start with this */
  readonly groupPrefix: string;
  /** resolves once the engine processes records (best effort: statements accepted / RUNNING) */
  readonly ready: Promise<void>;
  /** why the engine cannot finish (a process exited, a query failed), or null */
  failure(): string | null;
  stop(): Promise<void>;
}

export interface EngineContext {
  readonly bootstrap: string;
  readonly guarantee: 'at_least_once' | 'exactly_once_v2';
  readonly classpath: string;
  /** unique per run */
  readonly tag: string;
  readonly topics: Readonly<Partial<Record<Role, string>>>;
  /** ksetl processes write a V8 CPU profile here (node --cpu-prof) */
  readonly cpuProfileDir?: string;
}

export async function startVariant(v: Variant, w: Workload, ctx: EngineContext): Promise<Running> {
  const r = await startRaw(v, w, ctx);
  let stopping: Promise<void> | null = null;
  // idempotent: the harness stops an engine as soon as it is measured, and again in `finally`
  return { ...r, stop: () => (stopping ??= r.stop()) };
}

/** "query CTAS_X_1: query failed to start: <error message>" from a JSON log line (the line itself if it is not one) */
export function logSummary(line: string): string {
  try {
    const l = JSON.parse(line) as { msg?: unknown; query_id?: unknown; err?: { message?: unknown } };
    const parts = [typeof l.query_id === 'string' ? `query ${l.query_id}` : null, typeof l.msg === 'string' ? l.msg : null, typeof l.err?.message === 'string' ? l.err.message : null];
    const text = parts.filter((x) => x !== null).join(': ');
    return text || line.slice(0, 500);
  } catch {
    return line.slice(0, 500);
  }
}

/** a process that exited, or a stdout line matching `fatal` (the engine's own report of a failed query) */
function failureOf(procs: readonly Proc[], fatal: RegExp | null): () => string | null {
  return () => {
    for (const p of procs) {
      if (p.exited()) return `${p.name} exited: ${p.stderrTail().slice(-500)}`;
      const line = fatal ? p.lines.find((l) => fatal.test(l)) : undefined;
      if (line !== undefined) return `${p.name}: ${logSummary(line)}`;
    }
    return null;
  };
}

async function startRaw(v: Variant, w: Workload, ctx: EngineContext): Promise<Running> {
  switch (v) {
    case 'ksetl-1':
      return startKsetl(1, w, ctx, 'kafkajs');
    case 'ksetl-2':
      return startKsetl(2, w, ctx, 'kafkajs');
    case 'ksetl-2t':
      return startKsetl(1, w, ctx, 'kafkajs', 2);
    case 'ksetl-1-platformatic':
      return startKsetl(1, w, ctx, 'platformatic');
    case 'ksetl-2-platformatic':
      return startKsetl(2, w, ctx, 'platformatic');
    case 'kstreams-1t':
      return startKstreams(1, w, ctx);
    case 'kstreams-2t':
      return startKstreams(2, w, ctx);
    case 'kafkajs-passthrough': {
      const group = `bench-pt-js-${ctx.tag}`;
      const p = start('kafkajs-passthrough', process.execPath, ['--import', 'tsx', join(root, 'bench/harness/passthrough-kafkajs.ts'), ctx.bootstrap, group, ctx.topics.ratings!, ctx.topics.out!], {
        cpus: cpuList(0, 1),
        cwd: root,
      });
      return { procs: [p], groupPrefix: group, ready: p.waitFor(/RUNNING/, 60_000).then(() => {}), failure: failureOf([p], null), stop: () => p.stop() };
    }
    case 'platformatic-passthrough': {
      const group = `bench-pt-plt-${ctx.tag}`;
      const p = start('platformatic-passthrough', process.execPath, ['--import', 'tsx', join(root, 'bench/harness/passthrough-platformatic.ts'), ctx.bootstrap, group, ctx.topics.ratings!, ctx.topics.out!], {
        cpus: cpuList(0, 1),
        cwd: root,
      });
      return { procs: [p], groupPrefix: group, ready: p.waitFor(/RUNNING/, 60_000).then(() => {}), failure: failureOf([p], null), stop: () => p.stop() };
    }
    case 'java-passthrough': {
      const group = `bench-pt-java-${ctx.tag}`;
      const p = start('java-passthrough', 'java', [...jvmFlags(), '-cp', ctx.classpath, 'dev.ksetl.bench.Main', 'passthrough', `bootstrap=${ctx.bootstrap}`, `group=${group}`, `in=${ctx.topics.ratings}`, `out=${ctx.topics.out}`], { cpus: cpuList(0, 1) });
      return { procs: [p], groupPrefix: group, ready: Promise.resolve(), failure: failureOf([p], null), stop: () => p.stop() };
    }
  }
}

export function jvmFlags(): string[] {
  return ['-Xms256m', '-Xmx1g', '-XX:+UseParallelGC', '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn'];
}

async function startKstreams(threads: number, w: Workload, ctx: EngineContext): Promise<Running> {
  const app = `bench-ks-${w.id}-${ctx.tag}`;
  const stateDir = mkdtempSync(join(tmpdir(), 'ksetl-bench-ks-'));
  const topicArgs = Object.entries(ctx.topics).map(([role, t]) => `t.${role}=${t}`);
  const p = start(
    `kstreams-${threads}t`,
    'java',
    [...jvmFlags(), '-cp', ctx.classpath, 'dev.ksetl.bench.Main', 'streams', `workload=${w.id}`, `bootstrap=${ctx.bootstrap}`, `app=${app}`, `threads=${threads}`, `guarantee=${ctx.guarantee}`, `stateDir=${stateDir}`, ...topicArgs],
    // two threads get two cores: the comparison with two ksetl processes
    { cpus: cpuList(0, threads) },
  );
  return {
    procs: [p],
    groupPrefix: app,
    ready: p.waitFor(/"RUNNING"/, 120_000).then(() => {}),
    failure: failureOf([p], /"state":"ERROR"/),
    async stop() {
      await p.stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** `n` processes with `threads` stream threads each (num.stream.threads; a process gets one core per thread) */
async function startKsetl(n: number, w: Workload, ctx: EngineContext, client: KafkaClientName, threads = 1): Promise<Running> {
  const serviceId = `bench_${w.id}_${ctx.tag}_`;
  const stateDirs: string[] = [];
  const procs: Proc[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.all(procs.map((p) => p.stop()));
    for (const d of stateDirs) rmSync(d, { recursive: true, force: true });
  };
  try {
    const urls: string[] = [];
    for (let i = 0; i < n; i++) {
      const stateDir = mkdtempSync(join(tmpdir(), 'ksetl-bench-'));
      stateDirs.push(stateDir);
      const url = `http://127.0.0.1:${await freePort()}`;
      urls.push(url);
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        KSQL_BOOTSTRAP_SERVERS: ctx.bootstrap,
        KSQL_KSQL_SERVICE_ID: serviceId,
        KSQL_LISTENERS: url,
        KSQL_PROCESSING_GUARANTEE: ctx.guarantee,
        KSQL_KSQL_STREAMS_AUTO_OFFSET_RESET: 'earliest',
        KSQL_KSQL_STREAMS_STATE_DIR: stateDir,
        KSETL_LOG_LEVEL: process.env['KSETL_LOG_LEVEL'] ?? 'warn',
        // the variant names the Kafka client, whatever the environment says
        KSETL_KAFKA_CLIENT: client,
        ...(threads > 1 ? { KSQL_KSQL_STREAMS_NUM_STREAM_THREADS: String(threads) } : {}),
      };
      // started as the operator starts engine pods: node with the engine's young generation (NODE_OPTIONS there)
      const args = [youngGenerationNodeOption(), ...(ctx.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${ctx.cpuProfileDir}`] : []), join(root, 'bin/ksetl.js'), 'server'];
      procs.push(start(`ksetl-${i + 1}`, process.execPath, args, { env, cpus: cpuList(i * threads, threads), cwd: root, stopSignal: ctx.cpuProfileDir ? 'SIGTERM' : 'SIGKILL' }));
    }
    await Promise.all(urls.map((url, i) => until(`${url}/healthcheck`, procs[i]!, 120_000)));
    const res = await fetch(`${urls[0]}/ksql`, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.ksql.v1+json' },
      body: JSON.stringify({ ksql: w.sql(ctx.topics), streamsProperties: { 'ksql.streams.auto.offset.reset': 'earliest' } }),
    });
    const body = await res.text();
    if (!res.ok) throw new Error(`ksetl rejected the workload's statements (${res.status}): ${body.slice(0, 600)}`);
    const ready = Promise.all(urls.map((url, i) => until(`${url}/ready`, procs[i]!, 120_000))).then(() => {});
    // a rejection surfaces where `ready` is awaited (latency runs); throughput runs watch the processes instead
    ready.catch(() => {});
    // a query that fails to start stays failed: no need to wait for the stall timeout
    const failure = failureOf(procs, /"level":"(error|fatal)".*"msg":"query failed/);
    return { procs, groupPrefix: `_confluent-ksql-${serviceId}query_`, ready, failure, stop: stopAll };
  } catch (e) {
    await stopAll();
    throw e;
  }
}

/** a loopback port free right now (the server binds it a moment later) */
function freePort(): Promise<number> {
  return new Promise((ok, ko) => {
    const s = createServer();
    s.once('error', ko);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => ok(port));
    });
  });
}

/** polls `url` until it answers 2xx; fails if the process exits or after `timeoutMs` */
async function until(url: string, p: Proc, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (p.exited()) throw new Error(`${p.name} exited before ${url} answered: ${p.stderrTail().slice(-800)}`);
    const r = await fetch(url).catch(() => null);
    if (r?.ok) return;
    if (Date.now() > deadline) throw new Error(`${url} did not answer 2xx within ${timeoutMs / 1000} s: ${p.stderrTail().slice(-800)}`);
    await new Promise((ok) => setTimeout(ok, 100));
  }
}
