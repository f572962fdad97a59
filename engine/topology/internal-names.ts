import { carriesOld, isTableStep } from './table-steps.js';
import type { AggregateStep, FilterStep, JoinStep, SourceStep, Step } from './topology.js';
import { stepInputs } from './topology.js';

/**
 * The names of a query's state stores and internal topics, declared by the
 * plan so that every runtime uses the same ones and none has to discover
 * them by building the topology.
 *
 * Names are structural, in the style of ksqlDB's QueryContext: a step's id
 * says where it sits in the query ("KsqlTopic/Source", "Aggregate/Aggregate",
 * "KafkaTopic_Right/Source", "L_Join" for the left join of an n-way join),
 * never how many steps the planner made before it. A store or repartition
 * name derives from its step's id, and a Kafka runtime builds the topics
 * from them as ksqlDB does:
 *
 *   <app id>-Aggregate-GroupBy-repartition
 *   <app id>-Aggregate-Aggregate-Materialize-changelog
 *   <app id>-KafkaTopic_Right-Reduce-changelog
 *   <app id>-Join-left-repartition, <app id>-Join-repartition (stream-table)
 *
 * So a change in how the planner works that leaves a query's meaning alone
 * renames nothing, and `CREATE OR REPLACE` with a compatible query finds its
 * stores and changelogs again.
 */

/** What a store holds for its step (an operator asks for its store by role). */
export type StoreRole =
  /** a materialized table source's rows */
  | 'table'
  /** an aggregation's state (per group, per window, or per session) */
  | 'aggregate'
  /** a table filter's record of which keys passed (when its input carries no previous values) */
  | 'present'
  /** EMIT FINAL: results held until their window closes */
  | 'buffer'
  /** a join's left and right sides (buffers of a stream-stream join, the joined tables otherwise) */
  | 'left'
  | 'right'
  /** a foreign-key join's index from foreign key to left keys */
  | 'fkIndex';

export type StoreKind = 'keyValue' | 'window';

export interface StoreDecl {
  readonly name: string;
  readonly kind: StoreKind;
  readonly role: StoreRole;
  readonly stepId: string;
}

export interface InternalTopicDecl {
  /** the store or repartition name; the topic is `<app id>-<name with / as ->-<kind>` */
  readonly name: string;
  readonly kind: 'changelog' | 'repartition' | 'subscription';
  readonly stepId: string;
}

/** A name made safe for a Kafka topic: "Aggregate/GroupBy" → "Aggregate-GroupBy". */
export function topicSafe(name: string): string {
  return name.replace(/[^a-zA-Z0-9._-]/g, '-');
}

/** What follows the query's application id in an internal topic's name: "Aggregate-GroupBy-repartition". */
export function internalTopicSuffix(t: Pick<InternalTopicDecl, 'name' | 'kind'>): string {
  return `${topicSafe(t.name)}-${t.kind}`;
}

/** A step id's context: "Aggregate/Aggregate" → "Aggregate", "KafkaTopic_Right/Source" → "KafkaTopic_Right". */
function contextOf(id: string): string {
  const i = id.lastIndexOf('/');
  return i < 0 ? id : id.slice(0, i);
}

/** The name of the store a step keeps for a role (see `stepStores` for the stores each step has). */
export function storeName(step: Step, role: StoreRole): string {
  switch (step.kind) {
    case 'Source':
      return `${contextOf(step.id)}/Reduce`;
    case 'Aggregate':
      return `${step.id}/Materialize`;
    case 'Filter':
      return `${step.id}/Present`;
    case 'Suppress':
      // Kafka Streams' name for the buffer of a named suppression
      return `${step.id}-store`;
    case 'Join':
      return joinStoreName(step, role);
    case 'Project':
    case 'FlatMap':
    case 'Rekey':
    case 'Sink':
      throw new Error(`${step.kind} step ${step.id} keeps no state`);
  }
}

function joinStoreName(step: JoinStep, role: StoreRole): string {
  if (step.variant === 'STREAM_STREAM') {
    // Kafka Streams' names for the window stores of a stream-stream join named by its step
    const leftOuter = step.joinType === 'LEFT' || step.joinType === 'FULL';
    const rightOuter = step.joinType === 'RIGHT' || step.joinType === 'FULL';
    if (role === 'left') return `${step.id}${rightOuter ? '-outer' : ''}-this-join-store`;
    if (role === 'right') return `${step.id}${leftOuter ? '-outer' : ''}-other-join-store`;
  }
  switch (role) {
    case 'left':
      return `${step.id}/Left`;
    case 'right':
      return `${step.id}/Right`;
    case 'fkIndex':
      return `${step.id}/ForeignKeyIndex`;
    default:
      throw new Error(`join step ${step.id} has no ${role} store`);
  }
}

