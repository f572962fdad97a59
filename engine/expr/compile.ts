import type { Decimal } from 'decimal.js';
import { arithmetic, bigintOp, decimalOp, intOp, negate } from '../types/arithmetic.js';
import { castValue } from '../types/cast.js';
import { compareValues, valuesEqual } from '../types/compare.js';
import type { DecimalType } from '../types/decimal.js';
import { assertNever, type SqlType } from '../types/sql-type.js';
import type { CompiledExpr, TypedExpr } from './typed-expr.js';

/**
 * Compiles a typed expression to a JavaScript function by code generation: the
 * whole tree becomes one function body (`new Function`), with function
 * implementations, types and constants passed in as closure arguments.
 *
 * Null semantics follow ksqlDB: null operands make arithmetic, casts and
 * (non null-safe) calls null; comparisons, IN and BETWEEN with a null operand
 * are false; AND/OR are three-valued; a CASE condition that is null counts as
 * false. Evaluation errors (bad CAST input, integer division by zero, a throwing
 * function) propagate to the caller.
 */
export function compileExpression(e: TypedExpr): CompiledExpr {
  return compileWithLayout<CompiledExpr>(e, ROW_LAYOUT);
}

/**
 * Where a compiled expression finds its column slots: the generated
 * function's parameters (named `p_*`) and the JavaScript expression that reads
 * slot `index`. The default reads one row array; callers holding the columns in
 * other shapes (the runtime's key and value arrays) read them in place instead
 * of copying them into a row per record.
 */
export interface SlotLayout {
  readonly params: readonly string[];
  readonly slot: (index: number) => string;
}

const ROW_LAYOUT: SlotLayout = { params: ['p_row'], slot: (i) => `p_row[${i}]` };

/** Compiles `e` into a function of the layout's parameters. */
export function compileWithLayout<F extends (...args: never[]) => unknown>(e: TypedExpr, layout: SlotLayout): F {
  for (const p of layout.params) if (!/^p_[A-Za-z0-9_]+$/.test(p)) throw new Error(`invalid layout parameter ${p}`);
  const g = new Gen(layout.slot);
  const body: Line[] = [];
  const v = g.emit(e, body);
  const src = `${g.declare()}\n${flatten(body).join('\n')}\nreturn ${v} === undefined ? null : ${v};`;
  const names = ['H', 'k'];
  const factory = new Function(...names, `return function compiled(${layout.params.join(', ')}) {\n${src}\n};`) as (h: typeof HELPERS, k: unknown[]) => F;
  return factory(HELPERS, g.consts);
}

/** The generated source of an expression, for debugging and tests. */
export function generatedSource(e: TypedExpr): string {
  const g = new Gen();
  const body: Line[] = [];
  const v = g.emit(e, body);
  return `${g.declare()}\n${flatten(body).join('\n')}\nreturn ${v};`;
}

/** Whether the expression depends on neither the row nor a volatile function (so it can be folded). */
export function isConstant(e: TypedExpr): boolean {
  switch (e.kind) {
    case 'Literal':
      return true;
    case 'Column':
    case 'LambdaParam':
    case 'Lambda':
      return false;
    case 'Call':
      return !e.impl.volatile && e.args.every(isConstant);
    default:
      return children(e).every(isConstant);
  }
}

/** Evaluates a row-independent expression (INSERT VALUES, literal function arguments). */
export function evaluateConstant(e: TypedExpr): unknown {
  if (e.kind === 'Literal') return e.value;
  return compileExpression(e)([]);
}

/** Replaces constant sub-trees by literals (volatile calls and failing evaluations are kept). */
export function constantFold(e: TypedExpr): TypedExpr {
  if (e.kind === 'Literal') return e;
  if (isConstant(e)) {
    try {
      return { kind: 'Literal', type: e.type, value: evaluateConstant(e) };
    } catch {
      // leave it to fail at run time, like ksqlDB
    }
  }
  return mapChildren(e, constantFold);
}

