import type { DataSource, WindowInfo } from '../catalog/data-source.js';
import type { FunctionRegistry } from '../functions/types.js';
import type { Expr, FunctionCall } from '../sql/ast/expression.js';
import type { Query } from '../sql/ast/query.js';
import type { JoinStep, StepSchema, WindowSpec } from '../topology/topology.js';
import type { SqlType } from '../types/sql-type.js';

/**
 * What the analyzer reads: the catalog (sources, functions, partition counts)
 * and what the statement around the query tells (its sink, for messages and
 * INSERT INTO's implicit casts).
 */
export interface AnalysisContext {
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

/** A source of the FROM clause, read under its alias. */
export interface ResolvedSource {
  readonly kind: 'Source';
  readonly source: DataSource;
  readonly alias: string;
  /** its key and value columns, qualified by the alias */
  readonly schema: StepSchema;
}

export type ResolvedJoinVariant = JoinStep['variant'];

/** A join of the FROM clause: the left side (a source or a join) and the right source. */
export interface ResolvedJoin {
  readonly kind: 'Join';
  readonly joinType: JoinStep['joinType'];
  readonly variant: ResolvedJoinVariant;
  readonly left: ResolvedRelation;
  readonly right: ResolvedSource;
  /** the criteria's sides, qualified, each over its own side's row */
  readonly leftKey: Expr;
  readonly rightKey: Expr;
  readonly within: JoinStep['within'];
  /** the joined row: the join key, then each side's columns (pseudo columns included) */
  readonly schema: StepSchema;
}

export type ResolvedRelation = ResolvedSource | ResolvedJoin;

/** The FROM clause analysed: its relation tree and the facts of its rows and key. */
export interface ResolvedFrom {
  readonly relation: ResolvedRelation;
  /** the relation's row (= relation.schema) */
  readonly schema: StepSchema;
  readonly sourceType: 'STREAM' | 'TABLE';
  readonly sources: readonly { readonly alias: string; readonly source: DataSource }[];
  /** expressions (qualified) that evaluate to the current key, per key column */
  readonly keyEquivalents: readonly (readonly Expr[])[];
  readonly pseudoQualifier: string | null;
  readonly isJoin: boolean;
  /** the left table of a foreign-key join (its primary key is the result's key) */
  readonly fkLeft: string | null;
  /** the synthetic key column of a join keyed by neither side's column (ROWKEY, or ROWKEY_n when a source has it) */
  readonly syntheticKey: string | null;
  /** joins that read both sides as partitioned (no repartition): left-most source of the left side, and the right source */
  readonly copartitioned: readonly (readonly [DataSource, DataSource])[];
}

/** Table functions of the select list: each call's result is the value column KSQL_SYNTH_n. */
export interface ResolvedTableFunctions {
  readonly calls: readonly FunctionCall[];
  /** the rows after the flat-map: the input's columns and one KSQL_SYNTH_n per call */
  readonly schema: StepSchema;
}

/**
 * GROUP BY and the aggregate calls (ksqlDB's aggregate rewrite): the grouping
 * expressions become key columns KSQL_GROUP_n, the calls value columns
 * KSQL_AGG_VARIABLE_n; the select list and HAVING are rewritten over them.
 */
export interface ResolvedAggregation {
  readonly inputType: 'STREAM' | 'TABLE';
  /** grouping expressions, qualified, over the aggregation's input */
  readonly groupBy: readonly Expr[];
  readonly calls: readonly FunctionCall[];
  readonly window: WindowSpec | null;
  /** KSQL_GROUP_n keys, KSQL_AGG_VARIABLE_n values, typed */
  readonly schema: StepSchema;
  /** EMIT FINAL over a window: results are held until their window closes */
  readonly suppressed: boolean;
  /** HAVING over the aggregation's output */
  readonly having: Expr | null;
}

/** PARTITION BY: the rows re-keyed by expressions (none: keyless, for PARTITION BY NULL). */
export interface ResolvedPartitionBy {
  readonly keyExprs: readonly Expr[];
  readonly schema: StepSchema;
}

/** One column of a transient query's result. `key` marks columns ksqlDB labels `KEY` in pull-query schemas. */
export interface TransientColumn {
  readonly name: string;
  readonly type: SqlType;
  readonly key: boolean;
}

/** The select list over the rows before it: one expression per value column. */
export interface ResolvedProjection {
  readonly exprs: readonly Expr[];
  readonly schema: StepSchema;
  /** transient queries: the result's columns as clients see them (keys included), and per column the key or window bound it copies (tombstones) */
  readonly transient: {
    readonly columns: readonly TransientColumn[];
    readonly keyIndex: readonly (number | 'WINDOWSTART' | 'WINDOWEND' | null)[];
  } | null;
}

/**
 * A query as the analyzer resolves it: each clause checked against ksqlDB's
 * rules, column references qualified, expressions typed, with the rows each
 * construct produces. The planner (plan/) turns it into steps and decides
 * nothing itself.
 */
export interface ResolvedQuery {
  readonly query: Query;
  readonly from: ResolvedFrom;
  /** WHERE, qualified, over the FROM clause's rows */
  readonly where: Expr | null;
  readonly tableFunctions: ResolvedTableFunctions | null;
  readonly aggregation: ResolvedAggregation | null;
  readonly partitionBy: ResolvedPartitionBy | null;
  readonly projection: ResolvedProjection;
  readonly resultType: 'STREAM' | 'TABLE';
  readonly window: WindowInfo | null;
}
