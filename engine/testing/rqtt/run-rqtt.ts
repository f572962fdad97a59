import { isLosslessNumber, parse, stringify } from 'lossless-json';
import type { KsqlBackend } from '../../server/backend.js';
import { diffValues, show } from '../qtt/compare.js';
import { toNumber, type CodecContext, type SerdeApi } from '../qtt/codec.js';
import { expandCases, loadQttFile, resolveQttPaths } from '../qtt/load.js';
import { actualRecords, diffRecord, outputsByTopic, produceInput, registerTopicSchemas, showRecord, topicsToCreate, type CaseEngine } from '../qtt/run-case.js';
import type { Json, QttCase, QttRecord, QttTest } from '../qtt/types.js';

/**
 * Runs ksqlDB's REST query-validation tests (RQTT) through the REST API: for
 * each case a fresh engine (the Kafka runtime over the in-memory Kafka port)
 * behind a server on a loopback port; the
 * statements go to /ksql one by one, SELECTs to /query; the answers are
 * compared with the expected `responses` on the fields the test gives
 * (commandId, queryId and statement texts are volatile and only compared when
 * the test names them), then the `outputs` topics and the `expectedError`.
 */

export interface RqttOptions {
  /** only cases whose "file :: name" contains this text */
  readonly filter?: string;
  /** how long to wait for rows of a push query without LIMIT, ms */
  readonly pushTimeoutMs?: number;
  /** progress callback, once per case */
  readonly onCase?: (c: RqttCaseResult) => void;
}

export interface RqttCaseResult {
  readonly file: string;
  readonly name: string;
  readonly format: string | null;
  readonly status: 'passed' | 'failed' | 'skipped';
  readonly message: string;
}

export interface RqttReport {
  readonly cases: readonly RqttCaseResult[];
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
}

/** The RQTT fields on top of QTT's. */
interface RqttTest extends QttTest {
  readonly responses?: readonly Json[];
  readonly expectedError?: { readonly type?: string; readonly message?: string; readonly status?: Json };
  readonly inputConditions?: { readonly waitForActivePushQuery?: boolean };
}

/** What one statement answered. */
type Actual = { readonly kind: 'admin'; readonly entity: Json } | { readonly kind: 'query'; readonly items: readonly Json[]; readonly pull: boolean };

class CaseError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly body: Json,
  ) {
    super(message);
  }
}

/** One case's engine: driven as a case engine by the runner, served by the REST server as a backend. */
interface CaseRuntime {
  readonly engine: CaseEngine;
  readonly backend: KsqlBackend;
  /** waits until the queries processed everything produced so far */
  settle(): Promise<void>;
}

interface Runtime {
  readonly createEngine: (properties: Readonly<Record<string, string>>) => Promise<CaseRuntime>;
  readonly serde: SerdeApi;
  readonly startServer: (backend: KsqlBackend, properties: Readonly<Record<string, string>>) => Promise<{ url: string; close: () => Promise<void> }>;
}

async function loadRuntime(): Promise<Runtime> {
  const [{ MemoryRuntime }, { builtinRegistry }, serde, { KsqlRestServer }, { kafkaBackend }] = await Promise.all([
    import('../../driver/memory-runtime.js'),
    import('../../functions/builtins.js'),
    import('../../serde/index.js'),
    import('../../server/app.js'),
    import('../../kafka/kafka-backend.js'),
  ]);
  return {
    createEngine: async (properties) => {
      const rt = await MemoryRuntime.start({ properties, functions: builtinRegistry() });
      return { engine: rt, backend: kafkaBackend(rt.engine), settle: () => rt.settle() };
    },
    serde: { createSerde: serde.createSerde, windowedKeySerde: serde.windowedKeySerde as unknown as SerdeApi['windowedKeySerde'] },
    startServer: async (backend, properties) => {
      const server = new KsqlRestServer({ backend, properties });
      const { url } = await server.listen(0, '127.0.0.1');
      return { url, close: () => server.close() };
    },
  };
}

/** Runs the RQTT files (or directories of them) and reports per case. */
export async function runRqtt(paths: readonly string[], opts: RqttOptions = {}): Promise<RqttReport> {
  const rt = await loadRuntime();
  const cases: RqttCaseResult[] = [];
  for (const file of resolveQttPaths(paths)) {
    let expanded: QttCase[];
    try {
      expanded = expandCases(file, loadQttFile(file));
    } catch (e) {
      const r: RqttCaseResult = { file, name: '(file)', format: null, status: 'failed', message: `cannot load: ${(e as Error).message}` };
      cases.push(r);
      opts.onCase?.(r);
      continue;
    }
    for (const c of expanded) {
      if (opts.filter && !`${c.file} :: ${c.name}`.includes(opts.filter)) continue;
      const r = await runRqttCase(c, rt, opts);
      cases.push(r);
      opts.onCase?.(r);
    }
  }
  return {
    cases,
    passed: cases.filter((c) => c.status === 'passed').length,
    failed: cases.filter((c) => c.status === 'failed').length,
    skipped: cases.filter((c) => c.status === 'skipped').length,
  };
}

