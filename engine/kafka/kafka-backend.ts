import type { BrokerRecord } from '../driver/broker.js';
import { KsqlError } from '../errors.js';
import type { KsqlBackend } from '../server/backend.js';
import type { KafkaEngine } from './kafka-engine.js';
import { isInternalTopic } from './names.js';

/** The REST server's backend over a KafkaEngine. */
export function kafkaBackend(engine: KafkaEngine): KsqlBackend {
  return {
    executeStatement: (st, props) => engine.executeStatement(st, props),
    get metastore() {
      return engine.executor.metastore;
    },
    functions: engine.functions,
    registry: engine.registry,
    get properties() {
      return engine.properties;
    },
    topics: () => engine.topics().filter((t) => !isInternalTopic(engine.serviceId, t.name)),
    createTopic: (name, partitions) => void engine.port.admin.createTopics([{ name, partitions }]),
    readTopic: (topic: string): readonly BrokerRecord[] => {
      // Pull queries and push queries from earliest scan a topic synchronously; over Kafka
      // they need the queries' materialized stores (not wired yet).
      throw new KsqlError(`Reading ${topic} from its start is not supported by the Kafka driver yet (pull queries, push queries from earliest).`, null, 'Unsupported');
    },
    subscribeTopic: (topic, handler) => engine.subscribeTopic(topic, handler),
    produce: (topic, rec) => void engine.produce(topic, rec),
    close: () => void engine.close(),
  };
}
