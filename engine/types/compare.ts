import type { Decimal } from 'decimal.js';
import { assertNever, type SqlType } from './sql-type.js';

/**
 * Ordering and equality of non-null values of one SQL type (both operands
 * already converted to `type`). Nulls inside arrays/maps/structs sort first.
 */
export function compareValues(a: unknown, b: unknown, type: SqlType): number {
  if (a === null || a === undefined) return b === null || b === undefined ? 0 : -1;
  if (b === null || b === undefined) return 1;
  switch (type.kind) {
    case 'INTEGER':
    case 'DATE':
    case 'TIME':
    case 'TIMESTAMP':
    case 'BIGINT':
    case 'STRING':
      return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
    case 'DOUBLE': {
      // Java Double.compare: -0.0 < 0.0, NaN greatest
      const x = a as number;
      const y = b as number;
      if (x < y) return -1;
      if (x > y) return 1;
      if (x === y && (x !== 0 || Object.is(x, y))) return 0;
      if (x === 0 && y === 0) return Object.is(x, -0) ? -1 : 1;
      return Number.isNaN(x) ? (Number.isNaN(y) ? 0 : 1) : -1;
    }
    case 'BOOLEAN':
      return a === b ? 0 : a ? 1 : -1;
    case 'DECIMAL':
      return (a as Decimal).cmp(b as Decimal);
    case 'BYTES':
      return Buffer.compare(a as Buffer, b as Buffer);
    case 'ARRAY': {
      const x = a as unknown[];
      const y = b as unknown[];
      for (let i = 0; i < Math.min(x.length, y.length); i++) {
        const c = compareValues(x[i], y[i], type.element);
        if (c !== 0) return c;
      }
      return x.length - y.length;
    }
    case 'STRUCT': {
      for (const f of type.fields) {
        const c = compareValues((a as Record<string, unknown>)[f.name], (b as Record<string, unknown>)[f.name], f.type);
        if (c !== 0) return c;
      }
      return 0;
    }
    case 'MAP': {
      const x = [...(a as Map<unknown, unknown>)];
      const y = [...(b as Map<unknown, unknown>)];
      for (let i = 0; i < Math.min(x.length, y.length); i++) {
        const c = compareValues(x[i]![0], y[i]![0], type.key) || compareValues(x[i]![1], y[i]![1], type.value);
        if (c !== 0) return c;
      }
      return x.length - y.length;
    }
    case 'NULL':
      return 0;
    default:
      return assertNever(type, 'type');
  }
}

/** Java `equals` of two values of `type` (null equals null; maps ignore entry order; DECIMAL by value). */
export function valuesEqual(a: unknown, b: unknown, type: SqlType): boolean {
  if (a === null || a === undefined || b === null || b === undefined) return (a ?? null) === (b ?? null);
  switch (type.kind) {
    case 'DOUBLE':
      return a === b || (Number.isNaN(a) && Number.isNaN(b));
    case 'DECIMAL':
      return (a as Decimal).eq(b as Decimal);
    case 'BYTES':
      return (a as Buffer).equals(b as Buffer);
    case 'ARRAY': {
      const x = a as unknown[];
      const y = b as unknown[];
      return x.length === y.length && x.every((v, i) => valuesEqual(v, y[i], type.element));
    }
    case 'MAP': {
      const x = a as Map<unknown, unknown>;
      const y = b as Map<unknown, unknown>;
      if (x.size !== y.size) return false;
      for (const [k, v] of x) {
        let found = false;
        for (const [k2, v2] of y) {
          if (valuesEqual(k, k2, type.key)) {
            found = valuesEqual(v, v2, type.value);
            break;
          }
        }
        if (!found) return false;
      }
      return true;
    }
    case 'STRUCT':
      return type.fields.every((f) => valuesEqual((a as Record<string, unknown>)[f.name], (b as Record<string, unknown>)[f.name], f.type));
    default:
      return a === b;
  }
}

/** Whether values of this type support <, <=, >, >= (ksqlDB: not for ARRAY, MAP, STRUCT, BOOLEAN? — BOOLEAN only =/<>). */
export function isOrderable(t: SqlType): boolean {
  switch (t.kind) {
    case 'ARRAY':
    case 'MAP':
    case 'STRUCT':
      return false;
    default:
      return true;
  }
}

/** Java's ByteBuffer.compareTo: bytes compared as signed values, then by length. */
export function compareSignedBytes(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = (a[i]! << 24) >> 24;
    const y = (b[i]! << 24) >> 24;
    if (x !== y) return x < y ? -1 : 1;
  }
  return a.length - b.length;
}
