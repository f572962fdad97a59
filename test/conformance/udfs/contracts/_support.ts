// Helpers shared by the contract-level test functions (not a function module itself).
import { formatType, type SqlType } from '../../../../engine/types/sql-type.js';
import { ResolveError, type ArgInfo } from '../../../../engine/functions/types.js';

export type Kind = SqlType['kind'];

/** ksqlDB's wording when no overload accepts the arguments. */
export function noMatch(name: string, args: readonly ArgInfo[], alternatives: readonly string[]): ResolveError {
  const types = args.map((a) => (a.type ? formatType(a.type) : 'NULL')).join(', ');
  return new ResolveError(`Function '${name}' does not accept parameters (${types}).\nValid alternatives are:\n${alternatives.map((a) => `${name}(${a})`).join('\n')}`);
}

/** Whether an argument is of the kind (a NULL literal fits anything). */
export function isKind(arg: ArgInfo | undefined, kind: Kind): boolean {
  if (!arg) return false;
  const t = arg.type;
  return t === null || t.kind === 'NULL' || t.kind === kind;
}

/** Whether an argument fits a BIGINT parameter (INT widens). */
export function isLong(arg: ArgInfo | undefined): boolean {
  return isKind(arg, 'BIGINT') || isKind(arg, 'INTEGER');
}

export const toBigInt = (v: unknown): bigint => (v == null ? 0n : BigInt(v as number | bigint));
export const strLen = (v: unknown): bigint => (v == null ? 0n : BigInt((v as string).length));
export const intOf = (v: unknown): bigint => (v == null ? 0n : BigInt(v as number | bigint));

/** The static value of a literal argument, or an error naming the parameter. */
export function literalOf(name: string, args: readonly ArgInfo[], i: number): unknown {
  const a = args[i]!;
  if (a.literal === undefined) throw new ResolveError(`Parameter ${i + 1} passed to function ${name} must be a literal constant`);
  return a.literal;
}
