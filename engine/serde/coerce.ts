/**
 * Coercion of loosely typed JS data (parsed JSON, decoded Avro / Protobuf
 * generic values, QTT test values) into the value representation of
 * `types/sql-type.ts`, as ksqlDB's deserializers coerce: numbers given as
 * strings, ints into BIGINT/DOUBLE, anything into STRING, case-insensitive
 * struct fields.
 */
import { Decimal } from 'decimal.js';
import { isLosslessNumber } from 'lossless-json';
import { javaDoubleToString } from '../types/java-format.js';
import { formatType, type SqlType, type StructField } from '../types/sql-type.js';
import { SerdeError } from './types.js';

const INT_RE = /^[+-]?\d+$/;
const MS_PER_DAY = 86_400_000;

/** Textual form of a numeric JS datum (number, bigint, LosslessNumber, Decimal, Long-like), or undefined. */
export function numericText(v: unknown): string | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : undefined;
  if (typeof v === 'bigint') return v.toString();
  if (isLosslessNumber(v)) return (v as { value: string }).value;
  if (Decimal.isDecimal(v)) return (v as Decimal).toString();
  return undefined;
}

function describe(v: unknown): string {
  if (v === null) return 'NullNode';
  if (typeof v === 'string') return 'TextNode';
  if (typeof v === 'boolean') return 'BooleanNode';
  if (typeof v === 'number' || typeof v === 'bigint' || isLosslessNumber(v)) return 'NumericNode';
  if (Array.isArray(v)) return 'ArrayNode';
  if (Buffer.isBuffer(v)) return 'BinaryNode';
  return 'ObjectNode';
}

function cannotConvert(v: unknown, type: SqlType, path: string): SerdeError {
  return new SerdeError(
    `Can't convert type. sourceType: ${describe(v)}, requiredType: ${formatType(type)}, path: ${path}`,
  );
}

/** Find a field in a plain object: exact name first, then case-insensitive (ksqlDB upper-cases field names). */
export function lookupField(obj: Record<string, unknown>, name: string): unknown {
  if (Object.prototype.hasOwnProperty.call(obj, name)) return obj[name];
  const upper = name.toUpperCase();
  for (const k of Object.keys(obj)) if (k.toUpperCase() === upper) return obj[k];
  return undefined;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v) && !(v instanceof Map) &&
    !isLosslessNumber(v) && !Decimal.isDecimal(v) && typeof v !== 'bigint';
}

function toInt32(v: unknown, type: SqlType, path: string): number {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v | 0; // fast path: Java int narrowing
  const text = typeof v === 'string' ? v.trim() : numericText(v);
  if (text === undefined) throw cannotConvert(v, type, path);
  let n: number;
  if (INT_RE.test(text)) n = Number(BigInt.asIntN(32, BigInt(text)));
  else {
    const d = Number(text);
    if (!Number.isFinite(d) || typeof v === 'string') throw cannotConvert(v, type, path);
    n = Math.trunc(d) | 0;
  }
  return n;
}

function toBigInt(v: unknown, type: SqlType, path: string): bigint {
  if (typeof v === 'bigint') return BigInt.asIntN(64, v);
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v); // fast path
  const text = typeof v === 'string' ? v.trim() : numericText(v);
  if (text === undefined) throw cannotConvert(v, type, path);
  if (INT_RE.test(text)) return BigInt.asIntN(64, BigInt(text));
  if (typeof v === 'string') throw cannotConvert(v, type, path);
  const d = Number(text);
  if (!Number.isFinite(d)) throw cannotConvert(v, type, path);
  return BigInt.asIntN(64, BigInt(Math.trunc(d)));
}

function toDouble(v: unknown, type: SqlType, path: string): number {
  if (typeof v === 'string') {
    const t = v.trim();
    if (t === 'NaN') return NaN;
    if (t === 'Infinity' || t === '+Infinity') return Infinity;
    if (t === '-Infinity') return -Infinity;
    const d = Number(t);
    if (t === '' || Number.isNaN(d)) throw cannotConvert(v, type, path);
    return d;
  }
  if (typeof v === 'number') return v;
  const text = numericText(v);
  if (text === undefined) throw cannotConvert(v, type, path);
  return Number(text);
}

/** Decimal rounded (HALF_UP) to the type's scale; fails when it does not fit the precision. */
export function toDecimal(v: unknown, type: SqlType & { kind: 'DECIMAL' }, path: string): Decimal {
  let d: Decimal;
  try {
    if (Decimal.isDecimal(v)) d = v as Decimal;
    else if (typeof v === 'string') d = new Decimal(v.trim());
    else {
      const text = numericText(v);
      if (text === undefined) throw cannotConvert(v, type, path);
      d = new Decimal(text);
    }
  } catch (e) {
    if (e instanceof SerdeError) throw e;
    throw cannotConvert(v, type, path);
  }
  if (!d.isFinite()) throw cannotConvert(v, type, path);
  const r = d.toDecimalPlaces(type.scale, Decimal.ROUND_HALF_UP);
  const intDigits = r.abs().truncated().isZero() ? 0 : r.abs().truncated().toFixed(0).length;
  if (intDigits > type.precision - type.scale) {
    throw new SerdeError(
      `Cannot fit decimal '${d.toString()}' into DECIMAL(${type.precision}, ${type.scale}) without rounding. (Requires ${intDigits + type.scale},${type.scale})`,
    );
  }
  return r;
}

