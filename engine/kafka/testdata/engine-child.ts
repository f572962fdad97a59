// A KafkaEngine in its own process, for the integration tests that SIGKILL one.
// env: KSETL_KAFKA_BOOTSTRAP, SERVICE_ID, GUARANTEE; prints "READY <queries>" once running.
import { KafkaEngine } from '../kafka-engine.js';
import { kafkaClientFromEnv, kafkaPort } from '../kafka-client.js';

const engine = await KafkaEngine.start({
  port: kafkaPort(kafkaClientFromEnv(), { brokers: process.env['KSETL_KAFKA_BOOTSTRAP']!, clientId: 'child', logLevel: 'nothing' }),
  serviceId: process.env['SERVICE_ID']!,
  properties: {
    'processing.guarantee': process.env['GUARANTEE'] ?? 'at_least_once',
    'ksql.streams.session.timeout.ms': '6000',
    'ksql.streams.heartbeat.interval.ms': '1000',
  },
});
const ids = () => engine.executor.metastore.queries().map((q) => q.id);
const timer = setInterval(() => {
  if (engine.ready && ids().every((id) => (engine.queryStatus(id)?.assigned.length ?? 0) > 0)) {
    clearInterval(timer);
    console.log(`READY ${ids().join(',')}`);
  }
}, 50);
setInterval(() => {}, 1 << 30);
