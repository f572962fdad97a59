import { processingLogStreamSql } from '../runtime/processing-log.js';
import { randomUUID } from 'node:crypto';
import type { DataSource } from '../catalog/data-source.js';
import type { BrokerRecord, ProduceRecord, TopicInfo } from '../driver/broker.js';
import type { StatementResult } from '../engine.js';
import { KsqlError } from '../errors.js';
import { StatementExecutor, type RuntimePort } from '../exec/executor.js';
import { builtinRegistry } from '../functions/builtins.js';
import type { FunctionRegistry } from '../functions/types.js';
import { MemoryProcessingLog } from '../runtime/processing-log.js';
import { InMemorySchemaRegistry } from '../serde/index.js';
import type { SchemaRegistry } from '../serde/types.js';
import { parseScript } from '../sql/index.js';
import type { Statement } from '../sql/ast/statement.js';
import type { Step } from '../topology/topology.js';
import { CommandLog, type Command } from './command-log.js';
import * as names from './names.js';
import type { KafkaPort, KafkaProducer } from './port.js';
import { QueryRunner, type ProcessingGuarantee, type QueryStatus } from './query-runner.js';

export interface KafkaEngineOptions {
  readonly port: KafkaPort;
  /** ksql.service.id (default "default_") */
  readonly serviceId?: string;
  /** engine properties (ksql.*): processing guarantee, offset reset, precreated internal topics, ... */
  readonly properties?: Readonly<Record<string, string>>;
  readonly functions?: FunctionRegistry;
  readonly registry?: SchemaRegistry;
  /** names this process in the command log (default: a random id) */
  readonly instanceId?: string;
}

/** Statements that go through the command log: they change the catalog or the set of running queries. */
const COMMANDS: ReadonlySet<Statement['kind']> = new Set(['CreateSource', 'CreateAsSelect', 'InsertInto', 'DropSource', 'Terminate', 'CreateType', 'DropType', 'PauseResume', 'AlterSource']);

/**
 * The engine over a real Kafka: the shared StatementExecutor with a runtime
 * port whose queries run as consumer groups (QueryRunner), and a command log
 * that orders every catalog-changing statement across the processes of one
 * service id. Statements are executed only when read back from the log, so
 * every process executes the same statements in the same order and derives
 * the same query ids.
 */
export class KafkaEngine {
  readonly serviceId: string;
  readonly instanceId: string;
  readonly port: KafkaPort;
  readonly functions: FunctionRegistry;
  readonly registry: SchemaRegistry;
  readonly processingLog = new MemoryProcessingLog();
  readonly executor: StatementExecutor;
  readonly guarantee: ProcessingGuarantee;
  readonly commandLog: CommandLog;
  readonly #topics = new Map<string, TopicInfo>();
  readonly #runners = new Map<string, QueryRunner>();
  /** admin work and produces the synchronous runtime port started; awaited before the next command */
  #pending: Promise<unknown>[] = [];
  readonly #results = new Map<number, { result?: StatementResult; error?: unknown }>();
  #replaying = true;
  #producer: Promise<KafkaProducer> | null = null;
  #closed = false;
  readonly #precreated: boolean;
  readonly #errors: string[] = [];

  private constructor(o: KafkaEngineOptions) {
    const props = { ...(o.properties ?? {}) };
    this.serviceId = o.serviceId ?? props['ksql.service.id'] ?? names.DEFAULT_SERVICE_ID;
    props['ksql.service.id'] = this.serviceId;
    this.instanceId = o.instanceId ?? randomUUID();
    this.port = o.port;
    this.functions = o.functions ?? builtinRegistry();
    this.registry = o.registry ?? new InMemorySchemaRegistry();
    const g = (props['processing.guarantee'] ?? props['ksql.streams.processing.guarantee'] ?? 'at_least_once').toLowerCase();
    if (g !== 'at_least_once' && g !== 'exactly_once_v2' && g !== 'exactly_once') {
      throw new KsqlError(`Unknown processing.guarantee: ${g} (at_least_once, exactly_once_v2)`);
    }
    this.guarantee = g === 'at_least_once' ? 'at_least_once' : 'exactly_once_v2';
    this.#precreated = (props['ksql.internal.topics.precreated'] ?? 'false').toLowerCase() === 'true';
    const runtime: RuntimePort = {
      topicPartitions: (name) => this.#topics.get(name)?.partitions,
      createTopic: (name, partitions, config) => this.#createTopic(name, partitions, config ?? {}),
      deleteTopic: (name) => this.#deleteTopic(name),
      startQuery: (id, root, opts) => this.#startQuery(id, root, opts.earliest),
      stopQuery: (id) => this.#stopQuery(id),
      produce: (topic, rec) => void this.#track(this.produce(topic, rec)),
    };
    this.executor = new StatementExecutor(this.functions, this.registry, runtime, props);
    this.commandLog = new CommandLog({
      port: this.port,
      serviceId: this.serviceId,
      instanceId: this.instanceId,
      create: !this.#precreated,
      apply: (c, offset, replaying) => this.#apply(c, offset, replaying),
    });
  }

