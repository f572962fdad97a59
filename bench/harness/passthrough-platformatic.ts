/**
 * The @platformatic/kafka ceiling, as passthrough-kafkajs.ts is kafkajs's:
 * consume → produce of one topic, at-least-once (a batch's offsets are
 * committed after its records are acknowledged), through the engine's Kafka
 * port on that library (engine/kafka/platformatic-port.ts), so the figure is
 * what the engine's client path can move. Run as its own process:
 *   node --import tsx bench/harness/passthrough-platformatic.ts BOOTSTRAP GROUP IN OUT
 */
import { platformaticPort } from '../../engine/kafka/platformatic-port.js';

const [bootstrap, group, input, output] = process.argv.slice(2) as [string, string, string, string];
const port = platformaticPort({ brokers: bootstrap, clientId: 'bench-passthrough' });
const [consumer, producer] = await Promise.all([port.consumer({ groupId: group, topics: [input] }), port.producer()]);
await consumer.run(async (batch) => {
  await producer.send(batch.records.map((r) => ({ topic: output, key: r.key, value: r.value, timestamp: r.timestamp })));
  await consumer.commit([{ topic: batch.topic, partition: batch.partition, offset: batch.nextOffset }]);
});
const stop = (): void => void port.close().then(() => process.exit(0), () => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
console.log('{"state":"RUNNING"}');
