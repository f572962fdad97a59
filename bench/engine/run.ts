/**
 * `npm run bench:engine`: engine throughput, one thread, no Kafka: the runtime
 * people deploy (KafkaEngine: query runners, tasks, repartition and changelog
 * topics, commits) over the in-memory Kafka port (MemoryRuntime).
 *
 * For each workload, N JSON records of about 200 bytes are pre-serialized and
 * produced to the in-memory Kafka with a running query; the figure is input
 * records per second from the first produce until the query has processed
 * everything (every task caught up, offsets committed).
 * Results go to bench/results/engine-<date>.json and are printed as a table.
 *
 * Each workload runs `--repeat` times (default 5) after a warm-up; the best
 * run is reported. An existing results file is never overwritten: a second
 * run on the same day writes engine-<date>-2.json, and so on.
 *
 * Usage: tsx bench/engine/run.ts [--records N] [--only NAME] [--repeat N] [--out FILE] [--no-write]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { MemoryRuntime } from '../../engine/driver/memory-runtime.js';
import { currentNewSpaceMb, givenSemiSpaceOption, tuneYoungGeneration } from '../../engine/server/heap.js';

// the young generation an engine server process runs with (engine/server/heap.ts): `npm run bench:engine`
// starts node with it, as the operator starts engine pods; this covers a plain `tsx bench/engine/run.ts`
tuneYoungGeneration();

interface Workload {
  readonly name: string;
  readonly target: number;
  readonly statements: string;
  /** topic → record generator */
  readonly inputs: readonly { topic: string; make: (i: number) => { key: string; value: string; ts: number } }[];
  readonly sinkTopic: string;
}

const pad = (s: string, n: number): string => s + ' '.repeat(Math.max(0, n - s.length));
const filler = 'x'.repeat(60);

function rating(i: number): { key: string; value: string; ts: number } {
  const user = i % 10_000;
  return {
    key: String(user),
    value: JSON.stringify({
      RATING_ID: i,
      USER_ID: user,
      STARS: (i * 7) % 5 + 1,
      ROUTE_ID: (i * 13) % 5000,
      RATING_TIME: 1_600_000_000_000 + i,
      CHANNEL: i % 3 === 0 ? 'iOS' : i % 3 === 1 ? 'android' : 'web',
      MESSAGE: `rating ${i} ${filler}`,
    }),
    ts: 1_600_000_000_000 + i,
  };
}

function transaction(i: number): { key: string; value: string; ts: number } {
  const card = i % 50_000;
  return {
    key: String(card),
    value: JSON.stringify({
      TX_ID: i,
      CARD_NUMBER: `4000-${String(card).padStart(8, '0')}`,
      AMOUNT: (i % 1000) + 0.5,
      MERCHANT: `merchant-${i % 700}`,
      COUNTRY: i % 2 === 0 ? 'JP' : 'KR',
      NOTE: filler + filler.slice(0, 30),
    }),
    ts: 1_600_000_000_000 + i * 2,
  };
}

function request(i: number): { key: string; value: string; ts: number } {
  const rid = Math.floor(i / 2);
  return {
    key: String(rid),
    value: JSON.stringify({ REQUEST_ID: rid, USER_ID: i % 20_000, EXPERIMENT: `exp-${i % 10}`, VARIANT: i % 2 === 0 ? 'A' : 'B', PAGE: '/home', UA: filler + filler }),
    ts: 1_600_000_000_000 + i * 5,
  };
}

function impression(i: number): { key: string; value: string; ts: number } {
  const rid = Math.floor(i / 2);
  return {
    key: String(rid),
    value: JSON.stringify({ REQUEST_ID: rid, EVENT: i % 5 === 0 ? 'click' : 'impression', ITEM_ID: i % 3000, POSITION: i % 10, DETAIL: filler + filler }),
    ts: 1_600_000_000_000 + i * 5 + 3,
  };
}

