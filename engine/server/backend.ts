import type { Metastore } from '../catalog/metastore.js';
import type { DataSource } from '../catalog/data-source.js';
import type { BrokerRecord, ProduceRecord, TopicInfo } from '../driver/broker.js';
import type { InMemoryEngine } from '../driver/in-memory-engine.js';
import type { StatementResult } from '../engine.js';
import type { TransientDeps } from '../exec/transient.js';
import type { FunctionRegistry } from '../functions/types.js';
import type { SchemaRegistry } from '../serde/types.js';
import type { Statement } from '../sql/ast/statement.js';

/**
 * What the REST server needs from an engine: run one parsed statement, read
 * the catalog, and read / subscribe / write topics for transient queries and
 * inserts. The in-memory engine implements it below; the Kafka driver plugs in
 * the same way.
 */
export interface KsqlBackend {
  /** The Kafka backend answers once the statement went through the command log (a Promise). */
  executeStatement(st: Statement, properties: Readonly<Record<string, string>>): StatementResult | Promise<StatementResult>;
  readonly metastore: Metastore;
  readonly functions: FunctionRegistry;
  readonly registry: SchemaRegistry;
  /** engine properties (ksql.*) */
  readonly properties: Readonly<Record<string, string>>;
  topics(): readonly TopicInfo[];
  createTopic(name: string, partitions: number): void;
  readTopic(topic: string): readonly BrokerRecord[];
  subscribeTopic(topic: string, handler: (r: BrokerRecord) => void): () => void;
  produce(topic: string, rec: ProduceRecord): void;
  close(): void;
}

export function inMemoryBackend(engine: InMemoryEngine): KsqlBackend {
  return {
    executeStatement: (st, props) => engine.executor.executeStatement(st, props),
    get metastore() {
      return engine.executor.metastore;
    },
    functions: engine.functions,
    registry: engine.registry,
    get properties() {
      return engine.executor.properties;
    },
    topics: () => engine.broker.topics(),
    createTopic: (name, partitions) => void engine.broker.createTopic(name, partitions),
    readTopic: (topic) => engine.broker.readInOrder(topic),
    subscribeTopic: (topic, handler) => engine.broker.subscribe(topic, handler),
    produce: (topic, rec) => void engine.broker.produce(topic, rec),
    close: () => engine.close(),
  };
}

/** The transient-query ports of a backend. */
export function transientDepsOf(b: KsqlBackend, log?: TransientDeps['log']): TransientDeps {
  return {
    source: (name: string): DataSource | undefined => b.metastore.source(name),
    functions: b.functions,
    registry: b.registry,
    properties: b.properties,
    readTopic: (t) => b.readTopic(t),
    subscribeTopic: (t, h) => b.subscribeTopic(t, h),
    ...(log ? { log } : {}),
  };
}