function children(e: TypedExpr): TypedExpr[] {
  switch (e.kind) {
    case 'Literal':
    case 'Column':
    case 'LambdaParam':
      return [];
    case 'Field':
      return [e.base];
    case 'ArrayIndex':
      return [e.base, e.index];
    case 'MapLookup':
      return [e.base, e.key];
    case 'Call':
      return [...e.args];
    case 'Lambda':
      return [e.body];
    case 'Arithmetic':
    case 'Comparison':
      return [e.left, e.right];
    case 'Negate':
    case 'Not':
    case 'IsNull':
    case 'Cast':
      return [e.operand];
    case 'And':
    case 'Or':
      return [...e.operands];
    case 'Between':
      return [e.operand, e.low, e.high];
    case 'In':
      return [e.operand, ...e.list];
    case 'Like':
      return [e.operand, e.pattern];
    case 'Case':
      return [...e.whens.flatMap((w) => [w.when, w.then]), ...(e.else ? [e.else] : [])];
    case 'MakeArray':
      return [...e.items];
    case 'MakeMap':
      return e.entries.flatMap((x) => [x.key, x.value]);
    case 'MakeStruct':
      return e.fields.map((f) => f.value);
    default:
      return assertNever(e, 'typed expression');
  }
}

function mapChildren(e: TypedExpr, f: (x: TypedExpr) => TypedExpr): TypedExpr {
  switch (e.kind) {
    case 'Literal':
    case 'Column':
    case 'LambdaParam':
      return e;
    case 'Field':
      return { ...e, base: f(e.base) };
    case 'ArrayIndex':
      return { ...e, base: f(e.base), index: f(e.index) };
    case 'MapLookup':
      return { ...e, base: f(e.base), key: f(e.key) };
    case 'Call':
      return { ...e, args: e.args.map(f) };
    case 'Lambda':
      return { ...e, body: f(e.body) };
    case 'Arithmetic':
    case 'Comparison':
      return { ...e, left: f(e.left), right: f(e.right) };
    case 'Negate':
    case 'Not':
    case 'IsNull':
    case 'Cast':
      return { ...e, operand: f(e.operand) };
    case 'And':
    case 'Or':
      return { ...e, operands: e.operands.map(f) };
    case 'Between':
      return { ...e, operand: f(e.operand), low: f(e.low), high: f(e.high) };
    case 'In':
      return { ...e, operand: f(e.operand), list: e.list.map(f) };
    case 'Like':
      return { ...e, operand: f(e.operand), pattern: f(e.pattern) };
    case 'Case':
      return { ...e, whens: e.whens.map((w) => ({ when: f(w.when), then: f(w.then) })), else: e.else ? f(e.else) : null };
    case 'MakeArray':
      return { ...e, items: e.items.map(f) };
    case 'MakeMap':
      return { ...e, entries: e.entries.map((x) => ({ key: f(x.key), value: f(x.value) })) };
    case 'MakeStruct':
      return { ...e, fields: e.fields.map((x) => ({ name: x.name, value: f(x.value) })) };
    default:
      return assertNever(e, 'typed expression');
  }
}

// ---- run-time helpers the generated code calls -----------------------------

const likeCache = new Map<string, LikeMatcher>();

/** SQL LIKE: `%` any run, `_` one character, optional escape character; whole-string match. */
/** A compiled LIKE pattern: `%` any run of code points, `_` exactly one code point. */
export interface LikeMatcher {
  test(value: string): boolean;
}

const ANY_ONE = -1;
const ANY_RUN = -2;

/**
 * LIKE without regular expressions: the iterative wildcard match (back to the last `%` on a
 * mismatch) takes at most O(value × pattern) steps, so no pattern can stall the process the way
 * a backtracking regex can ('%a%a%a%a%_b' on a long value). It works on code points, as
 * ksqlDB's LIKE (Java regex over the string) does for characters outside the BMP.
 */
export function compileLike(pattern: string, escape: string | null): LikeMatcher {
  const key = `${escape ?? ''}\u0000${pattern}`;
  let m = likeCache.get(key);
  if (m) return m;
  const tokens: number[] = [];
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (escape !== null && c === escape && i + 1 < chars.length) tokens.push(chars[++i]!.codePointAt(0)!);
    else if (c === '%') {
      if (tokens[tokens.length - 1] !== ANY_RUN) tokens.push(ANY_RUN);
    } else if (c === '_') tokens.push(ANY_ONE);
    else tokens.push(c.codePointAt(0)!);
  }
  m = { test: (value: string) => wildcardMatch(value, tokens) };
  if (likeCache.size > 1000) likeCache.clear();
  likeCache.set(key, m);
  return m;
}

