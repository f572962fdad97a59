/**
 * SQL types of the ksqlDB dialect.
 *
 * Runtime value representation (the contract every layer relies on; values are
 * untagged because every column and expression has a static type):
 *
 * | SQL type      | JS value                                                   |
 * |---------------|------------------------------------------------------------|
 * | BOOLEAN       | boolean                                                    |
 * | INTEGER       | number (always a 32-bit integer, Java overflow semantics)  |
 * | BIGINT        | bigint (64-bit, wrapped with BigInt.asIntN(64, x))         |
 * | DOUBLE        | number                                                     |
 * | DECIMAL(p,s)  | Decimal (decimal.js) rounded to scale s                    |
 * | STRING        | string                                                     |
 * | BYTES         | Buffer                                                     |
 * | DATE          | number: days since 1970-01-01                              |
 * | TIME          | number: milliseconds since midnight                        |
 * | TIMESTAMP     | number: milliseconds since the epoch (UTC)                 |
 * | ARRAY<T>      | Array of values (elements may be null)                     |
 * | MAP<K,V>      | Map<K value, V value> (insertion ordered)                  |
 * | STRUCT<...>   | plain object, field name (as declared) → value             |
 * | any, absent   | null (never undefined)                                     |
 */
export type SqlType =
  | { readonly kind: 'BOOLEAN' }
  | { readonly kind: 'INTEGER' }
  | { readonly kind: 'BIGINT' }
  | { readonly kind: 'DOUBLE' }
  | { readonly kind: 'DECIMAL'; readonly precision: number; readonly scale: number }
  | { readonly kind: 'STRING' }
  | { readonly kind: 'BYTES' }
  | { readonly kind: 'DATE' }
  | { readonly kind: 'TIME' }
  | { readonly kind: 'TIMESTAMP' }
  | { readonly kind: 'ARRAY'; readonly element: SqlType }
  | { readonly kind: 'MAP'; readonly key: SqlType; readonly value: SqlType }
  | { readonly kind: 'STRUCT'; readonly fields: readonly StructField[] }
  /** The type of a bare NULL literal before it is coerced. */
  | { readonly kind: 'NULL' };

export interface StructField {
  readonly name: string;
  readonly type: SqlType;
}

export type SqlTypeKind = SqlType['kind'];

export const BOOLEAN: SqlType = { kind: 'BOOLEAN' };
export const INTEGER: SqlType = { kind: 'INTEGER' };
export const BIGINT: SqlType = { kind: 'BIGINT' };
export const DOUBLE: SqlType = { kind: 'DOUBLE' };
export const STRING: SqlType = { kind: 'STRING' };
export const BYTES: SqlType = { kind: 'BYTES' };
export const DATE: SqlType = { kind: 'DATE' };
export const TIME: SqlType = { kind: 'TIME' };
export const TIMESTAMP: SqlType = { kind: 'TIMESTAMP' };
export const NULL_TYPE: SqlType = { kind: 'NULL' };

export function decimal(precision: number, scale: number): SqlType {
  return { kind: 'DECIMAL', precision, scale };
}
export function array(element: SqlType): SqlType {
  return { kind: 'ARRAY', element };
}
export function map(key: SqlType, value: SqlType): SqlType {
  return { kind: 'MAP', key, value };
}
export function struct(fields: readonly StructField[]): SqlType {
  return { kind: 'STRUCT', fields };
}

export function assertNever(x: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(x)}`);
}

/** ksqlDB's canonical rendering, e.g. `DECIMAL(4, 2)`, `MAP<STRING, INTEGER>`, `STRUCT<A INTEGER, B STRING>`. */
export function formatType(t: SqlType): string {
  switch (t.kind) {
    case 'BOOLEAN':
    case 'INTEGER':
    case 'BIGINT':
    case 'DOUBLE':
    case 'STRING':
    case 'BYTES':
    case 'DATE':
    case 'TIME':
    case 'TIMESTAMP':
    case 'NULL':
      return t.kind;
    case 'DECIMAL':
      return `DECIMAL(${t.precision}, ${t.scale})`;
    case 'ARRAY':
      return `ARRAY<${formatType(t.element)}>`;
    case 'MAP':
      return `MAP<${formatType(t.key)}, ${formatType(t.value)}>`;
    case 'STRUCT':
      return `STRUCT<${t.fields.map((f) => `${quoteIfNeeded(f.name)} ${formatType(f.type)}`).join(', ')}>`;
    default:
      return assertNever(t, 'type');
  }
}

const IDENT = /^[A-Z_][A-Z0-9_@]*$/;
/** Quote an identifier with backticks when it would not read back unchanged. */
export function quoteIfNeeded(name: string): string {
  return IDENT.test(name) && !RESERVED.has(name) ? name : '`' + name.replace(/`/g, '``') + '`';
}
const RESERVED = new Set(['SELECT', 'FROM', 'WHERE', 'AS', 'AND', 'OR', 'NOT', 'NULL', 'TRUE', 'FALSE', 'KEY', 'STRUCT', 'ARRAY', 'MAP']);

export function typeEquals(a: SqlType, b: SqlType): boolean {
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case 'DECIMAL': {
      const o = b as typeof a;
      return a.precision === o.precision && a.scale === o.scale;
    }
    case 'ARRAY':
      return typeEquals(a.element, (b as typeof a).element);
    case 'MAP': {
      const o = b as typeof a;
      return typeEquals(a.key, o.key) && typeEquals(a.value, o.value);
    }
    case 'STRUCT': {
      const o = b as typeof a;
      return (
        a.fields.length === o.fields.length &&
        a.fields.every((f, i) => f.name === o.fields[i]!.name && typeEquals(f.type, o.fields[i]!.type))
      );
    }
    default:
      return true;
  }
}

/** A map, or a type that contains one. */
export function containsMap(t: SqlType): boolean {
  switch (t.kind) {
    case 'MAP':
      return true;
    case 'ARRAY':
      return containsMap(t.element);
    case 'STRUCT':
      return t.fields.some((f) => containsMap(f.type));
    default:
      return false;
  }
}

export function isNumeric(t: SqlType): boolean {
  return t.kind === 'INTEGER' || t.kind === 'BIGINT' || t.kind === 'DOUBLE' || t.kind === 'DECIMAL';
}

/** DECIMAL equivalent of an integral type, as ksqlDB widens INT → DECIMAL(10,0), BIGINT → DECIMAL(19,0). */
export function toDecimalType(t: SqlType): SqlType & { kind: 'DECIMAL' } {
  switch (t.kind) {
    case 'DECIMAL':
      return t;
    case 'INTEGER':
      return { kind: 'DECIMAL', precision: 10, scale: 0 };
    case 'BIGINT':
      return { kind: 'DECIMAL', precision: 19, scale: 0 };
    default:
      throw new Error(`cannot widen ${formatType(t)} to DECIMAL`);
  }
}
