/**
 * KsqlQuery: SQL statements (DDL plus CSAS/CTAS/INSERT INTO) run on a
 * KsqlCluster — spec, status and the CRD facts the generator needs. Data only.
 */
import { z } from 'zod';
import { API_VERSION, LocalObjectReference, ObjectMeta, type CrdInfo } from './common.js';
import { CommonConditionType, Conditions } from './conditions.js';

export const KSQL_QUERY_KIND = 'KsqlQuery';

export const QueryState = z.enum(['Running', 'Paused']);
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
export const UpgradePolicy = z.enum(['ReplaceInPlace', 'Recreate', 'Refuse']);
export type UpgradePolicy = z.infer<typeof UpgradePolicy>;

/** What happens to the sink topics when the KsqlQuery is deleted (queries are always terminated). */
export const DeletionPolicy = z.enum(['Keep', 'Delete']);
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
export const PersistentQueryState = z.enum(['Pending', 'Running', 'Paused', 'Error', 'Unresponsive', 'Unknown']);
export type PersistentQueryState = z.infer<typeof PersistentQueryState>;

export const QueryStatus = z
  .object({
    id: z.string(),
    state: PersistentQueryState,
    sinks: z.array(z.string()).optional(),
    error: z.string().optional(),
  })
  .strict();
export type QueryStatus = z.infer<typeof QueryStatus>;

/** A SQL or engine error, with its 1-based position in `spec.sql` when it has one. */
export const SqlError = z
  .object({
    message: z.string(),
    reason: z.string().optional(),
    line: z.number().int().min(1).optional(),
    column: z.number().int().min(1).optional(),
    time: z.string().datetime({ offset: true }).optional(),
  })
  .strict();
export type SqlError = z.infer<typeof SqlError>;

/** Figures fetched from the engine's metrics; rates per second. */
export const QueryStats = z
  .object({
    messagesInPerSecond: z.number().min(0).optional(),
    messagesOutPerSecond: z.number().min(0).optional(),
    processingErrors: z.number().int().min(0).optional(),
    consumerLag: z.number().int().min(0).optional(),
    observedAt: z.string().datetime({ offset: true }).optional(),
  })
  .strict();
export type QueryStats = z.infer<typeof QueryStats>;

/** What the queries do, as observed (the STATE column): the engine's state, Stalled when records wait and none are consumed. */
export const ObservedQueryState = z.enum(['Pending', 'Running', 'Paused', 'Stalled', 'Error']);
export type ObservedQueryState = z.infer<typeof ObservedQueryState>;

export const KsqlQueryStatus = z
  .object({
    state: ObservedQueryState.optional(),
    observedGeneration: z.number().int().min(0).optional(),
    conditions: Conditions.optional(),
    queries: z.array(QueryStatus).optional(),
    sinkTopics: z.array(z.string()).optional(),
    lastError: SqlError.optional(),
    lastAppliedSql: z.string().optional(),
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
