import type { AnalysisContext } from '../analyzer/resolved-query.js';
import type { DataSource, WindowInfo } from '../catalog/data-source.js';
import type { SchemaColumn, Step } from '../topology/topology.js';

/** What planning a query reads: the analyzer's context (catalog, sink facts). */
export type PlanContext = AnalysisContext;

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
