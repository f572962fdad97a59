/**
 * KsqlQuery: SQL statements (DDL plus CSAS/CTAS/INSERT INTO) run on a
 * KsqlCluster — spec, status and the CRD facts the generator needs. Data only.
 */
import { z } from 'zod';
import { API_VERSION, LocalObjectReference, ObjectMeta, type CrdInfo } from './common.js';
import { CommonConditionType, Conditions } from './conditions.js';

export const KSQL_QUERY_KIND = 'KsqlQuery';

export const QueryState = z.enum(['Running', 'Paused']).describe('Running: the queries run. Paused: they are paused (PAUSE) and keep their state and position; Running again resumes them');
export type QueryState = z.infer<typeof QueryState>;

/**
 * What happens when `spec.sql` changes under a running query.
 * - `ReplaceInPlace`: `CREATE OR REPLACE` when ksqlDB would allow it (same
 *   sink, compatible schema, no change to joins/grouping); otherwise the
 *   query stays on its old SQL and reports `Degraded` (`UpgradeNotInPlace`).
 * - `Recreate`: terminate the old queries, drop their streams/tables (the
 *   topics stay), create the new ones.
 * - `Refuse`: any SQL change is rejected (`Degraded`, `SqlChangeRefused`);
 *   the SQL that runs is `status.lastAppliedSql`.
 */
export const UpgradePolicy = z
  .enum(['ReplaceInPlace', 'Recreate', 'Refuse'])
  .describe(
    'What happens when spec.sql changes under running queries. ReplaceInPlace: CREATE OR REPLACE when the change is compatible (same sink, compatible schema, same joins and grouping), else the old SQL keeps running and Degraded=True (UpgradeNotInPlace). Recreate: the old queries are terminated and their streams/tables dropped (topics stay), then the new ones created. Refuse: any change is refused (Degraded=True, SqlChangeRefused); status.lastAppliedSql keeps running. An upgrade that fails (a statement the engine refuses, or a new query in ERROR before the KsqlQuery was Ready on it) is then handled by spec.onUpgradeFailure: Halt leaves it as it is, Rollback goes back to status.lastStableSpec',
  );
export type UpgradePolicy = z.infer<typeof UpgradePolicy>;

/**
 * What happens when an upgrade of `spec.sql` fails: a statement the engine
 * refuses while it is applied, or a new query in ERROR before the KsqlQuery
 * was Ready on the new SQL.
 * - `Halt`: nothing more is done; `Degraded=True` says why, and the upgrade
 *   is tried again on the next poll.
 * - `Rollback`: the SQL of `status.lastStableSpec` (the last that ran
 *   Ready) is applied again, in place when the upgrade was in place and the
 *   engine takes it, else by terminating and recreating; `Degraded=True` with reason
 *   `UpgradeRolledBack` and an event; `status.rollback` records the
 *   generation, which is not tried again (any edit of the spec is).
 */
export const UpgradeFailurePolicy = z
  .enum(['Halt', 'Rollback'])
  .describe(
    "What happens when an upgrade of spec.sql fails (a statement the engine refuses while it is applied, or a new query in ERROR before the KsqlQuery was Ready on the new SQL). Halt: nothing more is done, Degraded=True says why and the upgrade is tried again on the next poll. Rollback: the SQL of status.lastStableSpec (the last that ran Ready) is applied again, in place when the upgrade was in place and the engine takes it, else by terminating and recreating the queries; Degraded=True with reason UpgradeRolledBack and an event; status.rollback records the failed generation, which is not tried again until the spec changes",
  );
export type UpgradeFailurePolicy = z.infer<typeof UpgradeFailurePolicy>;

/** What happens to the sink topics when the KsqlQuery is deleted (queries are always terminated). */
export const DeletionPolicy = z
  .enum(['Keep', 'Delete'])
  .describe('What deleting the KsqlQuery does to its sink topics: Keep leaves them, Delete deletes them. Its queries are always terminated, and their consumer groups and internal topics deleted');
