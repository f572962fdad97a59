import { stringify } from 'lossless-json';
import type { DataSource } from '../../catalog/data-source.js';
import { InMemoryBroker, type BrokerRecord, type ProduceRecord, type TopicInfo } from '../../driver/broker.js';
import type { RegisteredSchema, SchemaReference, SchemaRegistry } from '../../serde/types.js';
import { diffValues, show } from './compare.js';
import { decodeSide, decodeWindowedKey, encodeSide, encodeWindowedKey, shapeLike, shapeOf, toNumber, type CodecContext, type SerdeApi } from './codec.js';
import { canonicalSchema, sourceSchemaString } from './schema-string.js';
import { SkipCase, type CaseResult, type Json, type QttCase, type QttHeader, type QttRecord, type QttTest, type QttTopic } from './types.js';

/**
 * The engine a case drives, seen as a test driver sees it: statements in,
 * records piped one at a time (each processed to completion before the next,
 * as Kafka Streams' TopologyTestDriver does), topics read back.
 */
export interface CaseEngine {
  readonly registry: SchemaRegistry;
  source(name: string): DataSource | undefined;
  sources(): readonly DataSource[];
  execute(sql: string, properties: Readonly<Record<string, string>>): unknown;
  createTopic(name: string, partitions: number): unknown;
  /** produces one record; resolves once everything it causes was processed (engines with `drain`: once queued) */
  pipe(topic: string, rec: ProduceRecord): void | Promise<void>;
  /**
   * Engines whose `pipe` does not wait (a real broker): sends what was piped
   * and waits until everything it causes was processed; `read` shows the
   * topics as of the last drain that read them (`read`).
   */
  drain?(read: boolean): Promise<void>;
  /** a topic's records in produce order, as a read_committed consumer sees them */
  read(topic: string): readonly BrokerRecord[];
  topic(name: string): TopicInfo | undefined;
  topics(): readonly TopicInfo[];
  close(): unknown;
  /** stops the engine and starts a new one on the same topics (a process restart): what state survives is what the runtime restores */
  restart?(): Promise<void>;
  /** the errors the engine's queries report (failed starts, failed tasks), where it can tell */
  queryErrors?(): readonly string[];
}

export interface EngineFactory {
  (opts: { readonly broker: InMemoryBroker; readonly properties: Readonly<Record<string, string>> }): CaseEngine | Promise<CaseEngine>;
}

/** What a case needs from the engine: injected so the runner is testable with fakes. */
export interface RunnerDeps {
  readonly createEngine: EngineFactory;
  readonly serde: SerdeApi;
  /**
   * The engine runs a task per partition (the Kafka runtime). ksqlDB's
   * harness creates undeclared topics with 4 partitions, but its topology
   * test driver runs one task that reads every record as partition 0; a
   * runtime with a task per partition sees the same only when records sit
   * where their key puts them. So: undeclared topics get the partitions of
   * the case's declared topics (1 when none), and an input that names no
   * partition goes where the default partitioner puts its key.
   */
  readonly taskPerPartition?: boolean;
  /** restart the engine halfway through a case's inputs (engines that can: `CaseEngine.restart`); a function chooses the cases */
  readonly restartMidway?: boolean | ((test: QttTest) => boolean);
}

/** Stateful statements (aggregations, joins, windows): the cases a restart midway tests. */
export function isStateful(test: Pick<QttTest, 'statements'>): boolean {
  return test.statements.some((s) => /\b(?:GROUP\s+BY|JOIN|WINDOW)\b/i.test(s));
}

/**
 * Whether piping the inputs all at once gives what piping them one by one
 * (each processed to completion before the next) gives, whatever the order
 * in which a task's partitions are fetched: when they all go to one
 * partition of one topic. (Inputs to several partitions, even in timestamp
 * order, are not: a task that fetched one partition's records before the
 * others', or before a repartition topic got its share, processes them
 * without waiting once max.task.idle.ms has passed, as Kafka Streams does.)
 */
export function orderInsensitive(inputs: readonly QttRecord[], partitionsOf: (topic: string) => number): boolean {
  const topics = new Set(inputs.map((r) => r.topic));
  return topics.size <= 1 && inputs.every((r) => partitionsOf(r.topic) <= 1);
}

/** The partitions of a case's undeclared topics (see RunnerDeps.taskPerPartition). */
export function undeclaredPartitions(test: QttTest, deps: Pick<RunnerDeps, 'taskPerPartition'>): number {
  if (!deps.taskPerPartition) return 4;
  return Math.max(1, ...(test.topics ?? []).map((t) => toNumber(t.partitions, 1) || 1));
}

