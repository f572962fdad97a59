import { Decimal } from 'decimal.js';
import { formatType, type SqlType } from '../../types/sql-type.js';
import {
  FunctionError,
  ResolveError,
  type AggregateFunction,
  type AggregateImpl,
  type ArgInfo,
  type ScalarFunction,
  type SqlFunction,
  type TableFunction,
} from '../types.js';
import type { ReturnSpec, UserAggregateFunction, UserFunction, UserScalarFunction, UserTableFunction } from './api.js';
import { matchType, parseSqlType, parseTypePattern, substitute, type Bindings, type TypePattern } from './type-parser.js';

/** A user definition with its parsed parameter types. */
interface Variant<U extends UserFunction> {
  readonly def: U;
  readonly params: readonly TypePattern[];
  readonly literalParams: readonly TypePattern[];
  readonly returns: TypePattern | null;
}

type Coerce = ((v: unknown) => unknown) | null;

interface Match<U extends UserFunction> {
  readonly variant: Variant<U>;
  readonly returnType: SqlType;
  /** per argument, a conversion for numeric widening (null: none) */
  readonly coerce: readonly Coerce[];
}

export class UdfDefinitionError extends Error {
  override readonly name = 'UdfDefinitionError';
}

function prepare<U extends UserFunction>(def: U): Variant<U> {
  const where = `function ${def.name}`;
  try {
    const params = def.params.map(parseTypePattern);
    const literalParams = def.kind === 'aggregate' ? (def.literalParams ?? []).map(parseTypePattern) : [];
    const returns = typeof def.returns === 'string' ? parseTypePattern(def.returns) : null;
    if (typeof def.returns !== 'string' && typeof def.returns !== 'function') throw new UdfDefinitionError('`returns` must be a type string or a function');
    return { def, params, literalParams, returns };
  } catch (e) {
    throw new UdfDefinitionError(`${where}: ${(e as Error).message}`);
  }
}

/** Numeric widening ksqlDB applies to UDF arguments. */
function widening(pattern: TypePattern, actual: SqlType | null): Coerce | undefined {
  if (!actual) return undefined;
  const from = actual.kind;
  if (from !== 'INTEGER' && from !== 'BIGINT') return undefined;
  switch (pattern.kind) {
    case 'BIGINT':
      return from === 'INTEGER' ? (v) => (v == null ? v : BigInt(v as number)) : undefined;
    case 'DOUBLE':
      return (v) => (v == null ? v : Number(v));
    case 'DECIMAL':
    case 'ANY_DECIMAL':
      return (v) => (v == null ? v : new Decimal(String(v)));
    default:
      return undefined;
  }
}

function paramsFor(v: Variant<UserFunction>, n: number): readonly TypePattern[] | null {
  const ps = v.params;
  if (v.def.kind !== 'aggregate' && v.def.variadic && ps.length > 0) {
    if (n < ps.length - 1) return null;
    return [...ps.slice(0, -1), ...Array.from({ length: n - ps.length + 1 }, () => ps[ps.length - 1]!)];
  }
  return n === ps.length ? ps : null;
}

function returnTypeOf(spec: ReturnSpec, pattern: TypePattern | null, bindings: Bindings, argTypes: readonly (SqlType | null)[]): SqlType {
  if (pattern) return substitute(pattern, bindings);
  const r = (spec as (a: readonly (SqlType | null)[]) => SqlType | string)(argTypes);
  return typeof r === 'string' ? parseSqlType(r) : r;
}

function tryMatch<U extends UserFunction>(variant: Variant<U>, args: readonly ArgInfo[], widen: boolean): Match<U> | null {
  const all = [...variant.params, ...variant.literalParams];
  const ps = variant.literalParams.length > 0 ? (args.length === all.length ? all : null) : paramsFor(variant as Variant<UserFunction>, args.length);
  if (!ps) return null;
  const bindings: Bindings = new Map();
  const coerce: Coerce[] = [];
  for (let i = 0; i < args.length; i++) {
    const t = args[i]!.type;
    if (matchType(ps[i]!, t, bindings)) {
      coerce.push(null);
      continue;
    }
    const w = widen ? widening(ps[i]!, t) : undefined;
    if (!w) return null;
    coerce.push(w);
  }
  const argTypes = args.map((a) => a.type);
  return { variant, returnType: returnTypeOf(variant.def.returns, variant.returns, bindings, argTypes), coerce };
}