export type DeletionPolicy = z.infer<typeof DeletionPolicy>;

export const KsqlQuerySpec = z
  .object({
    clusterRef: LocalObjectReference.describe('The KsqlCluster in this namespace that runs the queries; immutable'),
    sql: z
      .string()
      .min(1)
      .max(262144)
      .describe('One or more statements: CREATE STREAM/TABLE, CREATE ... AS SELECT, INSERT INTO'),
    properties: z.record(z.string()).optional().describe('Query properties (streamsProperties), e.g. auto.offset.reset'),
    state: QueryState.default('Running'),
    upgradePolicy: UpgradePolicy.default('ReplaceInPlace'),
    onUpgradeFailure: UpgradeFailurePolicy.default('Halt'),
    deletionPolicy: DeletionPolicy.default('Keep'),
    progressDeadlineSeconds: z
      .number()
      .int()
      .min(10)
      .max(86400)
      .default(300)
      .describe('How long records may wait on the source topics with none consumed before the query is Stalled (condition Stalled=True, an event, STATE Stalled, and the KsqlQueryStalled alert)'),
  })
  .strict();
export type KsqlQuerySpec = z.infer<typeof KsqlQuerySpec>;
export type KsqlQuerySpecInput = z.input<typeof KsqlQuerySpec>;

/** The engine's state of one persistent query, as the operator reports it. */
export const PersistentQueryState = z.enum(['Pending', 'Running', 'Paused', 'Error', 'Unresponsive', 'Unknown']).describe("The engine's state of the query (SHOW QUERIES)");
export type PersistentQueryState = z.infer<typeof PersistentQueryState>;

export const QueryStatus = z
  .object({
    id: z.string().describe('The query id on the engine (e.g. CTAS_ORDERS_PER_CUSTOMER_3)'),
    state: PersistentQueryState,
    sinks: z.array(z.string()).optional().describe('The streams/tables the query writes'),
    error: z.string().optional().describe('The last error the engine reports for the query (EXPLAIN queryErrors)'),
  })
  .strict()
  .describe('One persistent query of the KsqlQuery, as its engine reports it');
export type QueryStatus = z.infer<typeof QueryStatus>;

/** A SQL or engine error, with its 1-based position in `spec.sql` when it has one. */
export const SqlError = z
  .object({
    message: z.string().describe('The error, as the engine words it'),
    reason: z.string().optional().describe('A PascalCase reason (SqlSyntaxError, SqlReferenceNotFound, TopicNotAllowed, EngineRejected, ...)'),
    line: z.number().int().min(1).optional().describe('1-based line in spec.sql'),
    column: z.number().int().min(1).optional().describe('1-based column in spec.sql'),
    time: z.string().datetime({ offset: true }).optional().describe('When it was seen'),
  })
  .strict()
  .describe('The last SQL or engine error, with its position in spec.sql when it has one');
export type SqlError = z.infer<typeof SqlError>;

/** Figures fetched from the engine's metrics; rates per second. */
export const QueryStats = z
  .object({
    messagesInPerSecond: z.number().min(0).optional().describe('Records read from the source topics per second, over the last 30 s or more'),
    messagesOutPerSecond: z.number().min(0).optional().describe('Records written to the sink topics per second, over the last 30 s or more'),
    processingErrors: z.number().int().min(0).optional().describe('Records the queries could not process since their engines started (see the processing log)'),
    consumerLag: z.number().int().min(0).optional().describe('Records waiting on the source topics'),
    observedAt: z.string().datetime({ offset: true }).optional().describe('When these figures were read; written on a meaningful change, or at most every 30 s'),
  })
  .strict()
  .describe("Figures from the engines' metrics");
export type QueryStats = z.infer<typeof QueryStats>;

/** What the queries do, as observed (the STATE column): the engine's state, Stalled when records wait and none are consumed. */
export const ObservedQueryState = z.enum(['Pending', 'Running', 'Paused', 'Stalled', 'Error']);
export type ObservedQueryState = z.infer<typeof ObservedQueryState>;