export interface RunLimits {
  /** records produced per case (inputs and everything queries write) before the case is stopped */
  readonly maxRecords: number;
  /** wall-clock budget per case, checked whenever a record is produced */
  readonly timeoutMs: number;
}

export const DEFAULT_LIMITS: RunLimits = { maxRecords: 200_000, timeoutMs: 10_000 };

/** Properties every case starts from (ksqlDB's QTT reads topics from the start). */
export const DEFAULT_PROPERTIES: Readonly<Record<string, string>> = { 'ksql.streams.auto.offset.reset': 'earliest' };

class BudgetExceeded extends Error {
  override readonly name = 'BudgetExceeded';
}

/** A broker that stops a runaway case: a record budget and a deadline, checked on every produce. */
export class BudgetBroker extends InMemoryBroker {
  #produced = 0;
  readonly #deadline: number;
  constructor(readonly limits: RunLimits) {
    super();
    this.#deadline = Date.now() + limits.timeoutMs;
  }
  override produce(topic: string, rec: ProduceRecord): BrokerRecord {
    if (++this.#produced > this.limits.maxRecords) throw new BudgetExceeded(`case stopped: more than ${this.limits.maxRecords} records produced`);
    if (Date.now() > this.#deadline) throw new BudgetExceeded(`case stopped: over ${this.limits.timeoutMs} ms`);
    return super.produce(topic, rec);
  }
}

class CaseFailure extends Error {
  override readonly name = 'CaseFailure';
}

function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

function propsOf(test: QttTest): Record<string, string> {
  const props: Record<string, string> = { ...DEFAULT_PROPERTIES };
  for (const [k, v] of Object.entries(test.properties ?? {})) props[k] = typeof v === 'string' ? v : stringify(v) ?? String(v);
  return props;
}

function schemaTypeOf(format: string | undefined): RegisteredSchema['schemaType'] | null {
  switch ((format ?? '').toUpperCase()) {
    case 'AVRO':
      return 'AVRO';
    case 'PROTOBUF':
    case 'PROTOBUF_NOSR':
      return 'PROTOBUF';
    case 'JSON':
    case 'JSON_SR':
      return 'JSON';
    default:
      return null;
  }
}

function schemaText(schema: Json, type: RegisteredSchema['schemaType']): string {
  if (typeof schema === 'string') {
    if (type === 'PROTOBUF') return schema;
    try {
      const parsed: unknown = JSON.parse(schema);
      if (parsed !== null && typeof parsed === 'object') return schema;
    } catch {
      // a bare Avro type name such as "int"
    }
    return JSON.stringify(schema);
  }
  return stringify(schema) ?? 'null';
}

/**
 * Registers a test topic's key and value schemas (with their references, each under the
 * subject of its name, as ksqlDB's harness registers them); returns the ids by subject.
 */
export function registerTopicSchemas(registry: SchemaRegistry, t: QttTopic): Map<string, number> {
  const ids = new Map<string, number>();
  for (const [side, schema, fmt, id, refs] of [
    ['key', t.keySchema, t.keyFormat ?? t.format, t.keySchemaId, t.keySchemaReferences],
    ['value', t.valueSchema, t.valueFormat ?? t.format, t.valueSchemaId, t.valueSchemaReferences],
  ] as const) {
    if (schema === undefined || schema === null) continue;
    const type = schemaTypeOf(fmt) ?? 'AVRO';
    // ksqlDB's harness keeps references inside the parsed schema, so the topic's schema is
    // registered first (a test naming VALUE_SCHEMA_ID=1 means it) and its references after
    const withId = registry as SchemaRegistry & { registerWithId?: (s: string, t: typeof type, x: string, id?: number, refs?: readonly SchemaReference[]) => RegisteredSchema };
    if ((refs?.length ?? 0) > 0 && !withId.registerWithId) throw new SkipCase(`topic ${t.name}: schema references need a registry that keeps them`);
    const planned = (refs ?? []).map((r) => planReference(registry, r, type));
    const references = planned.map((r) => r.ref);
    const text = schemaText(schema, type);
    const subject = `${t.name}-${side}`;
    // ids come from the lossless JSON reader as number objects
    const reg =
      withId.registerWithId && ((id !== undefined && id !== null) || references.length > 0)
        ? withId.registerWithId(subject, type, text, id !== undefined && id !== null ? toNumber(id, 0) : undefined, references)
        : registry.register(subject, type, text);
    ids.set(subject, reg.id);
    for (const r of planned) {
      const got = registry.register(r.ref.subject, r.type, r.text);
      if (got.version !== r.ref.version) throw new CaseFailure(`schema reference ${r.ref.name} registered as version ${got.version}, not ${r.ref.version}`);
    }
  }
  return ids;
}

/** A test schema reference `{name, format, schema}`, to register under the subject `name` (its version: the existing one with that text, or the next). */
function planReference(registry: SchemaRegistry, ref: Json, fallback: RegisteredSchema['schemaType']): { ref: SchemaReference; type: RegisteredSchema['schemaType']; text: string } {
  if (ref === null || typeof ref !== 'object' || Array.isArray(ref)) throw new CaseFailure(`bad schema reference: ${stringify(ref) ?? ''}`);
  const r = ref as Record<string, Json>;
  const name = typeof r['name'] === 'string' ? r['name'] : '';
  if (!name || r['schema'] === undefined || r['schema'] === null) throw new CaseFailure(`schema reference without a name or schema: ${stringify(ref) ?? ''}`);
  const type = schemaTypeOf(typeof r['format'] === 'string' ? r['format'] : undefined) ?? fallback;
  const text = schemaText(r['schema'], type);
  const latest = registry.latest(name);
  const version = latest && latest.schema === text && latest.schemaType === type ? latest.version : (latest?.version ?? 0) + 1;
  return { ref: { name, subject: name, version }, type, text };
}

const CREATE_SOURCE = /^\s*CREATE\s+(?:OR\s+REPLACE\s+)?(?:SOURCE\s+)?(?:STREAM|TABLE)\b/i;
const KAFKA_TOPIC = /KAFKA_TOPIC\s*=\s*'([^']*)'/i;

