import type { DataSource } from '../catalog/data-source.js';
import { typeExpression } from '../expr/typer.js';
import { rowScope } from '../analyzer/scope.js';
import type { FunctionRegistry } from '../functions/types.js';
import type { Expr } from '../sql/ast/expression.js';
import type { Query } from '../sql/ast/query.js';
import type { PreparedTablePull } from './transient.js';

/**
 * Prepared pull queries, as ksqlDB keeps a pull query's physical plan: a key
 * lookup (`SELECT ... FROM T WHERE K = 'x'`) is parsed per request, but
 * validated, planned and compiled once per statement shape, the statement
 * with its WHERE clause left out, and run over the rows of the keys it
 * looks up. Requests that differ only in the keys they look up (`K = 'a'`,
 * `K = 'b'`, `K IN ('c', 'd')`) share an entry.
 *
 * Only exact key lookups are served so (`isExactKeyLookup`): every disjunct
 * of the WHERE clause pins every key column once, with `=` or `IN`, to
 * literals of the key's type, and says nothing else. The rows of these keys
 * are then exactly the rows the WHERE clause selects. Other queries take
 * the whole path each time.
 *
 * An entry belongs to a catalog version (Metastore.version) and to the
 * request's properties: any DDL (CREATE, DROP, CREATE OR REPLACE, a new
 * type, a query started or terminated) empties the cache.
 */
export class PreparedPullCache {
  readonly #entries = new Map<string, PreparedTablePull>();
  #version = -1;
  /** requests answered from an entry, and entries prepared, since the start */
  hits = 0;
  prepared = 0;

  constructor(readonly capacity = 256) {}

  /** The entry of a shape prepared at this catalog version, if any. */
  get(shape: string, version: number): PreparedTablePull | undefined {
    if (version !== this.#version) return undefined;
    const hit = this.#entries.get(shape);
    if (hit !== undefined) {
      // least recently used first out
      this.#entries.delete(shape);
      this.#entries.set(shape, hit);
      this.hits++;
    }
    return hit;
  }

  set(shape: string, version: number, entry: PreparedTablePull): void {
    if (version !== this.#version) {
      this.#entries.clear();
      this.#version = version;
    }
    this.#entries.set(shape, entry);
    this.prepared++;
    while (this.#entries.size > this.capacity) this.#entries.delete(this.#entries.keys().next().value!);
  }

  get size(): number {
    return this.#entries.size;
  }
}

/**
 * A pull query's shape: the statement without its WHERE clause (and without
 * source positions), with the properties it runs under.
 */
export function pullShape(query: Query, props: Readonly<Record<string, string>>): string {
  return JSON.stringify([{ ...query, where: null }, props], (k, v: unknown) => (k === 'loc' ? undefined : typeof v === 'bigint' ? `${v}n` : v));
}

/**
 * Whether a pull query's WHERE clause selects exactly the rows of the keys
 * it names: every disjunct pins each key column of `source` once (`K = lit`,
 * `lit = K`, `K IN (lit, ...)`) and has no other conjunct; the literals have
 * the key's type (an integer literal for an INTEGER or BIGINT key).
 */
export function isExactKeyLookup(query: Query, source: DataSource, functions: FunctionRegistry): boolean {
  const where = query.where;
  if (where === null || query.from.kind !== 'Source' || source.sourceType !== 'TABLE') return false;
  const qualifier = query.from.alias ?? query.from.name;
  const keys = source.columns.filter((c) => c.namespace === 'KEY');
  if (keys.length === 0) return false;
  const keyIndex = (e: Expr): number => (e.kind === 'ColumnRef' && (e.source === null || e.source === qualifier) ? keys.findIndex((k) => k.name === e.name) : -1);
  const fits = (e: Expr, i: number): boolean => literalFits(e, keys[i]!.type.kind, functions);
  for (const disjunct of split(where, 'OR')) {
    const pinned = new Set<number>();
    for (const c of split(disjunct, 'AND')) {
      let i = -1;
      if (c.kind === 'Comparison' && c.op === '=') {
        const [l, r] = [keyIndex(c.left), keyIndex(c.right)];
        if (l >= 0 && fits(c.right, l)) i = l;
        else if (r >= 0 && fits(c.left, r)) i = r;
      } else if (c.kind === 'InList' && !c.negated && c.list.length > 0) {
        const k = keyIndex(c.operand);
        if (k >= 0 && c.list.every((x) => fits(x, k))) i = k;
      }
      if (i < 0 || pinned.has(i)) return false;
      pinned.add(i);
    }
    if (pinned.size !== keys.length) return false;
  }
  return true;
}

const INTEGRAL = new Set(['INTEGER', 'BIGINT']);

/** A literal whose value a key of this type equals exactly as the WHERE clause compares them. */
function literalFits(e: Expr, keyType: string, functions: FunctionRegistry): boolean {
  switch (e.kind) {
    case 'StringLiteral':
      return keyType === 'STRING';
    case 'BooleanLiteral':
      return keyType === 'BOOLEAN';
    case 'NumberLiteral': {
      if (!INTEGRAL.has(keyType) && keyType !== 'DOUBLE') return false;
      const t = typeExpression(e, rowScope({ key: [], value: [], window: null }, null), functions).type.kind;
      return INTEGRAL.has(keyType) ? INTEGRAL.has(t) : t === keyType;
    }
    default:
      return false;
  }
}

function split(e: Expr, op: 'AND' | 'OR'): Expr[] {
  if (e.kind === 'Logical' && e.op === op) return [...split(e.left, op), ...split(e.right, op)];
  return [e];
}
