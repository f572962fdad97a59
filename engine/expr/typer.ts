import type { ExprScope } from '../analyzer/scope.js';
import { formatExpr, rewrite } from '../analyzer/expr-utils.js';
import { resolveType } from '../analyzer/resolve-type.js';
import { astError, semanticError } from '../analyzer/errors.js';
import { KsqlError } from '../errors.js';
import { ResolveError, type ArgInfo, type FunctionRegistry } from '../functions/types.js';
import type { Expr, FunctionCall } from '../sql/ast/expression.js';
import type { Loc } from '../sql/ast/node.js';
import { CastError, castSupported, castNotSupportedMessage, castValue, formatTypeForMessage, parseBooleanExact } from '../types/cast.js';
import { arithmeticOperandType, arithmeticResultType, canImplicitlyCast, commonType, COMPARISON_NAMES, comparisonType } from '../types/coercion.js';
import { decimalLiteralType, fitDecimal } from '../types/decimal.js';
import { parsePartialTimestamp, TimestampParseError } from '../types/partial-timestamp.js';
import { BOOLEAN, isNumeric, STRING, typeEquals, type SqlType } from '../types/sql-type.js';
import { evaluateConstant, isConstant } from './compile.js';
import type { TypedExpr } from './typed-expr.js';

/**
 * Resolves names and types of an expression over a row scope: column i of the
 * scope is slot i of the row. Implicit conversions become explicit `Cast`
 * nodes (or converted literals). Errors are `KsqlError`s with ksqlDB's wording;
 * callers prefix them with the clause ("Error in WHERE expression: ...").
 */

export type ResolveCall = (call: FunctionCall) => TypedExpr | undefined;

export interface TypeExpressionOptions {
  /** substitutes already-computed calls (aggregates) before the registry is consulted */
  readonly resolveCall?: ResolveCall;
  /** expands CREATE TYPE names inside CAST */
  readonly userTypes?: (name: string) => SqlType | undefined;
}

/** A column name that matches nothing in scope; `column` is as written (`SRC.COL` when qualified). */
export class ColumnNotFoundError extends KsqlError {
  constructor(
    readonly column: string,
    loc: Loc | null,
  ) {
    super(`Column '${column}' cannot be resolved.`, loc, 'NotFound');
  }
}

/** An aggregate or table function reached the scalar typer (the analyzer extracts those first). */
export class NonScalarFunctionError extends KsqlError {
  constructor(
    readonly functionName: string,
    readonly functionKind: 'aggregate' | 'table',
    loc: Loc | null,
  ) {
    super(
      functionKind === 'aggregate'
        ? `Aggregate function '${functionName}' cannot be used here.`
        : `Table function '${functionName}' cannot be used here.`,
      loc,
    );
  }
}

/**
 * An expression as ksqlDB's messages show it over `scope`: columns of a single
 * source unqualified (`VAL0`), columns of a join by their joined name
 * (`I1_BAR`). For ArgInfo.text and error messages.
 */
export function describeExpr(e: Expr, scope: ExprScope): string {
  const qualifiers = new Set(scope.columns.map((c) => c.qualifier).filter((q) => q !== null));
  const joined = qualifiers.size > 1;
  return formatExpr(rewrite(e, (x) => (x.kind === 'ColumnRef' && x.source !== null ? { ...x, source: null, name: joined ? `${x.source}_${x.name}` : x.name } : undefined)));
}

export function typeExpression(
  expr: Expr,
  scope: ExprScope,
  functions: FunctionRegistry,
  options: TypeExpressionOptions | ResolveCall = {},
): TypedExpr {
  const opts = typeof options === 'function' ? { resolveCall: options } : options;
  return new Typer(scope, functions, opts).type(expr);
}

interface Frame {
  readonly names: readonly string[];
  readonly types: readonly SqlType[];
}

const INT_MAX = 2147483647n;
const LONG_MAX = 9223372036854775807n;
const NULL: SqlType = { kind: 'NULL' };

function err(message: string, loc: Loc | null, reason: 'StatementError' | 'TypeError' = 'TypeError'): KsqlError {
  return new KsqlError(message, loc, reason);
}

