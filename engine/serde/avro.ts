/**
 * AVRO format (avsc) with the Confluent wire format: magic byte 0, 4-byte
 * big-endian schema id, Avro binary. Writes with the schema given by SCHEMA_ID,
 * else with a schema generated from the columns (ksqlDB naming:
 * `io.confluent.ksql.avro_schemas.KsqlDataSourceSchema`, nested records
 * `<parent>_<FIELD>`, every field an optional union with null), registered
 * under `<topic>-key` / `<topic>-value`. Reads with the writer schema found by
 * id, then coerces the generic datum to the columns' types (so an Avro int
 * reads into a STRING column as ksqlDB does).
 */
import avro from 'avsc';
import type { Schema, Type } from 'avsc';
import { Decimal } from 'decimal.js';
import { assertNever, type SqlType } from '../types/sql-type.js';
import { coerce, isPlainObject, lookupField } from './coerce.js';
import { referencedSchemas } from './schema-registry.js';
import { SerdeError, type SchemaRegistry, type Serde, type SerdeColumn } from './types.js';

export const AVRO_NAMESPACE = 'io.confluent.ksql.avro_schemas';
export const AVRO_DEFAULT_NAME = 'KsqlDataSourceSchema';

// ---------------------------------------------------------------- avsc types

const BigLong = avro.types.LongType.__with({
  fromBuffer: (buf: Buffer) => buf.readBigInt64LE(),
  toBuffer: (n: bigint) => {
    const buf = Buffer.alloc(8);
    buf.writeBigInt64LE(BigInt.asIntN(64, n));
    return buf;
  },
  fromJSON: (n: unknown) => BigInt(String(n)),
  toJSON: (n: bigint) => Number(n),
  isValid: (n: unknown) => typeof n === 'bigint',
  compare: (a: bigint, b: bigint) => (a === b ? 0 : a < b ? -1 : 1),
});

function bigintToTwos(n: bigint): Buffer {
  if (n === 0n) return Buffer.from([0]);
  const bytes: number[] = [];
  let v = n;
  for (;;) {
    const b = Number(BigInt.asUintN(8, v));
    bytes.unshift(b);
    v >>= 8n;
    if ((v === 0n && (b & 0x80) === 0) || (v === -1n && (b & 0x80) !== 0)) break;
  }
  return Buffer.from(bytes);
}

function twosToBigint(buf: Buffer): bigint {
  if (buf.length === 0) return 0n;
  let v = 0n;
  for (const b of buf) v = (v << 8n) | BigInt(b);
  return BigInt.asIntN(buf.length * 8, v);
}

/** Decimal ⇄ big-endian two's complement unscaled value. */
export function decimalToBytes(d: Decimal, scale: number): Buffer {
  const unscaled = BigInt(d.toDecimalPlaces(scale, Decimal.ROUND_HALF_UP).times(new Decimal(10).pow(scale)).toFixed(0));
  return bigintToTwos(unscaled);
}

export function bytesToDecimal(buf: Buffer, scale: number): Decimal {
  return new Decimal(twosToBigint(buf).toString()).div(new Decimal(10).pow(scale));
}

class DecimalLogical extends avro.types.LogicalType {
  readonly scale: number;
  readonly precision: number;
  constructor(schema: Schema, opts?: unknown) {
    super(schema, opts);
    const s = schema as { scale?: number; precision?: number };
    this.scale = s.scale ?? 0;
    this.precision = s.precision ?? 64;
  }
  protected override _fromValue(val: Buffer): Decimal {
    return bytesToDecimal(val, this.scale);
  }
  protected override _toValue(val: unknown): Buffer {
    const d = Decimal.isDecimal(val) ? (val as Decimal) : new Decimal(String(val));
    const buf = decimalToBytes(d, this.scale);
    const fixedSize = (this.underlyingType as unknown as { size?: number }).size;
    if (fixedSize === undefined) return buf;
    const out = Buffer.alloc(fixedSize, (buf[0]! & 0x80) !== 0 ? 0xff : 0);
    buf.copy(out, fixedSize - buf.length);
    return out;
  }
  protected override _resolve(type: Type): unknown {
    if (type instanceof DecimalLogical && type.scale === this.scale) return (x: unknown) => x;
    return undefined;
  }
}

const typeCache = new Map<string, Type>();

/**
 * `{"type": "long"}` written as an object (no logical type) is the primitive `"long"`,
 * so avsc's registry makes it a bigint long too (a plain LongType loses digits past 2^53).
 */