function resolveVariant<U extends UserFunction>(name: string, variants: readonly Variant<U>[], args: readonly ArgInfo[]): Match<U> {
  for (const widen of [false, true]) {
    for (const v of variants) {
      const m = tryMatch(v, args, widen);
      if (m) return m;
    }
  }
  const types = args.map((a) => (a.type ? formatType(a.type) : 'NULL')).join(', ');
  const alternatives = variants.map((v) => `${name}(${[...v.def.params, ...(v.def.kind === 'aggregate' ? (v.def.literalParams ?? []) : [])].join(', ')}${v.def.kind !== 'aggregate' && v.def.variadic ? '...' : ''})`);
  throw new ResolveError(`Function '${name}' does not accept parameters (${types}).\nValid alternatives are:\n${alternatives.join('\n')}`);
}

function applyCoerce(coerce: readonly Coerce[], args: readonly unknown[]): unknown[] {
  return args.map((a, i) => {
    const c = coerce[i];
    return c ? c(a) : a;
  });
}

/** Wraps exceptions thrown by user code so the runtime logs them as function errors. */
function guarded<T>(name: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof FunctionError) throw e;
    throw new FunctionError(`Error in user function ${name}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

function description(defs: readonly UserFunction[]): string {
  return defs.find((d) => d.description)?.description ?? `User-defined function ${defs[0]!.name}`;
}

export function adaptScalar(name: string, defs: readonly UserScalarFunction[]): ScalarFunction {
  const variants = defs.map((d) => prepare(d));
  return {
    name,
    description: description(defs),
    kind: 'scalar',
    resolve(args) {
      const m = resolveVariant(name, variants, args);
      const def = m.variant.def;
      return {
        returnType: m.returnType,
        nullSafe: def.nullSafe ?? false,
        volatile: def.volatile ?? false,
        invoke: (...vals) => guarded(name, () => normalize(def.invoke(...applyCoerce(m.coerce, vals)))),
      };
    },
  };
}

export function adaptTable(name: string, defs: readonly UserTableFunction[]): TableFunction {
  const variants = defs.map((d) => prepare(d));
  return {
    name,
    description: description(defs),
    kind: 'table',
    resolve(args) {
      const m = resolveVariant(name, variants, args);
      const def = m.variant.def;
      return {
        returnType: m.returnType,
        invoke: (...vals) =>
          guarded(name, () => {
            const rows = def.invoke(...applyCoerce(m.coerce, vals));
            return rows == null ? [] : [...rows].map(normalize);
          }),
      };
    },
  };
}

export function adaptAggregate(name: string, defs: readonly UserAggregateFunction[]): AggregateFunction {
  const variants = defs.map((d) => prepare(d));
  return {
    name,
    description: description(defs),
    kind: 'aggregate',
    resolve(args) {
      const m = resolveVariant(name, variants, args);
      const def = m.variant.def;
      const valueArgs = def.params.length;
      const literals = args.slice(valueArgs).map((a, i) => {
        if (a.literal === undefined) {
          throw new ResolveError(`Parameter ${valueArgs + i + 1} passed to function ${name} must be a literal constant${a.text !== undefined ? `, but was expression: '${a.text}'` : ''}`);
        }
        const c = m.coerce[valueArgs + i];
        return c ? c(a.literal) : a.literal;
      });
      const values = (vals: readonly unknown[]): unknown[] => applyCoerce(m.coerce, vals);
      const impl: AggregateImpl & { valueArgs: number } = {
        returnType: m.returnType,
        valueArgs,
        init: () => guarded(name, () => def.init(...literals)),
        add: (acc, vals) => guarded(name, () => def.add(acc, ...values(vals))),
        result: (acc) => guarded(name, () => normalize(def.result ? def.result(acc) : acc)),
      };
      const remove = def.remove;
      if (remove) impl.remove = (acc, vals) => guarded(name, () => remove.call(def, acc, ...values(vals)));
      const merge = def.merge;
      if (merge) impl.merge = (a, b) => guarded(name, () => merge.call(def, a, b));
      return impl;
    },
  };
}

/** `undefined` is not a SQL value. */
function normalize(v: unknown): unknown {
  return v === undefined ? null : v;
}

/** Group definitions by name (case-insensitive) into registry functions; one name must have one kind. */
export function adaptAll(defs: readonly UserFunction[]): SqlFunction[] {
  const byName = new Map<string, UserFunction[]>();
  for (const d of defs) {
    const key = d.name.toUpperCase();
    const list = byName.get(key) ?? [];
    if (list.length > 0 && list[0]!.kind !== d.kind) {
      throw new UdfDefinitionError(`function ${d.name} is defined both as ${list[0]!.kind} and ${d.kind}`);
    }
    list.push(d);
    byName.set(key, list);
  }
  return [...byName.entries()].map(([name, list]) => {
    switch (list[0]!.kind) {
      case 'scalar':
        return adaptScalar(name, list as UserScalarFunction[]);
      case 'aggregate':
        return adaptAggregate(name, list as UserAggregateFunction[]);
      case 'table':
        return adaptTable(name, list as UserTableFunction[]);
    }
  });
}