/** A typing error that clauses report in their own words (analyzer/errors.ts inClauseMessage). */
function coded(code: 'ComparisonTypes' | 'OperatorDoesNotExist' | 'InvalidInputSyntax' | 'CastNotSupported', message: string, loc: Loc | null): KsqlError {
  return semanticError(code, { message }, loc);
}

function lit(type: SqlType, value: unknown): TypedExpr {
  return { kind: 'Literal', type, value };
}

/** Wraps `e` in a Cast to `to` unless it already has that type; NULL literals become typed null literals. */
export function castTo(e: TypedExpr, to: SqlType): TypedExpr {
  if (typeEquals(e.type, to)) return e;
  if (e.kind === 'Literal') {
    if (e.value === null) return lit(to, null);
    return lit(to, castValue(e.value, e.type, to));
  }
  return { kind: 'Cast', type: to, operand: e };
}

class Typer {
  readonly #frames: Frame[] = [];

  constructor(
    readonly scope: ExprScope,
    readonly functions: FunctionRegistry,
    readonly opts: TypeExpressionOptions,
  ) {}

  /**
   * An expression as ksqlDB's messages show it: columns of a single source
   * unqualified (`VAL0`), columns of a join by their joined name (`I1_BAR`).
   */
  describe(e: Expr): string {
    return describeExpr(e, this.scope);
  }

