import { KsqlError } from '../errors.js';
import type { Expr } from '../sql/ast/expression.js';
import type { Loc } from '../sql/ast/node.js';
import type { InsertValues } from '../sql/ast/statement.js';
import type { SqlType } from '../types/sql-type.js';
import type { KsqlBackend } from './backend.js';

const LOC: Loc = { line: 1, column: 1 };

/**
 * Inserts one JSON row (column name → value, names matched case-insensitively)
 * into a stream, through the executor's INSERT VALUES path so that validation
 * and serialization are the same.
 */
export async function insertRow(b: KsqlBackend, target: string, row: Readonly<Record<string, unknown>>): Promise<void> {
  const source = b.metastore.source(target) ?? b.metastore.source(target.toUpperCase());
  if (!source) throw new KsqlError(`Cannot insert values into an unknown stream/table: ${target}`);
  const columns: string[] = [];
  const values: Expr[] = [];
  for (const [name, value] of Object.entries(row)) {
    const col = source.columns.find((c) => c.name === name) ?? source.columns.find((c) => c.name.toUpperCase() === name.toUpperCase());
    if (name.toUpperCase() === 'ROWTIME') {
      columns.push('ROWTIME');
      values.push(jsonToExpr(value, { kind: 'BIGINT' }));
      continue;
    }
    if (!col) throw new KsqlError(`Column name ${name} does not exist.`);
    columns.push(col.name);
    values.push(jsonToExpr(value, col.type));
  }
  const st: InsertValues = { kind: 'InsertValues', target: source.name, columns, values, loc: LOC, text: `INSERT INTO ${source.name} VALUES (...)` };
  // the Kafka backend answers once the record is written (or its write failed)
  await b.executeStatement(st, {});
}

/** A JSON value as a literal expression of `type`. */
export function jsonToExpr(v: unknown, type: SqlType): Expr {
  if (v === null || v === undefined) return { kind: 'NullLiteral', loc: LOC };
  switch (type.kind) {
    case 'ARRAY':
      if (!Array.isArray(v)) break;
      return { kind: 'ArrayConstructor', items: v.map((x) => jsonToExpr(x, type.element)), loc: LOC };
    case 'MAP':
      if (typeof v !== 'object' || Array.isArray(v)) break;
      return {
        kind: 'MapConstructor',
        entries: Object.entries(v as Record<string, unknown>).map(([k, x]) => ({ key: jsonToExpr(k, type.key), value: jsonToExpr(x, type.value) })),
        loc: LOC,
      };
    case 'STRUCT': {
      if (typeof v !== 'object' || Array.isArray(v)) break;
      const obj = v as Record<string, unknown>;
      return {
        kind: 'StructConstructor',
        fields: type.fields.map((f) => {
          const key = Object.keys(obj).find((k) => k === f.name) ?? Object.keys(obj).find((k) => k.toUpperCase() === f.name.toUpperCase());
          return { name: f.name, value: jsonToExpr(key === undefined ? null : obj[key], f.type) };
        }),
        loc: LOC,
      };
    }
    default:
      break;
  }
  // the executor casts literals to the column's type (as INSERT VALUES does)
  if (typeof v === 'boolean') return { kind: 'BooleanLiteral', value: v, loc: LOC };
  if (typeof v === 'number') {
    const text = Number.isInteger(v) ? String(Math.abs(v)) : formatDouble(Math.abs(v));
    const lit: Expr = { kind: 'NumberLiteral', text, loc: LOC };
    return v < 0 || Object.is(v, -0) ? { kind: 'Negate', operand: lit, loc: LOC } : lit;
  }
  if (typeof v === 'string') return { kind: 'StringLiteral', value: v, loc: LOC };
  throw new KsqlError(`Cannot convert ${JSON.stringify(v)} to ${type.kind}`);
}

/** Doubles as E-notation literals, so that they type as DOUBLE rather than DECIMAL. */
function formatDouble(v: number): string {
  const e = v.toExponential();
  return e.replace('e+', 'E').replace('e-', 'E-');
}
