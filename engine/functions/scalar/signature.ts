import { Decimal } from 'decimal.js';
import { ResolveError } from '../types.js';
import type { ArgInfo, LambdaValue, ScalarFunction, ScalarImpl } from '../types.js';
import { formatType, typeEquals } from '../../types/sql-type.js';
import type { SqlType } from '../../types/sql-type.js';

/**
 * Declaring built-in scalar functions as lists of overloads, resolved the way
 * ksqlDB's UdfIndex does: first an exact match (a NULL argument matches any
 * parameter), then a match with implicit numeric widening
 * (INTEGER → BIGINT → DECIMAL → DOUBLE). More than one candidate in the
 * winning round is an "ambiguous method parameters" error, after preferring
 * fixed-arity over variadic overloads.
 *
 * Parameter patterns are small strings:
 *   INT BIGINT DOUBLE DECIMAL STRING BOOLEAN BYTES DATE TIME TIMESTAMP
 *   ARRAY<p>  MAP<p,p>  STRUCT (any struct)  ANY (anything, unbound)
 *   A single capital letter is a generic type variable (T, U, K, V, S, R).
 *   FN<n>:R   a lambda of arity n whose body type binds R (e.g. FN1:R).
 */

export type Pattern =
  | { readonly k: 'prim'; readonly kind: SqlType['kind'] }
  | { readonly k: 'array'; readonly el: Pattern }
  | { readonly k: 'map'; readonly key: Pattern; readonly value: Pattern }
  | { readonly k: 'struct' }
  | { readonly k: 'any' }
  | { readonly k: 'gen'; readonly name: string }
  | { readonly k: 'fn'; readonly arity: number; readonly body: Pattern };

/** Types bound to generic variables while matching one overload. */
export type Bindings = Map<string, SqlType>;

