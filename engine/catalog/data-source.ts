import type { FormatInfo, WindowKind } from '../serde/types.js';
import type { SqlType } from '../types/sql-type.js';

export type ColumnNamespace = 'KEY' | 'VALUE' | 'HEADERS';

export interface Column {
  readonly name: string;
  readonly type: SqlType;
  readonly namespace: ColumnNamespace;
  /** for a `HEADER('k')` column: the header key; null for `HEADERS` (all headers) */
  readonly headerKey?: string | null;
}

export interface WindowInfo {
  readonly kind: WindowKind;
  /** window size for TUMBLING/HOPPING, in ms */
  readonly sizeMs: number | null;
}

export interface TimestampColumn {
  readonly column: string;
  /** Java DateTimeFormatter pattern when the column is a STRING */
  readonly format: string | null;
}

/** A stream or table in the metastore. */
export interface DataSource {
  readonly name: string;
  readonly sourceType: 'STREAM' | 'TABLE';
  /** key columns first, then value columns, then header columns, in declaration order */
  readonly columns: readonly Column[];
  readonly topic: string;
  readonly keyFormat: FormatInfo;
  readonly valueFormat: FormatInfo;
  readonly window: WindowInfo | null;
  readonly timestamp: TimestampColumn | null;
  /** CREATE SOURCE STREAM/TABLE: read-only */
  readonly isSource: boolean;
  /** created by CREATE ... AS SELECT (owned by a query) */
  readonly isSink: boolean;
  readonly sql: string;
}

export function keyColumns(s: DataSource): readonly Column[] {
  return s.columns.filter((c) => c.namespace === 'KEY');
}
export function valueColumns(s: DataSource): readonly Column[] {
  return s.columns.filter((c) => c.namespace === 'VALUE');
}
