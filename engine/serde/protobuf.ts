/**
 * PROTOBUF format (protobufjs) with the Confluent wire format: magic 0, 4-byte
 * schema id, message-index path (zig-zag varints; `[0]` as a single 0 byte),
 * message bytes. PROTOBUF_NOSR is the bare message with a schema generated from
 * the columns. Generated schemas follow ksqlDB: `message ConnectDefault1`,
 * nested messages `ConnectDefault2`..., proto3 scalars (nulls written as
 * defaults) or google.protobuf wrappers when nullable representation is
 * WRAPPER; DECIMAL is confluent.type.Decimal, DATE google.type.Date, TIME
 * google.type.TimeOfDay, TIMESTAMP google.protobuf.Timestamp.
 */
import protobuf from 'protobufjs';
import { Decimal } from 'decimal.js';
import { assertNever, type SqlType } from '../types/sql-type.js';
import { bytesToDecimal, decimalToBytes, confluentHeader, readConfluentHeader } from './avro.js';
import { coerce, lookupField } from './coerce.js';
import { referencedSchemas } from './schema-registry.js';
import { SerdeError, type SchemaRegistry, type Serde, type SerdeColumn } from './types.js';

const BUILTINS = [
  'syntax = "proto3"; package confluent.type; message Decimal { bytes value = 1; uint32 precision = 2; int32 scale = 3; }',
  'syntax = "proto3"; package google.type; message Date { int32 year = 1; int32 month = 2; int32 day = 3; } message TimeOfDay { int32 hours = 1; int32 minutes = 2; int32 seconds = 3; int32 nanos = 4; }',
  'syntax = "proto3"; package google.protobuf; message Timestamp { int64 seconds = 1; int32 nanos = 2; }',
  'syntax = "proto3"; package google.protobuf; message DoubleValue { double value = 1; } message FloatValue { float value = 1; } message Int64Value { int64 value = 1; } message UInt64Value { uint64 value = 1; } message Int32Value { int32 value = 1; } message UInt32Value { uint32 value = 1; } message BoolValue { bool value = 1; } message StringValue { string value = 1; } message BytesValue { bytes value = 1; }',
];

const WRAPPERS: Record<string, string> = {
  BOOLEAN: 'google.protobuf.BoolValue',
  INTEGER: 'google.protobuf.Int32Value',
  BIGINT: 'google.protobuf.Int64Value',
  DOUBLE: 'google.protobuf.DoubleValue',
  STRING: 'google.protobuf.StringValue',
  BYTES: 'google.protobuf.BytesValue',
};

export interface ParsedProto {
  readonly root: protobuf.Root;
  /** top-level message types of the file, in declaration order */
  readonly messages: readonly protobuf.Type[];
  /** DECIMAL parameters from `(confluent.field_meta)` options, by `Message.field` full path */
  readonly decimals: ReadonlyMap<string, { precision: number; scale: number }>;
}

const parseCache = new Map<string, ParsedProto>();

/** Removes `[(confluent.field_meta) = {...}]` options (protobufjs cannot parse their list values), keeping decimal precision/scale. */
function stripFieldMeta(text: string): { text: string; meta: Map<string, { precision: number; scale: number }> } {
  const meta = new Map<string, { precision: number; scale: number }>();
  let out = '';
  let i = 0;
  for (;;) {
    const at = text.indexOf('[(confluent.field_meta)', i);
    if (at < 0) break;
    let depth = 0;
    let j = at;
    for (; j < text.length; j++) {
      const c = text[j];
      if (c === '[' || c === '{') depth++;
      else if (c === ']' || c === '}') {
        depth--;
        if (depth === 0) break;
      }
    }
    const opt = text.slice(at, j + 1);
    const before = text.slice(i, at);
    const field = /(\w+)\s*=\s*\d+\s*$/.exec(before)?.[1];
    const p = /value:\s*"(\d+)",\s*key:\s*"precision"|key:\s*"precision",\s*value:\s*"(\d+)"/.exec(opt);
    const s = /value:\s*"(\d+)",\s*key:\s*"scale"|key:\s*"scale",\s*value:\s*"(\d+)"/.exec(opt);
    if (field && (p || s)) meta.set(field, { precision: Number(p?.[1] ?? p?.[2] ?? 64), scale: Number(s?.[1] ?? s?.[2] ?? 0) });
    out += before;
    i = j + 1;
  }
  return { text: out + text.slice(i), meta };
}

