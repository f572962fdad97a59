import type { Decimal } from 'decimal.js';
import { DecimalOverflowError, ExactDecimal, fitDecimal, type DecimalType } from './decimal.js';
import type { SqlType } from './sql-type.js';

/**
 * Binary arithmetic with Java semantics on non-null operands already converted
 * to the operation type: INTEGER wraps at 32 bits, BIGINT at 64, integer
 * division truncates and throws on zero, DOUBLE is IEEE, DECIMAL is computed
 * exactly then rounded HALF_UP to the result type; DECIMAL division or modulus by
 * zero yields null (ksqlDB catches the ArithmeticException).
 */
export type ArithmeticOp = '+' | '-' | '*' | '/' | '%';

export class ArithmeticError extends Error {
  override readonly name = 'ArithmeticError';
}

export function intOp(op: ArithmeticOp, a: number, b: number): number {
  switch (op) {
    case '+':
      return (a + b) | 0;
    case '-':
      return (a - b) | 0;
    case '*':
      return Math.imul(a, b);
    case '/':
      if (b === 0) throw new ArithmeticError('/ by zero');
      return (a / b) | 0;
    case '%':
      if (b === 0) throw new ArithmeticError('/ by zero');
      return (a % b) | 0;
  }
}

export function bigintOp(op: ArithmeticOp, a: bigint, b: bigint): bigint {
  switch (op) {
    case '+':
      return BigInt.asIntN(64, a + b);
    case '-':
      return BigInt.asIntN(64, a - b);
    case '*':
      return BigInt.asIntN(64, a * b);
    case '/':
      if (b === 0n) throw new ArithmeticError('/ by zero');
      return BigInt.asIntN(64, a / b);
    case '%':
      if (b === 0n) throw new ArithmeticError('/ by zero');
      return a % b;
  }
}

export function doubleOp(op: ArithmeticOp, a: number, b: number): number {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return a / b;
    case '%':
      return a % b;
  }
}

/** DECIMAL arithmetic into `result` (see `decimalArithmeticType`); null on division by zero. */
export function decimalOp(op: ArithmeticOp, a: Decimal, b: Decimal, result: DecimalType): Decimal | null {
  const x = new ExactDecimal(a);
  let r: InstanceType<typeof ExactDecimal>;
  switch (op) {
    case '+':
      r = x.plus(b);
      break;
    case '-':
      r = x.minus(b);
      break;
    case '*':
      r = x.times(b);
      break;
    case '/':
      if (b.isZero()) return null;
      // MathContext(precision, HALF_UP) then setScale(scale, HALF_UP)
      r = x.div(b).toSignificantDigits(result.precision, ExactDecimal.ROUND_HALF_UP);
      break;
    case '%':
      if (b.isZero()) return null;
      r = x.mod(b);
      break;
  }
  try {
    return fitDecimal(r, result.precision, result.scale);
  } catch (e) {
    if (e instanceof DecimalOverflowError) throw new ArithmeticError(e.message);
    throw e;
  }
}

export function negate(v: unknown, type: SqlType): unknown {
  switch (type.kind) {
    case 'INTEGER':
      return -(v as number) | 0;
    case 'BIGINT':
      return BigInt.asIntN(64, -(v as bigint));
    case 'DOUBLE':
      return -(v as number);
    case 'DECIMAL':
      return (v as Decimal).neg();
    default:
      throw new ArithmeticError(`cannot negate a value of type ${type.kind}`);
  }
}

/** Generic entry point: `l op r` for values of the (already unified) operand type `type`. */
export function arithmetic(op: ArithmeticOp, a: unknown, b: unknown, type: SqlType, result: SqlType = type): unknown {
  if (a === null || a === undefined || b === null || b === undefined) return null;
  switch (type.kind) {
    case 'INTEGER':
      return intOp(op, a as number, b as number);
    case 'BIGINT':
      return bigintOp(op, a as bigint, b as bigint);
    case 'DOUBLE':
      return doubleOp(op, a as number, b as number);
    case 'DECIMAL':
      return decimalOp(op, a as Decimal, b as Decimal, result as DecimalType);
    case 'STRING':
      if (op === '+') return (a as string) + (b as string);
      break;
    default:
      break;
  }
  throw new ArithmeticError(`Unsupported arithmetic on ${type.kind}`);
}
