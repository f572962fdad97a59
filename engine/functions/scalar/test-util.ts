import type { ArgInfo, ScalarImpl } from '../types.js';
import type { SqlType } from '../../types/sql-type.js';
import { builtinScalars } from './index.js';

const byName = new Map(builtinScalars().map((f) => [f.name, f]));

export type ArgSpec = SqlType | null | ArgInfo;

function toInfo(a: ArgSpec): ArgInfo {
  if (a === null) return { type: null };
  return 'kind' in a ? { type: a } : a;
}

export function resolve(name: string, args: readonly ArgSpec[]): ScalarImpl {
  const fn = byName.get(name.toUpperCase());
  if (!fn) throw new Error(`no function ${name}`);
  return fn.resolve(args.map(toInfo));
}

/** Resolve and invoke, applying the compiler's null short-circuit for non-null-safe functions. */
export function run(name: string, args: readonly ArgSpec[], ...values: unknown[]): unknown {
  const impl = resolve(name, args);
  if (!impl.nullSafe && values.some((v) => v === null)) return null;
  return impl.invoke(...values);
}

export function lambdaParams(name: string, args: readonly ArgSpec[], index: number): readonly SqlType[] {
  const fn = byName.get(name.toUpperCase())!;
  return fn.lambdaParams!(args.map(toInfo), index);
}
