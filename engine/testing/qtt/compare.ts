import { Decimal } from 'decimal.js';
import { isLosslessNumber, LosslessNumber, stringify } from 'lossless-json';
import type { Json } from './types.js';

/**
 * Semantic comparison of expected (QTT JSON) and actual values: numbers compare
 * by value whatever their representation (number, bigint, LosslessNumber,
 * Decimal), BYTES (Buffer) compare with base64 strings, Maps with objects.
 */

function isNumeric(v: unknown): boolean {
  return typeof v === 'number' || typeof v === 'bigint' || isLosslessNumber(v) || Decimal.isDecimal(v);
}

function numericText(v: unknown): string {
  if (Decimal.isDecimal(v)) return (v as Decimal).toString();
  return String(v);
}

function numbersEqual(a: unknown, b: unknown): boolean {
  const sa = numericText(a);
  const sb = numericText(b);
  if (sa === sb) return true;
  try {
    const da = new Decimal(sa);
    const db = new Decimal(sb);
    if (da.isNaN() || db.isNaN()) return da.isNaN() && db.isNaN();
    return da.eq(db);
  } catch {
    return false;
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Map) && !Buffer.isBuffer(v) && !isLosslessNumber(v) && !Decimal.isDecimal(v);
}

/** Engine values → plain JSON-like values (bigint/Decimal → LosslessNumber, Buffer → base64, Map → object). */
export function normalizeActual(v: unknown): Json {
  if (v === undefined || v === null) return null;
  if (typeof v === 'bigint') return new LosslessNumber(v.toString());
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (Decimal.isDecimal(v)) return new LosslessNumber((v as Decimal).toString());
  if (Buffer.isBuffer(v)) return v.toString('base64');
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (Array.isArray(v)) return v.map(normalizeActual);
  if (v instanceof Map) {
    const o: Record<string, Json> = {};
    for (const [k, x] of v) o[String(k)] = normalizeActual(x);
    return o;
  }
  if (isLosslessNumber(v)) return v;
  if (typeof v === 'object') {
    const o: Record<string, Json> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) o[k] = normalizeActual(x);
    return o;
  }
  return v;
}

/** Compact JSON text for messages (lossless numbers, bigint, Buffers as base64). */
export function show(v: unknown): string {
  try {
    return stringify(normalizeActual(v)) ?? 'undefined';
  } catch {
    return String(v);
  }
}

/** null when equal; else a message naming the first difference, e.g. `$.COUNT: expected 2, got 3`. */
export function diffValues(expected: unknown, actual: unknown, path = '$'): string | null {
  const e = expected === undefined ? null : expected;
  const a = actual === undefined ? null : actual;
  if (e === null || a === null) return e === null && a === null ? null : mismatch(path, e, a);
  if (isNumeric(e) && isNumeric(a)) return numbersEqual(e, a) ? null : mismatch(path, e, a);
  // a DECIMAL expected as text compares by value, as ksqlDB's runner reads it with new BigDecimal(text)
  if (typeof e === 'string' && isNumeric(a) && /^[+-]?(\d+\.\d*|\.\d+)$/.test(e)) return numbersEqual(new Decimal(e), a) ? null : mismatch(path, e, a);
  if (typeof e === 'number' && typeof a === 'string') return String(e) === a ? null : mismatch(path, e, a); // NaN, Infinity
  if (typeof a === 'number' && !Number.isFinite(a) && typeof e === 'string') return String(a) === e ? null : mismatch(path, e, a);
  if (Buffer.isBuffer(a) && typeof e === 'string') return a.toString('base64') === e ? null : mismatch(path, e, a);
  if (typeof e === 'string' || typeof e === 'boolean') return e === a ? null : mismatch(path, e, a);
  if (Array.isArray(e)) {
    if (!Array.isArray(a)) return mismatch(path, e, a);
    for (let i = 0; i < Math.min(e.length, a.length); i++) {
      const d = diffValues(e[i], a[i], `${path}[${i}]`);
      if (d) return d;
    }
    return e.length === a.length ? null : `${path}: expected ${e.length} elements, got ${a.length} (expected ${show(e)}, got ${show(a)})`;
  }
  if (isPlainObject(e)) {
    const ao = a instanceof Map ? (normalizeActual(a) as Record<string, unknown>) : a;
    if (!isPlainObject(ao)) return mismatch(path, e, a);
    // The columns of a record (its top-level fields) match by name regardless of case, as
    // ksqlDB reads the expected record through the sink's schema; nested maps stay exact.
    const columnsOf = path === 'key' || path === 'value';
    const find = (obj: Record<string, unknown>, k: string): string | undefined =>
      k in obj ? k : columnsOf ? Object.keys(obj).find((x) => x.toUpperCase() === k.toUpperCase()) : undefined;
    for (const k of Object.keys(e)) {
      const ak = find(ao, k);
      if (ak === undefined) {
        if (e[k] === null && columnsOf) continue; // a null column may be left out of the record
        return `${path}: missing field ${k} (expected ${show(e)}, got ${show(ao)})`;
      }
      const d = diffValues(e[k], ao[ak], `${path}.${k}`);
      if (d) return d;
    }
    for (const k of Object.keys(ao)) {
      // read through the sink's schema, a column the expectation leaves out is null
      if (find(e, k) === undefined && !(columnsOf && (ao[k] === null || ao[k] === undefined))) return `${path}: unexpected field ${k} (expected ${show(e)}, got ${show(ao)})`;
    }
    return null;
  }
  return mismatch(path, e, a);
}

function mismatch(path: string, e: unknown, a: unknown): string {
  return `${path}: expected ${show(e)}, got ${show(a)}`;
}

export function valuesEqual(expected: unknown, actual: unknown): boolean {
  return diffValues(expected, actual) === null;
}