/**
 * Topics a ksqlDB test pre-creates: declared ones, input topics, and topics of
 * CREATE STREAM/TABLE without PARTITIONS; undeclared ones with 4 partitions, as
 * ksqlDB's harness does (its topology test driver still reads every input
 * record from partition 0: see produceInput).
 */
export function topicsToCreate(test: QttTest, undeclared = 4): Map<string, number> {
  const topics = new Map<string, number>();
  for (const t of test.topics ?? []) topics.set(t.name, toNumber(t.partitions, 1) || 1);
  // an input naming a partition needs it
  const named = new Map<string, number>();
  for (const r of test.inputs ?? []) if (r.partition !== undefined && r.partition !== null) named.set(r.topic, Math.max(named.get(r.topic) ?? 0, toNumber(r.partition) + 1));
  for (const r of test.inputs ?? []) if (!topics.has(r.topic)) topics.set(r.topic, Math.max(undeclared, named.get(r.topic) ?? 1));
  for (const s of test.statements) {
    if (!CREATE_SOURCE.test(s) || /\bAS\s+SELECT\b/i.test(s) || /\bPARTITIONS\s*=/i.test(s)) continue;
    const m = KAFKA_TOPIC.exec(s);
    if (m && !topics.has(m[1]!)) topics.set(m[1]!, Math.max(undeclared, named.get(m[1]!) ?? 1));
  }
  return topics;
}

/** The source whose formats read (or write) a topic: the first declared one. */
export function sourceForTopic(engine: Pick<CaseEngine, 'sources'>, topic: string): DataSource | undefined {
  return engine.sources().find((s) => s.topic === topic);
}

function headersOf(h: readonly QttHeader[] | undefined): ProduceRecord['headers'] {
  return (h ?? []).map((x) => ({ key: x.KEY, value: x.VALUE === null || x.VALUE === undefined ? null : Buffer.from(x.VALUE, 'base64') }));
}

/** Writes one test input record, encoded with the formats of the source that reads its topic. */
export async function produceInput(engine: CaseEngine, ctx: CodecContext, r: QttRecord, byKey = false): Promise<void> {
  const src = sourceForTopic(engine, r.topic);
  let key: Buffer | null;
  let value: Buffer | null;
  if (src) {
    const shape = shapeOf(src);
    key = encodeSide(ctx, r.key ?? null, shape.keyFormat, shape.keyColumns, src.topic, true);
    if (r.window) key = encodeWindowedKey(ctx, key, r.window, shape.window);
    value = encodeSide(ctx, r.value ?? null, shape.valueFormat, shape.valueColumns, src.topic, false);
  } else {
    // nobody reads the topic: write strings as text, anything else as JSON
    const raw = (v: Json): Buffer | null => (v === undefined || v === null ? null : Buffer.from(typeof v === 'string' ? v : stringify(v) ?? '', 'utf8'));
    key = raw(r.key);
    value = raw(r.value);
  }
  const rec: ProduceRecord = {
    key,
    value,
    timestamp: toNumber(r.timestamp, 0),
    headers: headersOf(r.headers),
    ...(r.partition !== undefined && r.partition !== null ? { partition: toNumber(r.partition) } : byKey && (engine.topic(r.topic)?.partitions ?? 1) > 1 ? {} : { partition: 0 }),
  };
  await engine.pipe(r.topic, rec);
}

