// ksqlDB's TestUdtf (`test_udtf`):
//   test_udtf(INT) → INT: one row, the argument
//   test_udtf(INT, BIGINT, DOUBLE, BOOLEAN, STRING, DECIMAL, STRUCT<A STRING>) → STRING:
//     one row per argument, its Java text (`String.valueOf`)
//   the same with ARRAY<…> of those (one row per element) and MAP<STRING, …> (one row per value)
import { Decimal } from 'decimal.js';
import { INTEGER, STRING, type SqlType } from '../../../../engine/types/sql-type.js';
import { valueToString } from '../../../../engine/types/java-format.js';
import type { ArgInfo, SqlFunction, TableFunction } from '../../../../engine/functions/types.js';
import { noMatch, type Kind } from './_support.js';

const NAME = 'TEST_UDTF';
const KINDS: readonly Kind[] = ['INTEGER', 'BIGINT', 'DOUBLE', 'BOOLEAN', 'STRING', 'DECIMAL', 'STRUCT'];

function isStructA(t: SqlType): boolean {
  return t.kind === 'STRUCT' && t.fields.length === 1 && t.fields[0]!.name === 'A' && t.fields[0]!.type.kind === 'STRING';
}

/** The element type the argument contributes for `shape`, or undefined when it does not fit. */
function elementType(arg: ArgInfo, kind: Kind, shape: 'scalar' | 'array' | 'map'): SqlType | null | undefined {
  const t = arg.type;
  if (t === null || t.kind === 'NULL') return null;
  let e: SqlType;
  if (shape === 'scalar') e = t;
  else if (shape === 'array' && t.kind === 'ARRAY') e = t.element;
  else if (shape === 'map' && t.kind === 'MAP' && t.key.kind === 'STRING') e = t.value;
  else return undefined;
  if (e.kind !== kind) return shape === 'scalar' ? widened(e, kind) : undefined;
  if (kind === 'STRUCT' && !isStructA(e)) return undefined;
  return e;
}

/**
 * The parameter type a scalar argument widens to, as ksqlDB resolves UDF overloads
 * (INT -> BIGINT -> DECIMAL -> DOUBLE); undefined when it does not widen.
 */
function widened(e: SqlType, kind: Kind): SqlType | undefined {
  const rank: Partial<Record<Kind, number>> = { INTEGER: 0, BIGINT: 1, DECIMAL: 2, DOUBLE: 3 };
  const from = rank[e.kind];
  const to = rank[kind];
  if (from === undefined || to === undefined || from >= to) return undefined;
  switch (kind) {
    case 'BIGINT':
      return { kind: 'BIGINT' };
    case 'DOUBLE':
      return { kind: 'DOUBLE' };
    case 'DECIMAL':
      return e.kind === 'INTEGER' ? { kind: 'DECIMAL', precision: 10, scale: 0 } : { kind: 'DECIMAL', precision: 19, scale: 0 };
    default:
      return undefined;
  }
}

/** A value of an argument's type as the (wider) parameter type holds it. */
function widen(v: unknown, to: SqlType | null): unknown {
  if (v == null || to === null) return v;
  if (to.kind === 'BIGINT' && typeof v === 'number') return BigInt(v);
  if (to.kind === 'DOUBLE' && (typeof v === 'number' || typeof v === 'bigint')) return Number(v);
  if (to.kind === 'DOUBLE' && Decimal.isDecimal(v)) return (v as Decimal).toNumber();
  if (to.kind === 'DECIMAL' && (typeof v === 'number' || typeof v === 'bigint')) return new Decimal(String(v));
  return v;
}

function text(v: unknown, t: SqlType | null): string {
  return v == null || t === null ? 'null' : valueToString(v, t);
}

const testUdtf: TableFunction = {
  name: NAME,
  description: 'test UDTF',
  kind: 'table',
  resolve(args) {
    if (args.length === 1 && (args[0]!.type === null || args[0]!.type.kind === 'NULL' || args[0]!.type.kind === 'INTEGER')) {
      return { returnType: INTEGER, invoke: (v) => [v] };
    }
    if (args.length === KINDS.length) {
      for (const shape of ['scalar', 'array', 'map'] as const) {
        const types = args.map((a, i) => elementType(a, KINDS[i]!, shape));
        if (types.some((t) => t === undefined)) continue;
        const ts = types as (SqlType | null)[];
        return {
          returnType: STRING,
          invoke: (...vals) =>
            vals.flatMap((v, i) => {
              if (shape === 'scalar') return [text(widen(v, ts[i]!), ts[i]!)];
              if (v == null) return [];
              const elems = shape === 'array' ? (v as unknown[]) : [...(v as Map<unknown, unknown>).values()];
              return elems.map((e) => text(e, ts[i]!));
            }),
        };
      }
    }
    const scalar = 'INT, BIGINT, DOUBLE, BOOLEAN, STRING, DECIMAL, STRUCT<A STRING>';
    throw noMatch(NAME, args, [
      'INT',
      scalar,
      scalar.split(', ').map((t) => `ARRAY<${t}>`).join(', '),
      scalar.split(', ').map((t) => `MAP<STRING, ${t}>`).join(', '),
    ]);
  },
};

export const contracts: SqlFunction[] = [testUdtf];
