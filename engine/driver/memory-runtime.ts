import type { DataSource } from '../catalog/data-source.js';
import type { StatementResult } from '../engine.js';
import type { FunctionRegistry } from '../functions/types.js';
import { KafkaEngine } from '../kafka/kafka-engine.js';
import type { BrokerRecord, TopicInfo } from '../kafka/port.js';
import type { SchemaRegistry } from '../serde/types.js';
import { InMemoryBroker, type ProduceRecord } from './broker.js';
import { MemoryKafka } from './memory-port.js';

export interface MemoryRuntimeOptions {
  /** where topics live (a test runner passes one that stops runaway cases) */
  readonly broker?: InMemoryBroker;
  readonly properties?: Readonly<Record<string, string>>;
  readonly functions?: FunctionRegistry;
  readonly registry?: SchemaRegistry;
  readonly serviceId?: string;
}

/**
 * The engine people deploy (KafkaEngine: command log, query runners with
 * tasks, repartition topics, changelogs, commits and restore) over the
 * in-memory Kafka, for tests: `pipe` produces one record and returns once
 * every query has processed it and everything it caused (through repartition
 * and changelog topics, and queries reading other queries' sinks), as Kafka
 * Streams' TopologyTestDriver processes a piped record to completion.
 */
export class MemoryRuntime {
  #engine: KafkaEngine;

  private constructor(
    readonly kafka: MemoryKafka,
    engine: KafkaEngine,
    private readonly options: MemoryRuntimeOptions,
  ) {
    this.#engine = engine;
  }

  static async start(o: MemoryRuntimeOptions = {}): Promise<MemoryRuntime> {
    const kafka = new MemoryKafka(o.broker ?? new InMemoryBroker());
    const rt = new MemoryRuntime(kafka, await MemoryRuntime.#startEngine(kafka, o, 1), o);
    await rt.settle();
    return rt;
  }

  static #startEngine(kafka: MemoryKafka, o: MemoryRuntimeOptions, generation: number): Promise<KafkaEngine> {
    return KafkaEngine.start({
      port: kafka,
      ...(o.serviceId !== undefined ? { serviceId: o.serviceId } : {}),
      // no periodic lag refresh: a test's event loop stays free of timers; a task commits after
      // every turn, as TopologyTestDriver commits after each piped record (so exactly-once
      // outputs are visible once a record settles, and no commit waits on a timer)
      properties: { 'ksetl.metrics.lag.refresh.ms': '0', ...(o.properties ?? {}), 'ksql.streams.commit.interval.ms': '0' },
      ...(o.functions ? { functions: o.functions } : {}),
      ...(o.registry ? { registry: o.registry } : {}),
      instanceId: `memory-${generation}`,
    });
  }

  #generation = 1;

  /** The engine now running (a new one after `restart`). */
  get engine(): KafkaEngine {
    return this.#engine;
  }

  /**
   * Stops the engine and starts a new one on the same Kafka, as a process
   * restart does: the catalog is rebuilt from the command log, queries
   * resume from their committed offsets, and their stores are restored from
   * their changelogs. The schema registry and functions are kept.
   */
  async restart(): Promise<void> {
    await this.settle();
    const registry = this.#engine.registry;
    const functions = this.#engine.functions;
    await this.#engine.close();
    this.#engine = await MemoryRuntime.#startEngine(this.kafka, { ...this.options, registry, functions }, ++this.#generation);
    await this.settle();
  }

  get broker(): InMemoryBroker {
    return this.kafka.broker;
  }

  get registry(): SchemaRegistry {
    return this.engine.registry;
  }

  get functions(): FunctionRegistry {
    return this.engine.functions;
  }

  source(name: string): DataSource | undefined {
    return this.engine.source(name);
  }

  sources(): readonly DataSource[] {
    return this.engine.sources();
  }

  /** Runs a script through the command log; returns once its queries run and have processed what their inputs hold. */
  async execute(sql: string, properties: Readonly<Record<string, string>> = {}): Promise<StatementResult[]> {
    const results = await this.engine.execute(sql, properties);
    await this.settle();
    return results;
  }

  createTopic(name: string, partitions = 1, config: Record<string, string> = {}): TopicInfo {
    return this.broker.createTopic(name, partitions, config);
  }

  topic(name: string): TopicInfo | undefined {
    return this.broker.topic(name);
  }

  topics(): readonly TopicInfo[] {
    return this.broker.topics();
  }

  /** Produces one record, then waits until it was processed to completion. */
  async pipe(topic: string, rec: ProduceRecord): Promise<void> {
    this.broker.produce(topic, rec);
    await this.settle();
  }

  /** A topic's records in produce order, as a read_committed consumer sees them (no aborted or open transactions). */
  read(topic: string): readonly BrokerRecord[] {
    return this.kafka.readCommitted(topic);
  }

  /**
   * Waits until nothing is left to do: every query started (or failed to),
   * every consumer caught up with the topics it reads, no batch or rebalance
   * running. Rejects with a batch's error when one keeps failing.
   */
  async settle(): Promise<void> {
    for (;;) {
      await this.kafka.settle();
      // the engine's own work (query launches, admin calls) runs in promise
      // chains; one turn of the event loop lets every one of them run
      await new Promise<void>((r) => setImmediate(r));
      if (this.kafka.idle && !this.#starting()) return;
    }
  }

  #starting(): boolean {
    return this.engine.executor.metastore.queries().some((q) => this.engine.queryStatus(q.id)?.state === 'STARTING');
  }

  /** The processing log of the engine now running (deserialization errors, ...). */
  get processingLog(): KafkaEngine['processingLog'] {
    return this.engine.processingLog;
  }

  /** Entries per state store of a running query's tasks (store name → entries). */
  storeEntries(queryId: string): Map<string, number> {
    return this.engine.runner(queryId)?.storeEntries() ?? new Map();
  }

  /** See KafkaEngine.queryErrors. */
  queryErrors(): string[] {
    return this.engine.queryErrors();
  }

  async close(): Promise<void> {
    await this.engine.close();
    await this.kafka.close();
  }
}