/** The state stores a step's operator keeps, in the order it opens them. */
export function stepStores(step: Step): StoreDecl[] {
  const decl = (role: StoreRole, kind: StoreKind = 'keyValue'): StoreDecl => ({ name: storeName(step, role), kind, role, stepId: step.id });
  switch (step.kind) {
    case 'Source':
      return step.materialize ? [decl('table')] : [];
    case 'Aggregate':
      return [decl('aggregate', aggregateStoreKind(step))];
    case 'Filter':
      return filterKeepsPresence(step) ? [decl('present')] : [];
    case 'Suppress':
      return [decl('buffer')];
    case 'Join':
      return joinStoreRoles(step).map((role) => decl(role));
    case 'Project':
    case 'FlatMap':
    case 'Rekey':
    case 'Sink':
      return [];
  }
}

/**
 * A stream-stream join buffers both sides. A stream-table join reads its
 * table, and a table-table join each table, from the table's own store (see
 * `joinReadsTable`), as Kafka Streams' KTableValueGetter: a table is stored
 * once. A table side that is not a materialized source seen through
 * filters and projections (an aggregation's or a join's result) is kept by
 * the join, as is every side of a foreign-key join (with its index).
 */
function joinStoreRoles(step: JoinStep): StoreRole[] {
  switch (step.variant) {
    case 'STREAM_STREAM':
      return ['left', 'right'];
    case 'TABLE_TABLE':
      return (['left', 'right'] as const).filter((side) => !joinReadsTable(step, side));
    case 'STREAM_TABLE':
      return joinReadsTable(step, 'right') ? [] : ['right'];
    case 'FK_TABLE_TABLE':
      return ['left', 'right', 'fkIndex'];
  }
}

/**
 * Whether a join reads a table side from the table source's store (a value
 * getter: the stored row through the filters and projections between the
 * source and the join) instead of keeping a copy: a stream-table join's
 * table, and either side of a primary-key table-table join, when that side
 * is a materialized, unwindowed table source joined on its key.
 */
export function joinReadsTable(step: JoinStep, side: 'left' | 'right'): boolean {
  if (step.variant !== 'TABLE_TABLE' && !(step.variant === 'STREAM_TABLE' && side === 'right')) return false;
  const input = side === 'left' ? step.left : step.right;
  const keyExpr = side === 'left' ? step.leftKey : step.rightKey;
  const keyCols = input.schema.key;
  if (keyCols.length !== 1 || keyExpr.kind !== 'ColumnRef' || keyExpr.name !== keyCols[0]!.name) return false;
  return tableSourceOf(input) !== null;
}

/**
 * The materialized table source whose store holds a table step's rows (the
 * step is the source, or filters and projections over it that keep its key
 * and no state of their own); null for any other step.
 */
export function tableSourceOf(step: Step): SourceStep | null {
  switch (step.kind) {
    case 'Source':
      return step.sourceType === 'TABLE' && step.materialize && step.schema.window === null ? step : null;
    case 'Filter':
      return isTableStep(step) && !filterKeepsPresence(step) ? tableSourceOf(step.input) : null;
    case 'Project':
      return step.schema.key.length === step.input.schema.key.length ? tableSourceOf(step.input) : null;
    case 'FlatMap':
    case 'Rekey':
    case 'Suppress':
    case 'Sink':
    case 'Aggregate':
    case 'Join':
      return null;
  }
}

/** A time-windowed aggregation keeps a window store; others (and sessions) a key-value store. */
export function aggregateStoreKind(step: AggregateStep): StoreKind {
  return step.window !== null && step.window.kind !== 'SESSION' ? 'window' : 'keyValue';
}

/** A table filter remembers which keys passed when its input does not send previous values (see filterOperator). */
export function filterKeepsPresence(step: FilterStep): boolean {
  return isTableStep(step) && !carriesOld(step.input);
}

// ------------------------------------------------------------------ repartitions

export type RepartitionSide = 'input' | 'left' | 'right';

export interface RepartitionDecl {
  readonly name: string;
  readonly stepId: string;
  /** which input of the step the repartition feeds */
  readonly side: RepartitionSide;
  /**
   * 'key': each record goes to the partition of its new key (a repartition topic);
   * 'broadcast': every record goes to every partition (a foreign-key join's right
   * table, through a subscription topic).
   */
  readonly routing: 'key' | 'broadcast';
}

