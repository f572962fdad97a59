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
  /** the columns a query reads (default all): the others are validated but read as null */
  readonly used?: readonly boolean[];
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

// ---- generated per-schema readers and writers ---------------------------------
//
// The generic walks above (coerce, writeJsonValue) dispatch on the type of every
// field of every record. For a wrapped JSON row the column list is fixed, so a
// reader and a writer are generated once per schema (as expressions are): each
// column gets a type-specific fast path and falls back to the generic code for
// anything unusual, so results and error messages are the generic ones.

type RowWriter = (values: readonly unknown[]) => string;
/** Returned by a row reader when the native parse may have lost number text: read the record losslessly instead. */
const LOSSLESS = Symbol('lossless');
type RowReader = (o: Record<string, unknown>, text: string) => unknown[] | typeof LOSSLESS;

const writerCache = new WeakMap<readonly SerdeColumn[], RowWriter>();

function compileRowWriter(columns: readonly SerdeColumn[]): RowWriter {
  let w = writerCache.get(columns);
  if (w) return w;
  const lines: string[] = ['let v, s = "";'];
  columns.forEach((c, i) => {
    const prefix = JSON.stringify((i === 0 ? '{' : ',') + JSON.stringify(c.name) + ':');
    const generic = `W(v, T[${i}])`;
    let fast: string;
    switch (c.type.kind) {
      case 'STRING':
        fast = `typeof v === 'string' ? JSON.stringify(v) : ${generic}`;
        break;
      case 'INTEGER':
      case 'DATE':
      case 'TIME':
      case 'TIMESTAMP':
        fast = `Number.isSafeInteger(v) ? '' + v : ${generic}`;
        break;
      case 'BIGINT':
        fast = `typeof v === 'bigint' ? v.toString() : ${generic}`;
        break;
      case 'DOUBLE':
        fast = `typeof v === 'number' && Number.isFinite(v) ? D(v) : ${generic}`;
        break;
      case 'BOOLEAN':
        fast = `v ? 'true' : 'false'`;
        break;
      default:
        fast = generic;
    }
    lines.push(`v = values[${i}]; s += ${prefix} + (v === null || v === undefined ? 'null' : ${fast});`);
  });
  lines.push(`return s + '}';`);
  const factory = new Function('W', 'D', 'T', `return function writeRow(values) {\n${lines.join('\n')}\n};`) as (
    W: typeof writeJsonValue,
    D: typeof javaDoubleToString,
    T: readonly SqlType[],
  ) => RowWriter;
  w = factory(writeJsonValue, javaDoubleToString, columns.map((c) => c.type));
  writerCache.set(columns, w);
  return w;
}

const readerCache = new WeakMap<readonly SerdeColumn[], Map<string, RowReader>>();

/**
 * A reader of a parsed JSON object (native `JSON.parse`) into the row. `used`
 * marks the columns the query reads: the others are checked (so a record with a
 * bad value still fails as a whole, as in ksqlDB) but left null. A number the
 * native parser may have read differently from the lossless one (a number in a
 * STRING or DECIMAL column, an integer beyond 2^53, numbers inside nested values
 * when the text has fractions or long digits) makes the reader return LOSSLESS.
 */
