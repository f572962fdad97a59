import { columnRefs } from '../analyzer/expr-utils.js';
import { rowScope } from '../analyzer/scope.js';
import type { Column, DataSource } from '../catalog/data-source.js';
import { evaluateConstant } from '../expr/compile.js';
import { typeExpression } from '../expr/typer.js';
import type { FunctionRegistry } from '../functions/types.js';
import type { Expr } from '../sql/ast/expression.js';
import { castValue } from '../types/cast.js';
import type { SqlType } from '../types/sql-type.js';

/**
 * How a pull query over a table reads its store, from the key columns its
 * WHERE clause pins (ksqlDB's KeyConstraint / key range / table scan):
 *
 * - `keys`: every disjunct pins every key column with `=` or `IN`: the rows of
 *   these keys only (the union over the disjuncts);
 * - `range`: one disjunct bounds the single key column (`<`, `<=`, `>`, `>=`,
 *   `BETWEEN`): the rows whose key lies within;
 * - `scan`: anything else.
 *
 * The access only narrows what is read: the rows read still go through the
 * whole WHERE clause, so an access may read more than matches, never less.
 * Values are the key column's type (a literal is cast as ksqlDB casts it).
 */
export type PullAccess =
  | { readonly kind: 'keys'; readonly keys: readonly (readonly unknown[])[] }
  | { readonly kind: 'range'; readonly lower: RangeBound | null; readonly upper: RangeBound | null }
  | { readonly kind: 'scan' };

export interface RangeBound {
  readonly value: unknown;
  readonly inclusive: boolean;
}

export const SCAN: PullAccess = { kind: 'scan' };

/** More key tuples than this (IN lists crossed with each other) read the table instead. */
const MAX_KEYS = 10_000;
/** Key types whose store keys and orderings the access knows (others scan). */
const KEY_TYPES: ReadonlySet<SqlType['kind']> = new Set(['STRING', 'INTEGER', 'BIGINT', 'DOUBLE', 'BOOLEAN']);
const INTEGRAL: ReadonlySet<SqlType['kind']> = new Set(['INTEGER', 'BIGINT']);
const NUMERIC: ReadonlySet<SqlType['kind']> = new Set(['INTEGER', 'BIGINT', 'DOUBLE']);

/** Thrown inside: this WHERE clause reads the whole table. */
class NeedsScan extends Error {}

interface Disjunct {
  /** per key column: the values `=` / `IN` allow, or null when not pinned */
  readonly values: (unknown[] | null)[];
  lower: RangeBound | null;
  upper: RangeBound | null;
}

export function pullAccess(where: Expr | null, source: DataSource, functions: FunctionRegistry): PullAccess {
  const keys = source.columns.filter((c) => c.namespace === 'KEY');
  if (where === null || keys.length === 0 || keys.some((k) => !KEY_TYPES.has(k.type.kind))) return SCAN;
  try {
    const disjuncts = split(where, 'OR').map((d) => disjunct(d, keys, functions));
    if (disjuncts.every((d) => d.values.every((v) => v !== null))) {
      const tuples = new Map<string, unknown[]>();
      for (const d of disjuncts) for (const t of cross(d.values as unknown[][])) tuples.set(JSON.stringify(t, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)), t);
      return { kind: 'keys', keys: [...tuples.values()] };
    }
    const d = disjuncts[0]!;
    if (disjuncts.length === 1 && keys.length === 1 && (d.lower !== null || d.upper !== null)) return { kind: 'range', lower: d.lower, upper: d.upper };
    return SCAN;
  } catch {
    // NeedsScan, or a literal that does not evaluate (the query itself reports it)
    return SCAN;
  }
}