function parseIsoDate(s: string): number | undefined {
  const m = /^([+-]?\d{4,})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return undefined;
  return Math.floor(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) / MS_PER_DAY);
}

function parseIsoTime(s: string): number | undefined {
  const m = /^(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?$/.exec(s);
  if (!m) return undefined;
  const ms = m[4] ? Number((m[4] + '00').slice(0, 3)) : 0;
  return ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3] ?? 0)) * 1000 + ms;
}

function parseIsoTimestamp(s: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T/.test(s)) return undefined;
  const withZone = /(Z|[+-]\d{2}:?\d{2})$/.test(s) ? s : s + 'Z';
  const t = Date.parse(withZone);
  return Number.isNaN(t) ? undefined : t;
}

function toTemporal(v: unknown, type: SqlType, path: string): number {
  if (typeof v === 'string') {
    const t = v.trim();
    if (INT_RE.test(t)) return Number(t);
    const parsed =
      type.kind === 'DATE' ? parseIsoDate(t) : type.kind === 'TIME' ? parseIsoTime(t) : parseIsoTimestamp(t);
    if (parsed === undefined) throw cannotConvert(v, type, path);
    return parsed;
  }
  if (v instanceof Date) {
    return type.kind === 'DATE' ? Math.floor(v.getTime() / MS_PER_DAY) : v.getTime();
  }
  const text = numericText(v);
  if (text === undefined) throw cannotConvert(v, type, path);
  return Math.trunc(Number(text));
}

function toBytes(v: unknown, type: SqlType, path: string): Buffer {
  if (Buffer.isBuffer(v)) return v;
  if (v instanceof Uint8Array) return Buffer.from(v);
  if (typeof v === 'string') return Buffer.from(v, 'base64');
  throw cannotConvert(v, type, path);
}

/** JSON text of loosely typed data, used when a non-string is coerced to STRING. */
function looseJsonText(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  const num = numericText(v);
  if (num !== undefined) return num;
  if (typeof v === 'boolean') return String(v);
  if (Buffer.isBuffer(v)) return JSON.stringify(v.toString('base64'));
  if (Array.isArray(v)) return '[' + v.map(looseJsonText).join(',') + ']';
  if (v instanceof Map) return '{' + [...v].map(([k, x]) => JSON.stringify(String(k)) + ':' + looseJsonText(x)).join(',') + '}';
  if (typeof v === 'object') {
    return '{' + Object.entries(v as object).map(([k, x]) => JSON.stringify(k) + ':' + looseJsonText(x)).join(',') + '}';
  }
  return String(v);
}

function toStringValue(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return javaDoubleOrIntText(v);
  const num = numericText(v);
  if (num !== undefined) return num;
  if (typeof v === 'boolean') return String(v);
  return looseJsonText(v);
}

function javaDoubleOrIntText(v: number): string {
  return Number.isInteger(v) ? String(v) : javaDoubleToString(v);
}

/**
 * Coerces `v` to the SQL type. `undefined` and `null` become null. Throws
 * SerdeError when the value cannot be converted.
 */
export function coerce(v: unknown, type: SqlType, path = '$'): unknown {
  if (v === null || v === undefined) return null;
  switch (type.kind) {
    case 'BOOLEAN':
      if (typeof v === 'boolean') return v;
      if (typeof v === 'string') {
        const t = v.trim().toLowerCase();
        if (t === 'true') return true;
        if (t === 'false') return false;
      }
      throw cannotConvert(v, type, path);
    case 'INTEGER':
      return toInt32(v, type, path);
    case 'BIGINT':
      return toBigInt(v, type, path);
    case 'DOUBLE':
      return toDouble(v, type, path);
    case 'DECIMAL':
      return toDecimal(v, type, path);
    case 'STRING':
      return toStringValue(v);
    case 'BYTES':
      return toBytes(v, type, path);
    case 'DATE':
    case 'TIME':
    case 'TIMESTAMP':
      return toTemporal(v, type, path);
    case 'ARRAY':
      if (!Array.isArray(v)) throw cannotConvert(v, type, path);
      return v.map((e, i) => coerce(e, type.element, `${path}[${i}]`));
    case 'MAP': {
      const out = new Map<unknown, unknown>();
      const entries: [unknown, unknown][] =
        v instanceof Map ? [...v] : isPlainObject(v) ? Object.entries(v) : Array.isArray(v) ? mapEntriesFromArray(v, type, path) : [];
      if (!(v instanceof Map) && !isPlainObject(v) && !Array.isArray(v)) throw cannotConvert(v, type, path);
      for (const [k, x] of entries) out.set(coerce(k, type.key, `${path}.key`), coerce(x, type.value, `${path}.${String(k)}`));
      return out;
    }
    case 'STRUCT':
      if (!isPlainObject(v)) throw cannotConvert(v, type, path);
      return coerceStruct(v, type.fields, path);
    case 'NULL':
      return null;
  }
}

/** An Avro/Protobuf map written as an array of {key, value} records. */
function mapEntriesFromArray(v: unknown[], type: SqlType, path: string): [unknown, unknown][] {
  return v.map((e) => {
    if (!isPlainObject(e)) throw cannotConvert(v, type, path);
    return [lookupField(e, 'key'), lookupField(e, 'value')];
  });
}

export function coerceStruct(obj: Record<string, unknown>, fields: readonly StructField[], path: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) out[f.name] = coerce(lookupField(obj, f.name), f.type, `${path}.${f.name}`);
  return out;
}

export { javaDoubleToString } from '../types/java-format.js';
