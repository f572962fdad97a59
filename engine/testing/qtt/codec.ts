import { Decimal } from 'decimal.js';
import { isLosslessNumber, parse, stringify } from 'lossless-json';
import type { Column, DataSource, WindowInfo } from '../../catalog/data-source.js';
import type { FormatInfo, SchemaRegistry, Serde, SerdeColumn, SerdeOptions, WindowBounds, WindowKind } from '../../serde/types.js';
import type { SqlType } from '../../types/sql-type.js';
import { normalizeActual } from './compare.js';
import type { Json, QttWindow } from './types.js';

/** A key serde that adds the window to the key bytes (ksqlDB's windowed key layouts). */
export interface WindowedSerde {
  serialize(key: { readonly values: readonly unknown[] | null; readonly window: WindowBounds }): Buffer | null;
  deserialize(bytes: Buffer | null): { readonly values: readonly unknown[] | null; readonly window: WindowBounds | null } | null;
}

/** What the runner needs from engine/serde (injected, so the runner's pieces test without it). */
export interface SerdeApi {
  createSerde(format: FormatInfo, columns: readonly SerdeColumn[], opts: SerdeOptions): Serde;
  windowedKeySerde(inner: Serde, kind: WindowKind, sizeMs: number | null): WindowedSerde;
  /** the serde's own test-JSON → row conversion, when it has one (preferred over jsonToRow) */
  fromTestJson?(json: unknown, columns: readonly SerdeColumn[], format: FormatInfo, isKey: boolean): unknown[] | null;
}

/** The part of a DataSource the codec uses to turn test JSON into bytes and back. */
export interface SourceShape {
  readonly topic: string;
  readonly keyFormat: FormatInfo;
  readonly valueFormat: FormatInfo;
  readonly keyColumns: readonly Column[];
  readonly valueColumns: readonly Column[];
  readonly window: WindowInfo | null;
}

export function shapeOf(s: DataSource): SourceShape {
  return {
    topic: s.topic,
    keyFormat: s.keyFormat,
    valueFormat: s.valueFormat,
    keyColumns: s.columns.filter((c) => c.namespace === 'KEY'),
    valueColumns: s.columns.filter((c) => c.namespace === 'VALUE'),
    window: s.window,
  };
}

export function toNumber(v: Json, dflt = 0): number {
  if (v === undefined || v === null) return dflt;
  return Number(String(v));
}

function isPlainObject(v: unknown): v is Record<string, Json> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !isLosslessNumber(v) && !Buffer.isBuffer(v) && !(v instanceof Map);
}

function findField(obj: Record<string, Json>, name: string): Json {
  if (name in obj) return obj[name];
  const upper = name.toUpperCase();
  for (const k of Object.keys(obj)) if (k.toUpperCase() === upper) return obj[k];
  return null;
}

/** Test JSON → a value of the engine's representation for `type` (see types/sql-type.ts). */
export function jsonToSql(v: Json, type: SqlType): unknown {
  if (v === undefined || v === null) return null;
  switch (type.kind) {
    case 'BOOLEAN':
      return typeof v === 'string' ? v.toLowerCase() === 'true' : Boolean(v);
    case 'INTEGER':
    case 'DOUBLE':
    case 'DATE':
    case 'TIME':
    case 'TIMESTAMP':
      return typeof v === 'number' ? v : Number(String(v));
    case 'BIGINT':
      return BigInt.asIntN(64, BigInt(String(v).replace(/\.0*$/, '')));
    case 'DECIMAL':
      return new Decimal(String(v)).toDecimalPlaces(type.scale, Decimal.ROUND_HALF_UP);
    case 'STRING':
      return typeof v === 'string' ? v : stringify(v) ?? '';
    case 'BYTES':
      return typeof v === 'string' ? Buffer.from(v, 'base64') : Buffer.from(stringify(v) ?? '');
    case 'ARRAY':
      return Array.isArray(v) ? v.map((x) => jsonToSql(x, type.element)) : null;
    case 'MAP': {
      const m = new Map<unknown, unknown>();
      if (isPlainObject(v)) for (const [k, x] of Object.entries(v)) m.set(jsonToSql(k, type.key), jsonToSql(x, type.value));
      return m;
    }
    case 'STRUCT': {
      if (!isPlainObject(v)) return null;
      const o: Record<string, unknown> = {};
      for (const f of type.fields) o[f.name] = jsonToSql(findField(v, f.name), f.type);
      return o;
    }
    case 'NULL':
      return null;
  }
}

/**
 * Test JSON of a key or value → one value per column. A JSON object naming a
 * column is a row; anything else is the single column's (unwrapped) value.
 */
