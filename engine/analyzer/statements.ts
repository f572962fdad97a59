import type { Column, DataSource } from '../catalog/data-source.js';
import { KsqlError } from '../errors.js';
import type { FormatInfo } from '../serde/types.js';
import type { Loc } from '../sql/ast/node.js';
import type { AlterSource, CreateAsSelect, CreateSource, CreateType, DropSource, DropType, InsertInto, InsertValues, Statement } from '../sql/ast/statement.js';
import { containsMap, formatType, typeEquals, type SqlType } from '../types/sql-type.js';
import { columnRefs } from './expr-utils.js';
import { mapKeyMessage } from './from.js';
import { resolveType } from './resolve-type.js';
import { supportsInference } from './with-clause.js';

/**
 * The statement rules of ksqlDB's DDL and DML (docs: CREATE STREAM/TABLE
 * [AS SELECT], ALTER, DROP, INSERT INTO, INSERT VALUES, CREATE/DROP TYPE,
 * TERMINATE, EXPLAIN), checked against the catalog before the executor
 * changes anything. Each function raises ksqlDB's error or returns what the
 * executor goes on with.
 */

const kindOf = (t: 'STREAM' | 'TABLE'): string => (t === 'STREAM' ? 'stream' : 'table');

/** CREATE TYPE: false when the type exists and IF NOT EXISTS makes the statement a no-op. */
export function checkCreateType(st: CreateType, existing: SqlType | undefined): boolean {
  if (!existing) return true;
  if (st.ifNotExists) return false;
  throw new KsqlError(`Cannot register custom type '${st.name}' since it is already registered with type: ${formatType(existing)}`, st.loc);
}

/** DROP TYPE of a type that does not exist (without IF EXISTS). */
export function checkDropType(st: DropType, exists: boolean): void {
  if (!exists && !st.ifExists) throw new KsqlError(`Type ${st.name} does not exist.`, st.loc, 'NotFound');
}

/** DROP STREAM/TABLE: the source to drop, or null when it does not exist and IF EXISTS makes the statement a no-op. */
export function analyzeDropSource(st: DropSource, source: DataSource | undefined): DataSource | null {
  if (!source) {
    if (st.ifExists) return null;
    throw new KsqlError(`${st.sourceType === 'STREAM' ? 'Stream' : 'Table'} ${st.name} does not exist.`, st.loc, 'NotFound');
  }
  if (source.sourceType !== st.sourceType) throw new KsqlError(`Incompatible data source type is ${source.sourceType}, but statement was DROP ${st.sourceType}`, st.loc);
  if (st.deleteTopic && source.isSource) throw new KsqlError(`Cannot delete topic for read-only source: ${source.name}`, st.loc);
  return source;
}

/** A source is not dropped while queries read from or write into it (as ksqlDB refuses it). */
export function checkDroppable(name: string, users: { readonly readers: readonly string[]; readonly writers: readonly string[] }): void {
  const { readers, writers } = users;
  if (readers.length === 0 && writers.length === 0) return;
  const parts: string[] = [];
  if (readers.length > 0) parts.push(`The following queries read from this source: [${[...readers].sort().join(', ')}].`);
  if (writers.length > 0) parts.push(`The following queries write into this source: [${[...writers].sort().join(', ')}].`);
  throw new KsqlError(`Cannot drop ${name}.\n${parts.join('\n')}\nYou need to terminate them before dropping ${name}.`);
}

/** TERMINATE / PAUSE / RESUME of a query id the catalog does not know. */
export function checkQueryKnown(asked: string, known: boolean, loc: Loc | null): void {
  if (!known) throw new KsqlError(`Unknown queryId: ${asked}`, loc, 'NotFound');
}

/** EXPLAIN <query id> of a query id the catalog does not know. */
export function checkExplainedQuery(queryId: string, known: boolean, loc: Loc | null): void {
  if (!known) throw new KsqlError(`Query with id:${queryId} does not exist, use SHOW QUERIES to view the full set of queries.`, loc);
}

/** EXPLAIN <statement>: only statements that run a query. */
export function explainedQuery(st: Statement, loc: Loc | null): Extract<Statement, { kind: 'CreateAsSelect' | 'InsertInto' | 'QueryStatement' }> {
  if (st.kind !== 'CreateAsSelect' && st.kind !== 'InsertInto' && st.kind !== 'QueryStatement') throw new KsqlError('The provided statement does not run a ksql query', loc);
  return st;
}

