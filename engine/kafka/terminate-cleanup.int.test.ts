import { describe, expect, it } from 'vitest';
import { EnginePool, onBroker, seed, waitFor } from './int-test-support.js';
import * as names from './names.js';
import type { KafkaPort } from './port.js';

/**
 * TERMINATE leaves nothing of the query on Kafka (as ksqlDB's query cleanup):
 * its internal topics and its consumer group go, also with two processes in
 * the group (the group goes once the last one left).
 */
let brokers: string;
let admin: KafkaPort;
const pool = new EnginePool();
const FAST_GROUP = { 'ksql.streams.session.timeout.ms': '6000', 'ksql.streams.heartbeat.interval.ms': '1000' };

onBroker('terminate-cleanup-test', (b, a) => {
  brokers = b;
  admin = a;
}, pool);

describe('TERMINATE', () => {
  it('deletes the query\'s consumer group and internal topics', async () => {
    const s = seed();
    const serviceId = `term_${s}_`;
    const a = await pool.start(brokers, serviceId, FAST_GROUP);
    const b = await pool.start(brokers, serviceId, FAST_GROUP);
    await a.execute(`CREATE STREAM SRC (ID STRING KEY, N INT) WITH (KAFKA_TOPIC='term-src-${s}', PARTITIONS=2, VALUE_FORMAT='JSON');
                     CREATE TABLE COUNTS AS SELECT N, COUNT(*) AS C FROM SRC GROUP BY N;`);
    const [q] = a.executor.metastore.queries();
    const group = names.queryGroupId(serviceId, q!.id);
    const prefix = names.queryApplicationId(serviceId, q!.id);
    await waitFor('the query\'s group and internal topics', async () => ((await admin.admin.listGroups!()).includes(group) && (await admin.admin.listTopics()).some((t) => t.startsWith(prefix)) ? true : undefined));
    await waitFor('both processes run the query', () => (b.queryStatus(q!.id)?.state === 'RUNNING' ? true : undefined));
    await a.execute(`TERMINATE ${q!.id};`);
    await waitFor('group and internal topics gone', async () => {
      const groups = await admin.admin.listGroups!();
      const topics = await admin.admin.listTopics();
      return !groups.includes(group) && !topics.some((t) => t.startsWith(prefix)) ? true : undefined;
    }, 90_000);
    expect((await admin.admin.listTopics()).filter((t) => t.startsWith(prefix))).toEqual([]);
  }, 180_000);
});
