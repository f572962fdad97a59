// ksqlDB's variadic and multi-argument test UDAFs. All are stream aggregations
// over BIGINT sums unless noted; null inputs count as 0 (strings: length 0).
//
//   VAR_ARG(BIGINT first, STRING... rest)                 sum(first + Σ len(rest))
//   MID_VAR_ARG(BIGINT first, STRING... rest, INT a, INT b)  init a + b; then as VAR_ARG  (a, b literals)
//   MULTI_ARG(BIGINT first, STRING second, INT i, STRING... s)  init i + Σ len(s); sum(first + len(second))  (i, s literals)
//   FOUR_ARG(BIGINT, STRING, STRING, STRING, INT i, STRING... s)          likewise with three strings
//   FIVE_ARG(BIGINT, STRING, STRING, STRING, INT, INT i, STRING... s)     likewise, plus the INT column
//   GENERIC_VAR_ARG(T first, INT second, U... rest) → ARRAY<T>   collects `first` from rows with no null argument
//   OBJ_COL_ARG(INT first, ANY... rest)             → ARRAY<INT> collects `first` from rows with no null argument
import { array, BIGINT, INTEGER, typeEquals, type SqlType } from '../../../../engine/types/sql-type.js';
import type { AggregateFunction, AggregateImpl, ArgInfo, SqlFunction } from '../../../../engine/functions/types.js';
import { intOf, isKind, isLong, literalOf, noMatch, strLen, toBigInt } from './_support.js';

type Impl = AggregateImpl & { readonly valueArgs: number };

function summing(valueArgs: number, init: bigint, contribution: (vals: readonly unknown[]) => bigint): Impl {
  return {
    returnType: BIGINT,
    valueArgs,
    init: () => init,
    add: (acc, vals) => (acc as bigint) + contribution(vals),
    merge: (a, b) => (a as bigint) + (b as bigint),
    result: (acc) => acc,
  };
}

function collecting(valueArgs: number, returnType: SqlType): Impl {
  return {
    returnType,
    valueArgs,
    init: () => [],
    add: (acc, vals) => (vals.some((v) => v == null) ? acc : [...(acc as unknown[]), vals[0]]),
    merge: (a, b) => [...(a as unknown[]), ...(b as unknown[])],
    result: (acc) => acc,
  };
}

const allStrings = (args: readonly ArgInfo[]): boolean => args.every((a) => isKind(a, 'STRING'));
const sumLengths = (vals: readonly unknown[]): bigint => vals.reduce<bigint>((s, v) => s + strLen(v), 0n);

function udaf(name: string, alternatives: readonly string[], match: (args: readonly ArgInfo[]) => Impl | null): AggregateFunction {
  return {
    name,
    description: `test UDAF ${name}`,
    kind: 'aggregate',
    resolve(args) {
      const impl = match(args);
      if (!impl) throw noMatch(name, args, alternatives);
      return impl;
    },
  };
}

const varArg = udaf('VAR_ARG', ['BIGINT, STRING...'], (args) => {
  if (args.length < 1 || !isLong(args[0]) || !allStrings(args.slice(1))) return null;
  return summing(args.length, 0n, (vals) => toBigInt(vals[0]) + sumLengths(vals.slice(1)));
});

const midVarArg = udaf('MID_VAR_ARG', ['BIGINT, STRING..., INT, INT'], (args) => {
  const n = args.length;
  if (n < 3 || !isLong(args[0]) || !allStrings(args.slice(1, n - 2)) || !isKind(args[n - 2], 'INTEGER') || !isKind(args[n - 1], 'INTEGER')) return null;
  const init = intOf(literalOf('MID_VAR_ARG', args, n - 2)) + intOf(literalOf('MID_VAR_ARG', args, n - 1));
  return summing(n - 2, init, (vals) => toBigInt(vals[0]) + sumLengths(vals.slice(1)));
});

/** MULTI_ARG and friends: `columns` value parameters, then literals INT, STRING... */
function multiArg(name: string, columns: readonly ('BIGINT' | 'STRING' | 'INTEGER')[]): AggregateFunction {
  const alternative = [...columns.map((c) => (c === 'INTEGER' ? 'INT' : c)), 'INT', 'STRING...'].join(', ');
  return udaf(name, [alternative], (args) => {
    const k = columns.length;
    if (args.length < k + 1) return null;
    const columnsFit = columns.every((c, i) => (c === 'BIGINT' ? isLong(args[i]) : isKind(args[i], c)));
    if (!columnsFit || !isKind(args[k], 'INTEGER') || !allStrings(args.slice(k + 1))) return null;
    let init = intOf(literalOf(name, args, k));
    for (let i = k + 1; i < args.length; i++) init += strLen(literalOf(name, args, i));
    return summing(k, init, (vals) => vals.reduce<bigint>((s, v, i) => s + (columns[i] === 'STRING' ? strLen(v) : toBigInt(v)), 0n));
  });
}

const knownType = (a: ArgInfo | undefined): SqlType | null => (a?.type && a.type.kind !== 'NULL' ? a.type : null);

const genericVarArg = udaf('GENERIC_VAR_ARG', ['T, INT, U...'], (args) => {
  if (args.length < 2 || !isKind(args[1], 'INTEGER')) return null;
  const t = knownType(args[0]);
  if (!t) return null;
  const rest = args.slice(2).map(knownType).filter((x): x is SqlType => x !== null);
  if (rest.some((u) => !typeEquals(u, rest[0]!))) return null;
  return collecting(args.length, array(t));
});

const objColArg = udaf('OBJ_COL_ARG', ['INT, ANY...'], (args) => {
  if (args.length < 1 || !isKind(args[0], 'INTEGER')) return null;
  return collecting(args.length, array(INTEGER));
});

export const contracts: SqlFunction[] = [
  varArg,
  midVarArg,
  multiArg('MULTI_ARG', ['BIGINT', 'STRING']),
  multiArg('FOUR_ARG', ['BIGINT', 'STRING', 'STRING', 'STRING']),
  multiArg('FIVE_ARG', ['BIGINT', 'STRING', 'STRING', 'STRING', 'INTEGER']),
  genericVarArg,
  objColArg,
];
