import type { DataSource } from '../catalog/data-source.js';
import type { StatementResult } from '../engine.js';
import { StatementExecutor, type RuntimePort } from '../exec/executor.js';
import { builtinRegistry } from '../functions/builtins.js';
import type { FunctionRegistry } from '../functions/types.js';
import { buildTopology } from '../runtime/build.js';
import type { RuntimeContext } from '../runtime/context.js';
import { MemoryProcessingLog } from '../runtime/processing-log.js';
import { InMemoryStoreFactory } from '../runtime/store.js';
import { InMemorySchemaRegistry } from '../serde/index.js';
import type { SchemaRegistry } from '../serde/types.js';
import type { Step } from '../topology/topology.js';
import { InMemoryBroker, type ProduceRecord } from './broker.js';

export interface EngineOptions {
  readonly broker: InMemoryBroker;
  readonly registry: SchemaRegistry;
  readonly functions: FunctionRegistry;
  /** engine properties (ksql.*), e.g. `ksql.streams.auto.offset.reset` */
  readonly properties?: Readonly<Record<string, string>>;
}

/**
 * The former synchronous driver's facade: runs statements in order against a
 * catalog; persistent queries process records as they are produced to their
 * source topics.
 */
export interface KsqlEngine {
  /** Parse and run every statement of `sql` in order; throws KsqlError on the first failure. */
  execute(sql: string, properties?: Readonly<Record<string, string>>): StatementResult[];
  source(name: string): DataSource | undefined;
  sources(): readonly DataSource[];
  readonly broker: InMemoryBroker;
  readonly registry: SchemaRegistry;
  readonly functions: FunctionRegistry;
  /** stop all queries */
  close(): void;
}

/**
 * The former in-memory driver, left only for operator/ until it moves onto the
 * engine (everything else runs on KafkaEngine over the in-memory Kafka port,
 * see memory-runtime.ts): the engine over an in-memory broker. Records produced
 * to a topic are processed synchronously by every query reading it, so the
 * test runner sees outputs in a deterministic order.
 */
export class InMemoryEngine implements KsqlEngine {
  readonly broker: InMemoryBroker;
  readonly registry: SchemaRegistry;
  readonly functions: FunctionRegistry;
  readonly processingLog = new MemoryProcessingLog();
  readonly executor: StatementExecutor;
  readonly #running = new Map<string, { unsubscribe: (() => void)[]; paused: boolean; stores: InMemoryStoreFactory }>();
  /** the stores of queries being replaced in place (CREATE OR REPLACE), taken over by the next start under the same id */
  readonly #kept = new Map<string, InMemoryStoreFactory>();

  constructor(opts: Partial<EngineOptions> = {}) {
    this.broker = opts.broker ?? new InMemoryBroker();
    this.registry = opts.registry ?? new InMemorySchemaRegistry();
    this.functions = opts.functions ?? builtinRegistry();
    const port: RuntimePort = {
      topicPartitions: (name) => this.broker.topic(name)?.partitions,
      createTopic: (name, partitions, config) => void this.broker.createTopic(name, partitions, config),
      deleteTopic: (name) => this.broker.deleteTopic(name),
      startQuery: (id, root, o) => this.#start(id, root, o.earliest),
      stopQuery: (id, o) => this.#stop(id, o?.keepState ?? false),
      produce: (topic, rec) => void this.broker.produce(topic, rec),
    };
    this.executor = new StatementExecutor(this.functions, this.registry, port, opts.properties ?? {});
  }

  execute(sql: string, properties: Readonly<Record<string, string>> = {}): StatementResult[] {
    return this.executor.execute(sql, properties);
  }

  source(name: string): DataSource | undefined {
    return this.executor.metastore.source(name);
  }

  sources(): readonly DataSource[] {
    return this.executor.metastore.sources();
  }

  close(): void {
    for (const id of [...this.#running.keys()]) this.#stop(id);
  }

  #start(queryId: string, root: Step, earliest: boolean): void {
    const unsubscribe: (() => void)[] = [];
    const stores = this.#kept.get(queryId) ?? new InMemoryStoreFactory();
    this.#kept.delete(queryId);
    const state = { unsubscribe, paused: false, stores };
    const replay: (() => void)[] = [];
    const ctx: RuntimeContext = {
      queryId,
      functions: this.functions,
      registry: this.registry,
      log: this.processingLog,
      stores,
      properties: this.executor.properties,
      subscribe: (topic, handler) => {
        if (earliest) {
          const existing = [...this.broker.readInOrder(topic)];
          replay.push(() => existing.forEach(handler));
        }
        unsubscribe.push(this.broker.subscribe(topic, handler));
      },
      produce: (topic: string, rec: ProduceRecord) => void this.broker.produce(topic, rec),
    };
    buildTopology(root, ctx);
    this.#running.set(queryId, state);
    for (const r of replay) r();
  }

  #stop(queryId: string, keepState = false): void {
    const q = this.#running.get(queryId);
    if (!q) return;
    for (const u of q.unsubscribe) u();
    this.#running.delete(queryId);
    if (keepState) this.#kept.set(queryId, q.stores);
  }
}

export function createInMemoryEngine(opts: Partial<EngineOptions> = {}): KsqlEngine & InMemoryEngine {
  return new InMemoryEngine(opts);
}
