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
export function parseJsonLossless(text: string): unknown {
  try {
    return parse(text);
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
  return columns.map((c) => coerce(lookupField(parsed, c.name), c.type, `$.${c.name}`));
}

export function valuesToJsonText(values: readonly unknown[], columns: readonly SerdeColumn[], unwrapped: boolean): string | null {
  if (unwrapped) {
    const v = values[0] ?? null;
    return v === null ? null : writeJsonValue(v, columns[0]!.type);
  }
  return '{' + columns.map((c, i) => JSON.stringify(c.name) + ':' + writeJsonValue(values[i] ?? null, c.type)).join(',') + '}';
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
