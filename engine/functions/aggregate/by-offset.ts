import { array, BIGINT, struct, type SqlType } from '../../types/sql-type.js';
import { ResolveError, type AggregateFunction, type ArgInfo } from '../types.js';
import { argType, literalArg, literalBool, literalInt, noVariant, type BuiltinAggregateImpl } from './common.js';

/** A value with the offset-order sequence of the record it came from. */
interface Seen {
  readonly seq: number;
  readonly val: unknown;
}

interface Options {
  readonly n: number | null;
  readonly ignoreNulls: boolean;
}

/** (col), (col, ignoreNulls), (col, n), (col, n, ignoreNulls); trailing arguments must be literals. */
function options(name: string, args: readonly ArgInfo[]): Options {
  if (args.length < 1 || args.length > 3) throw noVariant(name, args);
  argType(name, args, 0);
  if (args.length === 1) return { n: null, ignoreNulls: true };
  literalArg(name, args, 1);
  if (args.length === 3) {
    literalArg(name, args, 2);
    return { n: positive(name, literalInt(name, args, 1)), ignoreNulls: literalBool(name, args, 2) };
  }
  const second = args[1]!.literal;
  if (typeof second === 'boolean') return { n: null, ignoreNulls: second };
  return { n: positive(name, literalInt(name, args, 1)), ignoreNulls: true };
}

function positive(name: string, n: number): number {
  if (n < 1) throw new ResolveError(`${name} requires a positive number of values, got ${n}`);
  return n;
}

const bySeq = (a: Seen, b: Seen): number => a.seq - b.seq;

/**
 * EARLIEST_BY_OFFSET / LATEST_BY_OFFSET: the value of the record with the
 * smallest / greatest `AggregateContext.sequence`; with `n`, an array of up to n
 * values in offset order. Nulls are ignored unless `ignoreNulls` is false.
 * Session windows merge by sequence. No undo, as in ksqlDB.
 */
function byOffset(name: 'EARLIEST_BY_OFFSET' | 'LATEST_BY_OFFSET', earliest: boolean): AggregateFunction {
  return {
    name,
    description: `Returns the ${earliest ? 'earliest' : 'latest'} value(s) of a column by offset.`,
    kind: 'aggregate',
    resolve(args) {
      const { n, ignoreNulls } = options(name, args);
      const t = argType(name, args, 0);
      const seenType: SqlType = struct([
        { name: 'SEQ', type: BIGINT },
        { name: 'VAL', type: t },
      ]);
      if (n === null) {
        const better = (a: Seen | null, b: Seen | null): Seen | null => {
          if (a === null) return b;
          if (b === null) return a;
          return (earliest ? b.seq < a.seq : b.seq > a.seq) ? b : a;
        };
        const impl: BuiltinAggregateImpl<Seen | null> = {
          returnType: t,
          intermediateType: seenType,
          valueArgs: 1,
          init: () => null,
          add(acc, vals, ctx) {
            const v = vals[0] ?? null;
            if (v === null && ignoreNulls) return acc;
            return better(acc, { seq: ctx.sequence, val: v });
          },
          merge: better,
          result: (acc) => (acc === null ? null : acc.val),
        };
        return impl;
      }
      const keep = (list: Seen[]): readonly Seen[] => {
        list.sort(bySeq);
        return list.length <= n ? list : earliest ? list.slice(0, n) : list.slice(list.length - n);
      };
      const impl: BuiltinAggregateImpl<readonly Seen[]> = {
        returnType: array(t),
        intermediateType: array(seenType),
        valueArgs: 1,
        init: () => [],
        add(acc, vals, ctx) {
          const v = vals[0] ?? null;
          if (v === null && ignoreNulls) return acc;
          return keep([...acc, { seq: ctx.sequence, val: v }]);
        },
        merge: (a, b) => keep([...a, ...b]),
        result: (acc) => acc.map((s) => s.val),
      };
      return impl;
    },
  };
}

export const EARLIEST_BY_OFFSET = byOffset('EARLIEST_BY_OFFSET', true);
export const LATEST_BY_OFFSET = byOffset('LATEST_BY_OFFSET', false);
