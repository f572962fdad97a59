/**
 * What a service id owns on Kafka, and deleting it: the command topic, the
 * processing-log topic, every query's internal topics (changelogs,
 * repartition and subscription topics) and every consumer group (queries',
 * restores', command runners'). The operator runs it after a KsqlCluster with
 * `deletionPolicy: Delete` went (its engines stopped, so no group has
 * members). Sink topics are not the service's: they are left alone.
 */
import { kafkajsPort, type KafkajsPortOptions } from './kafkajs-port.js';
import * as names from './names.js';
import type { KafkaPort } from './port.js';

/** The topics and groups of `serviceId` among those listed (names per engine/kafka/names.ts). Pure. */
export function serviceOwned(serviceId: string, topics: readonly string[], groups: readonly string[]): { topics: string[]; groups: string[] } {
  const base = names.queryApplicationId(serviceId, '').replace(/query_$/, '');
  // after the prefix comes what names.ts puts there, so that service "a_" does not take service "a_b_"'s names
  const owned = (n: string) => n.startsWith(base) && /^(query_|_command_topic$|command_runner_)/.test(n.slice(base.length));
  return {
    topics: topics.filter((t) => owned(t) || t === names.commandTopic(serviceId) || t === names.processingLogTopic(serviceId)).sort(),
    groups: groups.filter(owned).sort(),
  };
}

export interface ServiceCleanup {
  readonly topics: readonly string[];
  readonly groups: readonly string[];
  /** groups that still had members (an engine still running) and were not deleted */
  readonly nonEmpty: readonly string[];
}

/** Deletes what `serviceId` owns on the Kafka of `port`. */
export async function deleteServiceResources(port: KafkaPort, serviceId: string): Promise<ServiceCleanup> {
  const admin = port.admin;
  const owned = serviceOwned(serviceId, await admin.listTopics(), admin.listGroups ? await admin.listGroups() : []);
  const { nonEmpty } = admin.deleteGroups ? await admin.deleteGroups(owned.groups) : { nonEmpty: [] };
  if (owned.topics.length > 0) await admin.deleteTopics(owned.topics);
  return { topics: owned.topics, groups: owned.groups.filter((g) => !nonEmpty.includes(g)), nonEmpty };
}

/** The same, connecting with `connection` (bootstrap servers, TLS, SASL) and closing after. */
export async function deleteServiceFromKafka(connection: KafkajsPortOptions, serviceId: string): Promise<ServiceCleanup> {
  const port = kafkajsPort({ clientId: `ksetl-cleanup-${serviceId}`, logLevel: 'nothing', ...connection });
  try {
    return await deleteServiceResources(port, serviceId);
  } finally {
    await port.close();
  }
}