/**
 * Parses a schema with the schemas it imports (`deps`: the texts of its references,
 * dependencies first, see referencedSchemas). `messages` are the schema's own
 * top-level messages, not those of its imports.
 */
export function parseProto(schema: string, deps: readonly string[] = []): ParsedProto {
  const cacheKey = deps.length === 0 ? schema : [...deps, schema].join('\u0000');
  let p = parseCache.get(cacheKey);
  if (p) return p;
  const root = new protobuf.Root();
  for (const b of BUILTINS) protobuf.parse(b, root, { keepCase: true });
  const decimals = new Map<string, { precision: number; scale: number }>();
  const parseInto = (source: string): protobuf.IParserResult => {
    const { text, meta } = stripFieldMeta(source.replace(/import\s+(?:public\s+|weak\s+)?['"][^'"]*['"]\s*;/g, ''));
    for (const [field, m] of meta) decimals.set(field, m);
    try {
      return protobuf.parse(text, root, { keepCase: true });
    } catch (e) {
      throw new SerdeError(`Invalid Protobuf schema: ${(e as Error).message}`);
    }
  };
  for (const d of deps) parseInto(d);
  const before = new Set<protobuf.ReflectionObject>();
  const collect = (n: protobuf.Namespace): void => {
    for (const x of n.nestedArray) {
      before.add(x);
      if (x instanceof protobuf.Namespace && !(x instanceof protobuf.Type)) collect(x);
    }
  };
  collect(root);
  const res = parseInto(schema);
  const ns = res.package ? root.lookup(res.package) : root;
  const builtinNames = new Set(['confluent', 'google']);
  const messages = ((ns as protobuf.Namespace | null)?.nestedArray ?? []).filter(
    (x): x is protobuf.Type => x instanceof protobuf.Type && !before.has(x) && !(ns === root && builtinNames.has(x.name)),
  );
  try {
    root.resolveAll();
  } catch (e) {
    throw new SerdeError(`Invalid Protobuf schema: ${(e as Error).message}`);
  }
  p = { root, messages, decimals };
  parseCache.set(cacheKey, p);
  return p;
}

// ----------------------------------------------------------- schema from SQL

export interface ProtoGenOptions {
  readonly wrapperNulls: boolean;
  /** nullable representation OPTIONAL: every singular field is a proto3 `optional` (explicit presence) */
  readonly optionalNulls?: boolean;
  readonly name?: string;
}