/** The UTF-16 length of the code point at `i` (2 for a surrogate pair). */
function width(value: string, i: number): number {
  return value.codePointAt(i)! > 0xffff ? 2 : 1;
}

/** Walks the value's code points in place (no per-record array): i and mark are UTF-16 indices. */
function wildcardMatch(s: string, p: readonly number[]): boolean {
  let i = 0;
  let j = 0;
  let star = -1;
  let mark = 0;
  while (i < s.length) {
    const t = j < p.length ? p[j]! : undefined;
    if (t === ANY_RUN) {
      star = j++;
      mark = i;
    } else if (t !== undefined && (t === ANY_ONE || t === s.codePointAt(i))) {
      i += width(s, i);
      j++;
    } else if (star >= 0) {
      j = star + 1;
      mark += width(s, mark);
      i = mark;
    } else return false;
  }
  while (j < p.length && p[j] === ANY_RUN) j++;
  return j === p.length;
}

function arrayIndex(arr: readonly unknown[], i: number): unknown {
  const n = arr.length;
  const j = i > 0 ? i - 1 : i < 0 ? n + i : -1;
  if (j < 0 || j >= n) return null;
  const v = arr[j];
  return v === undefined ? null : v;
}

function mapLookup(m: ReadonlyMap<unknown, unknown>, key: unknown, keyType: SqlType): unknown {
  if (m.has(key)) return m.get(key) ?? null;
  if (typeof key === 'object' && key !== null) {
    for (const [k, v] of m) if (valuesEqual(k, key, keyType)) return v ?? null;
  }
  return null;
}

function field(o: Record<string, unknown>, name: string): unknown {
  const v = o[name];
  return v === undefined ? null : v;
}

const HELPERS = {
  cast: castValue,
  eq: valuesEqual,
  cmp: compareValues,
  arith: arithmetic,
  intOp,
  bigintOp,
  decimalOp: (op: '+' | '-' | '*' | '/' | '%', a: Decimal, b: Decimal, t: DecimalType) => decimalOp(op, a, b, t),
  neg: negate,
  like: compileLike,
  arrayIndex,
  mapLookup,
  field,
};

// ---- code generation ---------------------------------------------------------

const SIMPLE_ORDERED = new Set(['INTEGER', 'BIGINT', 'DOUBLE', 'STRING', 'DATE', 'TIME', 'TIMESTAMP', 'BOOLEAN']);

class Gen {
  readonly consts: unknown[] = [];
  readonly #constIndex = new Map<unknown, number>();
  #temps: string[] = [];
  #n = 0;
  #level = 0;
  readonly #slot: (index: number) => string;

  constructor(slot: (index: number) => string = ROW_LAYOUT.slot) {
    this.#slot = slot;
  }

  declare(): string {
    return this.#temps.length ? `let ${this.#temps.join(', ')};` : '';
  }

  k(v: unknown): string {
    let i = this.#constIndex.get(v);
    if (i === undefined) {
      i = this.consts.length;
      this.consts.push(v);
      this.#constIndex.set(v, i);
    }
    return `k[${i}]`;
  }

  tmp(): string {
    const t = `t${this.#n++}`;
    this.#temps.push(t);
    return t;
  }