function plainLongs(s: unknown): unknown {
  if (Array.isArray(s)) return s.map(plainLongs);
  if (s === null || typeof s !== 'object') return s;
  const o = s as Record<string, unknown>;
  if (o['type'] === 'long' && o['logicalType'] === undefined) return 'long';
  const out: Record<string, unknown> = { ...o };
  if (typeof o['type'] === 'object') out['type'] = plainLongs(o['type']);
  if (Array.isArray(o['fields'])) out['fields'] = (o['fields'] as Record<string, unknown>[]).map((f) => ({ ...f, type: plainLongs(f['type']) }));
  if (o['items'] !== undefined) out['items'] = plainLongs(o['items']);
  if (o['values'] !== undefined) out['values'] = plainLongs(o['values']);
  return out;
}

function parseAvroJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text; // a bare primitive name such as `int`
  }
}

/**
 * An avsc Type for schema text, longs as bigint and decimals as Decimal. `deps`: the texts
 * of the schema's references (dependencies first, see referencedSchemas), whose named
 * types the schema may use.
 */
export function avroType(schema: string | object, deps: readonly string[] = []): Type {
  const text = typeof schema === 'string' ? schema : JSON.stringify(schema);
  const cacheKey = deps.length === 0 ? text : [...deps, text].join('\u0000');
  let t = typeCache.get(cacheKey);
  if (!t) {
    const opts = {
      registry: { long: BigLong } as Record<string, Type>,
      logicalTypes: { decimal: DecimalLogical },
      wrapUnions: 'always' as const,
    };
    try {
      for (const d of deps) avro.Type.forSchema(plainLongs(parseAvroJson(d)) as Schema, opts);
      t = avro.Type.forSchema(plainLongs(parseAvroJson(text)) as Schema, opts);
    } catch (e) {
      throw new SerdeError(`Invalid Avro schema: ${(e as Error).message}`);
    }
    typeCache.set(cacheKey, t);
  }
  return t;
}

// ----------------------------------------------------------- schema from SQL

const AVRO_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function checkAvroName(name: string): void {
  if (!AVRO_NAME.test(name)) {
    const bad = /^[A-Za-z_]/.test(name) ? 'Illegal character in' : 'Illegal initial character:';
    throw new SerdeError(`Schema is not compatible with Avro: ${bad} ${name}`);
  }
}

function avroTypeOf(t: SqlType, recordName: string): unknown {
  switch (t.kind) {
    case 'BOOLEAN':
      return 'boolean';
    case 'INTEGER':
      return 'int';
    case 'BIGINT':
      return 'long';
    case 'DOUBLE':
      return 'double';
    case 'STRING':
      return 'string';
    case 'BYTES':
      return 'bytes';
    case 'DECIMAL':
      return { type: 'bytes', scale: t.scale, precision: t.precision, 'connect.version': 1, 'connect.parameters': { scale: String(t.scale), 'connect.decimal.precision': String(t.precision) }, 'connect.name': 'org.apache.kafka.connect.data.Decimal', logicalType: 'decimal' };
    case 'DATE':
      return { type: 'int', 'connect.version': 1, 'connect.name': 'org.apache.kafka.connect.data.Date', logicalType: 'date' };
    case 'TIME':
      return { type: 'int', 'connect.version': 1, 'connect.name': 'org.apache.kafka.connect.data.Time', logicalType: 'time-millis' };
    case 'TIMESTAMP':
      return { type: 'long', 'connect.version': 1, 'connect.name': 'org.apache.kafka.connect.data.Timestamp', logicalType: 'timestamp-millis' };
    case 'ARRAY':
      return { type: 'array', items: optional(avroTypeOf(t.element, recordName)) };
    case 'MAP':
      if (t.key.kind !== 'STRING') throw new SerdeError('Avro only supports MAPs with STRING keys');
      return { type: 'map', values: optional(avroTypeOf(t.value, recordName + '_MapValue')) };
    case 'STRUCT':
      return {
        type: 'record',
        name: recordName,
        fields: t.fields.map((f) => {
          checkAvroName(f.name);
          return { name: f.name, type: optional(avroTypeOf(f.type, `${recordName}_${f.name}`)), default: null };
        }),
      };
    case 'NULL':
      return 'null';
    default:
      return assertNever(t, 'type');
  }
}

function optional(t: unknown): unknown {
  return ['null', t];
}

/**
 * The Avro schema ksqlDB generates for the columns. `unwrapped`: the single
 * column's own (optional) type; otherwise a record named `fullName`.
 */