const SERVER_DEFAULTS: Readonly<Record<string, string>> = { 'ksql.streams.auto.offset.reset': 'earliest' };
const SELECT = /^\s*SELECT\b/i;

async function runRqttCase(c: QttCase, rt: Runtime, opts: RqttOptions): Promise<RqttCaseResult> {
  const test = c.test as RqttTest;
  const done = (status: RqttCaseResult['status'], message: string): RqttCaseResult => ({ file: c.file, name: c.name, format: c.format, status, message });
  const props: Record<string, string> = {};
  for (const [k, v] of Object.entries(test.properties ?? {})) props[k] = typeof v === 'string' ? v : stringify(v) ?? String(v);
  let caseRt: CaseRuntime | null = null;
  let server: { url: string; close: () => Promise<void> } | null = null;
  try {
    caseRt = await rt.createEngine({ ...SERVER_DEFAULTS });
    const engine = caseRt.engine;
    server = await rt.startServer(caseRt.backend, SERVER_DEFAULTS);
    const inputSchemaIds = new Map<string, number>();
    const ctx: CodecContext = { serde: rt.serde, registry: engine.registry, inputSchemaIds };
    for (const t of test.topics ?? []) for (const [subject, id] of registerTopicSchemas(engine.registry, t)) inputSchemaIds.set(subject, id);
    for (const [name, partitions] of topicsToCreate(test)) engine.createTopic(name, partitions);

    const actual: Actual[] = [];
    let error: CaseError | null = null;
    let produced: Promise<void> | null = null;
    const produceAll = (): Promise<void> => {
      produced ??= (async () => {
        for (const r of test.inputs ?? []) await produceInput(engine, ctx, r, true);
      })();
      produced.catch(() => {}); // awaited later; started without waiting when a push query is active
      return produced;
    };
    const waitForPush = test.inputConditions?.waitForActivePushQuery === true;
    for (const stmt of test.statements) {
      try {
        if (SELECT.test(stmt)) {
          if (!waitForPush) await produceAll();
          const expectedCount = expectedItems(test, actual.length);
          actual.push(await runQuery(server.url, stmt, props, expectedCount, opts.pushTimeoutMs ?? 1500, waitForPush ? () => void produceAll() : null));
        } else {
          const entities = await postKsql(server.url, stmt, props);
          await caseRt.settle();
          for (const e of entities) actual.push({ kind: 'admin', entity: e });
        }
      } catch (e) {
        if (!(e instanceof CaseError)) throw e;
        error = e;
        break;
      }
    }
    if (!error) await produceAll();
    await caseRt.settle();

    if (test.expectedError) {
      if (!error) return done('failed', `expected error containing "${test.expectedError.message ?? ''}", but every statement succeeded`);
      const want = test.expectedError.message ?? '';
      if (!error.message.includes(want)) return done('failed', `expected error containing ${JSON.stringify(want)}, got ${JSON.stringify(error.message)}`);
      const status = test.expectedError.status;
      if (status !== undefined && status !== null && toNumber(status) !== error.status) return done('failed', `expected HTTP status ${show(status)}, got ${error.status}`);
    } else if (error) {
      return done('failed', `statement failed (HTTP ${error.status}): ${error.message}`);
    }
    const diff = compareResponses(test.responses ?? null, actual) ?? checkOutputs(engine, ctx, test.outputs ?? []);
    return diff ? done('failed', diff) : done('passed', '');
  } catch (e) {
    const stack = e instanceof Error && e.stack ? `\n${e.stack.split('\n').slice(1, 4).join('\n')}` : '';
    return done('failed', `runner error: ${e instanceof Error ? e.message : String(e)}${stack}`);
  } finally {
    await server?.close().catch(() => undefined);
    try {
      await caseRt?.engine.close();
    } catch {
      // ignore
    }
  }
}

/** The number of items the expected response at `index` has (so that a push query without LIMIT can stop). */
function expectedItems(test: RqttTest, index: number): number | null {
  const r = test.responses?.[index] as { query?: readonly Json[] } | undefined;
  return Array.isArray(r?.query) ? r.query.length : null;
}

// ---------------------------------------------------------------------------------------- HTTP

async function postKsql(url: string, ksql: string, props: Readonly<Record<string, string>>): Promise<Json[]> {
  const res = await fetch(`${url}/ksql`, { method: 'POST', headers: { 'Content-Type': 'application/vnd.ksql.v1+json' }, body: JSON.stringify({ ksql, streamsProperties: props }) });
  const text = await res.text();
  const body = parseBody(text);
  if (!res.ok) throw new CaseError(errorMessage(body, text), res.status, body);
  if (!Array.isArray(body)) throw new Error(`/ksql answered ${text}`);
  return body;
}

