import { decimalArithmeticType, widenDecimal } from './decimal.js';
import { DOUBLE, isNumeric, toDecimalType, typeEquals, type SqlType } from './sql-type.js';

/**
 * Implicit conversions of the ksqlDB dialect: numeric widening
 * INTEGER < BIGINT < DECIMAL < DOUBLE, element-wise for ARRAY/MAP/STRUCT;
 * other types only meet themselves. NULL meets anything.
 */

const RANK: Partial<Record<SqlType['kind'], number>> = { INTEGER: 0, BIGINT: 1, DECIMAL: 2, DOUBLE: 3 };

/** The narrowest type both widen to, or null when none exists. */
export function commonType(a: SqlType, b: SqlType): SqlType | null {
  if (a.kind === 'NULL') return b;
  if (b.kind === 'NULL') return a;
  if (isNumeric(a) && isNumeric(b)) {
    if (a.kind === 'DOUBLE' || b.kind === 'DOUBLE') return DOUBLE;
    if (a.kind === 'DECIMAL' || b.kind === 'DECIMAL') return widenDecimal(toDecimalType(a), toDecimalType(b));
    return RANK[a.kind]! >= RANK[b.kind]! ? a : b;
  }
  if (a.kind !== b.kind) return null;
  switch (a.kind) {
    case 'ARRAY': {
      const e = commonType(a.element, (b as typeof a).element);
      return e && { kind: 'ARRAY', element: e };
    }
    case 'MAP': {
      const o = b as typeof a;
      const k = commonType(a.key, o.key);
      const v = commonType(a.value, o.value);
      return k && v && { kind: 'MAP', key: k, value: v };
    }
    case 'STRUCT': {
      const o = b as typeof a;
      if (a.fields.length !== o.fields.length) return null;
      const fields = [];
      for (let i = 0; i < a.fields.length; i++) {
        const f = a.fields[i]!;
        const g = o.fields[i]!;
        if (f.name !== g.name) return null;
        const t = commonType(f.type, g.type);
        if (!t) return null;
        fields.push({ name: f.name, type: t });
      }
      return { kind: 'STRUCT', fields };
    }
    default:
      return a;
  }
}

/** Common type of many (NULL ignored); NULL when all are NULL; null when incompatible. */
export function commonTypeOf(types: readonly SqlType[]): SqlType | null {
  let cur: SqlType = { kind: 'NULL' };
  for (const t of types) {
    const n = commonType(cur, t);
    if (!n) return null;
    cur = n;
  }
  return cur;
}

/** Whether a value of `from` converts implicitly (losslessly by ksqlDB's rules) to `to`. */
export function canImplicitlyCast(from: SqlType, to: SqlType): boolean {
  const c = commonType(from, to);
  return c !== null && typeEquals(c, to);
}

/** Result type of `l op r` or null when the operation is not supported. */
export function arithmeticResultType(op: '+' | '-' | '*' | '/' | '%', l: SqlType, r: SqlType): SqlType | null {
  if (op === '+' && l.kind === 'STRING' && r.kind === 'STRING') return l;
  if (!isNumeric(l) || !isNumeric(r)) return null;
  if (l.kind === 'DOUBLE' || r.kind === 'DOUBLE') return DOUBLE;
  if (l.kind === 'DECIMAL' || r.kind === 'DECIMAL') return decimalArithmeticType(op, toDecimalType(l), toDecimalType(r));
  return commonType(l, r);
}

/** Operand type for arithmetic: each operand is cast to this before the operation (DECIMALs keep their own). */
export function arithmeticOperandType(result: SqlType, operand: SqlType): SqlType {
  if (result.kind === 'DECIMAL') return toDecimalType(operand);
  return result;
}

export type ComparisonOpName =
  | 'EQUAL'
  | 'NOT_EQUAL'
  | 'LESS_THAN'
  | 'LESS_THAN_OR_EQUAL'
  | 'GREATER_THAN'
  | 'GREATER_THAN_OR_EQUAL'
  | 'IS_DISTINCT_FROM'
  | 'IS_NOT_DISTINCT_FROM';

export const COMPARISON_NAMES: Readonly<Record<string, ComparisonOpName>> = {
  '=': 'EQUAL',
  '<>': 'NOT_EQUAL',
  '<': 'LESS_THAN',
  '<=': 'LESS_THAN_OR_EQUAL',
  '>': 'GREATER_THAN',
  '>=': 'GREATER_THAN_OR_EQUAL',
  'IS DISTINCT FROM': 'IS_DISTINCT_FROM',
  'IS NOT DISTINCT FROM': 'IS_NOT_DISTINCT_FROM',
};

function isTemporal(t: SqlType): boolean {
  return t.kind === 'DATE' || t.kind === 'TIME' || t.kind === 'TIMESTAMP';
}

/**
 * The type both sides of a comparison are converted to, or null when ksqlDB
 * rejects the comparison. Temporal values compare with strings (the string is
 * parsed) and DATE with TIMESTAMP (as TIMESTAMP). ARRAY/MAP/STRUCT support only
 * (in)equality and distinctness.
 */
export function comparisonType(op: string, l: SqlType, r: SqlType): SqlType | null {
  const equality = op === '=' || op === '<>' || op === 'IS DISTINCT FROM' || op === 'IS NOT DISTINCT FROM';
  if (isTemporal(l) && r.kind === 'STRING') return l;
  if (isTemporal(r) && l.kind === 'STRING') return r;
  if ((l.kind === 'DATE' && r.kind === 'TIMESTAMP') || (l.kind === 'TIMESTAMP' && r.kind === 'DATE')) return { kind: 'TIMESTAMP' };
  const c = commonType(l, r);
  if (!c) return null;
  if (!equality && (c.kind === 'ARRAY' || c.kind === 'MAP' || c.kind === 'STRUCT')) return null;
  return c;
}