const WORKLOADS: readonly Workload[] = [
  {
    name: 'filter-project',
    target: 500_000,
    statements: `
      CREATE STREAM RATINGS (K STRING KEY, RATING_ID BIGINT, USER_ID INT, STARS INT, ROUTE_ID INT, RATING_TIME BIGINT, CHANNEL STRING, MESSAGE STRING)
        WITH (KAFKA_TOPIC='ratings', VALUE_FORMAT='JSON', PARTITIONS=1);
      CREATE STREAM POOR_RATINGS AS SELECT K, RATING_ID, USER_ID, STARS, CHANNEL FROM RATINGS WHERE STARS < 3;`,
    inputs: [{ topic: 'ratings', make: rating }],
    sinkTopic: 'POOR_RATINGS',
  },
  {
    name: 'tumbling-aggregation',
    target: 200_000,
    statements: `
      CREATE STREAM TRANSACTIONS (K STRING KEY, TX_ID BIGINT, CARD_NUMBER STRING, AMOUNT DOUBLE, MERCHANT STRING, COUNTRY STRING, NOTE STRING)
        WITH (KAFKA_TOPIC='transactions', VALUE_FORMAT='JSON', PARTITIONS=1);
      CREATE TABLE POSSIBLE_FRAUD AS SELECT CARD_NUMBER, COUNT(*) AS ATTEMPTS, SUM(AMOUNT) AS TOTAL
        FROM TRANSACTIONS WINDOW TUMBLING (SIZE 5 SECONDS) GROUP BY CARD_NUMBER HAVING COUNT(*) > 0;`,
    inputs: [{ topic: 'transactions', make: transaction }],
    sinkTopic: 'POSSIBLE_FRAUD',
  },
  {
    name: 'stream-stream-join',
    target: 150_000,
    statements: `
      CREATE STREAM REQUESTS (K STRING KEY, REQUEST_ID BIGINT, USER_ID INT, EXPERIMENT STRING, VARIANT STRING, PAGE STRING, UA STRING)
        WITH (KAFKA_TOPIC='requests', VALUE_FORMAT='JSON', PARTITIONS=1);
      CREATE STREAM EVENTS (K STRING KEY, REQUEST_ID BIGINT, EVENT STRING, ITEM_ID INT, POSITION INT, DETAIL STRING)
        WITH (KAFKA_TOPIC='events', VALUE_FORMAT='JSON', PARTITIONS=1);
      CREATE STREAM AB_EVENTS AS SELECT R.K AS K, R.EXPERIMENT, R.VARIANT, E.EVENT, E.ITEM_ID
        FROM REQUESTS R JOIN EVENTS E WITHIN 10 MINUTES ON R.K = E.K;`,
    inputs: [
      { topic: 'requests', make: request },
      { topic: 'events', make: impression },
    ],
    sinkTopic: 'AB_EVENTS',
  },
];

/**
 * Pre-serialized input records in one buffer, with offsets: a million small
 * Buffer objects kept for the whole run would sit in the heap being measured,
 * and every full garbage collection would walk them. Each produce takes views.
 */
class Fixture {
  private constructor(
    private readonly bytes: Buffer,
    /** per record: key start, value start; then the end of the last value */
    private readonly offsets: Int32Array,
    private readonly timestamps: Float64Array,
  ) {}

  static of(n: number, make: (i: number) => { key: string; value: string; ts: number }): Fixture {
    const texts: string[] = [];
    const offsets = new Int32Array(2 * n + 1);
    const timestamps = new Float64Array(n);
    let pos = 0;
    for (let i = 0; i < n; i++) {
      const r = make(i);
      offsets[2 * i] = pos;
      pos += Buffer.byteLength(r.key);
      offsets[2 * i + 1] = pos;
      pos += Buffer.byteLength(r.value);
      texts.push(r.key, r.value);
      timestamps[i] = r.ts;
    }
    offsets[2 * n] = pos;
    return new Fixture(Buffer.from(texts.join(''), 'utf8'), offsets, timestamps);
  }

