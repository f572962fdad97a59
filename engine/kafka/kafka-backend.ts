import type { BrokerRecord } from '../driver/broker.js';
import { KsqlError } from '../errors.js';
import type { KsqlBackend } from '../server/backend.js';
import type { KafkaEngine } from './kafka-engine.js';
import { isInternalTopic } from './names.js';
import { PullService } from './pull-service.js';

/** The REST server's backend over a KafkaEngine. */
export function kafkaBackend(engine: KafkaEngine): KsqlBackend {
  const pull = new PullService(engine);
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
    topicExists: async (name) => engine.topics().some((t) => t.name === name) || (await engine.port.admin.describeTopics([name])).length > 0,
    createTopic: (name, partitions) => void engine.port.admin.createTopics([{ name, partitions }]),
    readTopic: (topic: string): readonly BrokerRecord[] => {
      // the server reads pull queries' sources with scanTopic first; anything else reading synchronously is a bug
      throw new KsqlError(`Reading ${topic} synchronously is not supported by the Kafka driver (the REST server scans it with scanTopic).`, null, 'Unsupported');
    },
    scanTopic: (topic) => engine.scanTopic(topic),
    pullFromState: (source, access, authorization, properties) => pull.read(source, access, authorization, properties),
    servePullPartitions: (body) => pull.serveText(body),
    subscribeTopic: (topic, handler, from) => engine.subscribeTopic(topic, handler, from ?? 'latest'),
    produce: (topic, rec) => void engine.produce(topic, rec),
    queryStatus: (queryId) => {
      const q = engine.executor.metastore.query(queryId);
      const st = engine.queryStatus(queryId);
      if (!q || !st) return undefined;
      // Kafka Streams' CREATED/REBALANCING/RUNNING are RUNNING in ksqlDB's KsqlQueryStatus
      return { state: st.state === 'ERROR' ? 'ERROR' : q.state === 'PAUSED' ? 'PAUSED' : 'RUNNING', errors: st.errors };
    },
    queryPlan: (queryId) => engine.executor.queryPlan(queryId),
    kafkaClusterId: () => engine.clusterId,
    close: () => {
      void pull.close();
      void engine.close();
    },
  };
}
