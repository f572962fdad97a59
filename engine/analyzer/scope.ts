import type { Column, DataSource, WindowInfo } from '../catalog/data-source.js';
import type { SchemaColumn, StepSchema } from '../topology/topology.js';
import { BIGINT, INTEGER, type SqlType } from '../types/sql-type.js';

/** A column an expression can reference: row slot `i` of the scope is column `i`. */
export interface ScopeColumn {
  readonly name: string;
  readonly qualifier: string | null;
  readonly type: SqlType;
}

export interface ExprScope {
  readonly columns: readonly ScopeColumn[];
}

export const PSEUDO_TYPES: readonly { readonly name: string; readonly type: SqlType; readonly windowOnly: boolean }[] = [
  { name: 'ROWTIME', type: BIGINT, windowOnly: false },
  { name: 'ROWPARTITION', type: INTEGER, windowOnly: false },
  { name: 'ROWOFFSET', type: BIGINT, windowOnly: false },
  { name: 'WINDOWSTART', type: BIGINT, windowOnly: true },
  { name: 'WINDOWEND', type: BIGINT, windowOnly: true },
];

/**
 * The scope of expressions evaluated over a step's output: key columns, value
 * columns, then the pseudo columns (window bounds only when windowed). The row
 * the runtime builds has the same layout (see runtime/row.ts).
 */
export function rowScope(schema: StepSchema, pseudoQualifier: string | null, opts: { window?: WindowInfo | null } = {}): ExprScope {
  const window = opts.window === undefined ? schema.window : opts.window;
  const cols: ScopeColumn[] = [...schema.key, ...schema.value].map((c) => ({ name: c.name, qualifier: c.qualifier, type: c.type }));
  for (const p of PSEUDO_TYPES) {
    if (p.windowOnly && !window) continue;
    cols.push({ name: p.name, qualifier: pseudoQualifier, type: p.type });
  }
  return { columns: cols };
}

export function schemaColumns(schema: StepSchema): readonly SchemaColumn[] {
  return [...schema.key, ...schema.value];
}

/** The schema of a source read under `alias`: its key and value columns (headers are values), qualified. */
export function sourceSchema(src: DataSource, alias: string): StepSchema {
  const keys = src.columns.filter((c) => c.namespace === 'KEY');
  const values = src.columns.filter((c) => c.namespace !== 'KEY');
  return {
    key: keys.map((c) => ({ name: c.name, qualifier: alias, type: c.type })),
    value: values.map((c: Column) => ({ name: c.name, qualifier: alias, type: c.type })),
    window: src.window,
  };
}