function compileRowReader(columns: readonly SerdeColumn[], used: readonly boolean[] | undefined): RowReader {
  const mask = columns.map((_, i) => used?.[i] ?? true);
  const cacheKey = mask.map((u) => (u ? '1' : '0')).join('');
  let byMask = readerCache.get(columns);
  if (!byMask) readerCache.set(columns, (byMask = new Map()));
  const cached = byMask.get(cacheKey);
  if (cached) return cached;
  const lines: string[] = ['const out = new Array(' + columns.length + ');', 'let v, r, lossless = -1;'];
  columns.forEach((c, i) => {
    const name = JSON.stringify(c.name);
    const path = JSON.stringify(`$.${c.name}`);
    // a name Object.prototype carries (e.g. `constructor`) must not read the prototype
    const get = c.name in Object.prototype ? `L(o, ${name})` : `o[${name}]; if (v === undefined) v = L(o, ${name})`;
    lines.push(`v = ${get};`);
    const generic = `C(v, T[${i}], ${path})`;
    const numberLossless = `typeof v === 'number' ? X : ${generic}`;
    let value: string;
    let cheap: string; // a value that certainly coerces without error (for unused columns)
    switch (c.type.kind) {
      case 'INTEGER':
        value = `(v | 0) === v ? v | 0 : typeof v === 'number' && Math.abs(v) >= 9007199254740992 ? X : ${generic}`;
        cheap = `typeof v === 'number' && Math.abs(v) < 9007199254740992`;
        break;
      case 'BIGINT':
        value = `Number.isSafeInteger(v) ? BigInt(v) : typeof v === 'number' && Math.abs(v) >= 9007199254740992 ? X : ${generic}`;
        cheap = `typeof v === 'number' && Math.abs(v) < 9007199254740992`;
        break;
      case 'DATE':
      case 'TIME':
      case 'TIMESTAMP':
        value = `Number.isSafeInteger(v) ? v + 0 : typeof v === 'number' && !Number.isFinite(v) ? X : ${generic}`;
        cheap = `typeof v === 'number' && Number.isFinite(v)`;
        break;
      case 'DOUBLE':
        value = `typeof v === 'number' ? v : ${generic}`;
        cheap = `typeof v === 'number'`;
        break;
      case 'BOOLEAN':
        value = `typeof v === 'boolean' ? v : ${generic}`;
        cheap = `typeof v === 'boolean'`;
        break;
      case 'STRING':
        // a number (or a nested value holding numbers) keeps its text: lossless
        value = `typeof v === 'string' ? v : typeof v === 'boolean' ? ${generic} : X`;
        cheap = `typeof v === 'string' || typeof v === 'boolean'`;
        break;
      case 'DECIMAL':
        value = numberLossless;
        cheap = 'false';
        break;
      case 'BYTES':
        value = generic;
        cheap = 'false';
        break;
      default:
        // ARRAY, MAP, STRUCT: numbers inside are read natively only when the text has no number the native parser could change
        value = `(lossless === -1 ? (lossless = N.test(text) ? 1 : 0) : lossless) === 1 ? X : ${generic}`;
        cheap = 'false';
    }
    const ref = `out[${i}]`;
    if (mask[i]) {
      lines.push(`if (v === null || v === undefined) ${ref} = null; else { r = ${value}; if (r === X) return X; ${ref} = r; }`);
    } else {
      lines.push(`${ref} = null; if (v !== null && v !== undefined && !(${cheap})) { r = ${value}; if (r === X) return X; }`);
    }
  });
  lines.push('return out;');
  const factory = new Function('C', 'L', 'T', 'X', 'N', `return function readRow(o, text) {\n${lines.join('\n')}\n};`) as (
    C: typeof coerce,
    L: typeof lookupField,
    T: readonly SqlType[],
    X: typeof LOSSLESS,
    N: RegExp,
  ) => RowReader;
  const reader = factory(coerce, lookupField, columns.map((c) => c.type), LOSSLESS, NEEDS_LOSSLESS);
  byMask.set(cacheKey, reader);
  return reader;
}

/**
 * Reads a wrapped JSON row with the native parser and a generated reader; any
 * case the native parse cannot answer exactly (malformed text, numbers whose
 * text matters) goes through the generic lossless path, so results and error
 * messages are those of `jsonRowToValues(parseJsonLossless(text))`.
 */
function fastRowReader(columns: readonly SerdeColumn[], used: readonly boolean[] | undefined): (text: string) => unknown[] | null {
  const reader = compileRowReader(columns, used);
  return (text) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return jsonRowToValues(parseJsonLossless(text), columns, false);
    }
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
      const row = reader(parsed as Record<string, unknown>, text);
      if (row !== LOSSLESS) return row;
    }
    return jsonRowToValues(parseJsonLossless(text), columns, false);
  };
}

export function jsonSerde(columns: readonly SerdeColumn[], opts: JsonSerdeOptions): Serde {
  const strip = opts.stripPrefix ?? stripConfluentHeader;
  const wrapped = !opts.unwrapped && columns.length > 0;
  const writeRow = wrapped ? compileRowWriter(columns) : null;
  const readRow = wrapped ? fastRowReader(columns, opts.used) : null;
  return {
    serialize(values) {
      if (values === null) return null;
      const text = writeRow ? writeRow(values) : valuesToJsonText(values, columns, opts.unwrapped);
      if (text === null) return null;
      const body = Buffer.from(text, 'utf8');
      return opts.prefix ? Buffer.concat([opts.prefix(), body]) : body;
    },
    deserialize(bytes) {
      if (bytes === null) return null;
      const body = strip(bytes);
      const text = body.toString('utf8');
      if (isBlank(text)) return null;
      return readRow ? readRow(text) : jsonRowToValues(parseJsonLossless(text), columns, opts.unwrapped);
    },
  };
}

/** `text.trim() === ''` without building the trimmed string for the usual `{...}` text. */
function isBlank(text: string): boolean {
  const c = text.charCodeAt(0);
  if (c === 123 /* { */ || c === 91 /* [ */ || c === 34 /* " */) return false;
  return text.trim() === '';
}