/** ALTER STREAM|TABLE ... ADD COLUMN: the source's columns with the new value columns (before any header column). */
export function analyzeAlterSource(st: AlterSource, existing: DataSource | undefined, userTypes: (name: string) => SqlType | undefined): Column[] {
  const kind = kindOf(st.sourceType);
  if (!existing) throw new KsqlError(`Source ${st.name} does not exist.`, st.loc, 'NotFound');
  if (existing.sourceType !== st.sourceType) throw new KsqlError(`Incompatible data source type is ${existing.sourceType}, but statement was ALTER ${st.sourceType}`, st.loc);
  if (existing.isSource) throw new KsqlError(`Cannot alter ${kind} '${st.name}': ALTER operations are not supported on source ${kind}s.`, st.loc);
  if (existing.isSink) throw new KsqlError('ALTER command is not supported for CREATE ... AS statements.', st.loc);
  const columns = [...existing.columns];
  for (const c of st.addColumns) {
    if (columns.some((x) => x.name === c.name)) throw new KsqlError(`Cannot add column \`${c.name}\` to schema. A column with the same name already exists.`, c.loc);
    if (c.constraint.kind !== 'None') throw new KsqlError(`Cannot add key column \`${c.name}\`: ALTER only adds value columns.`, c.loc);
    const type = resolveType(c.type, userTypes);
    const firstHeader = columns.findIndex((x) => x.namespace === 'HEADERS');
    columns.splice(firstHeader < 0 ? columns.length : firstHeader, 0, { name: c.name, type, namespace: 'VALUE' });
  }
  return columns;
}

/** CREATE [OR REPLACE] STREAM/TABLE over a source of that name: false when IF NOT EXISTS makes the statement a no-op. */
export function checkCreateSource(st: CreateSource, existing: DataSource | undefined): boolean {
  const kind = kindOf(st.sourceType);
  if (st.orReplace && st.isSource) throw new KsqlError(`Cannot add ${kind} '${st.name}': CREATE OR REPLACE is not supported on source ${kind}s.`, st.loc);
  if (!existing) return true;
  if (st.ifNotExists) return false;
  if (!st.orReplace) throw new KsqlError(`Cannot add ${kind} '${st.name}': A ${kindOf(existing.sourceType)} with the same name already exists`, st.loc, 'AlreadyExists');
  if (existing.isSource || st.isSource) throw new KsqlError(`Cannot add ${kind} '${st.name}': CREATE OR REPLACE is not supported on source ${kind}s.`, st.loc);
  return true;
}

/** KAFKA_TOPIC, which CREATE STREAM/TABLE requires. */
export function requiredTopic(p: Readonly<Record<string, string>>, loc: Loc | null): string {
  const topic = p['KAFKA_TOPIC'];
  if (topic === undefined) throw new KsqlError('Missing required property "KAFKA_TOPIC" which has no default value.', loc);
  return topic;
}

/** KEY_SCHEMA_ID / VALUE_SCHEMA_ID: not with columns of their part, and only for formats whose schema the registry holds. */
export function checkSchemaIds(p: Readonly<Record<string, string>>, columns: readonly Column[], keyFormat: FormatInfo, valueFormat: FormatInfo, loc: Loc | null): void {
  for (const [prop, ns] of [['KEY_SCHEMA_ID', 'KEY'], ['VALUE_SCHEMA_ID', 'VALUE']] as const) {
    if (p[prop] !== undefined && columns.some((c) => c.namespace === ns)) throw new KsqlError(`Table elements and ${prop} cannot both exist for create statement.`, loc);
  }
  if (p['VALUE_SCHEMA_ID'] && !supportsInference(valueFormat.format)) {
    throw new KsqlError(`VALUE_FORMAT should support schema inference when VALUE_SCHEMA_ID is provided. Current format is ${valueFormat.format}.`, loc);
  }
  if (p['KEY_SCHEMA_ID'] && !supportsInference(keyFormat.format)) {
    throw new KsqlError(`KEY_FORMAT should support schema inference when KEY_SCHEMA_ID is provided. Current format is ${keyFormat.format}.`, loc);
  }
}

/** CREATE [OR REPLACE] STREAM/TABLE AS SELECT over a source of that name: false when IF NOT EXISTS makes the statement a no-op. */
export function checkCreateAsSelect(st: CreateAsSelect, existing: DataSource | undefined): boolean {
  if (!existing) return true;
  const taken = (): KsqlError => new KsqlError(`Cannot add ${kindOf(st.sourceType)} '${st.name}': A ${kindOf(existing.sourceType)} with the same name already exists`, st.loc, 'AlreadyExists');
  if (st.orReplace && existing.sourceType !== st.sourceType) throw taken();
  if (st.orReplace) return true;
  if (st.ifNotExists) return false;
  throw taken();
}