export interface BuildContext {
  /** argument types after implicit widening (null for untyped NULL arguments) */
  readonly types: readonly (SqlType | null)[];
  /** the original argument infos */
  readonly args: readonly ArgInfo[];
  readonly bindings: Bindings;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- implementations are typed by their SQL signature
type Impl = (...args: any[]) => unknown;

export interface Variant {
  readonly params: readonly string[];
  /** the last parameter repeats zero or more times */
  readonly variadic?: boolean;
  /** a type, a pattern over the bindings (e.g. 'ARRAY<T>'), or computed */
  readonly returns: SqlType | string | ((ctx: BuildContext) => SqlType);
  /** the implementation, receiving widened argument values */
  readonly fn?: Impl;
  /** alternative to `fn`: builds the implementation once per call site */
  readonly build?: (ctx: BuildContext) => Impl;
  readonly nullSafe?: boolean;
  readonly volatile?: boolean;
  /** extra check after the types matched; return false to reject the overload */
  readonly accept?: (ctx: BuildContext) => boolean;
}

export interface FunctionSpec {
  readonly name: string;
  readonly description: string;
  readonly variants: readonly Variant[];
  readonly lambdaParams?: ScalarFunction['lambdaParams'];
}

export type BuiltinScalar = ScalarFunction & { readonly signatures: readonly string[] };

// ---------------------------------------------------------------- patterns

const PRIMS: Record<string, SqlType['kind']> = {
  INT: 'INTEGER',
  INTEGER: 'INTEGER',
  BIGINT: 'BIGINT',
  DOUBLE: 'DOUBLE',
  DECIMAL: 'DECIMAL',
  STRING: 'STRING',
  BOOLEAN: 'BOOLEAN',
  BYTES: 'BYTES',
  DATE: 'DATE',
  TIME: 'TIME',
  TIMESTAMP: 'TIMESTAMP',
};

const patternCache = new Map<string, Pattern>();

export function parsePattern(src: string): Pattern {
  const cached = patternCache.get(src);
  if (cached) return cached;
  let i = 0;
  const s = src.replace(/\s+/g, '');
  const word = (): string => {
    const m = /^[A-Z_0-9]+/.exec(s.slice(i));
    if (!m) throw new Error(`bad pattern ${src} at ${i}`);
    i += m[0].length;
    return m[0];
  };
  const expect = (c: string): void => {
    if (s[i] !== c) throw new Error(`bad pattern ${src}: expected ${c} at ${i}`);
    i++;
  };
  const parse = (): Pattern => {
    const w = word();
    if (w === 'ARRAY') {
      expect('<');
      const el = parse();
      expect('>');
      return { k: 'array', el };
    }
    if (w === 'MAP') {
      expect('<');
      const key = parse();
      expect(',');
      const value = parse();
      expect('>');
      return { k: 'map', key, value };
    }
    if (w === 'STRUCT') return { k: 'struct' };
    if (w === 'ANY') return { k: 'any' };
    if (/^FN\d$/.test(w)) {
      expect(':');
      return { k: 'fn', arity: Number(w.slice(2)), body: parse() };
    }
    const prim = PRIMS[w];
    if (prim) return { k: 'prim', kind: prim };
    if (/^[A-Z]$/.test(w)) return { k: 'gen', name: w };
    throw new Error(`bad pattern ${src}: unknown ${w}`);
  };
  const p = parse();
  if (i !== s.length) throw new Error(`bad pattern ${src}: trailing input`);
  patternCache.set(src, p);
  return p;
}

/** Substitute bindings into a pattern to produce a concrete type. */
export function instantiate(p: Pattern, b: Bindings): SqlType {
  switch (p.k) {
    case 'prim':
      if (p.kind === 'DECIMAL') throw new Error('DECIMAL return types must be computed');
      return { kind: p.kind } as SqlType;
    case 'array':
      return { kind: 'ARRAY', element: instantiate(p.el, b) };
    case 'map':
      return { kind: 'MAP', key: instantiate(p.key, b), value: instantiate(p.value, b) };
    case 'gen': {
      const t = b.get(p.name);
      if (!t) throw new ResolveError(`cannot infer the type of generic ${p.name}`);
      return t;
    }
    case 'fn':
      return instantiate(p.body, b);
    case 'struct':
    case 'any':
      throw new Error('cannot instantiate STRUCT/ANY');
  }
}

// ---------------------------------------------------------------- implicit widening

const WIDEN_COST: Record<string, number> = {
  'INTEGER>BIGINT': 1,
  'INTEGER>DECIMAL': 2,
  'INTEGER>DOUBLE': 3,
  'BIGINT>DECIMAL': 1,
  'BIGINT>DOUBLE': 2,
  'DECIMAL>DOUBLE': 1,
};

type Conv = (v: unknown) => unknown;

function converter(from: SqlType['kind'], to: SqlType['kind']): Conv {
  if (to === 'BIGINT') return (v) => BigInt(v as number);
  if (to === 'DOUBLE') return from === 'DECIMAL' ? (v) => (v as Decimal).toNumber() : (v) => Number(v);
  /* DECIMAL */ return (v) => new Decimal(String(v));
}

function widenedType(from: SqlType, to: SqlType['kind']): SqlType {
  if (to === 'DECIMAL') {
    return from.kind === 'INTEGER' ? { kind: 'DECIMAL', precision: 10, scale: 0 } : { kind: 'DECIMAL', precision: 19, scale: 0 };
  }
  return { kind: to } as SqlType;
}

interface ArgMatch {
  cost: number;
  type: SqlType | null;
  conv?: Conv;
}

function isNullType(t: SqlType | null): boolean {
  return t === null || t.kind === 'NULL';
}

/** Match one argument type against a pattern, binding generics; null when it does not fit. */
function matchType(p: Pattern, t: SqlType | null, b: Bindings, implicit: boolean): ArgMatch | null {
  if (isNullType(t)) {
    if (p.k === 'fn') return null;
    return { cost: 0, type: null };
  }
  const ty = t!;
  switch (p.k) {
    case 'any':
      return { cost: 0, type: ty };
    case 'struct':
      return ty.kind === 'STRUCT' ? { cost: 0, type: ty } : null;
    case 'prim': {
      if (ty.kind === p.kind) return { cost: 0, type: ty };
      const cost = implicit ? WIDEN_COST[`${ty.kind}>${p.kind}`] : undefined;
      if (cost === undefined) return null;
      return { cost, type: widenedType(ty, p.kind), conv: converter(ty.kind, p.kind) };
    }
    case 'array': {
      if (ty.kind !== 'ARRAY') return null;
      const m = matchType(p.el, ty.element, b, false);
      return m ? { cost: 0, type: ty } : null;
    }
    case 'map': {
      if (ty.kind !== 'MAP') return null;
      const mk = matchType(p.key, ty.key, b, false);
      const mv = mk && matchType(p.value, ty.value, b, false);
      return mv ? { cost: 0, type: ty } : null;
    }
    case 'gen': {
      const bound = b.get(p.name);
      if (bound === undefined) {
        b.set(p.name, ty);
        return { cost: 0, type: ty };
      }
      if (typeEquals(bound, ty)) return { cost: 0, type: ty };
      return null;
    }
    case 'fn':
      return matchType(p.body, ty, b, false);
  }
}

interface Candidate {
  variant: Variant;
  cost: number;
  ctx: BuildContext;
  convs: (Conv | undefined)[];
}

function tryVariant(v: Variant, args: readonly ArgInfo[], implicit: boolean): Candidate | null {
  const n = v.params.length;
  if (v.variadic ? args.length < n - 1 : args.length !== n) return null;
  const b: Bindings = new Map();
  const types: (SqlType | null)[] = [];
  const convs: (Conv | undefined)[] = [];
  let cost = 0;
  for (let i = 0; i < args.length; i++) {
    const p = parsePattern(v.params[Math.min(i, n - 1)]!);
    const a = args[i]!;
    if ((p.k === 'fn') !== (a.lambdaArity !== undefined)) return null;
    if (p.k === 'fn' && p.arity !== a.lambdaArity) return null;
    const m = matchType(p, a.type, b, implicit);
    if (!m) return null;
    cost += m.cost;
    types.push(m.type);
    convs.push(m.conv);
  }
  const ctx: BuildContext = { types, args, bindings: b };
  if (v.accept && !v.accept(ctx)) return null;
  return { variant: v, cost, ctx, convs };
}

function describeArg(a: ArgInfo): string {
  return isNullType(a.type) ? 'null' : formatType(a.type!);
}

export function signatureOf(name: string, v: Variant): string {
  const ps = v.params.map((p, i) => (v.variadic && i === v.params.length - 1 ? `${p}...` : p));
  return `${name.toLowerCase()}(${ps.join(', ')})`;
}

function pick(cands: Candidate[]): Candidate | 'ambiguous' | null {
  if (cands.length === 0) return null;
  if (cands.length === 1) return cands[0]!;
  const fixed = cands.filter((c) => !c.variant.variadic);
  const pool = fixed.length > 0 ? fixed : cands;
  return pool.length === 1 ? pool[0]! : 'ambiguous';
}

export function resolveVariants(spec: FunctionSpec, args: readonly ArgInfo[]): ScalarImpl {
  const lname = spec.name.toLowerCase();
  const exact = spec.variants.map((v) => tryVariant(v, args, false)).filter((c): c is Candidate => c !== null);
  let chosen = pick(exact);
  if (chosen === null) {
    const widened = spec.variants.map((v) => tryVariant(v, args, true)).filter((c): c is Candidate => c !== null);
    chosen = pick(widened);
  }
  const params = args.map(describeArg).join(', ');
  if (chosen === 'ambiguous') {
    throw new ResolveError(`Function '${lname}' cannot be resolved due to ambiguous method parameters (${params}).`);
  }
  if (chosen === null) {
    const alts = spec.variants.map((v) => signatureOf(lname, v)).join('\n');
    throw new ResolveError(`Function '${lname}' does not accept parameters (${params}).\nValid alternatives are:\n${alts}`);
  }
  const { variant, ctx, convs } = chosen;
  const r = variant.returns;
  const returnType = typeof r === 'function' ? r(ctx) : typeof r === 'string' ? instantiate(parsePattern(r), ctx.bindings) : r;
  const base: Impl = variant.build ? variant.build(ctx) : variant.fn!;
  let invoke: Impl = base;
  if (convs.some((c) => c !== undefined)) {
    invoke = (...vals: unknown[]) => base(...vals.map((x, i) => (x === null || x === undefined || !convs[i] ? x : convs[i]!(x))));
  }
  const impl: ScalarImpl = { returnType, invoke };
  return {
    ...impl,
    ...(variant.nullSafe ? { nullSafe: true } : {}),
    ...(variant.volatile ? { volatile: true } : {}),
  };
}

export function defineScalar(spec: FunctionSpec): BuiltinScalar {
  const name = spec.name.toUpperCase();
  return {
    name,
    description: spec.description,
    kind: 'scalar',
    signatures: spec.variants.map((v) => signatureOf(name, v)),
    ...(spec.lambdaParams ? { lambdaParams: spec.lambdaParams } : {}),
    resolve: (args) => resolveVariants(spec, args),
  };
}

// ---------------------------------------------------------------- small shared helpers

/** Call a lambda argument. */
export function call(fn: unknown, ...args: unknown[]): unknown {
  const r = (fn as LambdaValue)(...args);
  return r === undefined ? null : r;
}


/** The lambda parameter types: the element type of an ARRAY or key/value of a MAP argument. */
export function collectionParams(t: SqlType | null): SqlType[] {
  if (!t || t.kind === 'NULL') return [];
  if (t.kind === 'ARRAY') return [t.element];
  if (t.kind === 'MAP') return [t.key, t.value];
  return [];
}

/** Java's Integer overflow semantics. */
export function int32(n: number): number {
  return n | 0;
}
export function int64(n: bigint): bigint {
  return BigInt.asIntN(64, n);
}

/** Exact decimal arithmetic, independent of the global decimal.js precision. */
export const Exact = Decimal.clone({ precision: 1000, rounding: Decimal.ROUND_HALF_UP });

export function dec(v: unknown): Decimal {
  return v instanceof Decimal ? v : new Decimal(String(v));
}

/** decimal(p, s) helper for return types */
export function decimalType(precision: number, scale: number): SqlType {
  return { kind: 'DECIMAL', precision: Math.max(1, precision), scale: Math.max(0, scale) };
}

export function decimalArg(ctx: BuildContext, i: number): { precision: number; scale: number } {
  const t = ctx.types[i];
  return t && t.kind === 'DECIMAL' ? t : { precision: 10, scale: 0 };
}