export function avroSchemaFor(columns: readonly SerdeColumn[], unwrapped: boolean, fullName?: string): unknown {
  const full = fullName ?? `${AVRO_NAMESPACE}.${AVRO_DEFAULT_NAME}`;
  const dot = full.lastIndexOf('.');
  const name = dot >= 0 ? full.slice(dot + 1) : full;
  const namespace = dot >= 0 ? full.slice(0, dot) : undefined;
  if (unwrapped) return optional(avroTypeOf(columns[0]!.type, name));
  for (const c of columns) checkAvroName(c.name);
  return {
    type: 'record',
    name,
    ...(namespace ? { namespace } : {}),
    fields: columns.map((c) => ({ name: c.name, type: optional(avroTypeOf(c.type, `${name}_${c.name}`)), default: null })),
  };
}

// --------------------------------------------------------- SQL → avsc datum

type AnyType = Type & Record<string, unknown>;

/** Converts a value of SQL type `sql` to a datum for the avsc type `t`. */
export function toAvroDatum(v: unknown, t: Type, sql: SqlType | undefined, path = '$'): unknown {
  const at = t as AnyType;
  const name = t.typeName;
  if (v === null || v === undefined) {
    if (name === 'null') return null;
    if (name.startsWith('union')) {
      const types = at['types'] as Type[];
      if (types.some((x) => x.typeName === 'null')) return null;
    }
    throw new SerdeError(`Cannot write null to a non-optional Avro field at ${path}`);
  }
  if (name === 'union:unwrapped' || name === 'union:wrapped') {
    const types = (at['types'] as Type[]).filter((x) => x.typeName !== 'null');
    if (types.length > 1 && sql?.kind === 'STRUCT' && isPlainObject(v)) {
      // Connect's struct for a union of several types: the member whose field is set
      for (const b of types) {
        const f = sql.fields.find((x) => x.name.toUpperCase() === unionMemberName(b).toUpperCase());
        const key = f ? Object.keys(v).find((k) => k.toUpperCase() === f.name.toUpperCase()) : undefined;
        const x = key !== undefined ? (v as Record<string, unknown>)[key] : undefined;
        if (f && x !== null && x !== undefined) {
          const datum = toAvroDatum(x, b, f.type, `${path}.${f.name}`);
          return name === 'union:wrapped' ? { [branchName(b)]: datum } : datum;
        }
      }
      if (types.length < (at['types'] as Type[]).length) return null;
    }
    const branch = pickBranch(types, v, sql);
    const datum = toAvroDatum(v, branch, sql, path);
    if (name === 'union:wrapped') return { [branchName(branch)]: datum };
    return datum;
  }
  if (t instanceof DecimalLogical) return Decimal.isDecimal(v) ? v : new Decimal(String(v));
  if (name.startsWith('logical:')) return toAvroDatum(v, at['underlyingType'] as Type, sql, path);
  switch (name) {
    case 'boolean':
      return Boolean(v);
    case 'int':
      return Number(v) | 0;
    case 'long': // a long with attributes (e.g. timestamp-millis) is avsc's plain LongType
      return Number(v);
    case 'abstract:long':
      return typeof v === 'bigint' ? v : BigInt(Math.trunc(Number(v)));
    case 'float':
    case 'double':
      return Number(v);
    case 'string':
      return typeof v === 'string' ? v : String(coerce(v, { kind: 'STRING' }));
    case 'enum':
      return String(v);
    case 'bytes':
    case 'fixed':
      return Buffer.isBuffer(v) ? v : Buffer.from(String(v), 'base64');
    case 'array': {
      const items = at['itemsType'] as Type;
      if (v instanceof Map) return mapAsEntries(v, items, sql, path);
      const el = sql?.kind === 'ARRAY' ? sql.element : undefined;
      return (v as unknown[]).map((e, i) => toAvroDatum(e, items, el, `${path}[${i}]`));
    }
    case 'map': {
      const values = at['valuesType'] as Type;
      const vt = sql?.kind === 'MAP' ? sql.value : undefined;
      const out: Record<string, unknown> = {};
      const entries = v instanceof Map ? [...v] : Object.entries(v as object);
      for (const [k, x] of entries) out[String(k)] = toAvroDatum(x, values, vt, `${path}.${String(k)}`);
      return out;
    }
    case 'record':
    case 'error': {
      const fields = at['fields'] as { name: string; type: Type; defaultValue(): unknown }[];
      const obj = isPlainObject(v) ? v : {};
      const sqlFields = sql?.kind === 'STRUCT' ? sql.fields : [];
      const out: Record<string, unknown> = {};
      for (const f of fields) {
        const sf = sqlFields.find((x) => x.name === f.name) ?? sqlFields.find((x) => x.name.toUpperCase() === f.name.toUpperCase());
        const raw = sf ? obj[sf.name] : lookupField(obj, f.name);
        if ((raw === undefined || raw === null) && f.defaultValue() !== undefined && !sf) {
          out[f.name] = f.defaultValue();
          continue;
        }
        if ((raw === undefined || raw === null) && f.defaultValue() !== undefined && f.defaultValue() !== null && !acceptsNull(f.type)) {
          out[f.name] = f.defaultValue();
          continue;
        }
        out[f.name] = toAvroDatum(raw ?? null, f.type, sf?.type, `${path}.${f.name}`);
      }
      return out;
    }
    default:
      throw new SerdeError(`Unsupported Avro type ${name} at ${path}`);
  }
}