  /** Connects, replays the command log (rebuilding the catalog), starts the queries still running, and follows the log. */
  static async start(o: KafkaEngineOptions): Promise<KafkaEngine> {
    const engine = new KafkaEngine(o);
    await engine.#refreshTopics();
    if (engine.processingLogTopic && !engine.#precreated) {
      await engine.port.admin.createTopics([{ name: engine.processingLogTopic, partitions: 1 }]);
    }
    await engine.commandLog.start();
    await engine.#endReplay();
    // the processing log as a stream users can query (ksqlDB's ksql.logging.processing.stream.auto.create)
    const logTopic = engine.processingLogTopic;
    if (logTopic && engine.executor.properties['ksql.logging.processing.stream.auto.create'] === 'true' && !engine.executor.metastore.source('KSQL_PROCESSING_LOG')) {
      await engine.execute(processingLogStreamSql(logTopic));
    }
    return engine;
  }

  get properties(): Readonly<Record<string, string>> {
    return this.executor.properties;
  }

  get processingLogTopic(): string | null {
    const on = (this.executor.properties['ksql.logging.processing.topic.enable'] ?? 'true').toLowerCase() === 'true';
    return on ? (this.executor.properties['ksql.logging.processing.topic.name'] ?? names.processingLogTopic(this.serviceId)) : null;
  }

  /** Whether the engine replayed the log and every query it runs has started (readiness). */
  get ready(): boolean {
    return !this.#replaying && !this.#closed && [...this.#runners.values()].every((r) => r.status.state === 'RUNNING');
  }

  /** Errors of queries that failed to start or stopped with an error. */
  get errors(): readonly string[] {
    return this.#errors;
  }

  queryStatus(queryId: string): QueryStatus | undefined {
    return this.#runners.get(queryId)?.status;
  }

  runner(queryId: string): QueryRunner | undefined {
    return this.#runners.get(queryId);
  }

  source(name: string): DataSource | undefined {
    return this.executor.metastore.source(name);
  }

  sources(): readonly DataSource[] {
    return this.executor.metastore.sources();
  }