/** The proto3 schema text ksqlDB generates for the columns. */
export function protobufSchemaFor(columns: readonly SerdeColumn[], opts: ProtoGenOptions): string {
  const imports = new Set<string>();
  let counter = 1;
  const name = opts.name ?? 'ConnectDefault1';
  const fieldType = (t: SqlType, nested: string[], indent: string): string => {
    switch (t.kind) {
      case 'BOOLEAN':
      case 'INTEGER':
      case 'BIGINT':
      case 'DOUBLE':
      case 'STRING':
      case 'BYTES':
        if (opts.wrapperNulls) {
          imports.add('google/protobuf/wrappers.proto');
          return WRAPPERS[t.kind]!;
        }
        return { BOOLEAN: 'bool', INTEGER: 'int32', BIGINT: 'int64', DOUBLE: 'double', STRING: 'string', BYTES: 'bytes' }[t.kind];
      case 'DECIMAL':
        imports.add('confluent/type/decimal.proto');
        return 'confluent.type.Decimal';
      case 'DATE':
        imports.add('google/type/date.proto');
        return 'google.type.Date';
      case 'TIME':
        imports.add('google/type/timeofday.proto');
        return 'google.type.TimeOfDay';
      case 'TIMESTAMP':
        imports.add('google/protobuf/timestamp.proto');
        return 'google.protobuf.Timestamp';
      case 'ARRAY':
        return 'repeated ' + fieldType(t.element, nested, indent);
      case 'MAP':
        if (t.key.kind !== 'STRING') throw new SerdeError('PROTOBUF format only supports MAP types with STRING keys');
        return `map<string, ${fieldType(t.value, nested, indent).replace(/^repeated /, '')}>`;
      case 'STRUCT': {
        const msgName = `ConnectDefault${++counter}`;
        nested.push(message(msgName, t.fields, indent));
        return msgName;
      }
      case 'NULL':
        return 'string';
      default:
        return assertNever(t, 'type');
    }
  };
  const message = (msgName: string, fields: readonly { name: string; type: SqlType }[], indent: string): string => {
    const nested: string[] = [];
    const lines = fields.map((f, i) => {
      const ft = fieldType(f.type, nested, indent + '  ');
      const meta = f.type.kind === 'DECIMAL' ? ` [(confluent.field_meta) = {\n${indent}    params: [\n${indent}      {\n${indent}        key: "precision",\n${indent}        value: "${f.type.precision}"\n${indent}      },\n${indent}      {\n${indent}        key: "scale",\n${indent}        value: "${f.type.scale}"\n${indent}      }\n${indent}    ]\n${indent}  }]` : '';
      const label = opts.optionalNulls && !ft.startsWith('repeated ') && !ft.startsWith('map<') ? 'optional ' : '';
      return `${indent}  ${label}${ft} ${f.name} = ${i + 1}${meta};`;
    });
    return `${indent}message ${msgName} {\n${lines.join('\n')}\n${nested.map((n) => n + '\n').join('')}${indent}}`;
  };
  const body = message(name, columns, '');
  if ([...imports].some((i) => i.startsWith('confluent/'))) imports.add('confluent/meta.proto');
  const importLines = [...imports].sort().map((i) => `import "${i}";\n`).join('');
  return `syntax = "proto3";\n\n${importLines}${importLines ? '\n' : ''}${body}\n`;
}

// ------------------------------------------------------ message-index paths

function writeZigZagVarint(n: number, out: number[]): void {
  let v = (n << 1) ^ (n >> 31);
  v >>>= 0;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
}

function readZigZagVarint(buf: Buffer, pos: { i: number }): number {
  let shift = 0;
  let v = 0;
  for (;;) {
    if (pos.i >= buf.length) throw new SerdeError('Failed to deserialize Protobuf: truncated message indexes');
    const b = buf[pos.i++]!;
    v |= (b & 0x7f) << shift;
    if ((b & 0x80) === 0) break;
    shift += 7;
  }
  return (v >>> 1) ^ -(v & 1);
}

export function encodeMessageIndexes(path: readonly number[]): Buffer {
  if (path.length === 1 && path[0] === 0) return Buffer.from([0]);
  const out: number[] = [];
  writeZigZagVarint(path.length, out);
  for (const p of path) writeZigZagVarint(p, out);
  return Buffer.from(out);
}

export function decodeMessageIndexes(buf: Buffer): { path: number[]; rest: Buffer } {
  const pos = { i: 0 };
  const n = readZigZagVarint(buf, pos);
  const path: number[] = [];
  if (n === 0) path.push(0);
  else for (let k = 0; k < n; k++) path.push(readZigZagVarint(buf, pos));
  return { path, rest: buf.subarray(pos.i) };
}

