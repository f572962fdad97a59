import type { DataSource, WindowInfo } from '../catalog/data-source.js';
import type { FunctionRegistry } from '../functions/types.js';
import type { SchemaColumn, Step } from '../topology/topology.js';
import type { SqlType } from '../types/sql-type.js';

export interface PlanContext {
  readonly source: (name: string) => DataSource | undefined;
  readonly functions: FunctionRegistry;
  /** the sink's name, for messages ("The query used to build `X` ...") */
  readonly sinkName: string | null;
  /** e.g. "CREATE TABLE AS SELECT", for messages */
  readonly statementLabel?: string;
  /** a topic's partition count, when known: sources joined without a repartition must match */
  readonly partitions?: (topic: string) => number | undefined;
  /**
   * INSERT INTO: the type of the sink's value column of a name. A numeric
   * literal selected into a DECIMAL column is cast to it when it fits, as
   * ksqlDB's ImplicitlyCastResolver does (`INSERT INTO T SELECT 1 AS C ...`).
   */
  readonly sinkColumnType?: (name: string) => SqlType | undefined;
}

/** What a query produces, before it is bound to a sink. */
export interface PlannedQuery {
  readonly root: Step;
  readonly resultType: 'STREAM' | 'TABLE';
  readonly key: readonly SchemaColumn[];
  readonly value: readonly SchemaColumn[];
  readonly window: WindowInfo | null;
  readonly sources: readonly DataSource[];
  /** the sole input source when there is no join */
  readonly primary: DataSource;
}
