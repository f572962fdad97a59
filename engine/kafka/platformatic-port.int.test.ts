import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startKafka, type KafkaBroker } from '../../test/infra/kafka/broker.js';
import { waitFor } from '../../test/infra/wait.js';
import { platformaticPort } from './platformatic-port.js';
import type { KafkaPort } from './port.js';
import { runPortConformance } from './port-conformance.test-support.js';

// The port conformance suite on @platformatic/kafka against a real broker (the
// integration project's, or one of its own when run alone).
let broker: KafkaBroker | null = null;
let port: KafkaPort;
let brokers = '';
const bootstrapOf = () => brokers;
const seed = randomBytes(4).toString('hex');

beforeAll(async () => {
  let bootstrap = inject('kafkaBootstrap') ?? process.env['KSETL_KAFKA_BOOTSTRAP'];
  if (!bootstrap) {
    broker = await startKafka();
    bootstrap = broker.bootstrap;
  }
  brokers = bootstrap;
  port = platformaticPort({ brokers: bootstrap, clientId: `port-test-${seed}` });
}, 180_000);

afterAll(async () => {
  await port?.close();
  await broker?.stop();
}, 60_000);

// the library's consumer commits and its offset listing carry no metadata: no partition time across restarts yet
runPortConformance('@platformatic/kafka against a real broker', () => port, { commitMetadata: false });

describe('platformatic port: what only a real client meets', () => {
  const name = (n: string) => `port-test-${seed}-${n}`;
  it('a producer keeps writing after a topic it wrote to is deleted: to new topics, and to one made anew under the old name', async () => {
    const [gone, next] = [name('deleted'), name('next')];
    await port.admin.createTopics([{ name: gone, partitions: 2 }]);
    const producer = await port.producer();
    const other = platformaticPort({ brokers: bootstrapOf(), clientId: `port-test-${seed}-other` });
    try {
      await producer.send([{ topic: gone, key: Buffer.from('k'), value: Buffer.from('v'), timestamp: 1 }]);
      // deleted by another client (another process, the operator): this process is not told
      await other.admin.deleteTopics([gone]);
      await waitFor('deleted', async () => ((await port.admin.listTopics()).includes(gone) ? undefined : true));
      await port.admin.createTopics([{ name: next, partitions: 1 }]);
      const [meta] = await producer.send([{ topic: next, key: Buffer.from('k'), value: Buffer.from('v'), timestamp: 2 }]);
      expect(meta).toMatchObject({ topic: next, partition: 0 });

      // deleted here and made anew with more partitions: written over all of them
      await port.admin.deleteTopics([next]);
      await port.admin.createTopics([{ name: next, partitions: 4 }]);
      const sent = await producer.send(Array.from({ length: 40 }, (_, i) => ({ topic: next, key: Buffer.from(`key${i}`), value: Buffer.from('v'), timestamp: 3 })));
      expect(new Set(sent.map((m) => m.partition))).toEqual(new Set([0, 1, 2, 3]));
      // a topic that does not exist is still an error, naming the topic
      await expect(producer.send([{ topic: name('never'), key: null, value: Buffer.from('v'), timestamp: 4 }])).rejects.toThrow(name('never'));
    } finally {
      await producer.close();
      await other.close();
    }
  });
});