/** The spec that last ran Ready: what a failed upgrade rolls back to. */
export const StableSpec = z
  .object({
    sql: z.string().describe('spec.sql as it was when the KsqlQuery was last Ready on it'),
    properties: z.record(z.string()).optional().describe('spec.properties as they were then'),
    generation: z.number().int().min(0).optional().describe('The generation it was Ready at'),
  })
  .strict()
  .describe('The spec that last ran Ready (sql and properties): what an upgrade that fails goes back to under onUpgradeFailure: Rollback');
export type StableSpec = z.infer<typeof StableSpec>;

/** A failed upgrade that was rolled back. */
export const Rollback = z
  .object({
    generation: z.number().int().min(0).describe('The generation whose spec.sql failed; it is not tried again until the spec changes'),
    reason: z.string().describe('Why it failed, PascalCase (EngineRejected, QueryError)'),
    message: z.string().describe('What failed, as the engine said it'),
    time: z.string().datetime({ offset: true }).optional().describe('When it was rolled back'),
  })
  .strict()
  .describe('The last upgrade that failed and was rolled back to lastStableSpec (onUpgradeFailure: Rollback)');
export type Rollback = z.infer<typeof Rollback>;

export const KsqlQueryStatus = z
  .object({
    state: ObservedQueryState.optional().describe('What the queries do, as observed: Pending, Running, Paused, Stalled (records wait and none is consumed for progressDeadlineSeconds) or Error (the STATE column)'),
    observedGeneration: z.number().int().min(0).optional().describe('The generation this status is about'),
    conditions: Conditions.optional().describe('Ready, SqlValid, Degraded, Stalled'),
    queries: z.array(QueryStatus).optional().describe('The persistent queries the SQL runs on the cluster'),
    sinkTopics: z.array(z.string()).optional().describe('The Kafka topics the queries write'),
    lastError: SqlError.optional(),
    lastAppliedSql: z.string().optional().describe('The SQL that runs (what the upgrade policy diffs spec.sql against)'),
    lastStableSpec: StableSpec.optional(),
    rollback: Rollback.optional(),
    stats: QueryStats.optional(),
  })
  .strict();
export type KsqlQueryStatus = z.infer<typeof KsqlQueryStatus>;

export const KsqlQuery = z
  .object({
    apiVersion: z.literal(API_VERSION),
    kind: z.literal(KSQL_QUERY_KIND),
    metadata: ObjectMeta,
    spec: KsqlQuerySpec,
    status: KsqlQueryStatus.optional(),
  })
  .strict();
export type KsqlQuery = z.infer<typeof KsqlQuery>;
export type KsqlQueryInput = z.input<typeof KsqlQuery>;

export const KsqlQueryConditionType = { ...CommonConditionType, SqlValid: 'SqlValid', Stalled: 'Stalled' } as const;

export const KSQL_QUERY_CRD: CrdInfo = {
  kind: KSQL_QUERY_KIND,
  plural: 'ksqlqueries',
  singular: 'ksqlquery',
  shortNames: ['kq'],
  categories: ['ksetl'],
  printerColumns: [
    { name: 'Cluster', type: 'string', jsonPath: '.spec.clusterRef.name' },
    { name: 'State', type: 'string', jsonPath: '.status.state' },
    { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
    { name: 'SqlValid', type: 'string', jsonPath: '.status.conditions[?(@.type=="SqlValid")].status' },
    { name: 'Queries', type: 'string', jsonPath: '.status.queries[*].id', priority: 1 },
    { name: 'Error', type: 'string', jsonPath: '.status.lastError.message', priority: 1 },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
  listMapKeys: { 'status.conditions': ['type'], 'status.queries': ['id'] },
  validations: {
    spec: [
      {
        rule: 'self.clusterRef == oldSelf.clusterRef',
        message: 'clusterRef is immutable: delete the KsqlQuery and create it on the other cluster',
        fieldPath: '.clusterRef',
      },
    ],
  },
};