/** An output record as the test would write it, shaped like its expectation. */
export interface ActualRecord {
  readonly key: Json;
  readonly value: Json;
  readonly timestamp: number;
  readonly window: { readonly start: number; readonly end: number; readonly type: string } | null;
  readonly headers: readonly QttHeader[];
}

/** Decode a topic's records with the formats of the source that owns the topic, shaped like `expected` where given. */
export function actualRecords(engine: CaseEngine, ctx: CodecContext, topic: string, expected: readonly QttRecord[]): ActualRecord[] {
  const src = sourceForTopic(engine, topic);
  return engine.read(topic).map((rec, i): ActualRecord => {
    const exp = expected[i];
    const headers = rec.headers.map((h) => ({ KEY: h.key, VALUE: h.value === null ? null : h.value.toString('base64') }));
    if (!src) {
      return { key: rec.key?.toString('utf8') ?? null, value: rec.value?.toString('utf8') ?? null, timestamp: rec.timestamp, window: null, headers };
    }
    const shape = shapeOf(src);
    let keyBytes = rec.key;
    let window: ActualRecord['window'] = null;
    if (shape.window) {
      const w = decodeWindowedKey(ctx, rec.key, shape.window);
      keyBytes = w.inner;
      if (w.window) window = { start: w.window.start, end: w.window.end, type: shape.window.kind === 'SESSION' ? 'session' : 'time' };
    }
    const key = shapeLike(decodeSide(ctx, keyBytes, shape.keyFormat, shape.keyColumns, src.topic, true), exp?.key ?? null);
    const value = shapeLike(decodeSide(ctx, rec.value, shape.valueFormat, shape.valueColumns, src.topic, false), exp?.value ?? null);
    return { key, value, timestamp: rec.timestamp, window, headers };
  });
}

/** null when the record matches; else what differs first. */
export function diffRecord(exp: QttRecord, act: ActualRecord): string | null {
  const k = diffValues(exp.key ?? null, act.key, 'key');
  if (k) return k;
  const v = diffValues(exp.value ?? null, act.value, 'value');
  if (v) return v;
  if (exp.timestamp !== undefined && exp.timestamp !== null && toNumber(exp.timestamp) !== act.timestamp) {
    return `timestamp: expected ${show(exp.timestamp)}, got ${act.timestamp}`;
  }
  if (exp.window) {
    if (!act.window) return `window: expected ${show(exp.window)}, but the topic's key is not windowed`;
    const w = diffValues({ start: exp.window.start, end: exp.window.end, type: String(exp.window.type).toLowerCase() }, act.window, 'window');
    if (w) return w;
  }
  if (exp.headers) {
    const h = diffValues(exp.headers, act.headers, 'headers');
    if (h) return h;
  }
  return null;
}

export function showRecord(r: QttRecord | ActualRecord): string {
  const parts = [`key=${show(r.key ?? null)}`, `value=${show(r.value ?? null)}`];
  if (r.timestamp !== undefined) parts.push(`timestamp=${show(r.timestamp)}`);
  if (r.window) parts.push(`window=${show(r.window)}`);
  if (r.headers && r.headers.length > 0) parts.push(`headers=${show(r.headers)}`);
  return parts.join(' ');
}

/** Expected outputs grouped by topic, topics in order of first appearance. */
export function outputsByTopic(outputs: readonly QttRecord[]): Map<string, QttRecord[]> {
  const m = new Map<string, QttRecord[]>();
  for (const o of outputs) {
    const list = m.get(o.topic) ?? [];
    list.push(o);
    m.set(o.topic, list);
  }
  return m;
}