  /** Emits statements computing `e` into `out`; returns the variable (or literal text) holding the value. */
  emit(e: TypedExpr, out: Line[]): string {
    switch (e.kind) {
      case 'Literal':
        return this.literal(e.value);
      case 'Column': {
        const v = this.tmp();
        out.push(`${v} = ${this.#slot(e.index)}; if (${v} === undefined) ${v} = null;`);
        return v;
      }
      case 'LambdaParam':
        return `p${this.#level - e.depth}_${e.index}`;
      case 'Field': {
        const b = this.emit(e.base, out);
        const v = this.tmp();
        out.push(`${v} = ${b} === null ? null : H.field(${b}, ${JSON.stringify(e.field)});`);
        return v;
      }
      case 'ArrayIndex': {
        const b = this.emit(e.base, out);
        const i = this.emit(e.index, out);
        const v = this.tmp();
        out.push(`${v} = (${b} === null || ${i} === null) ? null : H.arrayIndex(${b}, ${i});`);
        return v;
      }
      case 'MapLookup': {
        const b = this.emit(e.base, out);
        const key = this.emit(e.key, out);
        const v = this.tmp();
        const kt = e.base.type.kind === 'MAP' ? e.base.type.key : e.key.type;
        out.push(`${v} = (${b} === null || ${key} === null) ? null : H.mapLookup(${b}, ${key}, ${this.k(kt)});`);
        return v;
      }
      case 'Call': {
        // an argument that fails (a nested function throwing) is passed as null, as in ksqlDB
        // (COALESCE(PARSE_DATE(bad, ...), PARSE_DATE(good, ...)) takes the second)
        const args = e.args.map((a) => (a.kind === 'Call' ? this.emitOrNull(a, out) : this.emit(a, out)));
        const v = this.tmp();
        const impl = this.k(e.impl);
        const call = `${impl}.invoke(${args.join(', ')})`;
        const nullable = args.filter((a, i) => e.args[i]!.kind !== 'Lambda' && a !== 'null');
        if (!e.impl.nullSafe && args.includes('null')) {
          out.push(`${v} = null;`);
          return v;
        }
        if (e.impl.nullSafe || nullable.length === 0) {
          out.push(`${v} = ${call};`);
        } else {
          out.push(`${v} = (${nullable.map((a) => `${a} === null`).join(' || ')}) ? null : ${call};`);
        }
        out.push(`if (${v} === undefined) ${v} = null;`);
        return v;
      }
      case 'Lambda': {
        const savedTemps = this.#temps;
        this.#temps = [];
        this.#level++;
        const params = e.params.map((_, i) => `p${this.#level}_${i}`);
        const body: Line[] = [];
        const r = this.emit(e.body, body);
        const decl = this.declare();
        this.#level--;
        this.#temps = savedTemps;
        const v = this.tmp();
        out.push(`${v} = (${params.join(', ')}) => {\n${decl}\n${flatten(body).join('\n')}\nreturn ${r} === undefined ? null : ${r};\n};`);
        return v;
      }
      case 'Arithmetic':
        return this.arithmetic(e, out);
      case 'Negate': {
        const o = this.emit(e.operand, out);
        const v = this.tmp();
        const t = e.type.kind;
        const expr = t === 'INTEGER' ? `(-${o} | 0)` : t === 'DOUBLE' ? `(-${o})` : t === 'BIGINT' ? `BigInt.asIntN(64, -${o})` : `H.neg(${o}, ${this.k(e.type)})`;
        out.push(`${v} = ${o} === null ? null : ${expr};`);
        return v;
      }
      case 'Comparison':
        return this.comparison(e, out);
      case 'And':
      case 'Or':
        return this.logical(e.kind, e.operands, out);
      case 'Not': {
        const o = this.emit(e.operand, out);
        const v = this.tmp();
        out.push(`${v} = ${o} === null ? null : !${o};`);
        return v;
      }
      case 'IsNull': {
        const o = this.emit(e.operand, out);
        const v = this.tmp();
        out.push(`${v} = ${o} ${e.negated ? '!==' : '==='} null;`);
        return v;
      }
      case 'Between': {
        const o = this.emit(e.operand, out);
        const lo = this.emit(e.low, out);
        const hi = this.emit(e.high, out);
        const v = this.tmp();
        const t = e.operand.type;
        const test = `${this.cmpExpr('>=', o, lo, t)} && ${this.cmpExpr('<=', o, hi, t)}`;
        out.push(`${v} = (${o} === null || ${lo} === null || ${hi} === null) ? false : ${e.negated ? `!(${test})` : `(${test})`};`);
        return v;
      }
      case 'In': {
        const o = this.emit(e.operand, out);
        const v = this.tmp();
        out.push(`${v} = false;`);
        const t = e.operand.type;
        // evaluate list items lazily, stopping at the first match
        const inner: Line[] = [];
        let block = inner;
        for (const item of e.list) {
          const next: Line[] = [];
          const x = this.emit(item, block);
          block.push(`if (${x} !== null && ${this.cmpExpr('=', o, x, t)}) ${v} = true; else {`);
          block.push(next);
          block.push('}');
          block = next;
        }
        out.push(`if (${o} !== null) {`, inner, '}');
        if (e.negated) out.push(`${v} = !${v};`);
        return v;
      }
      case 'Like': {
        const o = this.emit(e.operand, out);
        const p = this.emit(e.pattern, out);
        const v = this.tmp();
        const test = `H.like(${p}, ${JSON.stringify(e.escape)}).test(${o})`;
        out.push(`${v} = (${o} === null || ${p} === null) ? false : ${e.negated ? '!' : ''}${test};`);
        return v;
      }
      case 'Case': {
        const v = this.tmp();
        let block = out;
        for (const w of e.whens) {
          const c = this.emit(w.when, block);
          const thenBlock: Line[] = [];
          const t = this.emit(w.then, thenBlock);
          thenBlock.push(`${v} = ${t};`);
          const elseBlock: Line[] = [];
          block.push(`if (${c} === true) {`, thenBlock, '} else {');
          block.push(elseBlock);
          block.push('}');
          block = elseBlock;
        }
        if (e.else) {
          const x = this.emit(e.else, block);
          block.push(`${v} = ${x};`);
        } else block.push(`${v} = null;`);
        return v;
      }
      case 'Cast': {
        const o = this.emit(e.operand, out);
        const v = this.tmp();
        const from = e.operand.type;
        const to = e.type;
        let expr: string;
        if (from.kind === 'NULL') expr = 'null';
        else if (from.kind === 'INTEGER' && to.kind === 'BIGINT') expr = `BigInt(${o})`;
        else if (from.kind === 'INTEGER' && to.kind === 'DOUBLE') expr = o;
        else if (from.kind === 'BIGINT' && to.kind === 'DOUBLE') expr = `Number(${o})`;
        else expr = `H.cast(${o}, ${this.k(from)}, ${this.k(to)})`;
        out.push(`${v} = ${o} === null ? null : ${expr};`);
        return v;
      }
      case 'MakeArray': {
        const items = e.items.map((x) => this.emitOrNull(x, out));
        const v = this.tmp();
        out.push(`${v} = [${items.join(', ')}];`);
        return v;
      }
      case 'MakeMap': {
        const entries = e.entries.map((x) => [this.emitOrNull(x.key, out), this.emitOrNull(x.value, out)]);
        const v = this.tmp();
        out.push(`${v} = new Map();`);
        // ksqlDB keeps a null key (JSON writes it as "null")
        for (const [key, val] of entries) out.push(`${v}.set(${key}, ${val});`);
        return v;
      }
      case 'MakeStruct': {
        const fields = e.fields.map((f) => [f.name, this.emitOrNull(f.value, out)] as const);
        const v = this.tmp();
        out.push(`${v} = {${fields.map(([n, x]) => `${JSON.stringify(n)}: ${x}`).join(', ')}};`);
        return v;
      }
      default:
        return assertNever(e, 'typed expression');
    }
  }

