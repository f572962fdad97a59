import type { DataSource } from './catalog/data-source.js';
import type { InMemoryBroker } from './driver/broker.js';
import type { FunctionRegistry } from './functions/types.js';
import type { SchemaRegistry } from './serde/types.js';
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

export interface EngineOptions {
  readonly broker: InMemoryBroker;
  readonly registry: SchemaRegistry;
  readonly functions: FunctionRegistry;
  /** engine properties (ksql.*), e.g. `ksql.streams.auto.offset.reset` */
  readonly properties?: Readonly<Record<string, string>>;
}

/**
 * The engine's facade (implemented in engine/driver/in-memory-engine.ts): runs
 * statements in order against a catalog; persistent queries process records as
 * they are produced to their source topics.
 */
export interface KsqlEngine {
  /** Parse and run every statement of `sql` in order; throws KsqlError on the first failure. */
  execute(sql: string, properties?: Readonly<Record<string, string>>): StatementResult[];
  source(name: string): DataSource | undefined;
  sources(): readonly DataSource[];
  readonly broker: InMemoryBroker;
  readonly registry: SchemaRegistry;
  readonly functions: FunctionRegistry;
  /** stop all queries */
  close(): void;
}
