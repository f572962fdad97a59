import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startKafka, type KafkaBroker } from '../../test/infra/kafka/broker.js';
import { waitFor } from '../../test/infra/wait.js';
import { kafkajsPort } from './kafkajs-port.js';
// after the port, which patches kafkajs before it loads
import { Kafka, logLevel } from 'kafkajs';
import type { KafkaPort } from './port.js';
import { runPortConformance } from './port-conformance.test-support.js';

// Against a real broker: the integration project's globalSetup provides one;
// run alone (plain `vitest run` on this file) it starts its own.
let broker: KafkaBroker | null = null;
let port: KafkaPort;
let brokers: string;
const seed = randomBytes(4).toString('hex');
const name = (n: string) => `port-test-${seed}-${n}`;

beforeAll(async () => {
  let bootstrap = inject('kafkaBootstrap') ?? process.env['KSETL_KAFKA_BOOTSTRAP'];
  if (!bootstrap) {
    broker = await startKafka();
    bootstrap = broker.bootstrap;
  }
  brokers = bootstrap;
  port = kafkajsPort({ brokers: bootstrap, clientId: `port-test-${seed}`, logLevel: 'nothing' });
}, 180_000);

afterAll(async () => {
  await port?.close();
  await broker?.stop();
}, 60_000);

runPortConformance('kafkajs against a real broker', () => port);

describe('kafkajs port: what only a real client meets', () => {
  it('a producer keeps writing after a topic it wrote to is deleted: to new topics, and to one made anew under the old name', async () => {
    const [gone, next] = [name('deleted'), name('next')];
    await port.admin.createTopics([{ name: gone, partitions: 2 }]);
    const producer = await port.producer();
    try {
      await producer.send([{ topic: gone, key: Buffer.from('k'), value: Buffer.from('v'), timestamp: 1 }]);
      // deleted by another client (another process, the operator): this process is not told
      const other = new Kafka({ brokers: [brokers], clientId: `port-test-${seed}-other`, logLevel: logLevel.NOTHING }).admin();
      await other.connect();
      await other.deleteTopics({ topics: [gone] });
      await other.disconnect();
      await waitFor('deleted', async () => ((await port.admin.listTopics()).includes(gone) ? undefined : true));
      await port.admin.createTopics([{ name: next, partitions: 1 }]);
      // kafkajs asked for the deleted topic's metadata with every refresh and failed them all: nothing new could be written
      const [meta] = await producer.send([{ topic: next, key: Buffer.from('k'), value: Buffer.from('v'), timestamp: 2 }]);
      expect(meta).toMatchObject({ topic: next, partition: 0 });

      // deleted here and made anew with more partitions: written over all of them (the 1-partition metadata was forgotten)
      await port.admin.deleteTopics([next]);
      await port.admin.createTopics([{ name: next, partitions: 4 }]);
      const sent = await producer.send(Array.from({ length: 40 }, (_, i) => ({ topic: next, key: Buffer.from(`key${i}`), value: Buffer.from('v'), timestamp: 3 })));
      expect(new Set(sent.map((m) => m.partition))).toEqual(new Set([0, 1, 2, 3]));
      // a topic that does not exist is still an error, naming the topic
      await expect(producer.send([{ topic: name('never'), key: null, value: Buffer.from('v'), timestamp: 4 }])).rejects.toThrow(name('never'));
    } finally {
      await producer.close();
    }
  });

  it('a consumer closed while it joins its group stays closed (kafkajs restarted it after its disconnect)', async () => {
    const topic = name('closing');
    const groupId = name('closing-group');
    await port.admin.createTopics([{ name: topic, partitions: 1 }]);
    const admin = new Kafka({ brokers: [brokers], clientId: `port-test-${seed}-groups`, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const members = async () => (await admin.describeGroups([groupId])).groups[0]?.members.length ?? 0;
      // a member of the group already (the query on another engine): a new member's JoinGroup waits for the rebalance
      const stays = await port.consumer({ groupId, topics: [topic], from: 'earliest' });
      await stays.run(async () => undefined);
      await waitFor('the first member joined', async () => ((await members()) === 1 ? true : undefined));
      try {
        // (a member closed mid-join leaves without a LeaveGroup: the broker drops it after its session timeout)
        const closing = await port.consumer({ groupId, topics: [topic], from: 'earliest', sessionTimeoutMs: 6_000, heartbeatIntervalMs: 1_000 });
        const running = closing.run(async () => undefined).catch(() => undefined);
        // TERMINATE right after CREATE: closed while its JoinGroup waits for the rebalance
        await new Promise((r) => setTimeout(r, 500));
        await closing.close();
        await running;
        // kafkajs restarts a crashed consumer after 300 ms (retry.initialRetryTime): a restarted one would stay a member
        await waitFor('the closed member gone from the group', async () => ((await members()) === 1 ? true : undefined), { timeoutMs: 45_000 });
      } finally {
        await stays.close();
      }
    } finally {
      await admin.disconnect();
    }
  });
});

