import type { Statement } from './sql/ast/statement.js';

/** What one executed statement produced. */
export interface StatementResult {
  readonly statement: Statement;
  /** e.g. "Stream created", "Created query with ID CSAS_S1_0" */
  readonly message: string;
  readonly queryId: string | null;
  /** rows of a pull query, tables of SHOW/DESCRIBE */
  readonly rows?: readonly (readonly unknown[])[];
  /** the command's offset in the command topic (engines with one): ksqlDB's commandSequenceNumber */
  readonly commandSequenceNumber?: number;
}