/**
 * Posts a SELECT to /query and reads the answer: a JSON array written item by
 * item. Stops at the end of the body, or, for a push query without LIMIT, once
 * `expected` items arrived or `timeoutMs` passed. `onHeader` runs once the
 * header arrived (inputs produced while the push query is active).
 */
async function runQuery(url: string, ksql: string, props: Readonly<Record<string, string>>, expected: number | null, timeoutMs: number, onHeader: (() => void) | null): Promise<Actual> {
  const abort = new AbortController();
  const res = await fetch(`${url}/query`, { method: 'POST', headers: { 'Content-Type': 'application/vnd.ksql.v1+json' }, body: JSON.stringify({ ksql, streamsProperties: props }), signal: abort.signal });
  if (!res.ok) {
    const text = await res.text();
    const body = parseBody(text);
    throw new CaseError(errorMessage(body, text), res.status, body);
  }
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let headerSeen = false;
  let timer: NodeJS.Timeout | null = null;
  const items = (): Json[] | null => {
    const t = text.trimEnd();
    for (const candidate of [t, t + ']', t.replace(/,\s*$/, '') + ']']) {
      try {
        const v = parse(candidate);
        if (Array.isArray(v)) return v;
      } catch {
        // incomplete
      }
    }
    return null;
  };
  const deadline = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs + (onHeader ? 500 : 0))));
  try {
    for (;;) {
      const next = await Promise.race([reader.read(), deadline]);
      if (next === 'timeout') break;
      if (next.done) break;
      text += decoder.decode(next.value, { stream: true });
      const got = items();
      if (!headerSeen && got && got.length > 0) {
        headerSeen = true;
        onHeader?.();
      }
      if (got && hasFinal(got)) break;
      if (expected !== null && got && got.length >= expected) break;
    }
  } finally {
    if (timer) clearTimeout(timer);
    abort.abort();
    await reader.cancel().catch(() => undefined);
  }
  const got = items() ?? [];
  const pull = !/EMIT\s+(CHANGES|FINAL)/i.test(ksql);
  return { kind: 'query', items: got, pull };
}

function hasFinal(items: readonly Json[]): boolean {
  const last = items[items.length - 1] as Record<string, unknown> | undefined;
  return last !== undefined && last !== null && typeof last === 'object' && 'finalMessage' in last;
}

function parseBody(text: string): Json {
  try {
    return parse(text);
  } catch {
    return text;
  }
}

function errorMessage(body: Json, text: string): string {
  if (body && typeof body === 'object' && 'message' in (body as object)) return String((body as { message: unknown }).message);
  return text;
}

// ---------------------------------------------------------------------------------------- comparison

/** Fields ksqlDB's own runner does not hold a server to: generated ids and texts. */
const VOLATILE = new Set(['commandId', 'commandSequenceNumber', 'queryId', 'statementText', 'warnings']);

function compareResponses(expected: readonly Json[] | null, actual: readonly Actual[]): string | null {
  if (expected === null) return null;
  const wanted = expected.filter((e) => !(e && typeof e === 'object' && 'queryProto' in (e as object)));
  if (actual.length < wanted.length) return `expected ${wanted.length} responses, got ${actual.length}: ${show(actual.map(showActual))}`;
  for (let i = 0; i < wanted.length; i++) {
    const exp = wanted[i] as Record<string, Json>;
    const act = actual[i]!;
    if ('admin' in exp) {
      if (act.kind !== 'admin') return `response #${i}: expected an admin entity, got a query result`;
      const d = subsetDiff(exp['admin'], act.entity, `response #${i}.admin`);
      if (d) return d;
      continue;
    }
    if ('query' in exp) {
      if (act.kind !== 'query') return `response #${i}: expected a query result, got ${show(act.entity)}`;
      const d = compareQuery(exp['query'] as readonly Json[], act, `response #${i}.query`);
      if (d) return d;
      continue;
    }
    return `response #${i}: unknown expectation ${show(exp)}`;
  }
  return null;
}

function showActual(a: Actual): Json {
  return a.kind === 'admin' ? { admin: a.entity } : { query: a.items };
}

