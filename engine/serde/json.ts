/**
 * JSON format: a row is an object keyed by column name; a single column is
 * unwrapped when WRAP_SINGLE_VALUE=false (values) or always (keys). Reading is
 * lossless (lossless-json) and coerces as ksqlDB does (see coerce.ts).
 */
import { Decimal } from 'decimal.js';
import { parse } from 'lossless-json';
import { assertNever, type SqlType } from '../types/sql-type.js';
import { coerce, isPlainObject, javaDoubleToString, lookupField } from './coerce.js';
import { SerdeError, type Serde, type SerdeColumn } from './types.js';

/** Parses JSON text keeping every number as a LosslessNumber. */
/**
 * Numbers whose JS `number` would not keep the text ksqlDB sees: a fraction or
 * exponent (text such as `1.0` is kept for STRING and DECIMAL columns) or more
 * than 15 digits (BIGINT beyond 2^53).
 */
const NEEDS_LOSSLESS = /[0-9][.eE]|[0-9]{16}/;

export function parseJsonLossless(text: string): unknown {
  try {
    // Fast path: with only short integers, the native parser reads every number exactly.
    return NEEDS_LOSSLESS.test(text) ? parse(text) : JSON.parse(text);
  } catch (e) {
    throw new SerdeError(`Failed to deserialize JSON: ${(e as Error).message}`);
  }
}

/** JSON text of a typed value, as ksqlDB's Jackson-based serializer writes it. */
export function writeJsonValue(v: unknown, type: SqlType): string {
  if (v === null || v === undefined) return 'null';
  switch (type.kind) {
    case 'BOOLEAN':
      return v ? 'true' : 'false';
    case 'INTEGER':
    case 'DATE':
    case 'TIME':
    case 'TIMESTAMP':
      return String(Math.trunc(Number(v)));
    case 'BIGINT':
      return (typeof v === 'bigint' ? v : BigInt(Math.trunc(Number(v)))).toString();
    case 'DOUBLE': {
      const d = Number(v);
      // Jackson quotes non-finite numbers by default (QUOTE_NON_NUMERIC_NUMBERS).
      return Number.isFinite(d) ? javaDoubleToString(d) : JSON.stringify(javaDoubleToString(d));
    }
    case 'DECIMAL':
      return (Decimal.isDecimal(v) ? (v as Decimal) : new Decimal(String(v))).toFixed(type.scale);
    case 'STRING':
      return JSON.stringify(String(v));
    case 'BYTES':
      return JSON.stringify((v as Buffer).toString('base64'));
    case 'ARRAY':
      return '[' + (v as unknown[]).map((e) => writeJsonValue(e, type.element)).join(',') + ']';
    case 'MAP': {
      const parts: string[] = [];
      for (const [k, x] of v as Map<unknown, unknown>) parts.push(JSON.stringify(mapKeyText(k)) + ':' + writeJsonValue(x, type.value));
      return '{' + parts.join(',') + '}';
    }
    case 'STRUCT': {
      const o = v as Record<string, unknown>;
      return '{' + type.fields.map((f) => JSON.stringify(f.name) + ':' + writeJsonValue(o[f.name] ?? null, f.type)).join(',') + '}';
    }
    case 'NULL':
      return 'null';
    default:
      return assertNever(type, 'type');
  }
}

function mapKeyText(k: unknown): string {
  if (typeof k === 'string') return k;
  if (Decimal.isDecimal(k)) return (k as Decimal).toString();
  return String(k);
}

export interface JsonSerdeOptions {
  /** true: the row is one bare JSON value (single column). */
  readonly unwrapped: boolean;
  /** bytes to put before the JSON text (JSON_SR header) */
  readonly prefix?: () => Buffer;
  /** how to strip a prefix on read; default: tolerate a Confluent header (magic 0 + 4-byte id). */
  readonly stripPrefix?: (bytes: Buffer) => Buffer;
}

/** Removes a Confluent schema-registry header (0x00 + 4-byte id) if present; JSON text never starts with 0x00. */
export function stripConfluentHeader(bytes: Buffer): Buffer {
  return bytes.length >= 5 && bytes[0] === 0 ? bytes.subarray(5) : bytes;
}

export function jsonRowToValues(parsed: unknown, columns: readonly SerdeColumn[], unwrapped: boolean): unknown[] | null {
  if (parsed === null) return null;
  if (unwrapped) return [coerce(parsed, columns[0]!.type, '$')];
  if (!isPlainObject(parsed)) {
    throw new SerdeError(
      `Can't convert type. sourceType: ${Array.isArray(parsed) ? 'ArrayNode' : typeof parsed === 'string' ? 'TextNode' : 'NumericNode'}, requiredType: STRUCT<${columns.map((c) => c.name).join(', ')}>`,
    );
  }
  const paths = pathsOf(columns);
  const out = new Array<unknown>(columns.length);
  for (let i = 0; i < columns.length; i++) {
    const c = columns[i]!;
    // fast path: the field spelled exactly as the column
    const v = Object.prototype.hasOwnProperty.call(parsed, c.name) ? parsed[c.name] : lookupField(parsed, c.name);
    out[i] = coerce(v, c.type, paths[i]!);
  }
  return out;
}

const pathCache = new WeakMap<readonly SerdeColumn[], readonly string[]>();
function pathsOf(columns: readonly SerdeColumn[]): readonly string[] {
  let p = pathCache.get(columns);
  if (!p) {
    p = columns.map((c) => `$.${c.name}`);
    pathCache.set(columns, p);
  }
  return p;
}

const prefixCache = new WeakMap<readonly SerdeColumn[], readonly string[]>();
function fieldPrefixes(columns: readonly SerdeColumn[]): readonly string[] {
  let p = prefixCache.get(columns);
  if (!p) {
    p = columns.map((c, i) => (i === 0 ? '{' : ',') + JSON.stringify(c.name) + ':');
    prefixCache.set(columns, p);
  }
  return p;
}

export function valuesToJsonText(values: readonly unknown[], columns: readonly SerdeColumn[], unwrapped: boolean): string | null {
  if (unwrapped) {
    const v = values[0] ?? null;
    return v === null ? null : writeJsonValue(v, columns[0]!.type);
  }
  if (columns.length === 0) return '{}';
  const prefixes = fieldPrefixes(columns);
  let text = '';
  for (let i = 0; i < columns.length; i++) text += prefixes[i]! + writeJsonValue(values[i] ?? null, columns[i]!.type);
  return text + '}';
}

export function jsonSerde(columns: readonly SerdeColumn[], opts: JsonSerdeOptions): Serde {
  const strip = opts.stripPrefix ?? stripConfluentHeader;
  return {
    serialize(values) {
      if (values === null) return null;
      const text = valuesToJsonText(values, columns, opts.unwrapped);
      if (text === null) return null;
      const body = Buffer.from(text, 'utf8');
      return opts.prefix ? Buffer.concat([opts.prefix(), body]) : body;
    },
    deserialize(bytes) {
      if (bytes === null) return null;
      const body = strip(bytes);
      const text = body.toString('utf8');
      if (text.trim() === '') return null;
      return jsonRowToValues(parseJsonLossless(text), columns, opts.unwrapped);
    },
  };
}