  type(e: Expr): TypedExpr {
    switch (e.kind) {
      case 'NumberLiteral':
        return this.number(e.text, e.loc);
      case 'StringLiteral':
        return lit(STRING, e.value);
      case 'BooleanLiteral':
        return lit(BOOLEAN, e.value);
      case 'NullLiteral':
        return lit(NULL, null);
      case 'IntervalUnit':
        return lit(STRING, e.unit);
      case 'Variable':
        throw err(`Variable '${e.name}' was not substituted`, e.loc, 'StatementError');
      case 'ColumnRef':
        return this.column(e.source, e.name, e.loc);
      case 'Dereference': {
        const base = this.type(e.base);
        if (base.type.kind !== 'STRUCT') {
          throw err(`Expected STRUCT type for '${formatExpr(e.base)}' but got ${formatTypeForMessage(base.type)}`, e.loc);
        }
        const f = base.type.fields.find((x) => x.name === e.field) ?? base.type.fields.find((x) => x.name.toUpperCase() === e.field.toUpperCase());
        if (!f) throw err(`Could not find field '${e.field}' in '${formatExpr(e.base)}'.`, e.loc);
        return { kind: 'Field', type: f.type, base, field: f.name };
      }
      case 'Subscript': {
        const base = this.type(e.base);
        const index = this.type(e.index);
        if (base.type.kind === 'ARRAY') {
          if (index.type.kind !== 'INTEGER' && index.type.kind !== 'BIGINT' && index.type.kind !== 'NULL') {
            throw err(`Array index must be INTEGER but is ${formatTypeForMessage(index.type)}: ${formatExpr(e)}`, e.loc);
          }
          return { kind: 'ArrayIndex', type: base.type.element, base, index: castTo(index, { kind: 'INTEGER' }) };
        }
        if (base.type.kind === 'MAP') {
          const key = this.coerce(e.index, index, base.type.key);
          if (!key) throw err(`Map key must be ${formatTypeForMessage(base.type.key)} but is ${formatTypeForMessage(index.type)}: ${formatExpr(e)}`, e.loc);
          return { kind: 'MapLookup', type: base.type.value, base, key };
        }
        throw err(`Subscript expression only supported on ARRAY and MAP, but got ${formatTypeForMessage(base.type)}: ${formatExpr(e)}`, e.loc);
      }
      case 'FunctionCall':
        return this.call(e);
      case 'Lambda':
        throw err(`Lambda expressions are only allowed as function arguments: ${formatExpr(e)}`, e.loc);
      case 'Arithmetic': {
        const l = this.type(e.left);
        const r = this.type(e.right);
        const rt = l.type.kind === 'NULL' || r.type.kind === 'NULL' ? null : arithmeticResultType(e.op, l.type, r.type);
        if (!rt) {
          throw err(
            `Error processing expression: ${this.describe(e)}. Arithmetic on types ${formatTypeForMessage(l.type)} and ${formatTypeForMessage(r.type)} are not supported.`,
            e.loc,
          );
        }
        return {
          kind: 'Arithmetic',
          type: rt,
          op: e.op,
          left: castTo(l, arithmeticOperandType(rt, l.type)),
          right: castTo(r, arithmeticOperandType(rt, r.type)),
        };
      }
      case 'Negate': {
        const o = this.type(e.operand);
        if (!isNumeric(o.type)) throw err(`Unsupported arithmetic types: -${formatExpr(e.operand)} (${formatTypeForMessage(o.type)})`, e.loc);
        return { kind: 'Negate', type: o.type, operand: o };
      }
      case 'Comparison':
        return this.comparison(e.op, e.left, e.right, e.loc);
      case 'Logical': {
        const operands: TypedExpr[] = [];
        const collect = (x: Expr): void => {
          if (x.kind === 'Logical' && x.op === e.op) {
            collect(x.left);
            collect(x.right);
            return;
          }
          const t = this.type(x);
          if (t.type.kind !== 'BOOLEAN' && t.type.kind !== 'NULL') {
            throw err(`${e.op} expects BOOLEAN operands but ${formatExpr(x)} is ${formatTypeForMessage(t.type)}`, x.loc);
          }
          operands.push(castTo(t, BOOLEAN));
        };
        collect(e);
        return { kind: e.op === 'AND' ? 'And' : 'Or', type: BOOLEAN, operands };
      }
      case 'Not': {
        const o = this.type(e.operand);
        if (o.type.kind !== 'BOOLEAN' && o.type.kind !== 'NULL') {
          throw err(`NOT expects a BOOLEAN operand but ${formatExpr(e.operand)} is ${formatTypeForMessage(o.type)}`, e.loc);
        }
        return { kind: 'Not', type: BOOLEAN, operand: castTo(o, BOOLEAN) };
      }
      case 'IsNull':
        return { kind: 'IsNull', type: BOOLEAN, operand: this.type(e.operand), negated: e.negated };
      case 'Between': {
        const o = this.type(e.operand);
        const magic = isMagicTimestamp(e.operand, o);
        const lo = magic ? this.magicTimestamp(this.type(e.low)) : this.type(e.low);
        const hi = magic ? this.magicTimestamp(this.type(e.high)) : this.type(e.high);
        let t: SqlType | null = o.type;
        for (const [x, xe] of [
          [lo, e.low],
          [hi, e.high],
        ] as const) {
          const n: SqlType | null = t && (x.type.kind === 'NULL' ? t : comparisonType('<=', t, x.type));
          if (!n) {
            throw coded(
              'ComparisonTypes',
              `Cannot compare ${this.describe(e.operand)} (${formatTypeForMessage(o.type)}) to ${this.describe(xe)} (${formatTypeForMessage(x.type)}) with BETWEEN.`,
              e.loc,
            );
          }
          t = n;
        }
        const ct = t!;
        return {
          kind: 'Between',
          type: BOOLEAN,
          operand: this.convert(e.operand, o, ct),
          low: this.convert(e.low, lo, ct),
          high: this.convert(e.high, hi, ct),
          negated: e.negated,
        };
      }
      case 'InList': {
        const items = [e.operand, ...e.list];
        const typed = items.map((x) => this.type(x));
        // ksqlDB reports a list that does not fit the operand as "Invalid Predicate: ..."
        let conv: TypedExpr[];
        try {
          const t = this.commonOf(items, typed, 'OperatorDoesNotExist', (cur, x, xt) => `operator does not exist: ${formatTypeForMessage(cur)} = ${formatTypeForMessage(xt.type)} (${this.describe(x)})\nHint: You might need to add explicit type casts.`);
          conv = items.map((x, i) => this.coerce(x, typed[i]!, t)!);
        } catch (x) {
          if (x instanceof KsqlError) throw new KsqlError(`Invalid Predicate: ${x.message}`, x.loc ?? e.loc, x.reason);
          throw x;
        }
        return { kind: 'In', type: BOOLEAN, operand: conv[0]!, list: conv.slice(1), negated: e.negated };
      }
      case 'Like': {
        const o = this.type(e.operand);
        const p = this.type(e.pattern);
        for (const t of [o, p]) {
          if (t.type.kind !== 'STRING' && t.type.kind !== 'NULL') throw err('Like condition must be between strings', e.loc);
        }
        return { kind: 'Like', type: BOOLEAN, operand: castTo(o, STRING), pattern: castTo(p, STRING), escape: e.escape, negated: e.negated };
      }
      case 'SearchedCase': {
        const whens = e.whens.map((w) => {
          const c = this.type(w.when);
          if (c.type.kind !== 'BOOLEAN' && c.type.kind !== 'NULL') {
            throw err(`WHEN operand type should be boolean. Type for '${formatExpr(w.when)}' is ${formatTypeForMessage(c.type)}`, w.when.loc);
          }
          return { when: castTo(c, BOOLEAN), then: w.then };
        });
        return this.caseResults(whens, e.else, e.loc);
      }
      case 'SimpleCase': {
        const items = [e.operand, ...e.whens.map((w) => w.when)];
        const typed = items.map((x) => this.type(x));
        const t = this.commonOf(items, typed, 'OperatorDoesNotExist', (cur, x, xt) => `operator does not exist: ${formatTypeForMessage(cur)} = ${formatTypeForMessage(xt.type)} (${this.describe(x)})`);
        const conv = items.map((x, i) => this.coerce(x, typed[i]!, t)!);
        const operand = conv[0]!;
        const whens = e.whens.map((w, i) => ({
          when: { kind: 'Comparison', type: BOOLEAN, op: '=', left: operand, right: conv[i + 1]! } as TypedExpr,
          then: w.then,
        }));
        return this.caseResults(whens, e.else, e.loc);
      }
      case 'Cast': {
        const o = this.type(e.operand);
        const to = resolveType(e.type, this.opts.userTypes ?? (() => undefined));
        if (!castSupported(o.type, to)) throw coded('CastNotSupported', castNotSupportedMessage(o.type, to), e.loc);
        if (typeEquals(o.type, to)) return o;
        if (o.kind === 'Literal' && o.value === null) return lit(to, null);
        return { kind: 'Cast', type: to, operand: o };
      }
      case 'ArrayConstructor': {
        if (e.items.length === 0) {
          throw err('Array constructor cannot be empty. Please supply at least one element (see https://github.com/confluentinc/ksql/issues/4239).', e.loc);
        }
        const typed = e.items.map((x) => this.type(x));
        const t = this.commonOf(e.items, typed, 'InvalidInputSyntax', (cur, x, xt) => `invalid input syntax for type ${cur.kind}: ${this.describe(x)} (${formatTypeForMessage(xt.type)})`);
        if (t.kind === 'NULL') {
          throw err(
            'Cannot construct an array with all NULL elements (see https://github.com/confluentinc/ksql/issues/4239). As a workaround, you may cast a NULL value to the desired type.',
            e.loc,
          );
        }
        return { kind: 'MakeArray', type: { kind: 'ARRAY', element: t }, items: e.items.map((x, i) => this.coerce(x, typed[i]!, t)!) };
      }
      case 'MapConstructor': {
        if (e.entries.length === 0) {
          throw err('Map constructor cannot be empty. Please supply at least one key value pair (see https://github.com/confluentinc/ksql/issues/4239).', e.loc);
        }
        const keys = e.entries.map((x) => x.key);
        const vals = e.entries.map((x) => x.value);
        const kt = keys.map((x) => this.type(x));
        const vt = vals.map((x) => this.type(x));
        const msg = (cur: SqlType, x: Expr, xt: TypedExpr): string => `invalid input syntax for type ${cur.kind}: ${this.describe(x)} (${formatTypeForMessage(xt.type)})`;
        const k = this.commonOf(keys, kt, 'InvalidInputSyntax', msg);
        const v = this.commonOf(vals, vt, 'InvalidInputSyntax', msg);
        if (k.kind === 'NULL') throw err('Cannot construct a map with all NULL keys', e.loc);
        if (v.kind === 'NULL') throw err('Cannot construct a map with all NULL values', e.loc);
        return {
          kind: 'MakeMap',
          type: { kind: 'MAP', key: k, value: v },
          entries: e.entries.map((_, i) => ({ key: this.coerce(keys[i]!, kt[i]!, k)!, value: this.coerce(vals[i]!, vt[i]!, v)! })),
        };
      }
      case 'StructConstructor': {
        const seen = new Set<string>();
        const fields = e.fields.map((f) => {
          if (seen.has(f.name)) throw err(`Duplicate field names found in STRUCT: '${f.name}'`, e.loc);
          seen.add(f.name);
          return { name: f.name, value: this.type(f.value) };
        });
        return { kind: 'MakeStruct', type: { kind: 'STRUCT', fields: fields.map((f) => ({ name: f.name, type: f.value.type })) }, fields };
      }
      default: {
        const never: never = e;
        throw new Error(`unknown expression ${JSON.stringify(never)}`);
      }
    }
  }