export function jsonToRow(v: Json, columns: readonly Column[]): unknown[] | null {
  if (v === undefined || v === null) return null;
  if (columns.length === 1) {
    const c = columns[0]!;
    const wrapped = isPlainObject(v) && Object.keys(v).some((k) => k.toUpperCase() === c.name.toUpperCase()) && c.type.kind !== 'STRUCT';
    const structWrapped = isPlainObject(v) && c.type.kind === 'STRUCT' && Object.keys(v).length === 1 && Object.keys(v)[0]!.toUpperCase() === c.name.toUpperCase() && isPlainObject(findField(v, c.name));
    return [jsonToSql(wrapped || structWrapped ? findField(v as Record<string, Json>, c.name) : v, c.type)];
  }
  if (!isPlainObject(v)) throw new Error(`expected an object for columns ${columns.map((c) => c.name).join(', ')}, got ${stringify(v)}`);
  return columns.map((c) => jsonToSql(findField(v, c.name), c.type));
}

const JSON_SR_MAGIC = 0;

function schemaId(registry: SchemaRegistry, topic: string, isKey: boolean): number {
  return registry.latest(`${topic}-${isKey ? 'key' : 'value'}`)?.id ?? 0;
}

function kafkaBytes(v: Json, type: SqlType | undefined): Buffer {
  switch (type?.kind) {
    case 'INTEGER': {
      const b = Buffer.alloc(4);
      b.writeInt32BE(Number(String(v)));
      return b;
    }
    case 'BIGINT': {
      const b = Buffer.alloc(8);
      b.writeBigInt64BE(BigInt.asIntN(64, BigInt(String(v))));
      return b;
    }
    case 'DOUBLE': {
      const b = Buffer.alloc(8);
      b.writeDoubleBE(Number(String(v)));
      return b;
    }
    case 'BYTES':
      return Buffer.from(String(v), 'base64');
    default:
      return Buffer.from(typeof v === 'string' ? v : stringify(v) ?? '', 'utf8');
  }
}

function kafkaValue(b: Buffer, type: SqlType | undefined): Json {
  switch (type?.kind) {
    case 'INTEGER':
      return b.length === 4 ? b.readInt32BE() : `<${b.length} bytes: ${b.toString('hex')}>`;
    case 'BIGINT':
      return b.length === 8 ? normalizeActual(b.readBigInt64BE()) : `<${b.length} bytes: ${b.toString('hex')}>`;
    case 'DOUBLE':
      return b.length === 8 ? b.readDoubleBE() : `<${b.length} bytes: ${b.toString('hex')}>`;
    case 'BYTES':
      return b.toString('base64');
    default:
      return b.toString('utf8');
  }
}

export interface CodecContext {
  readonly serde: SerdeApi;
  readonly registry: SchemaRegistry;
  /** the ids of the schemas the test declares for its topics, by subject: inputs are written with them */
  readonly inputSchemaIds?: ReadonlyMap<string, number>;
}

/**
 * Test JSON → bytes for one side of a record. JSON and DELIMITED test values are
 * written as text exactly as the test has them (so the engine's deserializer sees
 * what ksqlDB's saw); KAFKA is written per column type; schema formats (AVRO,
 * PROTOBUF, ...) go through the engine's serde.
 */
export function encodeSide(ctx: CodecContext, v: Json, format: FormatInfo, columns: readonly Column[], topic: string, isKey: boolean): Buffer | null {
  if (v === undefined || v === null) return null;
  switch (format.format) {
    case 'NONE':
      return null;
    case 'JSON':
      return Buffer.from(stringify(v) ?? 'null', 'utf8');
    case 'JSON_SR': {
      // with a registered schema, the test's JSON as it is behind that schema's id; else through the serde (which registers one)
      if (!ctx.registry.latest(`${topic}-${isKey ? 'key' : 'value'}`)) {
        return ctx.serde.createSerde(format, columns, serdeOptions(ctx, format, topic, isKey)).serialize(testRow(ctx, v, format, columns, isKey));
      }
      const header = Buffer.alloc(5);
      header.writeUInt8(JSON_SR_MAGIC, 0);
      header.writeInt32BE(schemaId(ctx.registry, topic, isKey), 1);
      return Buffer.concat([header, Buffer.from(stringify(v) ?? 'null', 'utf8')]);
    }
    case 'DELIMITED':
      return Buffer.from(typeof v === 'string' ? v : stringify(v) ?? '', 'utf8');
    case 'KAFKA':
      return kafkaBytes(v, columns[0]?.type);
    default:
      return ctx.serde.createSerde(writerFormat(ctx, format, topic, isKey), columns, serdeOptions(ctx, format, topic, isKey)).serialize(testRow(ctx, v, format, columns, isKey));
  }
}

/**
 * The format an input is written with: an AVRO or PROTOBUF topic whose schema the test
 * declares is written with that schema, as ksqlDB's harness serializes inputs with the
 * topic's schema (a `float` field is a float on the wire, a wrapper a wrapper).
 */