  literal(value: unknown): string {
    if (value === null || value === undefined) return 'null';
    if (typeof value === 'boolean') return String(value);
    if (typeof value === 'number' && Number.isFinite(value) && !Object.is(value, -0)) return `(${String(value)})`;
    if (typeof value === 'string') return JSON.stringify(value);
    if (typeof value === 'bigint') return `(${value.toString()}n)`;
    return this.k(value);
  }

  arithmetic(e: TypedExpr & { kind: 'Arithmetic' }, out: Line[]): string {
    const l = this.emit(e.left, out);
    const r = this.emit(e.right, out);
    const v = this.tmp();
    const op = e.op;
    let expr: string;
    switch (e.type.kind) {
      case 'INTEGER':
        expr = op === '+' || op === '-' ? `((${l} ${op} ${r}) | 0)` : op === '*' ? `Math.imul(${l}, ${r})` : `H.intOp('${op}', ${l}, ${r})`;
        break;
      case 'BIGINT':
        expr = op === '%' || op === '/' ? `H.bigintOp('${op}', ${l}, ${r})` : `BigInt.asIntN(64, ${l} ${op} ${r})`;
        break;
      case 'DOUBLE':
        expr = `(${l} ${op} ${r})`;
        break;
      case 'STRING':
        expr = `(${l} + ${r})`;
        break;
      case 'DECIMAL':
        expr = `H.decimalOp('${op}', ${l}, ${r}, ${this.k(e.type)})`;
        break;
      default:
        expr = `H.arith('${op}', ${l}, ${r}, ${this.k(e.left.type)}, ${this.k(e.type)})`;
    }
    if (this.#level > 0 && e.type.kind !== 'STRING') {
      // inside a lambda ksqlDB's generated Java unboxes the operands: a null one throws,
      // failing the whole function call (whose result is then null, with the error logged)
      out.push(`if (${l} === null || ${r} === null) throw new Error('NullPointerException: null operand of ${op} in a lambda');`);
      out.push(`${v} = ${expr};`);
      return v;
    }
    out.push(`${v} = (${l} === null || ${r} === null) ? null : ${expr};`);
    return v;
  }

