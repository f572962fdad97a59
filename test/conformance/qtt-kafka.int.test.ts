/**
 * The conformance cases through a real broker: the engine people deploy
 * (KafkaEngine over kafkajs, `--runtime kafka`) runs every test/system case
 * and a deterministic slice of ksqlDB's QTT cases (every SLICE_EVERY-th case
 * of each file, so at least the first of every file), stateful ones
 * (aggregations, joins, windows) with an engine restart halfway through
 * their inputs, and must give the same outcome as the Kafka runtime over the
 * in-memory Kafka (`kafka-memory`, the same restarts) run here on the same cases.
 *
 * Every case has its own prefix (a per-run seed and a case number) for its
 * topics, groups and transactional ids, so cases run side by side
 * (CONCURRENCY engines at once). A case's inputs go to the broker all at once
 * (or in two halves around the restart) when their order across topics
 * follows their timestamps (see orderInsensitive); otherwise one by one, each
 * settled before the next.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { bootstrap, seed, stopOwnBroker } from '../../engine/kafka/int-test-support.js';
import { engineDeps } from '../../engine/testing/qtt/engine-deps.js';
import { caseKey } from '../../engine/testing/qtt/load.js';
import { isStateful, runCase, type RunnerDeps } from '../../engine/testing/qtt/run-case.js';
import { loadCases } from '../../engine/testing/qtt/run-suite.js';
import type { CaseResult, QttCase } from '../../engine/testing/qtt/types.js';
import { runTestFiles, testCaseDirs } from '../../engine/testing/test-runner.js';

/** Every SLICE_EVERY-th case of each QTT file (lower it for a bigger slice). */
const SLICE_EVERY = Number(process.env['QTT_KAFKA_EVERY'] ?? 6);
/** Cases running at once on the broker, an engine each. */
const CONCURRENCY = Number(process.env['QTT_KAFKA_CONCURRENCY'] ?? 10);
/** The slice must hold at least this many counted (not skipped) cases. */
const MIN_COUNTED = Number(process.env['QTT_KAFKA_MIN'] ?? 300);
const KAFKA_LIMITS = { maxRecords: 200_000, timeoutMs: 120_000 };

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const qttDir = process.env['QTT_DIR'] ?? resolve(root, '..', 'shared', 'conformance', 'ksqldb-qtt', 'query-validation-tests');
const systemDir = join(root, 'test', 'system');

afterAll(stopOwnBroker);

/** Every k-th case of each file, the first included. */
function slice(cases: readonly QttCase[], every: number): QttCase[] {
  const index = new Map<string, number>();
  return cases.filter((c) => {
    const i = index.get(c.file) ?? 0;
    index.set(c.file, i + 1);
    return i % every === 0;
  });
}

async function pool<T, R>(items: readonly T[], n: number, f: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await f(items[i]!);
      }
    }),
  );
  return out;
}

function brief(r: CaseResult): string {
  return r.status === 'passed' ? 'passed' : `${r.status}: ${r.message.split('\n').slice(0, 3).join(' | ').slice(0, 400)}`;
}

it('test/system and a QTT slice give the same outcomes on a real broker as in memory', { timeout: 900_000 }, async () => {
  const brokers = await bootstrap();
  const runSeed = seed();
  const restartMidway = (t: Parameters<typeof isStateful>[0]): boolean => isStateful(t);
  const memory: RunnerDeps = engineDeps('kafka-memory', { restartMidway });
  const kafka: RunnerDeps = engineDeps('kafka', { restartMidway, bootstrap: brokers, seed: runSeed });
  const started = Date.now();
  const differences: string[] = [];

  // test/system: every case
  const systemCases = testCaseDirs(systemDir);
  const system = await pool(systemCases, CONCURRENCY, async ({ name, files }) => {
    const [m, k] = [await runTestFiles(files, memory), await runTestFiles(files, kafka)];
    if (m.passed !== k.passed || m.text !== k.text) differences.push(`system ${name}: memory ${m.text.slice(0, 300)} / kafka ${k.text.slice(0, 300)}`);
    return k.passed;
  });

  // QTT: the slice, in memory first, then on the broker
  const { cases } = loadCases([qttDir]);
  const chosen = slice(cases, SLICE_EVERY);
  const inMemory: CaseResult[] = [];
  const memoryStarted = Date.now();
  for (const c of chosen) inMemory.push(await runCase(c, memory));
  const kafkaStarted = Date.now();
  const onKafka = await pool(chosen, CONCURRENCY, (c) => runCase(c, kafka, KAFKA_LIMITS));
  const kafkaSeconds = (Date.now() - kafkaStarted) / 1000;
  for (const [i, c] of chosen.entries()) {
    const m = inMemory[i]!;
    const k = onKafka[i]!;
    if (m.status !== k.status) differences.push(`${caseKey(c)}${isStateful(c.test) ? ' (restarted)' : ''}: memory ${brief(m)} / kafka ${brief(k)}`);
  }
  const counted = onKafka.filter((r) => r.status !== 'skipped').length;
  const files = new Set(chosen.map((c) => c.file)).size;
  const same = chosen.length - differences.filter((d) => !d.startsWith('system ')).length;
  console.log(
    `qtt-kafka: system ${system.filter(Boolean).length}/${systemCases.length} passed on kafka; QTT slice: ${chosen.length} cases (${counted} counted) from ${files} files, ` +
      `${onKafka.filter((r) => r.status === 'passed').length} passed on kafka, ${inMemory.filter((r) => r.status === 'passed').length} in memory, ` +
      `${same} same, ${differences.length} different; ${chosen.filter((c) => isStateful(c.test)).length} stateful (restarted midway); ` +
      `${((Date.now() - started) / 1000).toFixed(0)} s (system ${((memoryStarted - started) / 1000).toFixed(0)} s, QTT in memory ${((kafkaStarted - memoryStarted) / 1000).toFixed(0)} s, ` +
      `on kafka ${kafkaSeconds.toFixed(0)} s at ${CONCURRENCY} at once, slowest case ${(Math.max(...onKafka.map((r) => r.durationMs)) / 1000).toFixed(1)} s)`,
  );
  expect(files).toBe(new Set(cases.map((c) => c.file)).size);
  expect(counted).toBeGreaterThanOrEqual(MIN_COUNTED);
  expect(differences, `cases whose outcome differs on a real broker:\n${differences.join('\n')}`).toEqual([]);
});
