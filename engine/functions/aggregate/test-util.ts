import type { SqlType } from '../../types/sql-type.js';
import type { AggregateFunction, ArgInfo } from '../types.js';
import type { BuiltinAggregateImpl } from './common.js';

/** Test helper: resolve `fn` and feed it rows, returning the result after each row. */
export function resolveAgg(fn: AggregateFunction, args: readonly ArgInfo[]): BuiltinAggregateImpl {
  return fn.resolve(args) as BuiltinAggregateImpl;
}

export function col(type: SqlType): ArgInfo {
  return { type };
}

export function lit(type: SqlType, literal: unknown): ArgInfo {
  return { type, literal };
}

/** Adds each row (values of the value arguments) in order; returns the result after each add. */
export function runAgg(impl: BuiltinAggregateImpl, rows: readonly (readonly unknown[])[], startSeq = 0): { results: unknown[]; acc: unknown } {
  let acc = impl.init();
  const results: unknown[] = [];
  rows.forEach((r, i) => {
    acc = impl.add(acc, r, { sequence: startSeq + i, timestamp: 0 });
    results.push(impl.result(acc));
  });
  return { results, acc };
}