  /** JS expression comparing two non-null values of type `t`. */
  cmpExpr(op: string, a: string, b: string, t: SqlType): string {
    const jsOp = op === '=' ? '===' : op === '<>' ? '!==' : op;
    if (SIMPLE_ORDERED.has(t.kind)) {
      if (t.kind === 'DOUBLE' && (op === '=' || op === '<>')) return `(${a} ${op === '=' ? '==' : '!='} ${b})`;
      return `(${a} ${jsOp} ${b})`;
    }
    if (t.kind === 'DECIMAL') {
      if (op === '=') return `${a}.eq(${b})`;
      if (op === '<>') return `!${a}.eq(${b})`;
      return `(${a}.cmp(${b}) ${op} 0)`;
    }
    const tk = this.k(t);
    if (op === '=') return `H.eq(${a}, ${b}, ${tk})`;
    if (op === '<>') return `!H.eq(${a}, ${b}, ${tk})`;
    return `(H.cmp(${a}, ${b}, ${tk}) ${op} 0)`;
  }

  comparison(e: TypedExpr & { kind: 'Comparison' }, out: Line[]): string {
    const l = this.emit(e.left, out);
    const r = this.emit(e.right, out);
    const v = this.tmp();
    const t = e.left.type.kind === 'NULL' ? e.right.type : e.left.type;
    switch (e.op) {
      case 'IS DISTINCT FROM':
      case 'IS NOT DISTINCT FROM': {
        const same = `((${l} === null && ${r} === null) || (${l} !== null && ${r} !== null && ${this.cmpExpr('=', l, r, t)}))`;
        out.push(`${v} = ${e.op === 'IS DISTINCT FROM' ? '!' : ''}${same};`);
        return v;
      }
      default:
        out.push(`${v} = (${l} === null || ${r} === null) ? false : ${this.cmpExpr(e.op, l, r, t)};`);
        return v;
    }
  }

  /**
   * Emits an element of an ARRAY / MAP / STRUCT constructor: an error while
   * evaluating it makes the element null rather than failing the whole value,
   * as ksqlDB's generated code does (evaluateOrReturnNull).
   */
  emitOrNull(e: TypedExpr, out: Line[]): string {
    if (e.kind === 'Literal' || e.kind === 'Column' || e.kind === 'LambdaParam') return this.emit(e, out);
    const inner: Line[] = [];
    const r = this.emit(e, inner);
    const v = this.tmp();
    out.push('try {', inner, `${v} = ${r};`, `} catch (_e) { ${v} = null; }`);
    return v;
  }

  logical(kind: 'And' | 'Or', operands: readonly TypedExpr[], out: Line[]): string {
    const v = this.tmp();
    const stop = kind === 'And' ? 'false' : 'true';
    out.push(`${v} = ${kind === 'And' ? 'true' : 'false'};`);
    let block = out;
    for (const o of operands) {
      const x = this.emit(o, block);
      const next: Line[] = [];
      block.push(`if (${x} === ${stop}) ${v} = ${stop}; else {`, `if (${x} === null) ${v} = null;`);
      block.push(next);
      block.push('}');
      block = next;
    }
    return v;
  }
}

/** Generated statements; a nested array is a block filled in later (the else branch of a short circuit). */
type Line = string | Line[];

function flatten(lines: readonly Line[]): string[] {
  const r: string[] = [];
  for (const l of lines) {
    if (Array.isArray(l)) r.push(...flatten(l));
    else r.push(l);
  }
  return r;
}
