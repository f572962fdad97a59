import type { Column, TimestampColumn, WindowInfo } from '../catalog/data-source.js';
import type { FormatInfo } from '../serde/types.js';
import type { Expr } from '../sql/ast/expression.js';
import type { JoinType } from '../sql/ast/query.js';
import type { SqlType } from '../types/sql-type.js';

/**
 * The physical plan: a serialisable dataflow, shared by every runtime (the
 * in-memory driver and the Kafka driver). Expressions are kept as parsed AST
 * (plain data); a runtime types and compiles them against the step's input
 * schema when it builds operators.
 *
 * Row layout seen by expressions of a step: the input schema's key columns,
 * then its value columns, then the pseudo columns (see `pseudoColumns`).
 */
export interface StepSchema {
  readonly key: readonly SchemaColumn[];
  readonly value: readonly SchemaColumn[];
  /** set when records carry window bounds (windowed key) */
  readonly window: WindowInfo | null;
}

export interface SchemaColumn {
  readonly name: string;
  readonly type: SqlType;
  /** the source alias the column is reachable through (`L.A`), null after projection */
  readonly qualifier: string | null;
}

export type Step =
  | SourceStep
  | FilterStep
  | ProjectStep
  | FlatMapStep
  | RekeyStep
  | AggregateStep
  | JoinStep
  | SuppressStep
  | SinkStep;

export type StepKind = Step['kind'];

interface StepBase {
  /** unique within the topology, e.g. "KsqlTopic/Source", used for state store and internal topic names */
  readonly id: string;
  readonly schema: StepSchema;
}

export interface SourceStep extends StepBase {
  readonly kind: 'Source';
  readonly sourceName: string;
  readonly alias: string;
  readonly sourceType: 'STREAM' | 'TABLE';
  readonly topic: string;
  readonly keyFormat: FormatInfo;
  readonly valueFormat: FormatInfo;
  /** the columns as the topic holds them */
  readonly columns: readonly Column[];
  readonly timestamp: TimestampColumn | null;
  /** TABLE sources are materialized: a state store keyed by the key columns */
  readonly materialize: boolean;
}

export interface FilterStep extends StepBase {
  readonly kind: 'Filter';
  readonly input: Step;
  readonly predicate: Expr;
  /** WHERE or HAVING, for error messages */
  readonly clause: 'WHERE' | 'HAVING';
}

export interface ProjectStep extends StepBase {
  readonly kind: 'Project';
  readonly input: Step;
  /** one per output column (key columns first, as in `schema`) */
  readonly exprs: readonly Expr[];
}

export interface FlatMapStep extends StepBase {
  readonly kind: 'FlatMap';
  readonly input: Step;
  /** table function calls; their results are appended to the value columns */
  readonly calls: readonly Expr[];
}

/** PARTITION BY / the key change before a GROUP BY or a join: a repartition in a distributed runtime. */
export interface RekeyStep extends StepBase {
  readonly kind: 'Rekey';
  readonly input: Step;
  readonly keyExprs: readonly Expr[];
  /** true when the input is a stream whose records keep flowing as a stream (PARTITION BY) */
  readonly repartition: boolean;
}

export interface WindowSpec {
  readonly kind: 'TUMBLING' | 'HOPPING' | 'SESSION';
  readonly sizeMs: number;
  readonly advanceMs: number;
  readonly graceMs: number | null;
  readonly retentionMs: number | null;
}

export interface AggregateCall {
  readonly name: string;
  readonly args: readonly Expr[];
}

/** GROUP BY + aggregates. Output: key = group columns, value = non-aggregate columns carried + aggregate results. */
export interface AggregateStep extends StepBase {
  readonly kind: 'Aggregate';
  readonly input: Step;
  readonly inputType: 'STREAM' | 'TABLE';
  readonly groupBy: readonly Expr[];
  readonly aggregates: readonly AggregateCall[];
  readonly window: WindowSpec | null;
}

export interface JoinStep extends StepBase {
  readonly kind: 'Join';
  readonly joinType: JoinType;
  readonly variant: 'STREAM_STREAM' | 'STREAM_TABLE' | 'TABLE_TABLE' | 'FK_TABLE_TABLE';
  readonly left: Step;
  readonly right: Step;
  /** join key expressions over each side's row */
  readonly leftKey: Expr;
  readonly rightKey: Expr;
  readonly within: { readonly beforeMs: number; readonly afterMs: number; readonly graceMs: number | null } | null;
}

/** EMIT FINAL: hold windowed results until the window closes. */
export interface SuppressStep extends StepBase {
  readonly kind: 'Suppress';
  readonly input: Step;
}

export interface SinkStep extends StepBase {
  readonly kind: 'Sink';
  readonly input: Step;
  readonly sinkName: string;
  readonly topic: string;
  readonly keyFormat: FormatInfo;
  readonly valueFormat: FormatInfo;
  readonly sinkType: 'STREAM' | 'TABLE';
  readonly timestamp: TimestampColumn | null;
  /** value columns written as headers instead of value fields */
  readonly columns: readonly Column[];
}

export interface Topology {
  readonly queryId: string;
  readonly sink: SinkStep | null;
  /** the last step (the sink, or the projection of a transient query) */
  readonly root: Step;
}

export const PSEUDO_COLUMNS = ['ROWTIME', 'ROWPARTITION', 'ROWOFFSET', 'WINDOWSTART', 'WINDOWEND'] as const;
export type PseudoColumn = (typeof PSEUDO_COLUMNS)[number];

/** The steps a step reads from, left before right. */
export function stepInputs(step: Step): Step[] {
  switch (step.kind) {
    case 'Source':
      return [];
    case 'Join':
      return [step.left, step.right];
    case 'Filter':
    case 'Project':
    case 'FlatMap':
    case 'Rekey':
    case 'Aggregate':
    case 'Suppress':
    case 'Sink':
      return [step.input];
  }
}