function checkOutputs(engine: CaseEngine, ctx: CodecContext, outputs: readonly QttRecord[]): string | null {
  for (const [topic, expected] of outputsByTopic(outputs)) {
    const actual = actualRecords(engine, ctx, topic, expected);
    for (let i = 0; i < Math.min(expected.length, actual.length); i++) {
      const d = diffRecord(expected[i]!, actual[i]!);
      if (d) return `topic ${topic}, record #${i}: ${d}\n  expected: ${showRecord(expected[i]!)}\n  actual:   ${showRecord(actual[i]!)}`;
    }
    if (actual.length !== expected.length) {
      const extra = actual.length > expected.length ? `first extra: ${showRecord(actual[expected.length]!)}` : `first missing: ${showRecord(expected[actual.length]!)}`;
      return `topic ${topic}: expected ${expected.length} records, got ${actual.length}${engine.topic(topic) ? '' : ' (no such topic)'}; ${extra}`;
    }
  }
  return null;
}

function formatName(f: Json): string | null {
  if (f === undefined || f === null) return null;
  if (typeof f === 'string') return f.toUpperCase();
  if (typeof f === 'object' && 'format' in (f as object)) return String((f as { format: unknown }).format).toUpperCase();
  return null;
}

function checkPost(engine: CaseEngine, test: QttTest): string | null {
  for (const exp of test.post?.sources ?? []) {
    const src = engine.source(exp.name) ?? engine.source(exp.name.toUpperCase());
    if (!src) return `post: source ${exp.name} does not exist`;
    if (exp.type && exp.type.toUpperCase() !== src.sourceType) return `post: source ${exp.name}: expected type ${exp.type.toUpperCase()}, got ${src.sourceType}`;
    if (exp.schema !== undefined) {
      const actual = sourceSchemaString(src);
      if (canonicalSchema(exp.schema) !== canonicalSchema(actual)) return `post: source ${exp.name}: expected schema ${exp.schema}, got ${actual}`;
    }
    const kf = formatName(exp.keyFormat);
    if (kf && kf !== src.keyFormat.format) return `post: source ${exp.name}: expected key format ${kf}, got ${src.keyFormat.format}`;
    if (exp.keyFormat && typeof exp.keyFormat === 'object') {
      const k = exp.keyFormat as { windowType?: unknown; windowSize?: unknown };
      if (k.windowType !== undefined) {
        const wt = k.windowType === null ? null : String(k.windowType).toUpperCase();
        const got = src.window?.kind ?? null;
        if (wt !== got) return `post: source ${exp.name}: expected window type ${wt}, got ${got}`;
      }
      if (k.windowSize !== undefined && k.windowSize !== null && toNumber(k.windowSize as Json) !== src.window?.sizeMs) {
        return `post: source ${exp.name}: expected window size ${show(k.windowSize)}, got ${src.window?.sizeMs ?? null}`;
      }
    }
    const vf = formatName(exp.valueFormat);
    if (vf && vf !== src.valueFormat.format) return `post: source ${exp.name}: expected value format ${vf}, got ${src.valueFormat.format}`;
    if (exp.isSource !== undefined && exp.isSource !== src.isSource) return `post: source ${exp.name}: expected isSource ${exp.isSource}, got ${src.isSource}`;
  }
  const topics = test.post?.topics;
  if (topics) {
    for (const t of topics.topics ?? []) {
      if (t.name.startsWith('_confluent-ksql-')) continue; // internal topics: ksqlDB's naming, not ours
      if (!engine.topic(t.name)) return `post: topic ${t.name} does not exist`;
    }
    if (topics.blacklist) {
      const re = new RegExp(`^(?:${topics.blacklist})$`);
      const bad = engine.topics().find((t) => re.test(t.name));
      if (bad) return `post: topic ${bad.name} matches the blacklist ${topics.blacklist}`;
    }
  }
  return null;
}

