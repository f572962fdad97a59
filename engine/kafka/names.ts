import { internalTopicSuffix, topicSafe } from '../topology/internal-names.js';

/**
 * Every Kafka name the Kafka driver uses — consumer groups, internal topics,
 * transactional ids, the command and processing-log topics — built here and
 * nowhere else, following ksqlDB's naming so operators and tools that know
 * ksqlDB find them where they expect:
 *
 *   query app id / group   _confluent-ksql-<serviceId>query_<queryId>
 *   internal topic         <app id>-<storeName>-changelog | -repartition
 *   command topic          _confluent-ksql-<serviceId>_command_topic
 *   processing log         <serviceId>ksql_processing_log
 */

const PREFIX = '_confluent-ksql-';
const MAX_TOPIC_NAME = 249;

/** ksqlDB's default `ksql.service.id`. */
export const DEFAULT_SERVICE_ID = 'default_';

/** The Kafka Streams application id of a persistent query, which is also its consumer group id. */
export function queryApplicationId(serviceId: string, queryId: string): string {
  return `${PREFIX}${serviceId}query_${queryId}`;
}

export const queryGroupId = queryApplicationId;

/** Store and repartition names ("Aggregate/GroupBy") become topic-safe names ("Aggregate-GroupBy"). */
export { topicSafe };

function internalTopic(serviceId: string, queryId: string, name: string, kind: 'changelog' | 'repartition' | 'subscription'): string {
  const topic = `${queryApplicationId(serviceId, queryId)}-${internalTopicSuffix({ name, kind })}`;
  if (topic.length > MAX_TOPIC_NAME) throw new Error(`internal topic name longer than ${MAX_TOPIC_NAME} characters: ${topic}`);
  return topic;
}

/** The compacted topic a state store's writes go to, and that it is restored from. */
export function changelogTopic(serviceId: string, queryId: string, storeName: string): string {
  return internalTopic(serviceId, queryId, storeName, 'changelog');
}

/** The topic that moves records to the task owning their new key (GROUP BY, joins on a non-key). */
export function repartitionTopic(serviceId: string, queryId: string, stepId: string): string {
  return internalTopic(serviceId, queryId, stepId, 'repartition');
}

/** The topic a foreign-key join sends its right table's rows through to every task of its left table (not a repartition: no key moves). */
export function subscriptionTopic(serviceId: string, queryId: string, stepId: string): string {
  return internalTopic(serviceId, queryId, stepId, 'subscription');
}

/** One transactional id per task, stable across restarts, so a new instance of a task fences its zombie. */
export function taskTransactionalId(serviceId: string, queryId: string, partition: number): string {
  return `${queryApplicationId(serviceId, queryId)}-task-${partition}`;
}

/** The group a process uses to read changelogs while restoring a task's stores (never commits). */
export function restoreGroupId(serviceId: string, queryId: string, instance: string): string {
  return `${queryApplicationId(serviceId, queryId)}-restore-${instance}`;
}

export function commandTopic(serviceId: string): string {
  return `${PREFIX}${serviceId}_command_topic`;
}

/** Each process reads the whole command topic; its group only carries it (nothing is committed). */
export function commandRunnerGroupId(serviceId: string, instance: string): string {
  return `${PREFIX}${serviceId}command_runner_${instance}`;
}

export function processingLogTopic(serviceId: string): string {
  return `${serviceId}ksql_processing_log`;
}

/** Whether a topic belongs to the internals of a service's queries (hidden from SHOW TOPICS). */
export function isInternalTopic(serviceId: string, topic: string): boolean {
  return topic.startsWith(`${PREFIX}${serviceId}`);
}