/**
 * What a persistent query's result must be for its statement: no windowed
 * table among its sources (a windowed table is only for pull queries), a
 * STREAM for CREATE STREAM AS SELECT and INSERT INTO, a TABLE for CREATE
 * TABLE AS SELECT.
 */
export function checkQueryResult(
  st: CreateAsSelect | InsertInto,
  result: { readonly resultType: 'STREAM' | 'TABLE'; readonly sources: readonly DataSource[] },
  target: DataSource | null,
): void {
  if (result.sources.some((x) => x.sourceType === 'TABLE' && x.window !== null)) throw new KsqlError('KSQL does not support persistent queries on windowed tables.', st.loc);
  checkResultType(st, result.resultType, target);
}

/** The result type a CREATE ... AS SELECT or INSERT INTO needs (EXPLAIN checks it too). */
export function checkResultType(st: CreateAsSelect | InsertInto, resultType: 'STREAM' | 'TABLE', target: DataSource | null): void {
  if (st.kind === 'CreateAsSelect' && resultType !== st.sourceType) {
    throw new KsqlError(`Invalid result type. Your SELECT query produces a ${resultType}. Please use CREATE ${resultType} AS SELECT statement instead.`, st.loc);
  }
  if (st.kind === 'InsertInto' && resultType !== 'STREAM') throw new KsqlError(`INSERT INTO can only be used to insert into a stream. ${target?.name ?? st.target} is a table.`, st.loc);
}

/** CREATE OR REPLACE of a sink: the same key columns, and the value columns of the old schema first. */
export function checkUpgradeCompatible(existing: DataSource, next: DataSource, loc: Loc | null): void {
  const fmt = (s: DataSource): string =>
    s.columns.filter((c) => c.namespace !== 'HEADERS').map((c) => `\`${c.name}\` ${formatType(c.type)}${c.namespace === 'KEY' ? ' KEY' : ''}`).join(', ');
  const keysOf = (s: DataSource): readonly Column[] => s.columns.filter((c) => c.namespace === 'KEY');
  const valuesOf = (s: DataSource): readonly Column[] => s.columns.filter((c) => c.namespace === 'VALUE');
  const same = (a: readonly Column[], b: readonly Column[]): boolean => a.every((c, i) => b[i] !== undefined && c.name === b[i]!.name && typeEquals(c.type, b[i]!.type));
  const ok = keysOf(existing).length === keysOf(next).length && same(keysOf(existing), keysOf(next)) && same(valuesOf(existing), valuesOf(next));
  if (!ok) {
    throw new KsqlError(`Cannot upgrade data source: DataSource '\`${existing.name}\`' has schema = ${fmt(existing)} which is not upgrade compatible with ${fmt(next)}.`, loc);
  }
}

/** INSERT INTO ... SELECT: the target must be a writable stream without header columns. */
export function analyzeInsertTarget(st: InsertInto, target: DataSource | undefined): DataSource {
  if (!target) throw new KsqlError(`Cannot insert into an unknown stream/table: ${st.target}`, st.loc, 'NotFound');
  if (target.sourceType === 'TABLE') throw new KsqlError(`INSERT INTO can only be used to insert into a stream. ${target.name} is a table.`, st.loc);
  if (target.isSource) throw new KsqlError(`Cannot insert into read-only ${target.sourceType.toLowerCase()}: ${target.name}`, st.loc);
  if (target.columns.some((c) => c.namespace === 'HEADERS')) throw new KsqlError(`Cannot insert into ${target.name} because it has header columns`, st.loc);
  return target;
}

/** INSERT INTO ... SELECT: the query's columns must be the target's, in order, with their types. */
export function checkInsertSchema(st: InsertInto, target: DataSource, result: { readonly key: readonly { name: string; type: SqlType }[]; readonly value: readonly { name: string; type: SqlType }[] }): void {
  const want = target.columns.filter((c) => c.namespace !== 'HEADERS');
  const got = [...result.key.map((c) => ({ ...c, ns: 'KEY' })), ...result.value.map((c) => ({ ...c, ns: 'VALUE' }))];
  const same = want.length === got.length && want.every((c, i) => c.name === got[i]!.name && c.namespace === got[i]!.ns && typeEquals(c.type, got[i]!.type));
  if (same) return;
  const fmt = (cols: readonly { name: string; type: SqlType; ns?: string; namespace?: string }[]): string =>
    cols.map((c) => `\`${c.name}\` ${formatType(c.type)}${(c.ns ?? c.namespace) === 'KEY' ? ' KEY' : ''}`).join(', ');
  throw new KsqlError(`Incompatible schema between results and sink.\nResult schema is ${fmt(got)}\nSink schema is ${fmt(want)}`, st.loc);
}