function acceptsNull(t: Type): boolean {
  return t.typeName === 'null' || (t.typeName.startsWith('union') && ((t as AnyType)['types'] as Type[]).some((x) => x.typeName === 'null'));
}

function mapAsEntries(m: Map<unknown, unknown>, items: Type, sql: SqlType | undefined, path: string): unknown[] {
  const fields = (items as AnyType)['fields'] as { name: string; type: Type }[] | undefined;
  if (!fields) throw new SerdeError(`Cannot write a MAP as an Avro array of ${items.typeName} at ${path}`);
  const kf = fields.find((f) => f.name.toLowerCase() === 'key');
  const vf = fields.find((f) => f.name.toLowerCase() === 'value');
  const kt = sql?.kind === 'MAP' ? sql.key : undefined;
  const vt = sql?.kind === 'MAP' ? sql.value : undefined;
  return [...m].map(([k, x]) => ({
    ...(kf ? { [kf.name]: toAvroDatum(k, kf.type, kt, `${path}.key`) } : {}),
    ...(vf ? { [vf.name]: toAvroDatum(x, vf.type, vt, `${path}.value`) } : {}),
  }));
}

/** Connect's field name for a union member (see avroUnionMemberName): a named type's simple name, else its type. */
function unionMemberName(t: Type): string {
  const n = t.name;
  if (n) return n.includes('.') ? n.slice(n.lastIndexOf('.') + 1) : n;
  const tn = t.typeName.startsWith('logical:') ? ((t as AnyType)['underlyingType'] as Type).typeName : t.typeName;
  return tn.replace(/^abstract:/, '');
}

function branchName(t: Type): string {
  return (t as AnyType)['branchName'] as string ?? t.name ?? t.typeName;
}

function pickBranch(types: Type[], v: unknown, sql: SqlType | undefined): Type {
  const want = (tn: string) => types.find((x) => x.typeName === tn || x.typeName === `abstract:${tn}` || (x.typeName.startsWith('logical:') && ((x as AnyType)['underlyingType'] as Type).typeName === tn));
  let found: Type | undefined;
  switch (sql?.kind) {
    case 'BOOLEAN':
      found = want('boolean');
      break;
    case 'INTEGER':
    case 'DATE':
    case 'TIME':
      found = want('int') ?? want('long');
      break;
    case 'BIGINT':
    case 'TIMESTAMP':
      found = want('long') ?? want('int');
      break;
    case 'DOUBLE':
      found = want('double') ?? want('float');
      break;
    case 'DECIMAL':
      found = types.find((x) => x instanceof DecimalLogical);
      break;
    case 'STRING':
      found = want('string') ?? want('enum');
      break;
    case 'BYTES':
      found = want('bytes') ?? want('fixed');
      break;
    case 'ARRAY':
      found = want('array');
      break;
    case 'MAP':
      found = want('map') ?? want('array');
      break;
    case 'STRUCT':
      found = want('record');
      break;
    default:
      found = typeof v === 'string' ? want('string') : undefined;
  }
  return found ?? types[0]!;
}

// --------------------------------------------------------- avsc datum → SQL

