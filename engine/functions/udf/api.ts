import type { SqlType } from '../../types/sql-type.js';

/**
 * The shapes user-defined functions are written in (see `loader.ts`).
 *
 * Types are SQL type strings (`'INT'`, `'DECIMAL(4, 2)'`, `'ARRAY<STRING>'`,
 * `'STRUCT<A INT>'`); parameter types may also be `'ANY'`, a bare `'DECIMAL'`, or a
 * single-letter type variable such as `'T'` / `'ARRAY<T>'` that the return type
 * may reuse. Values follow `types/sql-type.ts` (INT is a number, BIGINT a
 * bigint, DECIMAL a decimal.js Decimal, MAP a Map, STRUCT a plain object ...).
 *
 * Several definitions with the same name (in one or several files) are
 * overloads, tried in load order; an exact match wins over one that needs
 * numeric widening (INT → BIGINT → DOUBLE, INT/BIGINT → DECIMAL).
 */
export type TypeString = string;

/** A return type: a type string, or computed from the argument types. */
export type ReturnSpec = TypeString | ((argTypes: readonly (SqlType | null)[]) => SqlType | TypeString);

interface Common {
  readonly name: string;
  readonly description?: string;
  /** parameter types (for aggregates: the per-record value parameters) */
  readonly params: readonly TypeString[];
  /** the last parameter may repeat zero or more times */
  readonly variadic?: boolean;
  readonly returns: ReturnSpec;
}

export interface UserScalarFunction extends Common {
  readonly kind: 'scalar';
  /** called with null arguments too (otherwise any null argument yields null) */
  readonly nullSafe?: boolean;
  /** never constant-folded (random, clock) */
  readonly volatile?: boolean;
  invoke(...args: unknown[]): unknown;
}

/**
 * An aggregate. The accumulator must be treated as immutable: return a new one
 * from `add`/`remove`/`merge` (state stores may keep earlier accumulators).
 * Accumulators should be plain data so they can be persisted.
 */
export interface UserAggregateFunction<A = unknown> extends Omit<Common, 'variadic'> {
  readonly kind: 'aggregate';
  /** trailing parameters that must be literals, e.g. `['INT']` for `MY_TOPK(col, 3)`; passed to `init` */
  readonly literalParams?: readonly TypeString[];
  init(...literals: unknown[]): A;
  add(acc: A, ...values: unknown[]): A;
  /** undo `add` for table aggregations; omit when not possible */
  remove?(acc: A, ...values: unknown[]): A;
  /** merge two session windows' accumulators */
  merge?(a: A, b: A): A;
  /** defaults to the accumulator itself */
  result?(acc: A): unknown;
}

export interface UserTableFunction extends Common {
  readonly kind: 'table';
  /** `returns` is the type of each produced row (the element type) */
  invoke(...args: unknown[]): Iterable<unknown> | null | undefined;
}

export type UserFunction = UserScalarFunction | UserAggregateFunction | UserTableFunction;