function typeAtPath(p: ParsedProto, path: readonly number[]): protobuf.Type {
  let t: protobuf.Type | undefined = p.messages[path[0] ?? 0];
  for (const idx of path.slice(1)) t = t?.nestedArray.filter((x): x is protobuf.Type => x instanceof protobuf.Type)[idx];
  if (!t) throw new SerdeError(`Failed to deserialize Protobuf: no message at index path [${path.join(', ')}]`);
  return t;
}

function pathOf(p: ParsedProto, t: protobuf.Type): number[] {
  const top = p.messages.indexOf(t);
  if (top >= 0) return [top];
  const parent = t.parent;
  if (parent instanceof protobuf.Type) {
    const idx = parent.nestedArray.filter((x) => x instanceof protobuf.Type).indexOf(t);
    return [...pathOf(p, parent), idx];
  }
  return [0];
}

function selectMessage(p: ParsedProto, fullName: string | undefined): protobuf.Type {
  if (!fullName) {
    const first = p.messages[0];
    if (!first) throw new SerdeError('Protobuf schema has no message');
    return first;
  }
  const t = p.root.lookup(fullName);
  if (!(t instanceof protobuf.Type)) throw new SerdeError(`Schema does not contain message ${fullName}`);
  return t;
}

// ------------------------------------------------------- SQL ⇄ proto object

const MS_PER_DAY = 86_400_000;

function wellKnown(t: protobuf.Type): string {
  return t.fullName.replace(/^\./, '');
}

function toProtoField(v: unknown, field: protobuf.Field, sql: SqlType | undefined): unknown {
  if (field.map) {
    if (v === null || v === undefined) return undefined;
    const out: Record<string, unknown> = {};
    const vt = sql?.kind === 'MAP' ? sql.value : undefined;
    const entries = v instanceof Map ? [...v] : Object.entries(v as object);
    for (const [k, x] of entries) out[String(k)] = toProtoScalarOrMessage(x, field.type, field.resolvedType, vt);
    return out;
  }
  if (field.repeated) {
    if (v === null || v === undefined) return [];
    const el = sql?.kind === 'ARRAY' ? sql.element : undefined;
    return (v as unknown[]).map((e) => toProtoScalarOrMessage(e, field.type, field.resolvedType, el) ?? defaultScalar(field.type));
  }
  return toProtoScalarOrMessage(v, field.type, field.resolvedType, sql);
}

function defaultScalar(type: string): unknown {
  switch (type) {
    case 'string':
      return '';
    case 'bool':
      return false;
    case 'bytes':
      return Buffer.alloc(0);
    default:
      return 0;
  }
}

function toProtoScalarOrMessage(v: unknown, type: string, resolved: protobuf.Type | protobuf.Enum | null, sql: SqlType | undefined): unknown {
  if (v === null || v === undefined) return undefined;
  if (resolved instanceof protobuf.Enum) return String(v);
  if (resolved instanceof protobuf.Type) {
    const wk = wellKnown(resolved);
    switch (wk) {
      case 'confluent.type.Decimal': {
        const d = Decimal.isDecimal(v) ? (v as Decimal) : new Decimal(String(v));
        const scale = sql?.kind === 'DECIMAL' ? sql.scale : Math.max(0, d.decimalPlaces());
        const precision = sql?.kind === 'DECIMAL' ? sql.precision : d.precision(true);
        return { value: decimalToBytes(d, scale), precision, scale };
      }
      case 'google.type.Date': {
        const dt = new Date(Number(v) * MS_PER_DAY);
        return { year: dt.getUTCFullYear(), month: dt.getUTCMonth() + 1, day: dt.getUTCDate() };
      }
      case 'google.type.TimeOfDay': {
        const ms = Number(v);
        return { hours: Math.floor(ms / 3_600_000), minutes: Math.floor(ms / 60_000) % 60, seconds: Math.floor(ms / 1000) % 60, nanos: (ms % 1000) * 1_000_000 };
      }
      case 'google.protobuf.Timestamp': {
        const ms = Number(v);
        const secs = Math.floor(ms / 1000);
        return { seconds: String(secs), nanos: (ms - secs * 1000) * 1_000_000 };
      }
      default:
        if (wk.startsWith('google.protobuf.') && wk.endsWith('Value')) {
          const inner = resolved.fields['value']!;
          return { value: toProtoScalarOrMessage(v, inner.type, null, sql) };
        }
        return toProtoMessage(v as Record<string, unknown>, resolved, sql);
    }
  }
  switch (type) {
    case 'int64':
    case 'uint64':
    case 'sint64':
    case 'fixed64':
    case 'sfixed64':
      return typeof v === 'bigint' ? v.toString() : String(Math.trunc(Number(v)));
    case 'int32':
    case 'uint32':
    case 'sint32':
    case 'fixed32':
    case 'sfixed32':
      return Number(v) | 0;
    case 'double':
    case 'float':
      return Number(v);
    case 'bool':
      return Boolean(v);
    case 'string':
      return typeof v === 'string' ? v : String(coerce(v, { kind: 'STRING' }));
    case 'bytes':
      return Buffer.isBuffer(v) ? v : Buffer.from(String(v), 'base64');
    default:
      return v;
  }
}

