import type { Expr } from './expression.js';
import type { Loc } from './node.js';
import type { Query } from './query.js';
import type { TypeNode } from './type-node.js';

export type Statement =
  | CreateSource
  | CreateAsSelect
  | InsertInto
  | InsertValues
  | CreateType
  | DropType
  | DropSource
  | AlterSource
  | QueryStatement
  | Describe
  | DescribeFunction
  | Show
  | Explain
  | Terminate
  | PauseResume
  | SetProperty
  | UnsetProperty
  | DefineVariable
  | UndefineVariable
  | AssertStatement;

export type StatementKind = Statement['kind'];

/** Literal values allowed in WITH (...) property lists. */
export type PropertyValue = string | number | boolean;
export type Properties = Readonly<Record<string, { readonly value: PropertyValue; readonly loc: Loc }>>;

export type SourceType = 'STREAM' | 'TABLE';

export type ColumnConstraint =
  | { readonly kind: 'None' }
  | { readonly kind: 'Key' }
  | { readonly kind: 'PrimaryKey' }
  /** `HEADERS` (all headers, ARRAY<STRUCT<KEY STRING, VALUE BYTES>>) or `HEADER('k')` (one, BYTES) */
  | { readonly kind: 'Headers'; readonly key: string | null };

export interface ColumnDef {
  readonly name: string;
  readonly type: TypeNode;
  readonly constraint: ColumnConstraint;
  readonly loc: Loc;
}

/** Every statement carries its own text (for the command log, EXPLAIN and error messages). */
interface Base {
  readonly loc: Loc;
  readonly text: string;
}

export interface CreateSource extends Base {
  readonly kind: 'CreateSource';
  readonly sourceType: SourceType;
  readonly name: string;
  readonly orReplace: boolean;
  readonly ifNotExists: boolean;
  /** `CREATE SOURCE STREAM|TABLE`: read-only, materialized for pull queries */
  readonly isSource: boolean;
  /** null when the columns are inferred from a schema registry */
  readonly columns: readonly ColumnDef[] | null;
  readonly properties: Properties;
}

export interface CreateAsSelect extends Base {
  readonly kind: 'CreateAsSelect';
  readonly sourceType: SourceType;
  readonly name: string;
  readonly orReplace: boolean;
  readonly ifNotExists: boolean;
  readonly properties: Properties;
  readonly query: Query;
}

export interface InsertInto extends Base {
  readonly kind: 'InsertInto';
  readonly target: string;
  readonly properties: Properties;
  readonly query: Query;
}

export interface InsertValues extends Base {
  readonly kind: 'InsertValues';
  readonly target: string;
  /** null when no column list was given */
  readonly columns: readonly string[] | null;
  readonly values: readonly Expr[];
}

export interface CreateType extends Base {
  readonly kind: 'CreateType';
  readonly name: string;
  readonly ifNotExists: boolean;
  readonly type: TypeNode;
}

export interface DropType extends Base {
  readonly kind: 'DropType';
  readonly name: string;
  readonly ifExists: boolean;
}

export interface DropSource extends Base {
  readonly kind: 'DropSource';
  readonly sourceType: SourceType;
  readonly name: string;
  readonly ifExists: boolean;
  readonly deleteTopic: boolean;
}

/** `ALTER STREAM|TABLE name ADD [COLUMN] col type, ...` */
export interface AlterSource extends Base {
  readonly kind: 'AlterSource';
  readonly sourceType: SourceType;
  readonly name: string;
  readonly addColumns: readonly ColumnDef[];
}

/** A bare SELECT: a pull query (no EMIT) or a push query (EMIT CHANGES / FINAL). */
export interface QueryStatement extends Base {
  readonly kind: 'QueryStatement';
  readonly query: Query;
}

export interface Describe extends Base {
  readonly kind: 'Describe';
  /** a source name, or STREAMS / TABLES for `DESCRIBE STREAMS` */
  readonly target: { readonly kind: 'Source'; readonly name: string } | { readonly kind: 'All'; readonly what: 'STREAMS' | 'TABLES' };
  readonly extended: boolean;
}

export interface DescribeFunction extends Base {
  readonly kind: 'DescribeFunction';
  readonly name: string;
}

export type ShowWhat = 'STREAMS' | 'TABLES' | 'TOPICS' | 'QUERIES' | 'PROPERTIES' | 'FUNCTIONS' | 'TYPES' | 'VARIABLES' | 'CONNECTORS';

export interface Show extends Base {
  readonly kind: 'Show';
  readonly what: ShowWhat;
  readonly extended: boolean;
}

export interface Explain extends Base {
  readonly kind: 'Explain';
  readonly target: { readonly kind: 'Statement'; readonly statement: Statement } | { readonly kind: 'QueryId'; readonly queryId: string };
}

export interface Terminate extends Base {
  readonly kind: 'Terminate';
  /** null for `TERMINATE ALL` */
  readonly queryId: string | null;
}

export interface PauseResume extends Base {
  readonly kind: 'PauseResume';
  readonly action: 'PAUSE' | 'RESUME';
  /** null for `ALL` */
  readonly queryId: string | null;
}

export interface SetProperty extends Base {
  readonly kind: 'SetProperty';
  readonly name: string;
  readonly value: string;
}

export interface UnsetProperty extends Base {
  readonly kind: 'UnsetProperty';
  readonly name: string;
}

export interface DefineVariable extends Base {
  readonly kind: 'DefineVariable';
  readonly name: string;
  readonly value: string;
}

export interface UndefineVariable extends Base {
  readonly kind: 'UndefineVariable';
  readonly name: string;
}

/** `ASSERT [NOT EXISTS] TOPIC|SCHEMA ...` */
export interface AssertStatement extends Base {
  readonly kind: 'AssertStatement';
  readonly what: 'TOPIC' | 'SCHEMA';
  readonly exists: boolean;
  readonly name: string | null;
  readonly subject: string | null;
  readonly id: number | null;
  readonly properties: Properties;
  readonly timeoutMs: number | null;
}