  topics(): readonly TopicInfo[] {
    return [...this.#topics.values()];
  }

  /** Runs a script; statements that change the catalog go through the command log and return once executed here. */
  async execute(sql: string, properties: Readonly<Record<string, string>> = {}): Promise<StatementResult[]> {
    const props: Record<string, string> = { ...properties };
    const results: StatementResult[] = [];
    for (const st of parseScript(sql, new Map())) {
      if (st.kind === 'SetProperty') {
        props[st.name] = st.value;
        results.push({ statement: st, message: `Successfully changed local property '${st.name}' to '${st.value}'.`, queryId: null });
        continue;
      }
      if (st.kind === 'UnsetProperty') {
        delete props[st.name];
        results.push({ statement: st, message: `Successfully unset local property '${st.name}'.`, queryId: null });
        continue;
      }
      results.push(await this.executeStatement(st, props));
    }
    return results;
  }

  async executeStatement(st: Statement, properties: Readonly<Record<string, string>> = {}): Promise<StatementResult> {
    if (this.#closed) throw new KsqlError('The engine is closed.');
    if (!COMMANDS.has(st.kind)) {
      await this.#settle();
      const r = this.executor.executeStatement(st, properties);
      await this.#settle();
      return r;
    }
    const offset = await this.commandLog.append(st.text, properties);
    const outcome = this.#results.get(offset);
    this.#results.delete(offset);
    if (!outcome) throw new KsqlError(`Command at offset ${offset} was not executed by this process.`);
    if (outcome.error !== undefined) throw outcome.error;
    return outcome.result!;
  }

  /** Produces one record (INSERT VALUES, the REST inserts endpoint). */
  async produce(topic: string, rec: ProduceRecord): Promise<void> {
    const producer = await this.#sharedProducer();
    await producer.send([{ topic, ...rec, headers: (rec.headers ?? []).filter((h) => h.value !== null) }]);
  }

  /** Follows a topic from its end (push queries over the REST API); returns the unsubscribe function. */
  subscribeTopic(topic: string, handler: (r: BrokerRecord) => void, from: 'earliest' | 'latest' = 'latest'): () => void {
    let closed = false;
    const consumer = this.port.consumer({ groupId: `_confluent-ksql-${this.serviceId}transient_${randomUUID()}`, topics: [topic], from });
    void consumer
      .then(async (c) => {
        if (closed) return c.close();
        await c.run(async (b) => {
          if (!closed) b.records.forEach(handler);
        });
      })
      .catch((e: Error) => this.#errors.push(`subscription to ${topic} failed: ${e.message}`));
    return () => {
      closed = true;
      void consumer.then((c) => c.close()).catch(() => {});
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.commandLog.close();
    await Promise.allSettled([...this.#runners.values()].map((r) => r.stop()));
    this.#runners.clear();
    await this.#settle();
    const p = this.#producer;
    this.#producer = null;
    if (p) await (await p).close().catch(() => {});
  }

  // ----------------------------------------------------------------- command log

  async #apply(c: Command, offset: number, replaying: boolean): Promise<void> {
    const mine = c.origin === this.instanceId;
    let st: Statement;
    try {
      const parsed = parseScript(c.statement, new Map());
      if (parsed.length !== 1) throw new KsqlError(`A command holds one statement, got ${parsed.length}`);
      st = parsed[0]!;
    } catch (e) {
      if (mine) this.#results.set(offset, { error: e });
      return;
    }
    if (!replaying) {
      await this.#settle();
      await this.#refreshTopics();
    }
    try {
      const result = this.executor.executeStatement(st, c.streamsProperties);
      await this.#settle();
      if (mine) this.#results.set(offset, { result });
    } catch (e) {
      if (mine) this.#results.set(offset, { error: e });
    }
  }

  async #endReplay(): Promise<void> {
    await this.#refreshTopics();
    this.#replaying = false;
    for (const [id, r] of this.#runners) this.#launch(id, r);
  }

  // ----------------------------------------------------------------- runtime port

  #createTopic(name: string, partitions: number, config: Record<string, string>): void {
    this.#topics.set(name, { name, partitions, config });
    if (this.#replaying) return; // the original execution created it (or a later command deleted it)
    this.#track(this.port.admin.createTopics([{ name, partitions, config }]));
  }

  #deleteTopic(name: string): void {
    this.#topics.delete(name);
    if (this.#replaying) return;
    this.#track(this.port.admin.deleteTopics([name]).catch(() => {}));
  }

  #startQuery(queryId: string, root: Step, earliest: boolean): void {
    const runner = new QueryRunner({
      port: this.port,
      serviceId: this.serviceId,
      queryId,
      root,
      functions: this.functions,
      registry: this.registry,
      properties: this.executor.properties,
      log: this.processingLog,
      processingLogTopic: this.processingLogTopic,
      guarantee: this.guarantee,
      earliest,
      precreatedInternalTopics: this.#precreated,
      sharedProducer: () => this.#sharedProducer(),
    });
    // what ksqlDB checks when the statement runs (replayed statements were checked when first run)
    if (!this.#replaying) runner.prepare((t) => this.#topics.get(t)?.partitions);
    this.#runners.set(queryId, runner);
    if (!this.#replaying) this.#launch(queryId, runner);
  }

  #launch(queryId: string, runner: QueryRunner): void {
    void Promise.allSettled(this.#pending)
      .then(() => (this.#closed ? undefined : runner.start()))
      .catch((e: Error) => this.#errors.push(`${queryId}: ${e.message}`));
  }

  #stopQuery(queryId: string): void {
    const runner = this.#runners.get(queryId);
    if (!runner) return;
    this.#runners.delete(queryId);
    const replaying = this.#replaying;
    this.#track(
      runner.stop().then(async () => {
        // TERMINATE removes the query's internal topics, as ksqlDB does
        if (!replaying && runner.internalTopics.length > 0) await this.port.admin.deleteTopics(runner.internalTopics).catch(() => {});
      }),
    );
  }

  #sharedProducer(): Promise<KafkaProducer> {
    this.#producer ??= this.port.producer();
    return this.#producer;
  }

  #track(p: Promise<unknown>): void {
    const tracked = p.catch((e: Error) => this.#errors.push(e.message));
    this.#pending.push(tracked);
  }

  /** Waits for the admin work and produces started so far. */
  async #settle(): Promise<void> {
    while (this.#pending.length > 0) {
      const now = this.#pending;
      this.#pending = [];
      await Promise.allSettled(now);
    }
  }

  async #refreshTopics(): Promise<void> {
    const listed = await this.port.admin.listTopics();
    const live = new Set(listed);
    for (const name of [...this.#topics.keys()]) if (!live.has(name)) this.#topics.delete(name);
    const unknown = listed.filter((t) => !this.#topics.has(t) && !t.startsWith('__'));
    if (unknown.length > 0) for (const info of await this.port.admin.describeTopics(unknown)) this.#topics.set(info.name, info);
  }
}
