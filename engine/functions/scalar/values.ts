import { Decimal } from 'decimal.js';
import type { SqlType } from '../../types/sql-type.js';
import { javaDoubleToString } from '../../types/java-format.js';

/**
 * Small value helpers private to the scalar built-ins: equality and hashing
 * as Java's equals/hashCode see the values, ordering, and Java's toString.
 */

/** A canonical string for a value, equal for values that Java's equals() considers equal. */
export function valueKey(v: unknown): string {
  if (v === null || v === undefined) return 'n';
  switch (typeof v) {
    case 'number':
      return Object.is(v, -0) ? 'd-0' : 'd' + String(v);
    case 'bigint':
      return 'l' + v.toString();
    case 'string':
      return 's' + JSON.stringify(v);
    case 'boolean':
      return v ? 't' : 'f';
  }
  if (v instanceof Decimal) return 'D' + v.toString();
  if (Buffer.isBuffer(v)) return 'b' + v.toString('hex');
  if (Array.isArray(v)) return '[' + v.map(valueKey).join(',') + ']';
  if (v instanceof Map) return '{' + [...v].map(([k, x]) => valueKey(k) + ':' + valueKey(x)).join(',') + '}';
  if (typeof v === 'object') return '(' + Object.entries(v as object).map(([k, x]) => JSON.stringify(k) + ':' + valueKey(x)).join(',') + ')';
  return String(v);
}

export function valueEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || a === undefined || b === undefined) return false;
  if (typeof a === 'number' && typeof b === 'number') return Number.isNaN(a) && Number.isNaN(b);
  return valueKey(a) === valueKey(b);
}

/** Natural ordering of comparable values (numbers, bigint, Decimal, strings, booleans, bytes). */
export function compareValues(a: unknown, b: unknown): number {
  if (a instanceof Decimal) return a.comparedTo(b as Decimal);
  if (Buffer.isBuffer(a)) return Buffer.compare(a, b as Buffer);
  if (typeof a === 'boolean') return a === b ? 0 : a ? 1 : -1;
  if (typeof a === 'number' && typeof b === 'number') {
    // Double.compare: NaN above everything
    if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : 1;
    if (Number.isNaN(b)) return -1;
  }
  return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
}

/** Java's Double.toString (one implementation, types/java-format.ts). */
export const javaDouble = javaDoubleToString;

/** Java's BigDecimal.toString for a value of the given scale. */
export function javaDecimal(v: Decimal, scale?: number): string {
  if (scale === undefined) return v.toFixed();
  return v.toFixed(scale);
}

/** The string Java's String.valueOf / toString gives for a value of a SQL type (as ksqlDB renders it in ARRAY_JOIN etc.). */
export function javaString(v: unknown, type?: SqlType | null): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'number') {
    if (type && (type.kind === 'INTEGER' || type.kind === 'DATE' || type.kind === 'TIME' || type.kind === 'TIMESTAMP')) return String(v);
    if (!type && Number.isInteger(v)) return String(v);
    return javaDouble(v);
  }
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Decimal) return javaDecimal(v, type && type.kind === 'DECIMAL' ? type.scale : undefined);
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return String(v);
  if (Buffer.isBuffer(v)) return v.toString('base64');
  if (Array.isArray(v)) {
    const el = type && type.kind === 'ARRAY' ? type.element : undefined;
    return '[' + v.map((x) => javaString(x, el)).join(', ') + ']';
  }
  if (v instanceof Map) {
    const [kt, vt] = type && type.kind === 'MAP' ? [type.key, type.value] : [undefined, undefined];
    return '{' + [...v].map(([k, x]) => `${javaString(k, kt)}=${javaString(x, vt)}`).join(', ') + '}';
  }
  if (typeof v === 'object') {
    const fields = type && type.kind === 'STRUCT' ? type.fields : undefined;
    return (
      'Struct{' +
      Object.entries(v as object)
        .filter(([, x]) => x !== null && x !== undefined)
        .map(([k, x]) => `${k}=${javaString(x, fields?.find((f) => f.name === k)?.type)}`)
        .join(',') +
      '}'
    );
  }
  return String(v);
}