function disjunct(e: Expr, keys: readonly Column[], functions: FunctionRegistry): Disjunct {
  const d: Disjunct = { values: keys.map(() => null), lower: null, upper: null };
  const keyIndex = (x: Expr): number => (x.kind === 'ColumnRef' ? keys.findIndex((k) => k.name === x.name) : -1);
  const pin = (i: number, values: unknown[]): void => {
    // a second constraint on the same column narrows: the first one read is enough (the WHERE applies both)
    if (d.values[i] === null) d.values[i] = values;
  };
  for (const c of split(e, 'AND')) {
    if (c.kind === 'Comparison') {
      const li = keyIndex(c.left);
      const ri = keyIndex(c.right);
      const [i, other, op] = li >= 0 && constant(c.right) ? [li, c.right, c.op] : ri >= 0 && constant(c.left) ? [ri, c.left, flip(c.op)] : [-1, null, c.op];
      if (i < 0 || other === null) continue;
      const key = keys[i]!;
      if (op === '=') pin(i, equalValue(other, key.type, functions));
      else if (op === '<' || op === '<=' || op === '>' || op === '>=') bound(d, op, rangeValue(other, key.type, functions));
      continue;
    }
    if (c.kind === 'InList' && !c.negated && c.list.every(constant)) {
      const i = keyIndex(c.operand);
      if (i >= 0) pin(i, c.list.flatMap((x) => equalValue(x, keys[i]!.type, functions)));
      continue;
    }
    if (c.kind === 'Between' && !c.negated && constant(c.low) && constant(c.high)) {
      const i = keyIndex(c.operand);
      if (i < 0) continue;
      bound(d, '>=', rangeValue(c.low, keys[i]!.type, functions));
      bound(d, '<=', rangeValue(c.high, keys[i]!.type, functions));
    }
  }
  const count = d.values.reduce((n, v) => n * (v?.length ?? 1), 1);
  if (count > MAX_KEYS) throw new NeedsScan();
  return d;
}

function bound(d: Disjunct, op: '<' | '<=' | '>' | '>=', value: unknown): void {
  const b: RangeBound = { value, inclusive: op === '<=' || op === '>=' };
  // the first bound on each side is kept (a superset of the conjunction)
  if ((op === '>' || op === '>=') && d.lower === null) d.lower = b;
  if ((op === '<' || op === '<=') && d.upper === null) d.upper = b;
}

function flip(op: string): string {
  return op === '<' ? '>' : op === '>' ? '<' : op === '<=' ? '>=' : op === '>=' ? '<=' : op;
}

function constant(e: Expr): boolean {
  return columnRefs(e).length === 0;
}

function evaluate(e: Expr, functions: FunctionRegistry): { value: unknown; type: SqlType } {
  const typed = typeExpression(e, rowScope({ key: [], value: [], window: null }, null), functions);
  return { value: evaluateConstant(typed), type: typed.type };
}

/** The key value(s) `K = e` can match: none for NULL; the literal cast to the key's type when that keeps its value. */
function equalValue(e: Expr, keyType: SqlType, functions: FunctionRegistry): unknown[] {
  const { value, type } = evaluate(e, functions);
  if (value === null || value === undefined) return [];
  if (type.kind === keyType.kind) return [value];
  if (!NUMERIC.has(type.kind) || !NUMERIC.has(keyType.kind)) throw new NeedsScan();
  const cast = castValue(value, type, keyType);
  // 1.5 = an INTEGER key matches nothing; 2147483648 = an INTEGER key neither
  return Number(cast) === Number(value) ? [cast] : [];
}

/** A range bound on the key: only of the key's own type (or integral to integral), where casting cannot move it. */
function rangeValue(e: Expr, keyType: SqlType, functions: FunctionRegistry): unknown {
  const { value, type } = evaluate(e, functions);
  if (value === null || value === undefined) throw new NeedsScan();
  if (type.kind === keyType.kind) return value;
  if (INTEGRAL.has(type.kind) && INTEGRAL.has(keyType.kind)) {
    const cast = castValue(value, type, keyType);
    if (Number(cast) === Number(value)) return cast;
  }
  throw new NeedsScan();
}

function split(e: Expr, op: 'AND' | 'OR'): Expr[] {
  if (e.kind === 'Logical' && e.op === op) return [...split(e.left, op), ...split(e.right, op)];
  return [e];
}

function cross(values: readonly unknown[][]): unknown[][] {
  let out: unknown[][] = [[]];
  for (const vs of values) out = out.flatMap((prefix) => vs.map((v) => [...prefix, v]));
  return out;
}

/** Whether a key value lies within a range (values of one key type: strings by UTF-16 order, numbers by value). */
export function inRange(value: unknown, lower: RangeBound | null, upper: RangeBound | null): boolean {
  const cmp = (a: unknown, b: unknown): number => {
    if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
    const x = typeof a === 'bigint' || typeof b === 'bigint' ? BigInt(a as bigint) - BigInt(b as bigint) : Number(a) - Number(b);
    return x < 0 ? -1 : x > 0 ? 1 : 0;
  };
  if (value === null || value === undefined) return false;
  if (lower) {
    const c = cmp(value, lower.value);
    if (c < 0 || (c === 0 && !lower.inclusive)) return false;
  }
  if (upper) {
    const c = cmp(value, upper.value);
    if (c > 0 || (c === 0 && !upper.inclusive)) return false;
  }
  return true;
}