function toProtoMessage(obj: Record<string, unknown>, type: protobuf.Type, sql: SqlType | undefined): Record<string, unknown> {
  const sqlFields = sql?.kind === 'STRUCT' ? sql.fields : [];
  const out: Record<string, unknown> = {};
  for (const f of type.fieldsArray) {
    const sf = sqlFields.find((x) => x.name === f.name) ?? sqlFields.find((x) => x.name.toUpperCase() === f.name.toUpperCase());
    const raw = sf ? obj[sf.name] : lookupField(obj, f.name);
    const pv = toProtoField(raw ?? null, f, sf?.type);
    if (pv !== undefined) out[f.name] = pv;
  }
  return out;
}

/** Decoded proto object → generic JS (wrappers unwrapped, well-known types converted) for coercion. */
function fromProtoValue(v: unknown, resolved: protobuf.Type | protobuf.Enum | null): unknown {
  if (v === null || v === undefined) return null;
  if (!(resolved instanceof protobuf.Type)) return v;
  const o = v as Record<string, unknown>;
  const wk = wellKnown(resolved);
  switch (wk) {
    case 'confluent.type.Decimal':
      return bytesToDecimal(Buffer.from((o['value'] as Uint8Array | undefined) ?? []), Number(o['scale'] ?? 0));
    case 'google.type.Date':
      return Math.floor(Date.UTC(Number(o['year']), Number(o['month']) - 1, Number(o['day'])) / MS_PER_DAY);
    case 'google.type.TimeOfDay':
      return ((Number(o['hours']) * 60 + Number(o['minutes'])) * 60 + Number(o['seconds'])) * 1000 + Math.floor(Number(o['nanos']) / 1_000_000);
    case 'google.protobuf.Timestamp':
      return Number(o['seconds']) * 1000 + Math.floor(Number(o['nanos']) / 1_000_000);
    default:
      if (wk.startsWith('google.protobuf.') && wk.endsWith('Value')) return o['value'] ?? null;
      return fromProtoMessage(o, resolved);
  }
}

function fromProtoMessage(o: Record<string, unknown>, type: protobuf.Type): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of type.fieldsArray) {
    const v = o[f.name];
    if (f.map) {
      const m: Record<string, unknown> = {};
      for (const [k, x] of Object.entries((v as Record<string, unknown>) ?? {})) m[k] = fromProtoValue(x, f.resolvedType);
      out[f.name] = m;
    } else if (f.repeated) out[f.name] = ((v as unknown[]) ?? []).map((e) => fromProtoValue(e, f.resolvedType));
    else out[f.name] = fromProtoValue(v, f.resolvedType);
  }
  return out;
}

