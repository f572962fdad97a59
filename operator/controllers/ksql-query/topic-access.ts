/**
 * Team isolation on a shared Kafka: whether a KsqlQuery's statements read
 * and write only the topics its cluster's `spec.topics` allows. The topics
 * come from the engine's dry run (what each statement really reads and
 * writes, sink names defaulted by the engine included). Pure.
 */
import type { TopicAccess } from '../../api/ksql-cluster.js';
import type { TopicUse } from './validate.js';

export interface TopicViolation {
  readonly topic: string;
  readonly access: 'read' | 'write';
}

/**
 * The topics outside `access` (none without `access`). Readable: the read and
 * write prefixes, and `own` (the cluster's own topics, e.g. its processing
 * log). Writable: the write prefixes.
 */
export function topicViolations(use: TopicUse, access: TopicAccess | undefined, own: readonly string[] = []): TopicViolation[] {
  if (!access) return [];
  const write = access.write;
  const read = [...(access.read ?? []), ...write];
  const under = (t: string, prefixes: readonly string[]) => prefixes.some((p) => t.startsWith(p));
  const out: TopicViolation[] = [];
  for (const t of use.writes) if (!under(t, write)) out.push({ topic: t, access: 'write' });
  for (const t of use.reads) if (!under(t, read) && !own.includes(t)) out.push({ topic: t, access: 'read' });
  return out;
}

/** The condition message for violations. */
export function describeViolations(v: readonly TopicViolation[], access: TopicAccess): string {
  const writes = v.filter((x) => x.access === 'write').map((x) => x.topic);
  const reads = v.filter((x) => x.access === 'read').map((x) => x.topic);
  const parts: string[] = [];
  if (writes.length) parts.push(`writes ${writes.map((t) => `'${t}'`).join(', ')} outside the cluster's write prefixes [${access.write.join(', ')}]`);
  if (reads.length) parts.push(`reads ${reads.map((t) => `'${t}'`).join(', ')} outside the cluster's read prefixes [${[...(access.read ?? []), ...access.write].join(', ')}]`);
  return `spec.sql ${parts.join(' and ')} (KsqlCluster spec.topics); name the topic with KAFKA_TOPIC under an allowed prefix`;
}
