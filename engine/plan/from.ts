import type { ResolvedRelation } from '../analyzer/resolved-query.js';
import { sourceSchema } from '../analyzer/scope.js';
import type { DataSource } from '../catalog/data-source.js';
import type { JoinStep, SourceStep, Step } from '../topology/topology.js';

/**
 * The FROM clause's steps: a source, or a tree of joins. Step ids are
 * structural, as ksqlDB's query contexts: a source alone is KsqlTopic, the
 * sides of a join KafkaTopic_Left and KafkaTopic_Right, and a join on the
 * left of another takes the prefix L_ (with its sources).
 */
export function planRelation(rel: ResolvedRelation, sourceContext = 'KsqlTopic', joinPrefix = ''): Step {
  switch (rel.kind) {
    case 'Source':
      return sourceStep(rel.source, rel.alias, sourceContext);
    case 'Join':
      return planJoin(rel, joinPrefix);
  }
}

/** `context`: where the source sits in the query, as ksqlDB names it (KsqlTopic; KafkaTopic_Left / _Right in a join). */
export function sourceStep(src: DataSource, alias: string, context = 'KsqlTopic'): SourceStep {
  return {
    kind: 'Source',
    id: `${context}/Source`,
    sourceName: src.name,
    alias,
    sourceType: src.sourceType,
    topic: src.topic,
    keyFormat: src.keyFormat,
    valueFormat: src.valueFormat,
    columns: src.columns,
    timestamp: src.timestamp,
    materialize: src.sourceType === 'TABLE',
    schema: sourceSchema(src, alias),
  };
}

/** `prefix`: "" for the last join of the query, "L_" for the join on its left, and so on (ksqlDB's contexts). */
function planJoin(rel: Extract<ResolvedRelation, { kind: 'Join' }>, prefix: string): JoinStep {
  return {
    kind: 'Join',
    id: `${prefix}Join`,
    joinType: rel.joinType,
    variant: rel.variant,
    left: planRelation(rel.left, `${prefix}KafkaTopic_Left`, `L_${prefix}`),
    right: sourceStep(rel.right.source, rel.right.alias, `${prefix}KafkaTopic_Right`),
    leftKey: rel.leftKey,
    rightKey: rel.rightKey,
    within: rel.within,
    schema: rel.schema,
  };
}
