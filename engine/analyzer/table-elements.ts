import type { Column } from '../catalog/data-source.js';
import { KsqlError } from '../errors.js';
import type { ColumnDef, SourceType } from '../sql/ast/statement.js';
import { formatTypeForMessage } from '../types/cast.js';
import type { SqlType } from '../types/sql-type.js';
import { semanticError } from './errors.js';
import { resolveType } from './resolve-type.js';

/** Column names ksqlDB keeps for itself (pseudo columns). */
export const RESERVED_COLUMNS: readonly string[] = ['ROWTIME', 'ROWPARTITION', 'ROWOFFSET', 'WINDOWSTART', 'WINDOWEND'];

const CONSTRAINTS_HINT = '\nTables have PRIMARY KEYs, which are unique and NON NULL.\nStreams have KEYs, which have no uniqueness or NON NULL constraints.';

/**
 * The columns of CREATE STREAM / CREATE TABLE's element list, checked as
 * ksqlDB's CreateSourceFactory checks them (docs: CREATE STREAM / CREATE
 * TABLE, "columns", "KEY / PRIMARY KEY", "HEADERS / HEADER(<key>)"):
 * no reserved names, KEY for streams and PRIMARY KEY for tables, a `HEADERS`
 * column of type ARRAY<STRUCT<KEY STRING, VALUE BYTES>> (at most one), a
 * `HEADER('k')` column of type BYTES, no name twice.
 */
export function analyzeTableElements(sourceType: SourceType, elements: readonly ColumnDef[], userTypes: (name: string) => SqlType | undefined, statementLoc: KsqlError['loc']): Column[] {
  const columns: Column[] = [];
  for (const c of elements) {
    if (RESERVED_COLUMNS.includes(c.name)) throw new KsqlError(`'${c.name}' is a reserved column name. You cannot use it as a name for a column.`, c.loc);
    const type = resolveType(c.type, userTypes);
    switch (c.constraint.kind) {
      case 'Key':
        if (sourceType === 'TABLE') throw new KsqlError(`Line: ${c.loc.line}, Col: ${c.loc.column}: Column \`${c.name}\` is a 'KEY' column: please use 'PRIMARY KEY' for tables.${CONSTRAINTS_HINT}`, c.loc);
        columns.push({ name: c.name, type, namespace: 'KEY' });
        break;
      case 'PrimaryKey':
        if (sourceType === 'STREAM') throw new KsqlError(`Line: ${c.loc.line}, Col: ${c.loc.column}: Column \`${c.name}\` is a 'PRIMARY KEY' column: please use 'KEY' for streams.${CONSTRAINTS_HINT}`, c.loc);
        columns.push({ name: c.name, type, namespace: 'KEY' });
        break;
      case 'Headers': {
        const key = c.constraint.key;
        if (key === null) {
          if (!isHeadersType(type)) throw semanticError('HeadersColumnType', { got: formatTypeForMessage(type) }, c.loc);
          if (columns.some((x) => x.namespace === 'HEADERS' && !x.headerKey)) throw semanticError('MultipleHeadersColumns', {}, c.loc);
        } else if (type.kind !== 'BYTES') {
          throw semanticError('HeaderColumnType', { key, got: formatTypeForMessage(type) }, c.loc);
        }
        columns.push({ name: c.name, type, namespace: 'HEADERS', headerKey: key });
        break;
      }
      case 'None':
        columns.push({ name: c.name, type, namespace: 'VALUE' });
        break;
    }
  }
  const seen = new Set<string>();
  for (const c of columns) {
    if (seen.has(c.name)) throw new KsqlError(`Duplicate column names: ${c.name}`, statementLoc);
    seen.add(c.name);
  }
  return columns;
}

/** ARRAY<STRUCT<KEY STRING, VALUE BYTES>>: every header of a record, in order. */
function isHeadersType(t: SqlType): boolean {
  if (t.kind !== 'ARRAY' || t.element.kind !== 'STRUCT') return false;
  const [k, v, ...rest] = t.element.fields;
  return rest.length === 0 && k?.name === 'KEY' && k.type.kind === 'STRING' && v?.name === 'VALUE' && v.type.kind === 'BYTES';
}

/**
 * The schema after inference: a source needs columns, and a table a PRIMARY
 * KEY (ksqlDB checks the columns first).
 */
export function checkSourceSchema(sourceType: SourceType, columns: readonly Column[], loc: KsqlError['loc']): void {
  if (columns.length === 0) throw semanticError('NoColumns', {}, loc);
  if (sourceType === 'TABLE' && !columns.some((c) => c.namespace === 'KEY')) {
    throw new KsqlError('Tables require a PRIMARY KEY. Please define the PRIMARY KEY.', loc);
  }
}
