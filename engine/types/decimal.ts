import { Decimal } from 'decimal.js';
import type { SqlType } from './sql-type.js';

/**
 * DECIMAL helpers. Values are main-module `Decimal` instances rounded to their
 * type's scale; arithmetic runs on an exact clone (decimal.js rounds every
 * operation of the default constructor to 20 significant digits).
 */
export const ExactDecimal = Decimal.clone({ precision: 1000, rounding: Decimal.ROUND_HALF_UP, toExpNeg: -1000, toExpPos: 1000 });

export type DecimalType = SqlType & { kind: 'DECIMAL' };

export class DecimalOverflowError extends Error {
  override readonly name = 'DecimalOverflowError';
}

export function isDecimal(v: unknown): v is Decimal {
  return Decimal.isDecimal(v);
}

/** Rounds HALF_UP to `scale` and checks the value fits `precision`; returns a main-module Decimal. */
export function fitDecimal(v: Decimal.Value, precision: number, scale: number): Decimal {
  const d = new ExactDecimal(v);
  if (!d.isFinite()) throw new DecimalOverflowError(`Cannot convert ${d.toString()} to DECIMAL(${precision}, ${scale})`);
  const r = d.toDecimalPlaces(scale, Decimal.ROUND_HALF_UP);
  // integer digits allowed: precision - scale
  if (!r.isZero() && r.abs().gte(new ExactDecimal(10).pow(precision - scale))) {
    throw new DecimalOverflowError(
      `Numeric field overflow: A field with precision ${precision} and scale ${scale} must round to an absolute value less than 10^${precision - scale}. Got ${r.toFixed(scale)}`,
    );
  }
  return new Decimal(r);
}

/** Plain text with exactly the value's scale, like Java's BigDecimal.toPlainString for a value of that scale. */
export function decimalToPlainString(v: Decimal, scale: number): string {
  return new ExactDecimal(v).toFixed(scale);
}

/** The scale a Decimal value carries when written plainly (number of fractional digits, at least 0). */
export function decimalScaleOf(v: Decimal): number {
  return Math.max(0, v.decimalPlaces());
}

/** Result type of `l op r` for DECIMAL operands, as ksqlDB computes it. */
export function decimalArithmeticType(op: '+' | '-' | '*' | '/' | '%', l: DecimalType, r: DecimalType): DecimalType {
  let precision: number;
  let scale: number;
  switch (op) {
    case '+':
    case '-':
      scale = Math.max(l.scale, r.scale);
      precision = Math.max(l.precision - l.scale, r.precision - r.scale) + scale + 1;
      break;
    case '*':
      precision = l.precision + r.precision + 1;
      scale = l.scale + r.scale;
      break;
    case '/':
      scale = Math.max(6, l.scale + r.precision + 1);
      precision = l.precision - l.scale + r.scale + scale;
      break;
    case '%':
      scale = Math.max(l.scale, r.scale);
      precision = Math.min(l.precision - l.scale, r.precision - r.scale) + scale;
      break;
  }
  return { kind: 'DECIMAL', precision: Math.max(1, precision), scale };
}

/** Widest DECIMAL holding both (integer digits and scale are each the max). */
export function widenDecimal(a: DecimalType, b: DecimalType): DecimalType {
  const scale = Math.max(a.scale, b.scale);
  const ints = Math.max(a.precision - a.scale, b.precision - b.scale);
  return { kind: 'DECIMAL', precision: ints + scale, scale };
}

/** DECIMAL type of a literal as written, e.g. `1.50` → DECIMAL(3, 2), `0.05` → DECIMAL(2, 2)? (ksqlDB: precision at least scale). */
export function decimalLiteralType(text: string): DecimalType {
  const [intPart = '', frac = ''] = text.split('.');
  const scale = frac.length;
  const ints = intPart.replace(/^0+/, '').length;
  const precision = Math.max(ints + scale, 1, scale);
  return { kind: 'DECIMAL', precision, scale };
}