/** Run one expanded case on a fresh engine. Never throws. */
export async function runCase(c: QttCase, deps: RunnerDeps, limits: RunLimits = DEFAULT_LIMITS): Promise<CaseResult> {
  const started = Date.now();
  const test = c.test;
  const expectsException = test.expectedException !== undefined;
  const done = (status: CaseResult['status'], message: string, lenientPassed?: boolean): CaseResult => ({
    file: c.file,
    name: c.name,
    format: c.format,
    status,
    message,
    expectsException,
    durationMs: Date.now() - started,
    ...(lenientPassed !== undefined ? { lenientPassed } : {}),
  });
  let engine: CaseEngine | null = null;
  let timer: NodeJS.Timeout | undefined;
  // an engine that waits (a query that never settles) is stopped by the case's deadline too
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BudgetExceeded(`case stopped: over ${limits.timeoutMs} ms`)), limits.timeoutMs);
  });
  deadline.catch(() => {});
  const bounded = async <T>(v: T | Promise<T>): Promise<T> => (v instanceof Promise ? Promise.race([v, deadline]) : v);
  try {
    const broker = new BudgetBroker(limits);
    const properties = propsOf(test);
    engine = await bounded(deps.createEngine({ broker, properties }));
    const inputSchemaIds = new Map<string, number>();
    const ctx: CodecContext = { serde: deps.serde, registry: engine.registry, inputSchemaIds };
    for (const t of test.topics ?? []) for (const [subject, id] of registerTopicSchemas(engine.registry, t)) inputSchemaIds.set(subject, id);
    for (const [name, partitions] of topicsToCreate(test, undeclaredPartitions(test, deps))) await bounded(engine.createTopic(name, partitions));

    // ksqlDB's runner joins the statements with newlines into one script, so positions in
    // messages count lines from the first statement: each statement is run at its line.
    let line = 0;
    for (const [i, stmt] of test.statements.entries()) {
      const at = line;
      line += stmt.split('\n').length;
      try {
        await bounded(engine.execute('\n'.repeat(at) + stmt, properties));
      } catch (e) {
        if (e instanceof BudgetExceeded) throw e;
        const msg = errorMessage(e);
        if (!expectsException) throw new CaseFailure(`statement #${i} failed: ${msg}\n  ${stmt}`);
        const want = test.expectedException?.message ?? '';
        return msg.includes(want)
          ? done('passed', '', true)
          : done('failed', `expected exception containing "${want}", got: ${msg}`, true);
      }
    }
    if (expectsException) {
      // strictly, a statement had to fail; leniently, any failure while processing inputs counts too
      let lenient = false;
      try {
        for (const r of test.inputs ?? []) await bounded(produceInput(engine, ctx, r, deps.taskPerPartition));
        if (engine.drain) await bounded(engine.drain(false));
      } catch {
        lenient = true;
      }
      // a query that failed on a record, as a Kafka Streams task does ("Exception caught in process")
      const want = test.expectedException;
      const failed = (engine.queryErrors?.() ?? []).some((m) => m.includes(want?.message ?? '') && (want?.causeMessage === undefined || m.includes(want.causeMessage)));
      if (failed) return done('passed', '', true);
      return done('failed', `expected exception containing "${test.expectedException?.message ?? ''}", but every statement succeeded`, lenient);
    }
    const inputs = test.inputs ?? [];
    const restartAt = engine.restart && inputs.length > 1 && (typeof deps.restartMidway === 'function' ? deps.restartMidway(test) : deps.restartMidway) ? Math.floor(inputs.length / 2) : -1;
    const e0 = engine;
    // an engine that settles on its own (a real broker): after every input unless the inputs
    // may go all at once (or in two halves, around a restart), and before the outputs are read
    const settle = engine.drain ? (read = false) => e0.drain!(read) : null;
    const eachInput = settle !== null && !orderInsensitive(inputs, (t) => e0.topic(t)?.partitions ?? 1);
    // queries reading from the end must have joined their groups before the inputs come
    if (settle && properties['ksql.streams.auto.offset.reset'] !== 'earliest') await bounded(settle());
    for (const [i, r] of inputs.entries()) {
      try {
        if (i === restartAt) await bounded(engine.restart!());
        await bounded(produceInput(engine, ctx, r, deps.taskPerPartition));
        if (eachInput) await bounded(settle());
      } catch (e) {
        if (e instanceof BudgetExceeded || e instanceof SkipCase) throw e;
        throw new CaseFailure(`input #${i} (topic ${r.topic}) failed: ${errorMessage(e)}`);
      }
    }
    if (settle) await bounded(settle(true));
    const diff = checkOutputs(engine, ctx, test.outputs ?? []) ?? checkPost(engine, test);
    return diff ? done('failed', diff) : done('passed', '');
  } catch (e) {
    if (e instanceof SkipCase) return done('skipped', e.message);
    if (e instanceof CaseFailure || e instanceof BudgetExceeded) return done('failed', e.message, expectsException ? true : undefined);
    const stack = e instanceof Error && e.stack ? `\n${e.stack.split('\n').slice(1, 4).join('\n')}` : '';
    return done('failed', `runner error: ${errorMessage(e)}${stack}`, expectsException ? false : undefined);
  } finally {
    clearTimeout(timer);
    try {
      await Promise.race([engine?.close(), new Promise((r) => setTimeout(r, 1_000))]);
    } catch {
      // a failing close must not turn into a crash
    }
  }
}
