/**
 * Conversions between QTT test JSON and rows, for runners that want them:
 * `fromTestJson` coerces a test value (object keyed by column, or the bare
 * single column) into the engine's value representation; `toTestJson` renders
 * a row as the JSON ksqlDB's tests expect (objects keyed by column name,
 * STRUCT fields as declared, MAP as object, DECIMAL as number, BYTES base64;
 * BIGINT beyond 2^53 stays a bigint so nothing is lost).
 */
import { Decimal } from 'decimal.js';
import type { SqlType } from '../types/sql-type.js';
import { coerce, isPlainObject, lookupField } from './coerce.js';
import type { FormatInfo, SerdeColumn } from './types.js';

export function fromTestJson(json: unknown, columns: readonly SerdeColumn[], format: FormatInfo, isKey: boolean): unknown[] | null {
  if (json === null || json === undefined) return null;
  if (format.format === 'NONE') return [];
  if (columns.length === 1) {
    const c = columns[0]!;
    const wrapped = isPlainObject(json) && Object.keys(json).length === 1 && Object.keys(json)[0]!.toUpperCase() === c.name.toUpperCase() &&
      !(isKey && c.type.kind === 'STRUCT' && c.type.fields.some((f) => f.name.toUpperCase() === c.name.toUpperCase()));
    return [coerce(wrapped ? lookupField(json as Record<string, unknown>, c.name) : json, c.type)];
  }
  if (!isPlainObject(json)) return columns.map(() => null);
  return columns.map((c) => coerce(lookupField(json, c.name), c.type));
}

export function valueToTestJson(v: unknown, type: SqlType): unknown {
  if (v === null || v === undefined) return null;
  switch (type.kind) {
    case 'BIGINT': {
      const b = v as bigint;
      return b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
    }
    case 'DECIMAL':
      return Number((v as Decimal).toString());
    case 'BYTES':
      return (v as Buffer).toString('base64');
    case 'ARRAY':
      return (v as unknown[]).map((e) => valueToTestJson(e, type.element));
    case 'MAP': {
      const o: Record<string, unknown> = {};
      for (const [k, x] of v as Map<unknown, unknown>) o[String(k)] = valueToTestJson(x, type.value);
      return o;
    }
    case 'STRUCT': {
      const o: Record<string, unknown> = {};
      for (const f of type.fields) o[f.name] = valueToTestJson((v as Record<string, unknown>)[f.name] ?? null, f.type);
      return o;
    }
    default:
      return Decimal.isDecimal(v) ? Number((v as Decimal).toString()) : v;
  }
}

export function toTestJson(values: readonly unknown[] | null, columns: readonly SerdeColumn[], format: FormatInfo, isKey: boolean): unknown {
  if (values === null || format.format === 'NONE') return null;
  const unwrapped = columns.length === 1 && (isKey || format.format === 'KAFKA' || format.properties['WRAP_SINGLE_VALUE']?.toLowerCase() === 'false');
  if (unwrapped) return valueToTestJson(values[0] ?? null, columns[0]!.type);
  const o: Record<string, unknown> = {};
  columns.forEach((c, i) => (o[c.name] = valueToTestJson(values[i] ?? null, c.type)));
  return o;
}