const TO_OBJECT: protobuf.IConversionOptions = { longs: String, enums: String, defaults: true, arrays: true, objects: true };

// ------------------------------------------------------------------- serde

export interface ProtobufSerdeOptions {
  readonly topic: string;
  readonly isKey: boolean;
  readonly registry: SchemaRegistry | null;
  readonly schemaId?: number;
  readonly fullSchemaName?: string;
  readonly wrapperNulls: boolean;
  readonly optionalNulls?: boolean;
  /** false: plain message bytes (PROTOBUF_NOSR) */
  readonly confluent: boolean;
}

export function protobufSerde(columns: readonly SerdeColumn[], opts: ProtobufSerdeOptions): Serde {
  const subject = `${opts.topic}-${opts.isKey ? 'key' : 'value'}`;
  const generatedText = protobufSchemaFor(columns, { wrapperNulls: opts.wrapperNulls, optionalNulls: opts.optionalNulls ?? false });
  const rowType: SqlType = { kind: 'STRUCT', fields: columns.map((c) => ({ name: c.name, type: c.type })) };
  let writer: { id: number; parsed: ParsedProto; type: protobuf.Type } | undefined;

  function writerSchema(): { id: number; parsed: ParsedProto; type: protobuf.Type } {
    if (writer) return writer;
    if (!opts.confluent || !opts.registry) {
      const parsed = parseProto(generatedText);
      writer = { id: -1, parsed, type: selectMessage(parsed, undefined) };
    } else if (opts.schemaId !== undefined) {
      const reg = opts.registry.byId(opts.schemaId);
      if (!reg) throw new SerdeError(`Schema with id ${opts.schemaId} does not exist in the Schema Registry.`);
      const parsed = parseProto(reg.schema, referencedSchemas(opts.registry, reg));
      writer = { id: reg.id, parsed, type: selectMessage(parsed, opts.fullSchemaName) };
    } else {
      const reg = opts.registry.register(subject, 'PROTOBUF', generatedText);
      const parsed = parseProto(reg.schema, referencedSchemas(opts.registry, reg));
      writer = { id: reg.id, parsed, type: selectMessage(parsed, undefined) };
    }
    return writer;
  }

  return {
    serialize(values) {
      if (values === null) return null;
      const w = writerSchema();
      const row: Record<string, unknown> = {};
      columns.forEach((c, i) => (row[c.name] = values[i] ?? null));
      let body: Buffer;
      try {
        const msg = w.type.fromObject(toProtoMessage(row, w.type, rowType));
        body = Buffer.from(w.type.encode(msg).finish());
      } catch (e) {
        throw new SerdeError(`Error serializing Protobuf message: ${(e as Error).message}`);
      }
      if (!opts.confluent) return body;
      return Buffer.concat([confluentHeader(w.id), encodeMessageIndexes(pathOf(w.parsed, w.type)), body]);
    },
    deserialize(bytes) {
      if (bytes === null) return null;
      let type: protobuf.Type;
      let body: Buffer;
      if (!opts.confluent || !opts.registry) {
        type = writerSchema().type;
        body = bytes;
      } else {
        const h = readConfluentHeader(bytes, 'Protobuf');
        const reg = opts.registry.byId(h.id);
        const parsed = reg ? parseProto(reg.schema, referencedSchemas(opts.registry, reg)) : writerSchema().parsed;
        const { path, rest } = decodeMessageIndexes(h.body);
        type = typeAtPath(parsed, path);
        body = rest;
      }
      let obj: Record<string, unknown>;
      try {
        obj = type.toObject(type.decode(body), TO_OBJECT) as Record<string, unknown>;
      } catch (e) {
        throw new SerdeError(`Failed to deserialize Protobuf: ${(e as Error).message}`);
      }
      const generic = fromProtoMessage(obj, type);
      return columns.map((c) => coerce(lookupField(generic, c.name), c.type, `$.${c.name}`));
    },
  };
}
