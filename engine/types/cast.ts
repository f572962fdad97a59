import { Decimal } from 'decimal.js';
import { ExactDecimal, fitDecimal } from './decimal.js';
import { valueToString } from './java-format.js';
import { formatType, typeEquals, type SqlType } from './sql-type.js';

/**
 * CAST between SQL types with ksqlDB's rules. `castValue` throws `CastError`
 * when a value cannot be converted (the runtime logs it and yields null);
 * `castSupported` is the static check the typer applies first.
 */

export class CastError extends Error {
  override readonly name = 'CastError';
  constructor(
    message: string,
    /** the cast is not supported between the types at all (not a value that fails to convert) */
    readonly unsupported = false,
  ) {
    super(message);
  }
}

const INT_MIN = -2147483648;
const INT_MAX = 2147483647;
const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;
const MS_PER_DAY = 86_400_000;

/** Whether CAST(from AS to) is allowed; NULL casts to anything. */
export function castSupported(from: SqlType, to: SqlType): boolean {
  if (from.kind === 'NULL' || typeEquals(from, to)) return true;
  if (to.kind === 'STRING') return true;
  const numeric = (t: SqlType): boolean => t.kind === 'INTEGER' || t.kind === 'BIGINT' || t.kind === 'DOUBLE' || t.kind === 'DECIMAL';
  switch (to.kind) {
    case 'INTEGER':
    case 'BIGINT':
    case 'DOUBLE':
    case 'DECIMAL':
      return numeric(from) || from.kind === 'STRING';
    case 'BOOLEAN':
      return from.kind === 'STRING';
    case 'DATE':
      return from.kind === 'STRING' || from.kind === 'TIMESTAMP';
    case 'TIME':
      return from.kind === 'STRING' || from.kind === 'TIMESTAMP';
    case 'TIMESTAMP':
      return from.kind === 'STRING' || from.kind === 'DATE';
    case 'BYTES':
      return false;
    case 'ARRAY':
      return from.kind === 'ARRAY' && castSupported(from.element, to.element);
    case 'MAP':
      return from.kind === 'MAP' && castSupported(from.key, to.key) && castSupported(from.value, to.value);
    case 'STRUCT':
      if (from.kind !== 'STRUCT') return false;
      return to.fields.every((f) => {
        const src = from.fields.find((x) => x.name === f.name);
        return !src || castSupported(src.type, f.type);
      });
    default:
      return false;
  }
}

export function castNotSupportedMessage(from: SqlType, to: SqlType): string {
  return `Cast of ${formatTypeForMessage(from)} to ${formatTypeForMessage(to)} is not supported`;
}