  number(text: string, loc: Loc): TypedExpr {
    if (/[eE]/.test(text)) {
      const d = Number(text);
      if (!Number.isFinite(d)) throw astError('DoubleOverflow', { text }, loc);
      return lit({ kind: 'DOUBLE' }, d);
    }
    if (text.includes('.')) {
      const t = decimalLiteralType(text);
      return lit(t, fitDecimal(text, t.precision, t.scale));
    }
    const n = BigInt(text);
    if (n <= INT_MAX) return lit({ kind: 'INTEGER' }, Number(n));
    if (n <= LONG_MAX) return lit({ kind: 'BIGINT' }, n);
    throw astError('InvalidNumericLiteral', { text }, loc);
  }

  column(source: string | null, name: string, loc: Loc): TypedExpr {
    if (source === null) {
      for (let d = this.#frames.length - 1; d >= 0; d--) {
        const f = this.#frames[d]!;
        const i = f.names.indexOf(name);
        if (i >= 0) return { kind: 'LambdaParam', type: f.types[i]!, depth: this.#frames.length - 1 - d, index: i, name };
      }
    }
    const cols = this.scope.columns;
    const matches: number[] = [];
    for (let i = 0; i < cols.length; i++) {
      const c = cols[i]!;
      if (c.name === name && (source === null || c.qualifier === source)) matches.push(i);
    }
    if (matches.length === 0) throw new ColumnNotFoundError(source ? `${source}.${name}` : name, loc);
    if (matches.length > 1 && source === null) {
      // An unqualified name prefers the one unqualified column (e.g. a join's own ROWTIME over L.ROWTIME).
      const bare = matches.filter((i) => cols[i]!.qualifier === null);
      if (bare.length === 1) matches.splice(0, matches.length, bare[0]!);
    }
    if (matches.length > 1) {
      const alts = matches.map((i) => (cols[i]!.qualifier ? `${cols[i]!.qualifier}.${name}` : name));
      const list = alts.length === 2 ? alts.join(' or ') : `${alts.slice(0, -1).join(', ')} or ${alts[alts.length - 1]}`;
      throw err(`${loc ? `Line: ${loc.line}, Col: ${loc.column}: ` : ''}Column '${name}' is ambiguous. Could be ${list}.`, loc, 'StatementError');
    }
    const i = matches[0]!;
    return { kind: 'Column', type: cols[i]!.type, index: i, name };
  }

  call(e: FunctionCall): TypedExpr {
    const sub = this.opts.resolveCall?.(e);
    if (sub) return sub;
    const fn = this.functions.get(e.name);
    if (!fn) throw err(`Can't find any functions with the name '${e.name}'`, e.loc, 'StatementError');
    if (fn.kind !== 'scalar') throw new NonScalarFunctionError(e.name, fn.kind, e.loc);
    const args: (TypedExpr | null)[] = e.args.map((a) => (a.kind === 'Lambda' ? null : this.type(a)));
    const infos: ArgInfo[] = args.map((a, i) => {
      const src = e.args[i]!;
      if (a === null) return { type: null, lambdaArity: src.kind === 'Lambda' ? src.params.length : 0 };
      const type = a.type.kind === 'NULL' ? null : a.type;
      if (!isConstant(a)) return { type, text: this.describe(src) };
      try {
        return { type, literal: evaluateConstant(a) };
      } catch {
        return { type }; // fails again at run time, where the error is logged per record
      }
    });
    for (let i = 0; i < e.args.length; i++) {
      const src = e.args[i]!;
      if (src.kind !== 'Lambda') continue;
      if (!fn.lambdaParams) throw err(`Function '${e.name}' does not accept lambda arguments.`, src.loc);
      const types = fn.lambdaParams(infos, i);
      if (types.length !== src.params.length) {
        throw err(`Lambda ${formatExpr(src)} has ${src.params.length} parameters but ${e.name} expects ${types.length}.`, src.loc);
      }
      this.#frames.push({ names: src.params, types });
      let body: TypedExpr;
      try {
        body = this.type(src.body);
      } finally {
        this.#frames.pop();
      }
      args[i] = { kind: 'Lambda', type: body.type, params: types, body };
      infos[i] = { type: body.type.kind === 'NULL' ? null : body.type, lambdaArity: src.params.length };
    }
    let impl;
    try {
      impl = fn.resolve(infos);
    } catch (x) {
      if (x instanceof KsqlError) throw x;
      if (x instanceof ResolveError || x instanceof Error) throw err(x.message, e.loc);
      throw x;
    }
    return { kind: 'Call', type: impl.returnType, name: fn.name, impl, args: args as TypedExpr[] };
  }

  comparison(op: keyof typeof COMPARISON_NAMES & string, le: Expr, re: Expr, loc: Loc): TypedExpr {
    let l = this.type(le);
    let r = this.type(re);
    if (isMagicTimestamp(le, l)) r = this.magicTimestamp(r);
    if (isMagicTimestamp(re, r)) l = this.magicTimestamp(l);
    if (l.type.kind === 'NULL' && r.type.kind === 'NULL') {
      throw coded('ComparisonTypes', `Comparison with NULL not supported: NULL ${op} NULL`, loc);
    }
    const t = l.type.kind === 'NULL' ? r.type : r.type.kind === 'NULL' ? l.type : comparisonType(op, l.type, r.type);
    if (!t) {
      throw coded(
        'ComparisonTypes',
        `Cannot compare ${this.describe(le)} (${formatTypeForMessage(l.type)}) to ${this.describe(re)} (${formatTypeForMessage(r.type)}) with ${COMPARISON_NAMES[op]}.`,
        loc,
      );
    }
    return { kind: 'Comparison', type: BOOLEAN, op: op as never, left: this.convert(le, l, t), right: this.convert(re, r, t) };
  }

  /** A STRING literal compared with ROWTIME / WINDOWSTART / WINDOWEND: a timestamp, read as epoch millis. */
  magicTimestamp(e: TypedExpr): TypedExpr {
    if (e.kind !== 'Literal' || e.type.kind !== 'STRING' || typeof e.value !== 'string') return e;
    try {
      return lit({ kind: 'BIGINT' }, BigInt(parsePartialTimestamp(e.value)));
    } catch (x) {
      if (x instanceof TimestampParseError) throw err(x.message, null);
      throw x;
    }
  }

  /** Converts for comparison: string literals against temporal types are parsed now. */
  convert(src: Expr, e: TypedExpr, to: SqlType): TypedExpr {
    if (typeEquals(e.type, to)) return e;
    if (e.kind === 'Literal') {
      try {
        return castTo(e, to);
      } catch (x) {
        if (x instanceof CastError) throw x.unsupported ? coded('CastNotSupported', x.message, 'loc' in src ? src.loc : null) : err(x.message, 'loc' in src ? src.loc : null);
        throw x;
      }
    }
    return castTo(e, to);
  }

  caseResults(whens: readonly { when: TypedExpr; then: Expr }[], elseExpr: Expr | null, loc: Loc): TypedExpr {
    const results = [...whens.map((w) => w.then), ...(elseExpr ? [elseExpr] : [])];
    const typed = results.map((x) => this.type(x));
    const t = this.commonOf(results, typed, null, (cur, x, xt) =>
      `Invalid Case expression. Type for all 'THEN' clauses should be the same.\nTHEN expression '${formatExpr(x)}' has type: ${formatTypeForMessage(xt.type)}.\nWhereas the first result has type: ${formatTypeForMessage(cur)}.`,
    );
    if (t.kind === 'NULL') throw err('Invalid Case expression. All case branches have NULL type', loc);
    return {
      kind: 'Case',
      type: t,
      whens: whens.map((w, i) => ({ when: w.when, then: this.coerce(results[i]!, typed[i]!, t)! })),
      else: elseExpr ? this.coerce(elseExpr, typed[typed.length - 1]!, t)! : null,
    };
  }

  /**
   * ksqlDB's lax common type of a list (IN, CASE results, constructors), left to
   * right: numbers widen, string literals are parsed into the running type,
   * other literals print into STRING, constructors coerce element-wise.
   */
  commonOf(
    items: readonly Expr[],
    typed: readonly TypedExpr[],
    code: 'OperatorDoesNotExist' | 'InvalidInputSyntax' | null,
    message: (cur: SqlType, x: Expr, xt: TypedExpr) => string,
  ): SqlType {
    let cur: SqlType = NULL;
    let curFromConstructor = false;
    for (let i = 0; i < items.length; i++) {
      const xt = typed[i]!;
      const src = items[i]!;
      if (xt.type.kind === 'NULL') continue;
      if (cur.kind === 'NULL') {
        cur = xt.type;
        curFromConstructor = src.kind === 'StructConstructor';
        continue;
      }
      // STRUCT constructors meet on the union of their fields (missing fields are null)
      const n = commonType(cur, xt.type) ?? (curFromConstructor && src.kind === 'StructConstructor' ? structUnion(cur, xt.type) : null);
      if (n) {
        cur = n;
        curFromConstructor &&= src.kind === 'StructConstructor';
        continue;
      }
      curFromConstructor = false;
      // a numeric string literal that does not fit the running type widens it as a DECIMAL ('2e1' among INTs)
      if (src.kind === 'StringLiteral' && isNumeric(cur) && parseLiteralOrUndefined(src.value, cur) === undefined) {
        const lt = numericTextType(src.value);
        const w = lt && commonType(cur, lt);
        if (w) {
          cur = w;
          continue;
        }
      }
      if (this.coerce(src, xt, cur)) continue;
      throw code ? coded(code, message(cur, src, xt), src.loc) : err(message(cur, src, xt), src.loc);
    }
    return cur;
  }

  /** Converts `e` (typed from `src`) to `to`, or returns null when no implicit conversion exists. Throws on unparsable literals. */
  coerce(src: Expr, e: TypedExpr, to: SqlType): TypedExpr | null {
    if (typeEquals(e.type, to)) return e;
    if (e.type.kind === 'NULL') return castTo(e, to);
    if (src.kind === 'StringLiteral' && to.kind !== 'STRING') {
      const v = parseLiteral(src.value, to);
      if (v === undefined) return null;
      return lit(to, v);
    }
    if ((src.kind === 'NumberLiteral' || src.kind === 'BooleanLiteral') && to.kind === 'STRING') {
      return lit(STRING, src.kind === 'NumberLiteral' ? src.text : String(src.value));
    }
    if (src.kind === 'ArrayConstructor' && to.kind === 'ARRAY' && e.kind === 'MakeArray') {
      const items = src.items.map((x, i) => this.coerce(x, e.items[i]!, to.element));
      return items.every((x) => x) ? { kind: 'MakeArray', type: to, items: items as TypedExpr[] } : null;
    }
    if (src.kind === 'MapConstructor' && to.kind === 'MAP' && e.kind === 'MakeMap') {
      const entries = src.entries.map((x, i) => ({ key: this.coerce(x.key, e.entries[i]!.key, to.key), value: this.coerce(x.value, e.entries[i]!.value, to.value) }));
      return entries.every((x) => x.key && x.value) ? { kind: 'MakeMap', type: to, entries: entries as { key: TypedExpr; value: TypedExpr }[] } : null;
    }
    if (src.kind === 'StructConstructor' && to.kind === 'STRUCT' && e.kind === 'MakeStruct') {
      const fields: { name: string; value: TypedExpr }[] = [];
      for (const f of to.fields) {
        const i = src.fields.findIndex((x) => x.name === f.name);
        const v = i < 0 ? lit(f.type, null) : this.coerce(src.fields[i]!.value, e.fields[i]!.value, f.type);
        if (!v) return null;
        fields.push({ name: f.name, value: v });
      }
      return { kind: 'MakeStruct', type: to, fields };
    }
    if (canImplicitlyCast(e.type, to)) return castTo(e, to);
    return null;
  }
}

/** The union of two STRUCT types' fields, in order of first appearance; null when a shared field's types do not meet. */
function structUnion(a: SqlType, b: SqlType): SqlType | null {
  if (a.kind !== 'STRUCT' || b.kind !== 'STRUCT') return null;
  const fields = a.fields.map((f) => ({ ...f }));
  for (const g of b.fields) {
    const i = fields.findIndex((f) => f.name === g.name);
    if (i < 0) {
      fields.push({ ...g });
      continue;
    }
    const t = commonType(fields[i]!.type, g.type) ?? structUnion(fields[i]!.type, g.type);
    if (!t) return null;
    fields[i] = { name: g.name, type: t };
  }
  return { kind: 'STRUCT', fields };
}

/** `parseLiteral`, with unparsable text as undefined rather than an error. */
function parseLiteralOrUndefined(text: string, to: SqlType): unknown {
  try {
    return parseLiteral(text, to);
  } catch {
    return undefined;
  }
}

/**
 * The DECIMAL type of numeric text as Java's BigDecimal reads it ('2e1' →
 * DECIMAL(2, 0), '1.50' → DECIMAL(3, 2)), or null when the text is no number.
 */
function numericTextType(text: string): SqlType | null {
  const m = /^\s*[+-]?(\d*(?:\.\d*)?)(?:[eE]([+-]?\d+))?\s*$/.exec(text);
  if (!m || !/\d/.test(m[1]!)) return null;
  const base = decimalLiteralType(m[1]!.startsWith('.') ? `0${m[1]!}` : m[1]!);
  const scale = base.scale - Number(m[2] ?? 0);
  if (scale >= 0) return { kind: 'DECIMAL', precision: Math.max(base.precision, scale), scale };
  return { kind: 'DECIMAL', precision: base.precision - scale, scale: 0 };
}

/** ksqlDB's pseudo columns holding epoch millis, which compare with timestamp text. */
const MAGIC_TIMESTAMP_COLUMNS = new Set(['ROWTIME', 'WINDOWSTART', 'WINDOWEND']);

function isMagicTimestamp(src: Expr, e: TypedExpr): boolean {
  return src.kind === 'ColumnRef' && MAGIC_TIMESTAMP_COLUMNS.has(src.name) && e.type.kind === 'BIGINT';
}

/** A string literal read as a value of `to`; undefined when `to` does not take strings; throws on bad text. */
function parseLiteral(text: string, to: SqlType): unknown {
  const bad = (): KsqlError => coded('InvalidInputSyntax', `invalid input syntax for type ${to.kind}: "${text}".`, null);
  switch (to.kind) {
    case 'BOOLEAN': {
      const b = parseBooleanExact(text);
      if (b === null) throw bad();
      return b;
    }
    case 'INTEGER':
    case 'BIGINT':
    case 'DOUBLE':
    case 'DECIMAL':
    case 'DATE':
    case 'TIME':
    case 'TIMESTAMP':
      try {
        return castValue(text, STRING, to);
      } catch (x) {
        if (x instanceof CastError) throw bad();
        throw x;
      }
    default:
      return undefined;
  }
}