function compareQuery(expected: readonly Json[], act: Actual & { kind: 'query' }, path: string): string | null {
  const exp = expected as readonly Record<string, Json>[];
  const got = act.items as readonly Record<string, Json>[];
  const header = exp.find((x) => 'header' in x);
  if (header) {
    const h = got.find((x) => x && typeof x === 'object' && 'header' in x);
    if (!h) return `${path}: no header in ${show(got)}`;
    const d = subsetDiff(header['header'], h['header'], `${path}.header`);
    if (d) return d;
  }
  const rows = (xs: readonly Record<string, Json>[]): Json[] => xs.filter((x) => x && typeof x === 'object' && 'row' in x).map((x) => x['row']);
  const finals = (xs: readonly Record<string, Json>[]): Json[] => xs.filter((x) => x && typeof x === 'object' && 'finalMessage' in x).map((x) => x['finalMessage']);
  const er = rows(exp);
  const ar = rows(got);
  const ordered = diffValues(er, ar, `${path}.rows`);
  if (ordered) {
    // a table scan has no defined order: compare as a multiset
    const unordered = act.pull && er.length === ar.length && sameMultiset(er, ar);
    if (!unordered) return `${ordered}\n  expected rows: ${show(er)}\n  actual rows:   ${show(ar)}`;
  }
  const ef = finals(exp);
  const af = finals(got);
  const f = diffValues(ef, af, `${path}.finalMessage`);
  if (f) return f;
  const errs = got.filter((x) => x && typeof x === 'object' && 'errorMessage' in x);
  if (errs.length > 0) return `${path}: error in stream: ${show(errs[0])}`;
  return null;
}

function sameMultiset(a: readonly Json[], b: readonly Json[]): boolean {
  const rest = [...b];
  for (const x of a) {
    const i = rest.findIndex((y) => diffValues(x, y) === null);
    if (i < 0) return false;
    rest.splice(i, 1);
  }
  return rest.length === 0;
}

/**
 * The expected object's fields must match the actual's (recursively for
 * objects); `field|starts_with` compares a prefix. Volatile fields are
 * compared only when they are non-empty in the expectation and not ids.
 */
function subsetDiff(expected: Json, actual: Json, path: string): string | null {
  if (expected === null || typeof expected !== 'object' || Array.isArray(expected) || isLosslessNumber(expected)) return diffValues(expected, actual, path);
  if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return `${path}: expected ${show(expected)}, got ${show(actual)}`;
  const a = actual as Record<string, Json>;
  for (const [k, v] of Object.entries(expected as Record<string, Json>)) {
    const [field, op] = k.split('|');
    if (op === 'starts_with') {
      const got = a[field!];
      if (typeof got !== 'string' || !got.startsWith(String(v))) return `${path}.${field}: expected to start with ${show(v)}, got ${show(got)}`;
      continue;
    }
    if (VOLATILE.has(k) && (k === 'commandId' || k === 'queryId' || k === 'commandSequenceNumber')) continue;
    if (k === 'statementText' && typeof v === 'string' && typeof a[k] === 'string') {
      if (normalizeSql(v) !== normalizeSql(a[k] as string)) return `${path}.${k}: expected ${show(v)}, got ${show(a[k])}`;
      continue;
    }
    if (!(k in a)) return `${path}: missing field ${k} (got ${show(actual)})`;
    const d = subsetDiff(v, a[k], `${path}.${k}`);
    if (d) return d;
  }
  return null;
}

function normalizeSql(s: string): string {
  return s.replace(/\s+/g, ' ').replace(/;\s*$/, '').trim().toUpperCase();
}

// ---------------------------------------------------------------------------------------- topics and records







function checkOutputs(engine: CaseEngine, ctx: CodecContext, outputs: readonly QttRecord[]): string | null {
  for (const [topic, expected] of outputsByTopic(outputs)) {
    const actual = actualRecords(engine, ctx, topic, expected);
    for (let i = 0; i < Math.min(expected.length, actual.length); i++) {
      const d = diffRecord(expected[i]!, actual[i]!);
      if (d) return `topic ${topic}, record #${i}: ${d}\n  expected: ${showRecord(expected[i]!)}\n  actual:   ${showRecord(actual[i]!)}`;
    }
    if (actual.length !== expected.length) return `topic ${topic}: expected ${expected.length} records, got ${actual.length}`;
  }
  return null;
}

/** One line per file and a total, for the CLI. */
export function rqttSummary(report: RqttReport): string {
  const files = new Map<string, { passed: number; failed: number; skipped: number }>();
  for (const c of report.cases) {
    const f = files.get(c.file) ?? { passed: 0, failed: 0, skipped: 0 };
    f[c.status]++;
    files.set(c.file, f);
  }
  const lines = [...files.entries()].map(([f, n]) => `${f}: ${n.passed}/${n.passed + n.failed} passed${n.skipped ? `, ${n.skipped} skipped` : ''}`);
  const total = report.passed + report.failed;
  lines.push(`total: ${report.passed}/${total} passed (${total ? ((100 * report.passed) / total).toFixed(1) : '0.0'}%), ${report.failed} failed, ${report.skipped} skipped`);
  return lines.join('\n');
}