/** Type text as ksqlDB puts it in messages: struct field names always back-quoted. */
export function formatTypeForMessage(t: SqlType): string {
  switch (t.kind) {
    case 'ARRAY':
      return `ARRAY<${formatTypeForMessage(t.element)}>`;
    case 'MAP':
      return `MAP<${formatTypeForMessage(t.key)}, ${formatTypeForMessage(t.value)}>`;
    case 'STRUCT':
      return `STRUCT<${t.fields.map((f) => `\`${f.name}\` ${formatTypeForMessage(f.type)}`).join(', ')}>`;
    case 'NULL':
      return 'null';
    default:
      return formatType(t);
  }
}

/** Converts a value of type `from` to type `to`. Null stays null. Throws `CastError` on bad input. */
export function castValue(value: unknown, from: SqlType, to: SqlType): unknown {
  if (value === null || value === undefined) return null;
  if (from.kind === to.kind && from.kind !== 'DECIMAL' && from.kind !== 'ARRAY' && from.kind !== 'MAP' && from.kind !== 'STRUCT') return value;
  switch (to.kind) {
    case 'STRING':
      return valueToString(value, from);
    case 'INTEGER':
      return toInt(value, from);
    case 'BIGINT':
      return toBigint(value, from);
    case 'DOUBLE':
      return toDouble(value, from);
    case 'DECIMAL':
      return toDecimal(value, from, to.precision, to.scale);
    case 'BOOLEAN':
      if (from.kind === 'STRING') return parseBooleanLax(value as string);
      break;
    case 'DATE':
      if (from.kind === 'STRING') return parseDate(value as string);
      if (from.kind === 'TIMESTAMP') return Math.floor((value as number) / MS_PER_DAY);
      break;
    case 'TIME':
      if (from.kind === 'STRING') return parseTime(value as string);
      if (from.kind === 'TIMESTAMP') return (((value as number) % MS_PER_DAY) + MS_PER_DAY) % MS_PER_DAY;
      break;
    case 'TIMESTAMP':
      if (from.kind === 'STRING') return parseTimestamp(value as string);
      if (from.kind === 'DATE') return (value as number) * MS_PER_DAY;
      break;
    case 'ARRAY':
      if (from.kind === 'ARRAY') return (value as unknown[]).map((x) => castValue(x, from.element, to.element));
      break;
    case 'MAP':
      if (from.kind === 'MAP') {
        const out = new Map<unknown, unknown>();
        for (const [k, v] of value as Map<unknown, unknown>) out.set(castValue(k, from.key, to.key), castValue(v, from.value, to.value));
        return out;
      }
      break;
    case 'STRUCT':
      if (from.kind === 'STRUCT') {
        const src = value as Record<string, unknown>;
        const out: Record<string, unknown> = {};
        for (const f of to.fields) {
          const sf = from.fields.find((x) => x.name === f.name);
          out[f.name] = sf ? castValue(src[f.name] ?? null, sf.type, f.type) : null;
        }
        return out;
      }
      break;
    default:
      break;
  }
  if (from.kind === 'NULL') return null;
  throw new CastError(castNotSupportedMessage(from, to), true);
}

// ---- numbers ---------------------------------------------------------------

/** Java `(int)` of a double: truncation, saturating, NaN → 0. */
export function doubleToInt(d: number): number {
  if (Number.isNaN(d)) return 0;
  if (d >= INT_MAX) return INT_MAX;
  if (d <= INT_MIN) return INT_MIN;
  return Math.trunc(d) | 0;
}

/** Java `(long)` of a double. */
export function doubleToLong(d: number): bigint {
  if (Number.isNaN(d)) return 0n;
  if (d >= 2 ** 63) return LONG_MAX;
  if (d <= -(2 ** 63)) return LONG_MIN;
  return BigInt(Math.trunc(d));
}

function decimalToBigint(d: Decimal): bigint {
  return BigInt(new ExactDecimal(d).trunc().toFixed(0));
}

function toInt(v: unknown, from: SqlType): number {
  switch (from.kind) {
    case 'BIGINT':
      return Number(BigInt.asIntN(32, v as bigint));
    case 'DOUBLE':
      return doubleToInt(v as number);
    case 'DECIMAL':
      return Number(BigInt.asIntN(32, decimalToBigint(v as Decimal)));
    case 'STRING': {
      const n = parseIntegerText(v as string);
      if (n === null || n < BigInt(INT_MIN) || n > BigInt(INT_MAX)) throw numberFormat(v as string);
      return Number(n);
    }
    default:
      throw new CastError(castNotSupportedMessage(from, { kind: 'INTEGER' }), true);
  }
}

function toBigint(v: unknown, from: SqlType): bigint {
  switch (from.kind) {
    case 'INTEGER':
      return BigInt(v as number);
    case 'DOUBLE':
      return doubleToLong(v as number);
    case 'DECIMAL':
      return BigInt.asIntN(64, decimalToBigint(v as Decimal));
    case 'STRING': {
      const n = parseIntegerText(v as string);
      if (n === null || n < LONG_MIN || n > LONG_MAX) throw numberFormat(v as string);
      return n;
    }
    default:
      throw new CastError(castNotSupportedMessage(from, { kind: 'BIGINT' }), true);
  }
}

function toDouble(v: unknown, from: SqlType): number {
  switch (from.kind) {
    case 'INTEGER':
      return v as number;
    case 'BIGINT':
      return Number(v as bigint);
    case 'DECIMAL':
      return (v as Decimal).toNumber();
    case 'STRING': {
      const d = parseDoubleText(v as string);
      if (d === null) throw numberFormat(v as string);
      return d;
    }
    default:
      throw new CastError(castNotSupportedMessage(from, { kind: 'DOUBLE' }), true);
  }
}

function toDecimal(v: unknown, from: SqlType, precision: number, scale: number): Decimal {
  switch (from.kind) {
    case 'INTEGER':
      return fitDecimal(v as number, precision, scale);
    case 'BIGINT':
      return fitDecimal((v as bigint).toString(), precision, scale);
    case 'DOUBLE': {
      const d = v as number;
      if (!Number.isFinite(d)) throw new CastError(`Cannot convert ${String(d)} to DECIMAL(${precision}, ${scale})`);
      // BigDecimal.valueOf(double): the shortest decimal text of the double
      return fitDecimal(String(d), precision, scale);
    }
    case 'DECIMAL':
      return fitDecimal(v as Decimal, precision, scale);
    case 'STRING': {
      const t = (v as string).trim();
      if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) throw numberFormat(v as string);
      return fitDecimal(t, precision, scale);
    }
    default:
      throw new CastError(castNotSupportedMessage(from, { kind: 'DECIMAL', precision, scale }), true);
  }
}

function numberFormat(s: string): CastError {
  return new CastError(`For input string: "${s}"`);
}

/** Integer text (Java Long.parseLong after trim), or null. */
export function parseIntegerText(s: string): bigint | null {
  const t = s.trim();
  if (!/^[+-]?\d+$/.test(t)) return null;
  return BigInt(t);
}

/** Java Double.parseDouble (decimal forms, NaN, Infinity, optional d/f suffix), or null. */
export function parseDoubleText(s: string): number | null {
  const t = s.trim();
  if (/^[+-]?(NaN|Infinity)$/.test(t)) return t.endsWith('NaN') ? NaN : t.startsWith('-') ? -Infinity : Infinity;
  const m = /^([+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)[dDfF]?$/.exec(t);
  if (!m) return null;
  return Number(m[1]);
}

// ---- booleans --------------------------------------------------------------

function isPrefixOf(value: string, words: readonly string[]): boolean {
  return value.length > 0 && words.some((w) => w.startsWith(value));
}

/** ksqlDB's exact boolean parse (prefixes of true/yes, false/no, any case), or null. */
export function parseBooleanExact(s: string): boolean | null {
  const t = s.trim().toLowerCase();
  if (isPrefixOf(t, ['true', 'yes'])) return true;
  if (isPrefixOf(t, ['false', 'no'])) return false;
  return null;
}

/** CAST(string AS BOOLEAN): true for prefixes of true/yes, else false. */
export function parseBooleanLax(s: string): boolean {
  return parseBooleanExact(s) === true;
}

// ---- dates and times -------------------------------------------------------

const TS_RE =
  /^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2})(?:[T ](\d{1,2})(?::(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,9}))?)?)?)?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/;

/** Parses ksqlDB's timestamp text (`yyyy[-MM[-dd[THH[:mm[:ss[.fff]]]]]]` with optional zone, UTC by default). */
export function parseTimestamp(s: string): number {
  const m = TS_RE.exec(s.trim());
  if (!m) throw new CastError(`Failed to parse timestamp '${s}': Text '${s}' could not be parsed`);
  const [, y, mo = '1', d = '1', h = '0', mi = '0', se = '0', frac = '', zone] = m;
  const ms = Number((frac + '000').slice(0, 3));
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(Number(y), month) || Number(h) > 23 || Number(mi) > 59 || Number(se) > 59) {
    throw new CastError(`Failed to parse timestamp '${s}': Text '${s}' could not be parsed`);
  }
  let t = Date.UTC(Number(y), month - 1, day, Number(h), Number(mi), Number(se), ms);
  if (Number(y) < 100) t = setFullYear(t, Number(y));
  if (zone && zone !== 'Z') {
    const zm = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone)!;
    const off = (Number(zm[2]) * 60 + Number(zm[3] ?? 0)) * 60_000;
    t -= zm[1] === '-' ? -off : off;
  }
  return t;
}

function setFullYear(t: number, y: number): number {
  const dt = new Date(t);
  dt.setUTCFullYear(y);
  return dt.getTime();
}

function daysInMonth(y: number, m: number): number {
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  return m === 2 ? (leap ? 29 : 28) : [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]!;
}

/** `yyyy-MM-dd` → days since the epoch. */
export function parseDate(s: string): number {
  const m = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(s.trim());
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 12 || Number(m[3]) < 1 || Number(m[3]) > daysInMonth(Number(m[1]), Number(m[2]))) {
    throw new CastError(`Failed to parse date '${s}': Text '${s}' could not be parsed`);
  }
  let t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  if (Number(m[1]) < 100) t = setFullYear(t, Number(m[1]));
  return Math.floor(t / MS_PER_DAY);
}

/** `HH:mm[:ss[.fff]]` → milliseconds of the day. */
export function parseTime(s: string): number {
  const m = /^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?$/.exec(s.trim());
  if (!m || Number(m[1]) > 23 || Number(m[2]) > 59 || Number(m[3] ?? 0) > 59) {
    throw new CastError(`Failed to parse time '${s}': Text '${s}' could not be parsed`);
  }
  return ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3] ?? 0)) * 1000 + Number(((m[4] ?? '') + '000').slice(0, 3));
}