/** INSERT VALUES, analysed: the writable target, and per named column its value expression (ROWTIME included). */
export interface AnalyzedInsertValues {
  readonly target: DataSource;
  readonly writable: readonly Column[];
  readonly assignments: readonly { readonly name: string; readonly column: Column | null; readonly expr: InsertValues['values'][number] }[];
}

/**
 * INSERT INTO ... VALUES: a known, writable target; no header columns; as
 * many values as columns; no ROWPARTITION / ROWOFFSET; no qualified column
 * references; columns that exist. `byUpperName`: the source named as the
 * target upper-cased, for ksqlDB's hint on a quoted name.
 */
export function analyzeInsertValues(st: InsertValues, target: DataSource | undefined, byUpperName: DataSource | undefined): AnalyzedInsertValues {
  if (!target) {
    const upper = byUpperName;
    const hint = upper && upper.name !== st.target ? `\nDid you mean ${upper.name}? Hint: try removing double quotes from the source name.` : '';
    throw new KsqlError(`Cannot insert values into an unknown stream/table: ${upper && upper.name !== st.target ? `\`${st.target}\`` : st.target}${hint}`, st.loc, 'NotFound');
  }
  if (target.isSource) throw new KsqlError(`Cannot insert values into read-only ${target.sourceType.toLowerCase()}: ${target.name}`, st.loc);
  const writable = target.columns.filter((c) => c.namespace !== 'HEADERS');
  const headerCols = target.columns.filter((c) => c.namespace === 'HEADERS').map((c) => c.name);
  const named = (st.columns ?? target.columns.map((c) => c.name)).filter((n) => headerCols.includes(n));
  if (named.length > 0) throw new KsqlError(`Cannot insert into HEADER columns: ${named.join(', ')}`, st.loc);
  const names = st.columns ?? writable.map((c) => c.name);
  if (names.length !== st.values.length) {
    const detail = st.columns ? `${names.length}, ${st.values.length}` : `[${names.join(', ')}], [${st.values.map(() => '?').join(', ')}]`;
    throw new KsqlError(`Failed to prepare statement: Expected number columns and values to match: ${detail}`, st.loc);
  }
  for (const n of names) if (n === 'ROWPARTITION' || n === 'ROWOFFSET') throw new KsqlError(`Inserting into column \`${n}\` is not allowed.`, st.loc);
  for (const v of st.values) {
    for (const r of columnRefs(v)) {
      if (r.source) throw new KsqlError(`Failed to prepare statement: '${r.source}' is not a valid stream/table name or alias.`, r.loc);
    }
  }
  return { target, writable, assignments: names.map((name, i) => ({ name, column: name === 'ROWTIME' ? null : writable.find((c) => c.name === name) ?? null, expr: st.values[i]! })) };
}

/** INSERT VALUES: a column named that the target does not have. */
export function checkInsertColumn(st: InsertValues, name: string, column: Column | null): Column {
  if (!column) throw new KsqlError(`Column name ${name} does not exist.`, st.loc);
  return column;
}

/** INSERT VALUES into a table: every primary key column needs a value. */
export function checkInsertKeys(st: InsertValues, target: DataSource, missingKeys: readonly string[]): void {
  if (target.sourceType === 'TABLE' && missingKeys.length > 0) throw new KsqlError(`Value for primary key column(s) ${missingKeys.join(', ')} is required for tables`, st.loc);
}

/** A source's (or sink's) columns for its formats: no key that is or holds a map; WRAP_SINGLE_VALUE only over one value column. */
export function checkSourceColumns(s: DataSource, loc: Loc | null): void {
  for (const k of s.columns.filter((c) => c.namespace === 'KEY')) {
    if (containsMap(k.type)) throw new KsqlError(mapKeyMessage(k.name, k.type), loc);
  }
  if (s.valueFormat.properties['WRAP_SINGLE_VALUE'] !== undefined && s.columns.filter((c) => c.namespace === 'VALUE').length !== 1) {
    throw new KsqlError("'WRAP_SINGLE_VALUE' is only valid for single-field value schemas", loc);
  }
}
