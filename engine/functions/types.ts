import type { SqlType } from '../types/sql-type.js';

/**
 * Function contracts shared by built-ins and user-defined functions.
 *
 * A function resolves against the static types of its arguments (`SqlType`, or
 * `null` for an argument whose type is still unknown, e.g. a bare NULL literal)
 * and returns an implementation specialised for those types, or a
 * `ResolveError` whose message follows ksqlDB's wording.
 *
 * Values follow the representation documented in `types/sql-type.ts`.
 */

export class FunctionError extends Error {
  override readonly name = 'FunctionError';
}

/** Thrown by `resolve` when no variant accepts the argument types. */
export class ResolveError extends Error {
  override readonly name = 'ResolveError';
}

/** What the analyzer knows about each argument at resolve time. */
export interface ArgInfo {
  readonly type: SqlType | null;
  /** the value when the argument is a literal (after constant folding), else undefined */
  readonly literal?: unknown;
  /** present when the argument is a lambda: its arity */
  readonly lambdaArity?: number;
  /** the argument expression as ksqlDB's messages print it (e.g. `F0`), when the caller knows it */
  readonly text?: string;
}

/** A lambda argument at run time: called with the lambda's parameters. */
export type LambdaValue = (...args: unknown[]) => unknown;

export interface ScalarImpl {
  readonly returnType: SqlType;
  /**
   * Called once per evaluation with argument values (lambdas as `LambdaValue`).
   * Unless `nullSafe` is true, the compiler returns null without calling `invoke`
   * when any argument is null.
   */
  readonly invoke: (...args: unknown[]) => unknown;
  readonly nullSafe?: boolean;
  /** non-deterministic functions (RANDOM, UUID, UNIX_TIMESTAMP()) are never constant-folded */
  readonly volatile?: boolean;
}

export interface ScalarFunction {
  readonly name: string;
  readonly description: string;
  readonly kind: 'scalar';
  /**
   * For functions with lambda arguments: the types of the lambda's parameters,
   * given the types of the non-lambda arguments before it.
   */
  readonly lambdaParams?: (args: readonly ArgInfo[], lambdaIndex: number) => readonly SqlType[];
  readonly resolve: (args: readonly ArgInfo[]) => ScalarImpl;
}

/**
 * An aggregate over one group. The accumulator is immutable from the caller's
 * point of view: `add`/`remove`/`merge` return the new accumulator (they may
 * reuse the old object when it is not shared).
 */
export interface AggregateImpl<A = unknown> {
  readonly returnType: SqlType;
  init(): A;
  /** `args` are the values of the non-literal argument expressions for one record */
  add(acc: A, args: readonly unknown[], ctx: AggregateContext): A;
  /** undo `add` for a retracted row (table aggregation); absent when unsupported */
  remove?(acc: A, args: readonly unknown[], ctx: AggregateContext): A;
  /** merge two session windows' accumulators */
  merge?(a: A, b: A): A;
  result(acc: A): unknown;
}

export interface AggregateContext {
  /** offset-order sequence of the input record (for EARLIEST/LATEST_BY_OFFSET) */
  readonly sequence: number;
  readonly timestamp: number;
}

export interface AggregateFunction {
  readonly name: string;
  readonly description: string;
  readonly kind: 'aggregate';
  /**
   * `args` includes trailing literal arguments (e.g. TOPK(col, 3)) with `literal` set.
   * The implementation receives at run time only the values of the first
   * `argumentCount` arguments (default: those without a literal... see `valueArgs`).
   */
  readonly resolve: (args: readonly ArgInfo[]) => AggregateImpl & { readonly valueArgs: number };
}

export interface TableImpl {
  readonly returnType: SqlType;
  /** returns the rows produced for one input (each a value of returnType) */
  readonly invoke: (...args: unknown[]) => readonly unknown[];
}

export interface TableFunction {
  readonly name: string;
  readonly description: string;
  readonly kind: 'table';
  readonly resolve: (args: readonly ArgInfo[]) => TableImpl;
}

export type SqlFunction = ScalarFunction | AggregateFunction | TableFunction;

export interface FunctionRegistry {
  get(name: string): SqlFunction | undefined;
  register(fn: SqlFunction): void;
  list(): readonly SqlFunction[];
}