  key(i: number): Buffer {
    return this.bytes.subarray(this.offsets[2 * i]!, this.offsets[2 * i + 1]!);
  }
  value(i: number): Buffer {
    return this.bytes.subarray(this.offsets[2 * i + 1]!, this.offsets[2 * i + 2]!);
  }
  timestamp(i: number): number {
    return this.timestamps[i]!;
  }
}

async function run(w: Workload, records: number): Promise<{ recordsPerSec: number; outputs: number; seconds: number; cpuSeconds: number }> {
  const rt = await MemoryRuntime.start({ properties: {} });
  await rt.execute(w.statements);
  const perInput = Math.ceil(records / w.inputs.length);
  const batches = w.inputs.map((inp) => ({ topic: inp.topic, records: Fixture.of(perInput, inp.make) }));
  const start = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < perInput; i++) {
    for (const b of batches) {
      rt.broker.produce(b.topic, { key: b.records.key(i), value: b.records.value(i), timestamp: b.records.timestamp(i), partition: 0 });
    }
  }
  await rt.settle();
  const errors = rt.queryErrors();
  if (errors.length > 0) throw new Error(`${w.name}: ${errors.join('; ')}`);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  // CPU time of the process (all threads, GC helpers included): steadier than wall time on a shared machine
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const total = perInput * batches.length;
  const outputs = rt.broker.recordCount(w.sinkTopic);
  await rt.close();
  return { recordsPerSec: Math.round(total / seconds), outputs, seconds, cpuSeconds };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      records: { type: 'string', default: '1000000' },
      only: { type: 'string' },
      repeat: { type: 'string', default: '5' },
      out: { type: 'string' },
      'no-write': { type: 'boolean', default: false },
    },
  });
  const records = Number(values.records);
  const repeat = Math.max(1, Number(values.repeat));
  const results = [];
  console.log(`${pad('workload', 24)}${pad('records/s', 14)}${pad('target', 12)}${pad('outputs', 10)}${pad('seconds', 10)}rec/cpu-s`);
  for (const w of WORKLOADS) {
    if (values.only && w.name !== values.only) continue;
    await run(w, Math.min(records, 20_000)); // warm-up
    const runs = [];
    for (let i = 0; i < repeat; i++) runs.push(await run(w, records));
    const r = runs.reduce((a, b) => (b.recordsPerSec > a.recordsPerSec ? b : a));
    results.push({ workload: w.name, records, ...r, runs: runs.map((x) => x.recordsPerSec), target: w.target, meetsTarget: r.recordsPerSec >= w.target });
    console.log(`${pad(w.name, 24)}${pad(String(r.recordsPerSec), 14)}${pad(String(w.target), 12)}${pad(String(r.outputs), 10)}${pad(r.seconds.toFixed(2), 10)}${Math.round(records / r.cpuSeconds)}`);
  }
  if (values['no-write']) return;
  const here = dirname(fileURLToPath(import.meta.url));
  const dir = join(here, '..', 'results');
  mkdirSync(dir, { recursive: true });
  const date = new Date().toISOString().slice(0, 10);
  let file = values.out ?? join(dir, `engine-${date}.json`);
  for (let n = 2; values.out === undefined && existsSync(file); n++) file = join(dir, `engine-${date}-${n}.json`);
  const machine = { cpus: cpus().length, cpu: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30) };
  writeFileSync(file, JSON.stringify({ date, runtime: 'kafka-memory', node: process.version, commit: gitCommit(here), semiSpaceFlag: givenSemiSpaceOption(), newSpaceMb: currentNewSpaceMb(), repeat, machine, results }, null, 2) + '\n');
  console.log(`results: ${file}`);
}

function gitCommit(cwd: string): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd, encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

await main();
