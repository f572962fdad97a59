/**
 * `ksetl test`: ksqlDB's ksql-test-runner file shapes — a statements file, an
 * input file `{"inputs":[{topic,key,value,timestamp}]}` and an output file
 * `{"outputs":[...]}` — run on a fresh engine (by default the Kafka runtime over
 * the in-memory Kafka port), with a readable diff.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { shapeOf, encodeSide, encodeWindowedKey, toNumber, type CodecContext } from './qtt/codec.js';
import { parseLossless } from './qtt/load.js';
import { actualRecords, orderInsensitive, BudgetBroker, DEFAULT_LIMITS, DEFAULT_PROPERTIES, diffRecord, outputsByTopic, showRecord, type CaseEngine, type RunnerDeps } from './qtt/run-case.js';
import type { QttRecord } from './qtt/types.js';

export interface TestRunnerFiles {
  readonly statements: string;
  readonly input?: string;
  readonly output: string;
}

/**
 * The test cases under `root`: every folder holding statements.sql (with
 * output.json and, if there, input.json), by name. Other folders (e.g. case
 * files in QTT shape) are not test-runner cases.
 */
export function testCaseDirs(root: string): { readonly name: string; readonly files: TestRunnerFiles }[] {
  return readdirSync(root)
    .filter((d) => statSync(join(root, d)).isDirectory() && existsSync(join(root, d, 'statements.sql')))
    .sort()
    .map((name) => {
      const dir = join(root, name);
      const input = join(dir, 'input.json');
      return { name, files: { statements: join(dir, 'statements.sql'), output: join(dir, 'output.json'), ...(existsSync(input) ? { input } : {}) } };
    });
}

export interface TestRunnerResult {
  readonly passed: boolean;
  /** human-readable report: `Test passed!` or the diff */
  readonly text: string;
}

function records(path: string, field: 'inputs' | 'outputs'): QttRecord[] {
  const json = parseLossless(readFileSync(path, 'utf8')) as Record<string, unknown>;
  const list = json[field];
  if (!Array.isArray(list)) throw new Error(`${path}: expected {"${field}": [...]}`);
  return list as QttRecord[];
}

async function produce(engine: CaseEngine, ctx: CodecContext, r: QttRecord): Promise<void> {
  const src = engine.sources().find((s) => s.topic === r.topic);
  if (!src) throw new Error(`no stream or table reads topic ${r.topic}`);
  const shape = shapeOf(src);
  let key = encodeSide(ctx, r.key ?? null, shape.keyFormat, shape.keyColumns, src.topic, true);
  if (r.window) key = encodeWindowedKey(ctx, key, r.window, shape.window);
  const value = encodeSide(ctx, r.value ?? null, shape.valueFormat, shape.valueColumns, src.topic, false);
  await engine.pipe(r.topic, { key, value, timestamp: toNumber(r.timestamp, 0) });
}

export async function runTestFiles(files: TestRunnerFiles, deps: RunnerDeps): Promise<TestRunnerResult> {
  const sql = readFileSync(files.statements, 'utf8');
  const inputs = files.input ? records(files.input, 'inputs') : [];
  const outputs = records(files.output, 'outputs');
  const broker = new BudgetBroker(DEFAULT_LIMITS);
  const engine = await deps.createEngine({ broker, properties: DEFAULT_PROPERTIES });
  try {
    const ctx: CodecContext = { serde: deps.serde, registry: engine.registry };
    for (const r of inputs) if (!engine.topic(r.topic)) await engine.createTopic(r.topic, 1);
    try {
      await engine.execute(sql, DEFAULT_PROPERTIES);
    } catch (e) {
      return { passed: false, text: `Test failed: a statement failed: ${e instanceof Error ? e.message : String(e)}` };
    }
    // an engine whose pipe only queues (a real broker): settled after every input unless they
    // may go all at once (see orderInsensitive), and before the outputs are read
    const eachInput = engine.drain !== undefined && !orderInsensitive(inputs, (t) => engine.topic(t)?.partitions ?? 1);
    for (const [i, r] of inputs.entries()) {
      try {
        await produce(engine, ctx, r);
        if (eachInput) await engine.drain?.(false);
      } catch (e) {
        return { passed: false, text: `Test failed: input #${i} (topic ${r.topic}): ${e instanceof Error ? e.message : String(e)}` };
      }
    }
    await engine.drain?.(true);
    const lines: string[] = [];
    let ok = true;
    for (const [topic, expected] of outputsByTopic(outputs)) {
      const actual = actualRecords(engine, ctx, topic, expected);
      const topicOk = actual.length === expected.length && expected.every((e, i) => diffRecord(e, actual[i]!) === null);
      if (topicOk) continue;
      ok = false;
      lines.push(`Topic ${topic}: expected ${expected.length} records, got ${actual.length}`);
      for (let i = 0; i < Math.max(expected.length, actual.length); i++) {
        const e = expected[i];
        const a = actual[i];
        if (e && a) {
          const d = diffRecord(e, a);
          if (!d) lines.push(`  #${i} ok       ${showRecord(a)}`);
          else lines.push(`  #${i} DIFF     ${d}`, `     expected ${showRecord(e)}`, `     actual   ${showRecord(a)}`);
        } else if (e) lines.push(`  #${i} MISSING  ${showRecord(e)}`);
        else if (a) lines.push(`  #${i} EXTRA    ${showRecord(a)}`);
      }
    }
    return ok ? { passed: true, text: 'Test passed!' } : { passed: false, text: ['Test failed:', ...lines].join('\n') };
  } finally {
    await engine.close();
  }
}