/**
 * The repartitions a distributed runtime puts before a step: before an
 * aggregation (records move to the task of their group), and on a stream side
 * of a join joined on something else than its key.
 */
export function stepRepartitions(step: Step): RepartitionDecl[] {
  switch (step.kind) {
    case 'Aggregate':
      return needsGroupByRepartition(step) ? [{ name: `${contextOf(step.id)}/GroupBy`, stepId: step.id, side: 'input', routing: 'key' }] : [];
    case 'Join': {
      // the right table goes to every task of the left table (see broadcastRouter in the Kafka runtime)
      if (step.variant === 'FK_TABLE_TABLE') return [{ name: `${step.id}/Right`, stepId: step.id, side: 'right', routing: 'broadcast' }];
      const cuts = (['left', 'right'] as const).filter((s) => needsJoinRepartition(step, s));
      return cuts.map((side) => ({ name: joinRepartitionName(step, side), stepId: step.id, side, routing: 'key' as const }));
    }
    case 'Source':
    case 'Filter':
    case 'Project':
    case 'FlatMap':
    case 'Rekey':
    case 'Suppress':
    case 'Sink':
      return [];
  }
}

/** ksqlDB's names: "Join-left" / "Join-right" for a stream-stream join, "Join" for the stream side of a stream-table join. */
function joinRepartitionName(step: JoinStep, side: 'left' | 'right'): string {
  return step.variant === 'STREAM_STREAM' ? `${step.id}/${side}` : step.id;
}

/** The repartition feeding a step's input (the aggregation's, or a join side's); undefined when there is none. */
export function repartitionOf(step: Step, side: RepartitionSide): RepartitionDecl | undefined {
  return stepRepartitions(step).find((r) => r.side === side);
}

/**
 * A stream grouped by exactly its key columns is grouped where it is (Kafka
 * Streams' groupByKey, as ksqlDB plans it): its records already sit in the
 * partition of their group. Anything else, and every table, is repartitioned.
 */
export function needsGroupByRepartition(step: AggregateStep): boolean {
  if (step.inputType === 'TABLE' || hasRekey(step.input)) return true;
  const keyCols = step.input.schema.key;
  if (keyCols.length === 0 || keyCols.length !== step.groupBy.length) return true;
  return !step.groupBy.every((g, i) => g.kind === 'ColumnRef' && g.name === keyCols[i]!.name);
}

/** A stream side joined on something else than its key is repartitioned by the join key (tables always join on their key). */
export function needsJoinRepartition(step: JoinStep, side: 'left' | 'right'): boolean {
  const input = side === 'left' ? step.left : step.right;
  const keyExpr = side === 'left' ? step.leftKey : step.rightKey;
  if (step.variant === 'FK_TABLE_TABLE') return false;
  if (input.kind === 'Join') return false;
  if (isTableStep(input)) return false;
  const keyCols = input.schema.key;
  if (keyCols.length === 1 && keyExpr.kind === 'ColumnRef' && keyExpr.name === keyCols[0]!.name && !hasRekey(input)) return false;
  return true;
}

function hasRekey(step: Step): boolean {
  switch (step.kind) {
    case 'Rekey':
      return true;
    case 'Filter':
    case 'Project':
    case 'FlatMap':
    case 'Suppress':
    case 'Sink':
      return hasRekey(step.input);
    case 'Source':
    case 'Aggregate':
    case 'Join':
      return false;
  }
}

// ------------------------------------------------------------------ the whole query

/** Every step of a topology, inputs before the steps reading them, left before right. */
export function topologySteps(root: Step): Step[] {
  const out: Step[] = [];
  const visit = (s: Step): void => {
    for (const i of stepInputs(s)) visit(i);
    if (!out.includes(s)) out.push(s);
  };
  visit(root);
  return out;
}

/** The state stores of a query, in topology order. */
export function queryStores(root: Step): StoreDecl[] {
  const stores = topologySteps(root).flatMap(stepStores);
  const seen = new Set<string>();
  for (const s of stores) {
    if (seen.has(s.name)) throw new Error(`two state stores named ${s.name}`);
    seen.add(s.name);
  }
  return stores;
}

/** The internal topics of a query: its repartitions, then the changelog of each state store. */
export function internalTopics(root: Step): InternalTopicDecl[] {
  const steps = topologySteps(root);
  return [
    ...steps.flatMap(stepRepartitions).map((r) => ({ name: r.name, kind: r.routing === 'broadcast' ? ('subscription' as const) : ('repartition' as const), stepId: r.stepId })),
    ...queryStores(root).map((s) => ({ name: s.name, kind: 'changelog' as const, stepId: s.stepId })),
  ];
}