function writerFormat(ctx: CodecContext, format: FormatInfo, topic: string, isKey: boolean): FormatInfo {
  if ((format.format !== 'PROTOBUF' && format.format !== 'AVRO') || format.properties['SCHEMA_ID'] !== undefined) return format;
  const id = ctx.inputSchemaIds?.get(`${topic}-${isKey ? 'key' : 'value'}`);
  return id !== undefined ? { ...format, properties: { ...format.properties, SCHEMA_ID: String(id) } } : format;
}

function testRow(ctx: CodecContext, v: Json, format: FormatInfo, columns: readonly Column[], isKey: boolean): unknown[] | null {
  return ctx.serde.fromTestJson ? ctx.serde.fromTestJson(v, columns, format, isKey) : jsonToRow(v, columns);
}

function serdeOptions(ctx: CodecContext, format: FormatInfo, topic: string, isKey: boolean): SerdeOptions {
  const wrap = format.properties['WRAP_SINGLE_VALUE'];
  return { topic, isKey, registry: ctx.registry, ...(wrap !== undefined && !isKey ? { wrapSingleValue: wrap.toLowerCase() === 'true' } : {}) };
}

/** A decoded side of an output record, before it is shaped like the expectation. */
export type Decoded =
  | { readonly kind: 'json'; readonly value: Json }
  | { readonly kind: 'row'; readonly columns: readonly Column[]; readonly values: readonly unknown[] };

export function decodeSide(ctx: CodecContext, bytes: Buffer | null, format: FormatInfo, columns: readonly Column[], topic: string, isKey: boolean): Decoded {
  if (bytes === null) return { kind: 'json', value: null };
  switch (format.format) {
    case 'NONE':
      return { kind: 'json', value: null };
    case 'JSON':
    case 'JSON_SR': {
      const body = format.format === 'JSON_SR' && bytes.length >= 5 && bytes[0] === JSON_SR_MAGIC ? bytes.subarray(5) : bytes;
      const text = body.toString('utf8');
      try {
        return { kind: 'json', value: parse(text) };
      } catch {
        return { kind: 'json', value: `<invalid JSON: ${text}>` };
      }
    }
    case 'DELIMITED':
      return { kind: 'json', value: bytes.toString('utf8') };
    case 'KAFKA':
      return { kind: 'json', value: kafkaValue(bytes, columns[0]?.type) };
    default: {
      const serde = ctx.serde.createSerde(format, columns, serdeOptions(ctx, format, topic, isKey));
      const values = serde.deserialize(bytes);
      return values === null ? { kind: 'json', value: null } : { kind: 'row', columns, values };
    }
  }
}

/** Shape a decoded side like the expectation: a row of one column compares as its value unless the test wrote an object naming it. */
export function shapeLike(d: Decoded, expected: Json): Json {
  if (d.kind === 'json') return d.value;
  // a row decoded through a schema format is named by its columns; where the test spells a
  // field with another case (the registered schema's names), use the test's spelling
  const spelled = new Map<string, string>();
  if (isPlainObject(expected)) for (const k of Object.keys(expected)) spelled.set(k.toUpperCase(), k);
  const obj: Record<string, Json> = {};
  d.columns.forEach((c, i) => (obj[c.name in (isPlainObject(expected) ? expected : {}) ? c.name : spelled.get(c.name.toUpperCase()) ?? c.name] = normalizeActual(d.values[i])));
  if (d.columns.length === 1) {
    const c = d.columns[0]!;
    const namesColumn = isPlainObject(expected) && Object.keys(expected).length === 1 && Object.keys(expected)[0]!.toUpperCase() === c.name.toUpperCase();
    if (!namesColumn) return normalizeActual(d.values[0]);
  }
  return obj;
}

export function windowKind(w: QttWindow, fallback: WindowInfo | null): WindowKind {
  if (w.type.toLowerCase() === 'session') return 'SESSION';
  return fallback && fallback.kind !== 'SESSION' ? fallback.kind : 'TUMBLING';
}

/** Key bytes with the window appended in ksqlDB's layout (through the engine's windowed serde). */
export function encodeWindowedKey(ctx: CodecContext, inner: Buffer | null, window: QttWindow, info: WindowInfo | null): Buffer | null {
  const start = toNumber(window.start);
  const end = toNumber(window.end);
  const kind = windowKind(window, info);
  const sizeMs = info?.sizeMs ?? (kind === 'SESSION' ? null : end - start);
  const raw: Serde = { serialize: () => inner, deserialize: () => [] };
  return ctx.serde.windowedKeySerde(raw, kind, sizeMs).serialize({ values: [], window: { start, end } });
}

/** Split windowed key bytes into the inner key bytes and the window. */
export function decodeWindowedKey(ctx: CodecContext, bytes: Buffer | null, info: WindowInfo): { inner: Buffer | null; window: WindowBounds | null } {
  let inner: Buffer | null = null;
  const raw: Serde = {
    serialize: () => null,
    deserialize: (b) => {
      inner = b;
      return [];
    },
  };
  const r = ctx.serde.windowedKeySerde(raw, info.kind, info.sizeMs).deserialize(bytes);
  return { inner, window: r?.window ?? null };
}
