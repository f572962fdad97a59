import { processingLogStreamSql } from '../runtime/processing-log.js';
import { randomUUID } from 'node:crypto';
import type { DataSource } from '../catalog/data-source.js';
import type { BrokerRecord, Header, ProduceRecord, TopicInfo } from '../driver/broker.js';
import type { StatementResult } from '../engine.js';
import { KsqlError } from '../errors.js';
import { StatementExecutor, type RuntimePort } from '../exec/executor.js';
import { builtinRegistry } from '../functions/builtins.js';
import type { FunctionRegistry } from '../functions/types.js';
import { MemoryProcessingLog } from '../runtime/processing-log.js';
import { InMemorySchemaRegistry } from '../serde/index.js';
import type { SchemaRegistry } from '../serde/types.js';
import { engineLogger, type Logger } from '../server/logger.js';
import { EngineMetrics } from '../server/metrics.js';
import { parseScript } from '../sql/index.js';
import type { Statement } from '../sql/ast/statement.js';
import type { Step } from '../topology/topology.js';
import { CommandLog, type Command } from './command-log.js';
import * as names from './names.js';
import type { KafkaConsumer, KafkaPort, KafkaProducer } from './port.js';
import { QueryRunner, type ProcessingGuarantee, type QueryStatus } from './query-runner.js';
import { mergeStatus, numStreamThreads, perQueryTuning, processingLogHeaders, StreamThreads, type StreamThreadsSpec } from './stream-threads.js';

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
  /** the process's Prometheus metrics (default: a registry of its own) */
  readonly metrics?: EngineMetrics;
  /** JSON logger (default: KSETL_LOG_LEVEL / ksetl.log.level, else silent) */
  readonly logger?: Logger;
  /** the team's namespace and cluster (KSETL_NAMESPACE, KSETL_CLUSTER): carried by processing-log records as headers */
  readonly identity?: { readonly namespace: string; readonly cluster: string };
  /**
   * How worker stream threads reach Kafka: with `ksql.streams.num.stream.threads`
   * N > 1, N - 1 worker threads run the queries beside the main thread
   * (stream-threads.ts). Without it the process runs one stream thread.
   */
  readonly streamThreads?: StreamThreadsSpec;
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
  /** the internal topics of queries being replaced in place, by query id (see #stopQuery) */
  readonly #replacedTopics = new Map<string, readonly string[]>();
  /** admin work and produces the synchronous runtime port started; awaited before the next command */
  #pending: Promise<unknown>[] = [];
  /**
   * While a statement runs for a caller (a command this process appended, or
   * a local statement such as INSERT VALUES): the work it starts, whose
   * failure is the statement's error instead of a background error.
   */
  #statementWork: Promise<unknown>[] | null = null;
  /**
   * Whether the command being applied was appended by this process. Only that
   * process creates and deletes the topics of a statement, as ksqlDB's
   * topic injectors do on the server that takes the request: another process
   * applying the same command later (it may lag behind by several commands)
   * must not delete the topic made anew under the same name since, nor create
   * again one deleted since.
   */
  #origin = false;
  /** push-query subscriptions per topic, ended when the topic is deleted */
  readonly #subscriptions = new Map<string, Set<() => void>>();
  readonly #results = new Map<number, { result?: StatementResult; error?: unknown }>();
  #replaying = true;
  #producer: Promise<KafkaProducer> | null = null;
  #closed = false;
  readonly #precreated: boolean;
  readonly #errors: string[] = [];
  #lastErrorAt = 0;
  readonly metrics: EngineMetrics;
  readonly logger: Logger;
  #lagTimer: NodeJS.Timeout | null = null;
  readonly #unhook: (() => void)[] = [];
  readonly #identity: KafkaEngineOptions['identity'] | null;
  /** the group ids (by number) of the topic reads running now (scanTopic) */
  readonly #scanSlots = new Set<number>();
  /** the worker stream threads (num.stream.threads > 1), null with one stream thread */
  #threads: StreamThreads | null = null;
  /** runners of the command being applied, launched once the worker threads applied it too */
  readonly #deferred: [string, QueryRunner][] = [];

  private constructor(o: KafkaEngineOptions) {
    this.#identity = o.identity ?? null;
    const props = { ...(o.properties ?? {}) };
    this.serviceId = o.serviceId ?? props['ksql.service.id'] ?? names.DEFAULT_SERVICE_ID;
    props['ksql.service.id'] = this.serviceId;
    this.instanceId = o.instanceId ?? randomUUID();
    this.metrics = o.metrics ?? new EngineMetrics({ serviceId: this.serviceId, defaultMetrics: false });
    this.logger = o.logger ?? engineLogger({ serviceId: this.serviceId, level: process.env['KSETL_LOG_LEVEL'] ?? props['ksetl.log.level'] ?? 'silent' });
    this.#hookMetrics();
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
      startQuery: (id, root, opts) => this.#startQuery(id, root, opts.earliest, opts.properties ?? {}),
      stopQuery: (id, opts) => this.#stopQuery(id, opts?.keepState ?? false),
      produce: (topic, rec) => void this.#track(this.produce(topic, rec)),
    };
    this.executor = new StatementExecutor(this.functions, this.registry, runtime, props);
    this.commandLog = new CommandLog({
      port: this.port,
      serviceId: this.serviceId,
      instanceId: this.instanceId,
      create: !this.#precreated,
      apply: (c, offset, replaying) => this.#apply(c, offset, replaying),
      onError: (e, offset) => this.logger.error({ err: e, offset }, offset === null ? 'the command runner stopped' : 'command failed; skipped'),
    });
  }

  /** Connects, replays the command log (rebuilding the catalog), starts the queries still running, and follows the log. */
  /** the Kafka cluster's id, when the port tells it (GET /info) */
  clusterId: string | undefined = undefined;

  static async start(o: KafkaEngineOptions): Promise<KafkaEngine> {
    const engine = new KafkaEngine(o);
    await engine.#refreshTopics();
    engine.clusterId = await engine.port.admin.clusterId?.().catch(() => undefined);
    if (engine.processingLogTopic && !engine.#precreated) {
      await engine.port.admin.createTopics([{ name: engine.processingLogTopic, partitions: 1 }]);
    }
    engine.#startThreads(o);
    engine.logger.info({ instance_id: engine.instanceId, guarantee: engine.guarantee }, 'replaying the command log');
    await engine.commandLog.start();
    await engine.#endReplay();
    engine.logger.info({ queries: engine.#runners.size }, 'command log replayed');
    engine.#startLagRefresh();
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

  /**
   * Who wrote a processing-log record, as Kafka headers: the value keeps
   * ksqlDB's KSQL_PROCESSING_LOG shape, and a topic shared by several
   * clusters still tells them apart.
   */
  #processingLogHeaders(queryId: string): Header[] {
    return processingLogHeaders(this.serviceId, this.#identity, queryId);
  }

  /** Starts the worker stream threads (num.stream.threads - 1 of them; the main thread is the first). */
  #startThreads(o: KafkaEngineOptions): void {
    const n = numStreamThreads(this.properties);
    if (n <= 1) return;
    if (!o.streamThreads) {
      this.logger.info({ num_stream_threads: n }, 'num.stream.threads is ignored on this Kafka port: one stream thread');
      return;
    }
    this.#threads = StreamThreads.start(
      n - 1,
      {
        serviceId: this.serviceId,
        properties: this.properties,
        client: o.streamThreads.client,
        portOptions: o.streamThreads.portOptions,
        logLevel: o.streamThreads.logLevel,
        identity: this.#identity ?? null,
        processingLogTopic: this.processingLogTopic,
        guarantee: this.guarantee,
        precreated: this.#precreated,
      },
      this.logger,
      (message) => this.#backgroundError(message),
      () => [...this.#topics.values()],
    );
    const threads = this.#threads;
    this.#unhook.push(this.metrics.addSource(() => threads.metrics()));
    this.logger.info({ num_stream_threads: n }, 'stream threads started');
  }

  /** The worker stream threads (null with one stream thread). */
  get threads(): StreamThreads | null {
    return this.#threads;
  }

  get processingLogTopic(): string | null {
    const on = (this.executor.properties['ksql.logging.processing.topic.enable'] ?? 'true').toLowerCase() === 'true';
    return on ? (this.executor.properties['ksql.logging.processing.topic.name'] ?? names.processingLogTopic(this.serviceId)) : null;
  }

  /** Whether the engine replayed the log and every query it runs has started (readiness). */
  get ready(): boolean {
    return !this.#replaying && !this.#closed && [...this.#runners.keys()].every((id) => this.queryStatus(id)?.state === 'RUNNING');
  }

  /** Background failures no caller was told about (a query's start, a push query's subscription, ...), the latest 100. */
  get errors(): readonly string[] {
    return this.#errors;
  }

  #backgroundError(message: string): void {
    this.#errors.push(`${new Date().toISOString()} ${message}`);
    if (this.#errors.length > 100) this.#errors.splice(0, this.#errors.length - 100);
    this.#lastErrorAt = Date.now();
  }

  /**
   * The process's health, as /healthcheck shows it: the command runner (it
   * follows the command topic) and the persistent queries (none in ERROR).
   * A query in ERROR does not make the process unhealthy: restarting the
   * process would not mend it, and the process still serves the others.
   */
  health(): { readonly isHealthy: boolean; readonly details: Record<string, { readonly isHealthy: boolean } & Record<string, unknown>> } {
    const log = this.commandLog.status;
    const queries: Record<string, string> = {};
    const errors: Record<string, string> = {};
    for (const [id, r] of this.#runners) {
      const st = r.status;
      queries[id] = st.state;
      if (st.state === 'ERROR') errors[id] = st.error ?? st.lastError ?? 'unknown error';
    }
    const commandRunner = { isHealthy: !this.#closed && log.running, ...(log.lastError ? { lastError: log.lastError } : {}), failedCommands: log.failed };
    return {
      isHealthy: commandRunner.isHealthy,
      details: {
        metastore: { isHealthy: true },
        kafka: { isHealthy: !this.#closed },
        commandRunner,
        queries: { isHealthy: Object.keys(errors).length === 0, queries, ...(Object.keys(errors).length > 0 ? { errors } : {}) },
        // failures of work no caller waited for; unhealthy for 5 minutes after the last one
        background: { isHealthy: Date.now() - this.#lastErrorAt > 300_000, errors: this.#errors.slice(-10) },
      },
    };
  }

  /**
   * Whether every query of this process has processed and committed its
   * inputs and repartition topics up to `ends` (log end offsets by
   * `topic:partition`, read by the caller), with no engine work (topic
   * creation, query stops) pending: see QueryRunner.caughtUp. A caller that
   * reads the ends, finds this true and then reads the same ends again knows
   * that nothing is left to do (tests on a real broker settle this way).
   */
  caughtUp(ends: ReadonlyMap<string, number>): boolean {
    if (this.#replaying || this.#closed || this.#inFlight > 0) return false;
    return [...this.#runners.values()].every((r) => r.caughtUp(ends));
  }

  /** The topics this process's queries read (sources and repartition topics): what `caughtUp` needs the ends of. */
  consumedTopics(): string[] {
    return [...new Set([...this.#runners.values()].flatMap((r) => r.consumedTopics))];
  }

  /** A query's status in this process: over all its stream threads. */
  queryStatus(queryId: string): QueryStatus | undefined {
    const st = this.#runners.get(queryId)?.status;
    return st && this.#threads ? mergeStatus(st, this.#threads.statuses(queryId)) : st;
  }

  /**
   * Errors of queries that failed to start or stopped, the last error of every query in
   * ERROR, and each query's error queue (EXPLAIN's queryErrors: a task that failed on a record).
   */
  queryErrors(): string[] {
    const out = [...this.#errors];
    for (const q of this.executor.metastore.queries()) {
      const s = this.queryStatus(q.id);
      if (s?.error) out.push(`${q.id}: ${s.error}`);
      for (const e of s?.errors ?? []) if (e.errorMessage !== s?.error) out.push(`${q.id}: ${e.errorMessage}`);
    }
    return out;
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
      const work: Promise<unknown>[] = [];
      this.#statementWork = work;
      let r: StatementResult;
      try {
        r = this.executor.executeStatement(st, properties);
      } finally {
        this.#statementWork = null;
      }
      await this.#settle();
      await failedWork(work, st);
      return r;
    }
    // the statement keeps its line in the script: positions in error messages count from the script's start, as in ksqlDB
    const offset = await this.commandLog.append('\n'.repeat(Math.max(0, st.loc.line - 1)) + st.text, properties);
    const outcome = this.#results.get(offset);
    this.#results.delete(offset);
    if (!outcome) throw new KsqlError(`Command at offset ${offset} was not executed by this process.`);
    if (outcome.error !== undefined) throw outcome.error;
    return { ...outcome.result!, commandSequenceNumber: offset };
  }

  /** Produces one record (INSERT VALUES, the REST inserts endpoint). */
  async produce(topic: string, rec: ProduceRecord): Promise<void> {
    const producer = await this.#sharedProducer();
    await producer.send([{ topic, ...rec }]);
  }

  /**
   * Follows a topic (push queries over the REST API) from its start, or from
   * its end at the time of the call (records produced while the consumer
   * joins its group are delivered too); returns the unsubscribe function.
   */
  subscribeTopic(topic: string, handler: (r: BrokerRecord) => void, from: 'earliest' | 'latest' = 'latest'): () => void {
    let closed = false;
    let subscribers = this.#subscriptions.get(topic);
    if (!subscribers) this.#subscriptions.set(topic, (subscribers = new Set()));
    const unsubscribe = (): void => {
      closed = true;
      subscribers.delete(unsubscribe);
      if (subscribers.size === 0 && this.#subscriptions.get(topic) === subscribers) this.#subscriptions.delete(topic);
      void consumer.then((c) => c.close()).catch((e: Error) => this.logger.debug({ err: e, topic }, 'push query consumer close failed'));
    };
    subscribers.add(unsubscribe);
    const consumer = (async () => {
      const ends = from === 'latest' ? new Map((await this.port.admin.fetchWatermarks(topic)).map((w) => [w.partition, w.high])) : null;
      let c: KafkaConsumer | null = null;
      c = await this.port.consumer({
        groupId: `_confluent-ksql-${this.serviceId}transient_${randomUUID()}`,
        topics: [topic],
        from,
        maxWaitMs: 100,
        readCommitted: this.guarantee === 'exactly_once_v2',
        onAssigned: (tps) => {
          for (const tp of tps) {
            const end = ends?.get(tp.partition);
            if (end !== undefined) c?.seek({ ...tp, offset: end });
          }
        },
      });
      return c;
    })();
    void consumer
      .then(async (c) => {
        if (closed) return c.close();
        await c.run(async (b) => {
          if (!closed) b.records.forEach(handler);
        });
      })
      .catch((e: Error) => {
        this.#backgroundError(`subscription to ${topic} failed: ${e.message}`);
        this.logger.warn({ err: e, topic }, 'push query subscription failed');
      });
    return unsubscribe;
  }

  /**
   * Reads a topic from its start to its current end (the high watermarks at
   * the call), in partition then offset order: what a pull query scans. With
   * exactly_once_v2 only committed records are read.
   */
  async scanTopic(topic: string, timeoutMs = 60_000): Promise<BrokerRecord[]> {
    const marks = (await this.port.admin.fetchWatermarks(topic)).filter((w) => w.high > w.low);
    if (marks.length === 0) return [];
    const end = new Map(marks.map((w) => [w.partition, w.high]));
    const byPartition = new Map<number, BrokerRecord[]>(marks.map((w) => [w.partition, []]));
    const pending = new Set(end.keys());
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    // Reads commit nothing: a group id of this process is reused by the next read (kafkajs has
    // no group-less consumer), so pull queries do not leave a consumer group each behind.
    let slot = 0;
    while (this.#scanSlots.has(slot)) slot++;
    this.#scanSlots.add(slot);
    const consumer = await this.port
      .consumer({
        groupId: `_confluent-ksql-${this.serviceId}transient_scan_${this.instanceId}_${slot}`,
        topics: [topic],
        from: 'earliest',
        readCommitted: this.guarantee === 'exactly_once_v2',
        maxWaitMs: 100,
        onProgress: (p) => {
          const e = end.get(p.partition);
          if (e !== undefined && p.offset >= e - 1 && pending.delete(p.partition) && pending.size === 0) done();
        },
      })
      .catch((e: unknown) => {
        this.#scanSlots.delete(slot);
        throw e;
      });
    let timer: NodeJS.Timeout | undefined;
    try {
      await consumer.run(async (b) => {
        const e = end.get(b.partition);
        const list = byPartition.get(b.partition);
        if (e === undefined || !list) return;
        for (const r of b.records) if (r.offset < e) list.push(r);
      });
      await Promise.race([
        finished,
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new KsqlError(`Timed out reading ${topic} to its end (${timeoutMs} ms; partitions not read to their end: ${[...pending].map((p) => `${p} (${byPartition.get(p)?.length ?? 0} of ${end.get(p)} read)`).join(', ')})`)), timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
      await consumer.close().finally(() => this.#scanSlots.delete(slot));
    }
    return [...byPartition.keys()].sort((a, b) => a - b).flatMap((p) => byPartition.get(p)!);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#lagTimer) clearInterval(this.#lagTimer);
    this.#lagTimer = null;
    this.logger.info('engine closing');
    await this.commandLog.close();
    await Promise.allSettled([...this.#runners.values()].map((r) => r.stop()).concat(this.#threads ? [this.#threads.close()] : []));
    this.#runners.clear();
    await this.#settle();
    const p = this.#producer;
    this.#producer = null;
    if (p) await (await p).close().catch(() => {});
    for (const u of this.#unhook.splice(0)) u();
  }

  // ----------------------------------------------------------------- metrics

  #hookMetrics(): void {
    const m = this.metrics;
    this.#unhook.push(
      m.onCollect('ksetl_queries', () => m.get('ksetl_queries').set(this.#runners.size)),
      m.onCollect('ksetl_process_ready', () => m.get('ksetl_process_ready').set(this.ready ? 1 : 0)),
      m.onCollect('ksetl_query_state', () => {
        for (const [id, r] of this.#runners) m.setQueryState(id, r.metricState);
      }),
      m.onCollect('ksetl_state_store_entries', () => {
        const g = m.get('ksetl_state_store_entries');
        for (const [id, r] of this.#runners) for (const [store, n] of r.storeEntries()) g.set({ query_id: id, store }, n);
      }),
    );
  }

  /** Refreshes the consumer-lag gauges every `ksetl.metrics.lag.refresh.ms` (default 10 s). */
  #startLagRefresh(): void {
    const every = Number(this.properties['ksetl.metrics.lag.refresh.ms'] ?? 10_000);
    if (!(every > 0)) return;
    let running = false;
    this.#lagTimer = setInterval(() => {
      if (running || this.#closed) return;
      running = true;
      void this.refreshLag().finally(() => (running = false));
    }, every);
    this.#lagTimer.unref();
  }

  /** Recomputes every query's consumer lag now (also run periodically). */
  async refreshLag(): Promise<void> {
    if (this.#runners.size === 0) return;
    // one listing for every query's check of its input topics
    const listing = this.port.admin.listTopics().then((t): ReadonlySet<string> => new Set(t));
    listing.catch(() => {}); // each runner's refresh reports it
    await Promise.all(
      [...this.#runners.values()].map((r) => r.refreshLag(listing).catch((e: Error) => this.logger.debug({ err: e }, 'lag refresh failed'))),
    );
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
      // a listing that fails (a topic deleted while it was described) leaves the last one: the statement still runs
      await this.#refreshTopics().catch((e: Error) => this.logger.warn({ err: e, offset }, 'topic listing failed; using the last one'));
    }
    // the worker stream threads apply it once it is applied here (its topics made), on the catalog it was applied on
    const known = this.#threads ? [...this.#topics.values()] : [];
    try {
      await this.#applyHere(c, st, offset, mine, replaying);
    } finally {
      if (this.#threads) {
        this.#threads.apply(c.statement, c.streamsProperties, known);
        const deferred = this.#deferred.splice(0);
        if (deferred.length > 0) {
          const synced = this.#threads.sync();
          for (const [id, r] of deferred) this.#launch(id, r, synced);
        }
      }
    }
  }

  async #applyHere(c: Command, st: Statement, offset: number, mine: boolean, replaying: boolean): Promise<void> {
    const work: Promise<unknown>[] = [];
    try {
      this.#origin = mine && !replaying;
      this.#statementWork = this.#origin ? work : null;
      let result: StatementResult;
      try {
        result = this.executor.executeStatement(st, c.streamsProperties);
      } finally {
        this.#origin = false;
        this.#statementWork = null;
      }
      if (st.kind === 'PauseResume') this.#syncPaused();
      await this.#settle();
      await failedWork(work, st);
      if (mine) this.#results.set(offset, { result });
      if (!replaying) this.logger.info({ offset, origin: c.origin, ...(result.queryId ? { query_id: result.queryId } : {}) }, `executed ${st.kind}`);
    } catch (e) {
      if (mine) this.#results.set(offset, { error: e });
      if (!replaying) this.logger.info({ offset, origin: c.origin, err: (e as Error).message }, `refused ${st.kind}`);
    }
  }

  async #endReplay(): Promise<void> {
    await this.#refreshTopics();
    this.#replaying = false;
    this.#threads?.endReplay([...this.#topics.values()]);
    this.#syncPaused();
    // the workers' runners join the queries' groups at about the same time as these (one rebalance, not two)
    const synced = this.#threads?.sync();
    for (const [id, r] of this.#runners) this.#launch(id, r, synced);
  }

  /** PAUSE / RESUME: the runners follow the queries' states in the metastore. */
  #syncPaused(): void {
    for (const [id, r] of this.#runners) {
      if (this.executor.metastore.query(id)?.state === 'PAUSED') r.pause();
      else r.resume();
    }
  }

  // ----------------------------------------------------------------- runtime port

  #createTopic(name: string, partitions: number, config: Record<string, string>): void {
    this.#topics.set(name, { name, partitions, config });
    if (this.#replaying) return; // the original execution created it (or a later command deleted it)
    // the name may be an old one's: what the clients cached about the old topic goes
    this.port.forgetTopics?.([name]);
    if (this.#origin) this.#track(this.port.admin.createTopics([{ name, partitions, config }]));
  }

  #deleteTopic(name: string): void {
    this.#topics.delete(name);
    if (this.#replaying) return;
    for (const unsubscribe of [...(this.#subscriptions.get(name) ?? [])]) unsubscribe();
    if (this.#origin) this.#track(this.port.admin.deleteTopics([name]));
    else this.port.forgetTopics?.([name]);
  }

  #startQuery(queryId: string, root: Step, earliest: boolean, statementProperties: Readonly<Record<string, string>>): void {
    const runner = new QueryRunner({
      port: this.port,
      serviceId: this.serviceId,
      queryId,
      root,
      functions: this.functions,
      registry: this.registry,
      properties: { ...this.executor.properties, ...perQueryTuning(statementProperties) },
      log: this.processingLog,
      processingLogTopic: this.processingLogTopic,
      processingLogHeaders: this.#processingLogHeaders(queryId),
      guarantee: this.guarantee,
      earliest,
      precreatedInternalTopics: this.#precreated,
      sharedProducer: () => this.#sharedProducer(),
      metrics: this.metrics,
      logger: this.logger.child({ query_id: queryId }),
    });
    // what ksqlDB checks when the statement runs (replayed statements were checked when first run)
    if (!this.#replaying) runner.prepare((t) => this.#topics.get(t)?.partitions);
    // a query replaced in place: the internal topics of the old plan the new one does not use go
    const previous = this.#replacedTopics.get(queryId);
    this.#replacedTopics.delete(queryId);
    const unused = previous?.filter((t) => !runner.internalTopics.includes(t)) ?? [];
    if (!this.#replaying && unused.length > 0) {
      const stopping = [...this.#pending]; // the old runner's stop: it may still flush to them
      this.#track(Promise.allSettled(stopping).then(() => this.port.admin.deleteTopics(unused).catch(() => {})));
    }
    this.#runners.set(queryId, runner);
    // with worker stream threads, launched once the workers applied the command too (see #apply)
    if (!this.#replaying && this.#threads) this.#deferred.push([queryId, runner]);
    else if (!this.#replaying) this.#launch(queryId, runner);
  }

  #launch(queryId: string, runner: QueryRunner, after?: Promise<void>): void {
    void Promise.allSettled([...this.#pending, ...(after ? [after] : [])])
      .then(() => (this.#closed ? undefined : runner.start()))
      .catch((e: Error) => {
        this.#backgroundError(`${queryId}: ${e.message}`);
      });
  }

  /**
   * TERMINATE removes the query's internal topics, as ksqlDB does. A query
   * replaced in place (`keepState`) keeps them: the new runner, under the same
   * query id, is launched once this stop has settled and takes over the
   * consumer group, the changelogs (its stores restore from them) and the
   * repartition topics; it deletes those its plan no longer declares.
   */
  #stopQuery(queryId: string, keepState: boolean): void {
    const runner = this.#runners.get(queryId);
    if (!runner) return;
    this.#runners.delete(queryId);
    const replaying = this.#replaying;
    if (keepState) this.#replacedTopics.set(queryId, runner.internalTopics);
    // the worker stream threads stop theirs too before the topics and the group go
    const stopped = Promise.all([runner.stop(), this.#threads?.stopQuery(queryId, keepState)]);
    this.#track(
      stopped.then(async () => {
        if (keepState) return; // the query goes on: its metrics series too
        this.metrics.removeQuery(queryId);
        if (!replaying && runner.internalTopics.length > 0) await this.port.admin.deleteTopics(runner.internalTopics).catch(() => {});
        // and its consumer group, as ksqlDB's query cleanup does; not waited for: the other processes leave it when they apply the TERMINATE
        if (!replaying) void this.#deleteGroup(names.queryGroupId(this.serviceId, queryId));
      }),
    );
  }

  /** Deletes a consumer group once its last member left (retried for about a minute; best effort). */
  async #deleteGroup(groupId: string): Promise<void> {
    const admin = this.port.admin;
    if (!admin.deleteGroups) return;
    for (let attempt = 0; attempt < 12 && !this.#closed; attempt++) {
      try {
        if ((await admin.deleteGroups([groupId])).nonEmpty.length === 0) return;
      } catch (e) {
        this.logger.warn({ err: e, group: groupId }, 'could not delete the consumer group of a terminated query');
        return;
      }
      await new Promise<void>((r) => setTimeout(r, Math.min(10_000, 1_000 * 2 ** attempt)).unref());
    }
  }

  #sharedProducer(): Promise<KafkaProducer> {
    this.#producer ??= this.port.producer();
    return this.#producer;
  }

  #track(p: Promise<unknown>): void {
    const work = this.#statementWork;
    work?.push(p);
    const tracked = p.catch((e: Error) => {
      // a statement's own work fails the statement (failedWork); the rest has no caller to tell
      if (work) return;
      this.#backgroundError(e.message);
      this.logger.warn({ err: e }, 'background engine work failed');
    });
    this.#pending.push(tracked);
    this.#inFlight++;
    void tracked.finally(() => this.#inFlight--);
  }

  /** tracked work not finished yet */
  #inFlight = 0;

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

/**
 * Fails a statement whose work failed (its topic could not be created or
 * deleted, its INSERT could not be written): the caller learns of it, nothing
 * is lost silently.
 */
async function failedWork(work: readonly Promise<unknown>[], st: Statement): Promise<void> {
  if (work.length === 0) return;
  const failure = (await Promise.allSettled(work)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (!failure) return;
  const message = failure.reason instanceof Error ? failure.reason.message : String(failure.reason);
  if (st.kind === 'InsertValues') throw new KsqlError(`Failed to insert values into '${st.target}'. ${message}`, st.loc);
  throw new KsqlError(`${st.text.trim()} was executed, but its Kafka work failed: ${message}`, st.loc);
}
