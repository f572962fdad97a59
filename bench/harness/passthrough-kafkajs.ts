/**
 * The kafkajs ceiling: consume → produce of one topic, at-least-once (the
 * batch's offsets are committed after its records are acknowledged). Run as
 * its own process by the harness so it can be pinned and measured:
 *   node --import tsx bench/harness/passthrough-kafkajs.ts BOOTSTRAP GROUP IN OUT
 */
// the same kafkajs as the engine's (patched before it loads)
import '../../engine/kafka/kafkajs-patches.js';
import { Kafka, logLevel } from 'kafkajs';

const [bootstrap, group, input, output] = process.argv.slice(2) as [string, string, string, string];
const kafka = new Kafka({ brokers: [bootstrap], clientId: 'bench-passthrough', logLevel: logLevel.NOTHING });
const consumer = kafka.consumer({ groupId: group });
const producer = kafka.producer();
await Promise.all([consumer.connect(), producer.connect()]);
await consumer.subscribe({ topic: input, fromBeginning: true });
await consumer.run({
  eachBatch: async ({ batch }) => {
    // a fetched partition batch (up to 1 MiB) can exceed the broker's message.max.bytes as one
    // produce request: send it in chunks, as the engine's port does
    const messages = batch.messages.map((m) => ({ key: m.key, value: m.value, timestamp: m.timestamp }));
    for (let i = 0; i < messages.length; i += 2000) await producer.send({ topic: output, messages: messages.slice(i, i + 2000) });
  },
});
const stop = (): void => void Promise.allSettled([consumer.disconnect(), producer.disconnect()]).then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
console.log('{"state":"RUNNING"}');
