import { compareSignedBytes } from '../../types/compare.js';
import { Decimal } from 'decimal.js';
import type { SqlType } from '../../types/sql-type.js';
import { formatType } from '../../types/sql-type.js';
import { FunctionError, ResolveError, type AggregateImpl, type ArgInfo } from '../types.js';

/**
 * Shared helpers for the built-in aggregates.
 *
 * Accumulators are plain data (arrays, plain objects, SQL values) and are never
 * mutated after they are returned: every `add`/`remove`/`merge` builds a new one,
 * so a state store may keep, compare or persist any accumulator it was given.
 */

/** What every built-in aggregate resolves to. */
export interface BuiltinAggregateImpl<A = unknown> extends AggregateImpl<A> {
  readonly valueArgs: number;
  /**
   * ksqlDB's intermediate (state) type. Formats that cannot carry complex types
   * (DELIMITED, KAFKA) reject aggregates whose intermediate type is an
   * ARRAY, MAP or STRUCT ("...has an intermediate type that the value format can
   * not handle...").
   */
  readonly intermediateType: SqlType;
}

/** Options for functions that ksqlDB configures through properties. */
export interface AggregateOptions {
  /** `ksql.functions.collect_list.limit` (default 1000) */
  readonly collectListLimit?: number;
  /** `ksql.functions.collect_set.limit` (default 1000) */
  readonly collectSetLimit?: number;
}

export const DEFAULT_COLLECT_LIMIT = 1000;

export function typeList(args: readonly ArgInfo[]): string {
  return args.map((a) => (a.type ? formatType(a.type) : 'NULL')).join(', ');
}

/** ksqlDB's wording when no variant of a function accepts the argument types. */
export function noVariant(name: string, args: readonly ArgInfo[], alternatives: readonly string[] = []): ResolveError {
  const alt = alternatives.length > 0 ? `\nValid alternatives are:\n${alternatives.join('\n')}` : '';
  return new ResolveError(`Function '${name}' does not accept parameters (${typeList(args)}).${alt}`);
}

/** The declared type of argument `i`, failing with ksqlDB's wording when absent or NULL. */
export function argType(name: string, args: readonly ArgInfo[], i: number): SqlType {
  const t = args[i]?.type;
  if (!t || t.kind === 'NULL') throw noVariant(name, args);
  return t;
}

/** Argument `i` must be a literal (TOPK's k, EARLIEST_BY_OFFSET's n and ignoreNulls). */
export function literalArg(name: string, args: readonly ArgInfo[], i: number): unknown {
  const a = args[i]!;
  if (a.literal === undefined) {
    const suffix = a.text !== undefined ? `, but was expression: '${a.text}'` : '';
    throw new ResolveError(`Parameter ${i + 1} passed to function ${name} must be a literal constant${suffix}`);
  }
  return a.literal;
}

export function literalInt(name: string, args: readonly ArgInfo[], i: number): number {
  const v = literalArg(name, args, i);
  const n = typeof v === 'bigint' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw noVariant(name, args);
  return n;
}

export function literalBool(name: string, args: readonly ArgInfo[], i: number): boolean {
  const v = literalArg(name, args, i);
  if (typeof v !== 'boolean') throw noVariant(name, args);
  return v;
}

export function isIntegral(t: SqlType): boolean {
  return t.kind === 'INTEGER' || t.kind === 'BIGINT';
}

/** Types MIN/MAX/TOPK can order. */
export function isComparable(t: SqlType): boolean {
  switch (t.kind) {
    case 'INTEGER':
    case 'BIGINT':
    case 'DOUBLE':
    case 'DECIMAL':
    case 'STRING':
    case 'BYTES':
    case 'DATE':
    case 'TIME':
    case 'TIMESTAMP':
    case 'BOOLEAN':
      return true;
    default:
      return false;
  }
}