/** Unwraps wrapped-union objects (`{"string": "x"}`) so the generic datum can be coerced. */
function unwrapUnions(v: unknown, t: Type): unknown {
  if (v === null || v === undefined) return null;
  const at = t as AnyType;
  const name = t.typeName;
  if (name === 'union:wrapped' && isPlainObject(v)) {
    const [k, x] = Object.entries(v)[0] ?? [];
    const types = at['types'] as Type[];
    const branch = types.find((b) => branchName(b) === k);
    const value = branch ? unwrapUnions(x, branch) : x;
    // a union of several non-null types reads as Connect's struct: the member set, the others null
    if (branch && types.filter((b) => b.typeName !== 'null').length > 1) return { [unionMemberName(branch)]: value };
    return value;
  }
  if (name === 'union:unwrapped') {
    const types = at['types'] as Type[];
    const branch = types.find((b) => b.typeName !== 'null' && b.isValid(v));
    return branch ? unwrapUnions(v, branch) : v;
  }
  if (name === 'array' && Array.isArray(v)) return v.map((e) => unwrapUnions(e, at['itemsType'] as Type));
  if (name === 'map' && isPlainObject(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = unwrapUnions(x, at['valuesType'] as Type);
    return out;
  }
  if ((name === 'record' || name === 'error') && isPlainObject(v)) {
    const out: Record<string, unknown> = {};
    for (const f of at['fields'] as { name: string; type: Type }[]) out[f.name] = unwrapUnions(v[f.name], f.type);
    return out;
  }
  return v;
}

// ------------------------------------------------------------------- serde

export interface ConfluentHeader {
  readonly id: number;
  readonly body: Buffer;
}

export function readConfluentHeader(bytes: Buffer, format: string): ConfluentHeader {
  if (bytes.length < 5 || bytes[0] !== 0) {
    throw new SerdeError(`Failed to deserialize ${format}: Unknown magic byte!`);
  }
  return { id: bytes.readInt32BE(1), body: bytes.subarray(5) };
}

export function confluentHeader(id: number): Buffer {
  const h = Buffer.alloc(5);
  h.writeUInt8(0, 0);
  h.writeInt32BE(id, 1);
  return h;
}

export interface AvroSerdeOptions {
  readonly topic: string;
  readonly isKey: boolean;
  readonly registry: SchemaRegistry;
  readonly unwrapped: boolean;
  /** SCHEMA_ID: write with (and expect) this registered schema */
  readonly schemaId?: number;
  /** FULL_SCHEMA_NAME for generated schemas */
  readonly fullSchemaName?: string;
}

export function avroSerde(columns: readonly SerdeColumn[], opts: AvroSerdeOptions): Serde {
  const subject = `${opts.topic}-${opts.isKey ? 'key' : 'value'}`;
  const generated = avroSchemaFor(columns, opts.unwrapped, opts.fullSchemaName);
  let writer: { id: number; type: Type } | undefined;
  const rowType: SqlType = { kind: 'STRUCT', fields: columns.map((c) => ({ name: c.name, type: c.type })) };

  function writerSchema(): { id: number; type: Type } {
    if (writer) return writer;
    if (opts.schemaId !== undefined) {
      const reg = opts.registry.byId(opts.schemaId);
      if (!reg) throw new SerdeError(`Schema with id ${opts.schemaId} does not exist in the Schema Registry.`);
      writer = { id: reg.id, type: avroType(reg.schema, referencedSchemas(opts.registry, reg)) };
    } else {
      const text = JSON.stringify(generated);
      const reg = opts.registry.register(subject, 'AVRO', text);
      writer = { id: reg.id, type: avroType(text) };
    }
    return writer;
  }

  return {
    serialize(values) {
      if (values === null) return null;
      const w = writerSchema();
      const isRecord = w.type.typeName === 'record';
      let datum: unknown;
      try {
        if (opts.unwrapped || !isRecord) {
          if ((values[0] ?? null) === null) return null;
          datum = toAvroDatum(values[0], w.type, columns[0]?.type);
        } else {
          const row: Record<string, unknown> = {};
          columns.forEach((c, i) => (row[c.name] = values[i] ?? null));
          datum = toAvroDatum(row, w.type, rowType);
        }
        return Buffer.concat([confluentHeader(w.id), w.type.toBuffer(datum)]);
      } catch (e) {
        if (e instanceof SerdeError) throw e;
        throw new SerdeError(`Error serializing Avro message: ${(e as Error).message}`);
      }
    },
    deserialize(bytes) {
      if (bytes === null) return null;
      const { id, body } = readConfluentHeader(bytes, 'Avro');
      const reg = opts.registry.byId(id);
      const type = reg ? avroType(reg.schema, referencedSchemas(opts.registry, reg)) : writerSchema().id === id ? writerSchema().type : undefined;
      if (!type) throw new SerdeError(`Failed to deserialize Avro: schema id ${id} not found in the Schema Registry`);
      let datum: unknown;
      try {
        datum = unwrapUnions(type.fromBuffer(body), type);
      } catch (e) {
        throw new SerdeError(`Failed to deserialize Avro: ${(e as Error).message}`);
      }
      if (datum === null) return null;
      if (opts.unwrapped || type.typeName !== 'record') return [coerce(datum, columns[0]!.type, '$')];
      const obj = datum as Record<string, unknown>;
      return columns.map((c) => coerce(lookupField(obj, c.name), c.type, `$.${c.name}`));
    },
  };
}
