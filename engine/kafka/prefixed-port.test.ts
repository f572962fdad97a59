import { afterEach, expect, it } from 'vitest';
import { MemoryKafka } from '../driver/memory-port.js';
import { runPortConformance } from './port-conformance.test-support.js';
import { prefixedPort } from './prefixed-port.js';

let shared = new MemoryKafka();
afterEach(async () => {
  await shared.close();
  shared = new MemoryKafka();
});

// the port's contract holds under a prefix (the user sees bare names throughout)
runPortConformance('prefixed, in memory', () => prefixedPort(shared, 'case-1-'));

it('keeps topics and groups under the prefix, and others out of sight', async () => {
  const k = new MemoryKafka();
  const p = prefixedPort(k, 'c1-');
  await k.admin.createTopics([{ name: 'other', partitions: 1 }]);
  await p.admin.createTopics([{ name: 'orders', partitions: 2 }]);
  expect((await k.admin.listTopics()).sort()).toEqual(['c1-orders', 'other']);
  expect(await p.admin.listTopics()).toEqual(['orders']);
  expect((await p.admin.describeTopics(['orders'])).map((t) => [t.name, t.partitions])).toEqual([['orders', 2]]);
  const producer = await p.producer();
  const [meta] = await producer.send([{ topic: 'orders', key: null, value: Buffer.from('x'), timestamp: 1, partition: 1 }]);
  expect(meta).toMatchObject({ topic: 'orders', partition: 1 });
  expect(k.readCommitted('c1-orders').map((r) => r.value?.toString())).toEqual(['x']);
  await k.close();
});