/** Total order over non-null values of one comparable SQL type (Java `compareTo`). */
export function compareValues(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') {
    // Java Double.compare: NaN is greater than everything, -0.0 < 0.0
    if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : 1;
    if (Number.isNaN(b)) return -1;
    if (a === b) {
      if (a !== 0) return 0;
      const na = Object.is(a, -0);
      return na === Object.is(b, -0) ? 0 : na ? -1 : 1;
    }
    return a < b ? -1 : 1;
  }
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') return compareUtf16(a, b);
  if (typeof a === 'boolean' && typeof b === 'boolean') return a === b ? 0 : a ? 1 : -1;
  if (Decimal.isDecimal(a) && Decimal.isDecimal(b)) return (a as Decimal).comparedTo(b as Decimal);
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return compareSignedBytes(a, b);
  throw new FunctionError(`cannot compare ${typeof a} with ${typeof b}`);
}

/** Java String.compareTo: UTF-16 code unit order. */
function compareUtf16(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}


/**
 * A canonical string for any SQL value, equal for equal values (struct fields in
 * any order, decimals by value at their scale): the identity used by
 * COLLECT_SET, TOPKDISTINCT, COUNT_DISTINCT and HISTOGRAM.
 */
export function valueKey(v: unknown): string {
  if (v === null || v === undefined) return 'z';
  switch (typeof v) {
    case 'string':
      return 's' + JSON.stringify(v);
    case 'number':
      return 'n' + (Object.is(v, -0) ? '-0' : String(v));
    case 'bigint':
      return 'l' + v.toString();
    case 'boolean':
      return v ? 't' : 'f';
    default:
      break;
  }
  if (Buffer.isBuffer(v)) return 'b' + v.toString('base64');
  if (Decimal.isDecimal(v)) return 'd' + (v as Decimal).toString();
  if (Array.isArray(v)) return '[' + v.map(valueKey).join(',') + ']';
  if (v instanceof Map) return '{' + [...v.entries()].map(([k, x]) => valueKey(k) + ':' + valueKey(x)).sort().join(',') + '}';
  if (typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return '(' + entries.map(([k, x]) => JSON.stringify(k) + '=' + valueKey(x)).join(',') + ')';
  }
  return '?' + String(v);
}

// ---- numeric helpers -------------------------------------------------------

/** High-precision arithmetic; results are converted back to the default `Decimal` constructor. */
const Exact = Decimal.clone({ precision: 200, rounding: Decimal.ROUND_HALF_UP });

export function decimalAdd(a: Decimal, b: Decimal, t: SqlType & { kind: 'DECIMAL' }): Decimal {
  return checkDecimal(new Exact(a).plus(new Exact(b)), t);
}

export function decimalSub(a: Decimal, b: Decimal, t: SqlType & { kind: 'DECIMAL' }): Decimal {
  return checkDecimal(new Exact(a).minus(new Exact(b)), t);
}

/** Round to the type's scale and fail with ksqlDB's message when it needs more than `precision` digits. */
export function checkDecimal(v: Decimal, t: SqlType & { kind: 'DECIMAL' }): Decimal {
  const r = new Exact(v).toDecimalPlaces(t.scale, Decimal.ROUND_HALF_UP);
  const intDigits = r.abs().trunc().isZero() ? 0 : r.abs().trunc().toFixed(0).length;
  if (intDigits > t.precision - t.scale) {
    // DecimalUtil.ensureFit's text
    throw new FunctionError(
      `Numeric field overflow: A field with precision ${t.precision} and scale ${t.scale} must round to an absolute value less than 10^${t.precision - t.scale}. Got ${r.toFixed(t.scale)}`,
    );
  }
  return new Decimal(r.toFixed(t.scale));
}

/** Java int overflow semantics. */
export function int32(n: number): number {
  return n | 0;
}

/** Java long overflow semantics. */
export function int64(n: bigint): bigint {
  return BigInt.asIntN(64, n);
}

/** A numeric SQL value as a double (Java `Number.doubleValue()`). */
export function toDouble(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (Decimal.isDecimal(v)) return (v as Decimal).toNumber();
  throw new FunctionError(`not a number: ${String(v)}`);
}
