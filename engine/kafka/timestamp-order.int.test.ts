import { describe, expect, it } from 'vitest';
import { EnginePool, json, onBroker, readTopic, seed } from './int-test-support.js';
import type { KafkaPort } from './port.js';

let brokers: string;
let admin: KafkaPort;
const pool = new EnginePool();

onBroker('timestamp-order-test', (b, a) => {
  brokers = b;
  admin = a;
}, pool);

const USERS = 20;
const CLICKS = 120;

/**
 * Kafka Streams' task semantics: a task takes the record with the lowest
 * timestamp across its input partitions, and waits for a partition known to
 * hold more before going on without it. So table rows older than a stream
 * record are in the table when the record joins, whatever order the records
 * were produced and fetched in.
 */
describe('a task processes its input partitions in timestamp order', () => {
  for (const guarantee of ['at_least_once', 'exactly_once_v2'] as const) {
    it(`joins every stream row produced before the older table rows it matches (${guarantee})`, async () => {
      const s = seed();
      const e = await pool.start(brokers, `order_${guarantee === 'at_least_once' ? 'alos' : 'eos'}_${s}_`, { 'processing.guarantee': guarantee });
      // the stream's topics sort before the table's: a fetch returns (and kafkajs hands over) the stream's records first
      await e.execute(`CREATE STREAM CLICKS (USERID STRING KEY, URL STRING) WITH (KAFKA_TOPIC='a-clicks-${s}', PARTITIONS=2, VALUE_FORMAT='JSON');
                       CREATE STREAM VISITS (VID STRING KEY, USERID STRING, URL STRING) WITH (KAFKA_TOPIC='a-visits-${s}', PARTITIONS=2, VALUE_FORMAT='JSON');
                       CREATE TABLE USERS (ID STRING PRIMARY KEY, NAME STRING) WITH (KAFKA_TOPIC='b-users-${s}', PARTITIONS=2, VALUE_FORMAT='JSON');`);
      const producer = await admin.producer();
      // stream rows first, each later (by timestamp) than its user's row, which is produced after it
      await producer.send(Array.from({ length: CLICKS }, (_, i) => ({ topic: `a-clicks-${s}`, key: Buffer.from(`u${i % USERS}`), value: json({ URL: `/c${i}` }), timestamp: 2_000 + i })));
      await producer.send(Array.from({ length: CLICKS }, (_, i) => ({ topic: `a-visits-${s}`, key: Buffer.from(`v${i}`), value: json({ USERID: `u${i % USERS}`, URL: `/v${i}` }), timestamp: 2_000 + i })));
      await producer.send(Array.from({ length: USERS }, (_, i) => ({ topic: `b-users-${s}`, key: Buffer.from(`u${i}`), value: json({ NAME: `name${i}` }), timestamp: 1_000 + i })));
      await producer.close();

      // from earliest (the pool's engines): the query finds both topics full
      await e.execute(`CREATE STREAM BY_KEY WITH (KAFKA_TOPIC='by-key-${s}') AS SELECT C.USERID AS USERID, C.URL, U.NAME FROM CLICKS C LEFT JOIN USERS U ON C.USERID = U.ID;
                       CREATE STREAM BY_VALUE WITH (KAFKA_TOPIC='by-value-${s}') AS SELECT V.VID, V.USERID, V.URL, U.NAME FROM VISITS V LEFT JOIN USERS U ON V.USERID = U.ID;`);
      // a left join emits every stream row: a row that overtook its user's row shows a null NAME
      const byKey = await readTopic(admin, `by-key-${s}`, (seen) => seen.length >= CLICKS, `${CLICKS} joined clicks`);
      expect(byKey).toHaveLength(CLICKS);
      for (const r of byKey) expect(JSON.parse(r.value!.toString()), `click of ${r.key!.toString()}`).toMatchObject({ NAME: `name${r.key!.toString().slice(1)}` });
      // the stream side joined on a value column goes through a repartition topic, read by the same task as the table
      const byValue = await readTopic(admin, `by-value-${s}`, (seen) => seen.length >= CLICKS, `${CLICKS} joined visits`);
      expect(byValue).toHaveLength(CLICKS);
      // keyed by the join key (the user id)
      for (const r of byValue) expect(JSON.parse(r.value!.toString()), `visit of ${r.key!.toString()}`).toMatchObject({ NAME: `name${r.key!.toString().slice(1)}` });
    }, 120_000);
  }
});
