import { randomUUID } from 'node:crypto';
import type { BrokerRecord, Header, ProduceRecord } from '../driver/broker.js';
import { KsqlError } from '../errors.js';
import type { FunctionRegistry } from '../functions/types.js';
import type { RuntimeContext } from '../runtime/context.js';
import { processingLogValue, type ProcessingLogEntry, type ProcessingLogger } from '../runtime/processing-log.js';
import type { SchemaRegistry } from '../serde/types.js';
import type { Logger } from '../server/logger.js';
import { errorKind, type EngineMetrics, type QueryState } from '../server/metrics.js';
import type { Step } from '../topology/topology.js';
import { ProbeStoreFactory, TaskStoreFactory } from './changelog-store.js';
import { checkpointPath, takeCheckpoint, writeCheckpoint } from './checkpoint.js';
import * as names from './names.js';
import type { ConsumedBatch, KafkaConsumer, KafkaPort, KafkaProducer, NewTopic, OutRecord, TopicPartition, TopicPartitionOffset } from './port.js';
import { buildTaskTopology, planDistributed, type DistributedPlan, type Repartitioned } from './task-topology.js';

export type ProcessingGuarantee = 'at_least_once' | 'exactly_once_v2';

export interface QueryRunnerOptions {
  readonly port: KafkaPort;
  readonly serviceId: string;
  readonly queryId: string;
  readonly root: Step;
  readonly functions: FunctionRegistry;
  readonly registry: SchemaRegistry;
  readonly properties: Readonly<Record<string, string>>;
  /** where processing errors go (the engine's log); entries are also written to `processingLogTopic` when set */
  readonly log: ProcessingLogger;
  readonly processingLogTopic: string | null;
  /** headers on every processing-log record (who wrote it: namespace, cluster, service and query ids) */
  readonly processingLogHeaders?: readonly Header[];
  readonly guarantee: ProcessingGuarantee;
  /** where partitions with no committed offset start (ksql.streams.auto.offset.reset) */
  readonly earliest: boolean;
  /** internal topics must exist already (ksql.internal.topics.precreated): never create them */
  readonly precreatedInternalTopics: boolean;
  readonly replicationFactor?: number;
  /** the ALOS producer shared by the engine's queries */
  readonly sharedProducer: () => Promise<KafkaProducer>;
  readonly metrics: EngineMetrics;
  /** the query's logger (a child with query_id) */
  readonly logger: Logger;
}

/** A task: one partition number of the query, with its own operators and stores. */
interface Task {
  readonly partition: number;
  readonly stores: TaskStoreFactory;
  readonly handlers: Map<string, ((r: BrokerRecord) => void)[]>;
  out: OutRecord[];
  ready: Promise<void>;
  producer: KafkaProducer | null;
  closed: boolean;
  restoring: boolean;
  /** restored and every batch since committed: its stores match the changelog (a checkpoint may be written) */
  clean: boolean;
  /**
   * Exactly-once: the group's committed offset per input topic, read once the
   * task's transactional producer was initialized (so no transaction of a
   * previous owner is still pending). Records below it were processed already.
   */
  readonly startOffsets: Map<string, number>;
}

export interface QueryStatus {
  readonly state: 'STARTING' | 'RUNNING' | 'ERROR' | 'STOPPING' | 'STOPPED';
  /** PAUSE: the consumer fetches nothing until RESUME */
  readonly paused: boolean;
  readonly error: string | null;
  readonly assigned: readonly number[];
  readonly processed: number;
  /** changelog records replayed into stores since start */
  readonly restored: number;
  /** the last error a batch failed with (the consumer then rejoins and retries from the committed offsets) */
  readonly lastError: string | null;
}

/**
 * One persistent query run the way Kafka Streams runs an application: a
 * consumer group named after the query, a task per input partition (the
 * co-partitioned partitions of every input and repartition topic together),
 * records processed in offset order per partition, outputs and changelog
 * writes flushed at the end of each fetched batch before its offsets are
 * committed (at-least-once), or sent in one transaction with the offsets by a
 * per-task transactional producer (exactly-once).
 */
export class QueryRunner {
  readonly groupId: string;
  readonly plan: DistributedPlan;
  #consumer: KafkaConsumer | null = null;
  readonly #tasks = new Map<number, Task>();
  #repartitions = new Map<string, Repartitioned>();
  #changelogTopics = new Map<string, string>();
  #state: QueryStatus['state'] = 'STARTING';
  #error: string | null = null;
  #processed = 0;
  #restored = 0;
  #lastError: string | null = null;
  #stopping = false;
  #paused = false;
  /** next offset to process per input partition of this process (for the lag gauge) */
  readonly #positions = new Map<string, TopicPartitionOffset>();
  readonly #sinkTopic: string | null;
  /** checkpoints being written per partition (a reassignment waits for them) */
  readonly #checkpoints = new Map<number, Promise<void>>();
  /**
   * The last transactional producer set-up per partition. Set-ups for one
   * transactional id run one after the other: a slow set-up of an earlier
   * assignment finishing after a newer one would fence the newer task's producer.
   */
  readonly #producerSetups = new Map<number, Promise<unknown>>();
  readonly #stateDir: string | null;
  readonly #m: {
    recordsIn: { inc(n: number): void };
    bytesIn: { inc(n: number): void };
    recordsOut: { inc(n: number): void };
    bytesOut: { inc(n: number): void };
    e2e: { observe(v: number): void };
    commit: { observe(v: number): void };
    aborts: { inc(): void };
    rebalances: { inc(): void };
  };

  constructor(private readonly o: QueryRunnerOptions) {
    this.groupId = names.queryGroupId(o.serviceId, o.queryId);
    this.plan = planDistributed(o.root);
    this.#sinkTopic = o.root.kind === 'Sink' ? o.root.topic : null;
    this.#stateDir = o.properties['ksql.streams.state.dir'] ?? o.properties['state.dir'] ?? null;
    const q = { query_id: o.queryId };
    const m = o.metrics;
    this.#m = {
      recordsIn: m.get('ksetl_query_records_in_total').labels(q),
      bytesIn: m.get('ksetl_query_bytes_in_total').labels(q),
      recordsOut: m.get('ksetl_query_records_out_total').labels(q),
      bytesOut: m.get('ksetl_query_bytes_out_total').labels(q),
      e2e: m.get('ksetl_query_e2e_latency_seconds').labels(q),
      commit: m.get('ksetl_query_commit_latency_seconds').labels(q),
      aborts: m.get('ksetl_query_transaction_aborts_total').labels(q),
      rebalances: m.get('ksetl_query_rebalances_total').labels(q),
    };
    // series exist from the start (a dashboard shows 0, not "no data")
    for (const c of [this.#m.recordsIn, this.#m.recordsOut, this.#m.bytesIn, this.#m.bytesOut, this.#m.aborts, this.#m.rebalances]) c.inc(0);
  }

  get status(): QueryStatus {
    return { state: this.#state, paused: this.#paused, error: this.#error, assigned: [...this.#tasks.keys()].sort((a, b) => a - b), processed: this.#processed, restored: this.#restored, lastError: this.#lastError };
  }

  /** The state ksetl_query_state reports (Kafka Streams' states as ksqlDB shows them). */
  get metricState(): QueryState {
    switch (this.#state) {
      case 'STARTING':
        return 'REBALANCING';
      case 'ERROR':
        return 'ERROR';
      case 'STOPPING':
        return 'PENDING_SHUTDOWN';
      case 'STOPPED':
        return 'NOT_RUNNING';
      case 'RUNNING':
        if (this.#paused) return 'PAUSED';
        return [...this.#tasks.values()].some((t) => t.restoring) ? 'REBALANCING' : 'RUNNING';
    }
  }

  /** Entries per store name over this process's tasks (ksetl_state_store_entries). */
  storeEntries(): Map<string, number> {
    const out = new Map<string, number>([...this.#changelogTopics.keys()].map((n) => [n, 0]));
    for (const t of this.#tasks.values()) for (const [name, s] of t.stores.stores) out.set(name, (out.get(name) ?? 0) + s.size);
    return out;
  }

  /** PAUSE: stops fetching (the group membership and the tasks stay). */
  pause(): void {
    if (this.#paused) return;
    this.#paused = true;
    for (const t of this.#consumerTopics()) this.#consumer?.pause(t);
    this.o.logger.info('query paused');
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    for (const t of this.#consumerTopics()) this.#consumer?.resume(t);
    this.o.logger.info('query resumed');
  }

  #consumerTopics(): string[] {
    return [...this.plan.sourceTopics, ...[...this.#repartitions.values()].map((r) => r.topic)];
  }

  /**
   * Refreshes ksetl_query_consumer_lag for the input partitions this process
   * owns: the log end (high watermark) minus the position (the next offset to
   * process, or the group's committed offset before the first batch).
   */
  async refreshLag(): Promise<void> {
    if (this.#state !== 'RUNNING' || this.#stopping) return;
    const owned = new Set(this.#tasks.keys());
    const gauge = this.o.metrics.get('ksetl_query_consumer_lag');
    const topics = this.#consumerTopics();
    const committed = new Map((await this.o.port.admin.fetchOffsets(this.groupId, topics)).map((o) => [`${o.topic}:${o.partition}`, o.offset]));
    for (const topic of topics) {
      for (const w of await this.o.port.admin.fetchWatermarks(topic)) {
        const k = `${topic}:${w.partition}`;
        const labels = { query_id: this.o.queryId, topic, partition: String(w.partition) };
        if (!owned.has(w.partition)) {
          gauge.remove(labels);
          continue;
        }
        const position = this.#positions.get(k)?.offset ?? committed.get(k) ?? (this.o.earliest ? w.low : w.high);
        gauge.set(labels, Math.max(0, w.high - Math.max(position, w.low)));
      }
    }
  }

  #logEntry(entry: ProcessingLogEntry): void {
    this.o.log.log(entry);
    const kind = errorKind(entry.type);
    this.o.metrics.get('ksetl_query_processing_errors_total').inc({ query_id: this.o.queryId, kind });
    this.o.metrics.get('ksetl_processing_log_records_total').inc({ kind });
    this.o.logger.warn({ kind, topic: entry.topic, record: entry.record }, entry.message);
  }

  /** Topics the query creates for itself (for cleanup on TERMINATE). */
  get internalTopics(): string[] {
    return [...[...this.#repartitions.values()].map((r) => r.topic), ...this.#changelogTopics.values()];
  }

  async start(): Promise<void> {
    try {
      this.o.logger.info({ guarantee: this.o.guarantee, topics: this.plan.sourceTopics }, 'query starting');
      await this.#startWithRetries();
      this.#state = 'RUNNING';
      if (this.#paused) for (const t of this.#consumerTopics()) this.#consumer?.pause(t);
      this.o.logger.info('query running');
    } catch (e) {
      this.#state = 'ERROR';
      this.#error = (e as Error).message;
      this.o.logger.error({ err: e }, 'query failed to start');
      throw e;
    }
  }

  /**
   * Starts, retrying what Kafka calls retriable: right after internal topics
   * are created (by this process or by another of the service), a broker may
   * not host their partitions yet ("This server does not host this
   * topic-partition") or a coordinator may still be loading. Kafka Streams
   * retries these too; a query must not end in ERROR over them.
   */
  async #startWithRetries(): Promise<void> {
    const deadline = Date.now() + Number(this.o.properties['ksetl.query.start.retry.ms'] ?? 60_000);
    for (let attempt = 0; ; attempt++) {
      try {
        await this.#start();
        return;
      } catch (e) {
        if (this.#stopping || !isRetriable(e) || Date.now() >= deadline) throw e;
        const c = this.#consumer;
        this.#consumer = null;
        if (c) await c.close().catch(() => {});
        for (const t of [...this.#tasks.values()]) await this.#closeTask(t);
        const delay = Math.min(5_000, 200 * 2 ** attempt);
        this.o.logger.warn({ err: e, attempt: attempt + 1, retryInMs: delay }, 'query start failed with a retriable error; retrying');
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  /**
   * Plans the query's internal topics from the partition counts of its inputs,
   * refusing what ksqlDB refuses when the statement runs: missing inputs, joins
   * of topics with different partition counts, and (with pre-created internal
   * topics) internal topics that do not exist.
   */
  prepare(partitionsOf: (topic: string) => number | undefined): NewTopic[] {
    const { serviceId, queryId } = this.o;
    const missing = this.plan.sourceTopics.filter((t) => partitionsOf(t) === undefined);
    if (missing.length > 0) throw new KsqlError(`Kafka topic does not exist: ${missing.join(', ')}`, null, 'NotFound');
    for (const group of this.plan.copartitioned) {
      if (new Set(group.map((t) => partitionsOf(t))).size > 1) {
        throw new KsqlError(
          `Can't join ${group.map((t) => `${t} (${partitionsOf(t)} partitions)`).join(' with ')} since the number of partitions don't match. Please repartition either one so that the number of partitions match.`,
        );
      }
    }
    this.#repartitions = new Map();
    for (const r of this.plan.repartitions) {
      const partitions = Math.max(1, ...r.partitionsLike.map((t) => partitionsOf(t) ?? 1));
      const topic = r.routing === 'broadcast' ? names.subscriptionTopic(serviceId, queryId, r.stepId) : names.repartitionTopic(serviceId, queryId, r.stepId);
      this.#repartitions.set(r.stepId, { topic, partitions });
    }
    const taskCount = Math.max(1, ...this.plan.sourceTopics.map((t) => partitionsOf(t)!), ...[...this.#repartitions.values()].map((r) => r.partitions));
    // Build once without Kafka to learn the store names, hence the changelog topics.
    const probe = new ProbeStoreFactory();
    buildTaskTopology(this.o.root, this.#context(probe, () => {}, () => {}, { log: () => {} }), this.#repartitions);
    this.#changelogTopics = new Map(probe.names.map((n) => [n, names.changelogTopic(serviceId, queryId, n)]));
    const rf = this.o.replicationFactor ? { replicationFactor: this.o.replicationFactor } : {};
    const internal: NewTopic[] = [
      ...[...this.#repartitions.values()].map((r) => ({ name: r.topic, partitions: r.partitions, ...rf, config: { 'cleanup.policy': 'delete', 'retention.ms': '-1' } })),
      ...[...this.#changelogTopics.values()].map((name) => ({ name, partitions: taskCount, ...rf, config: { 'cleanup.policy': 'compact' } })),
    ];
    if (this.o.precreatedInternalTopics) this.#checkPrecreated(internal, partitionsOf);
    return internal;
  }

  #checkPrecreated(topics: readonly NewTopic[], partitionsOf: (topic: string) => number | undefined): void {
    const missing = topics.filter((t) => partitionsOf(t.name) === undefined);
    if (missing.length > 0) {
      throw new KsqlError(
        `Query ${this.o.queryId} needs internal topics that do not exist, and ksql.internal.topics.precreated=true forbids creating them. Create: ${missing
          .map((t) => `${t.name} (partitions=${t.partitions}, cleanup.policy=${t.config?.['cleanup.policy']})`)
          .join(', ')}`,
      );
    }
    const small = topics.filter((t) => partitionsOf(t.name)! < t.partitions);
    if (small.length > 0) {
      throw new KsqlError(`Pre-created internal topics have too few partitions: ${small.map((t) => `${t.name} has ${partitionsOf(t.name)}, needs ${t.partitions}`).join(', ')}`);
    }
  }

  async #start(): Promise<void> {
    const { port } = this.o;
    const inputs = new Map((await port.admin.describeTopics(this.plan.sourceTopics)).map((t) => [t.name, t.partitions]));
    let internal = this.prepare((t) => inputs.get(t));
    if (this.o.precreatedInternalTopics) {
      const existing = new Map((await port.admin.describeTopics(internal.map((t) => t.name))).map((t) => [t.name, t.partitions]));
      internal = this.prepare((t) => inputs.get(t) ?? existing.get(t));
    } else if (internal.length > 0) {
      await port.admin.createTopics(internal);
    }

    const repartitionTopics = [...this.#repartitions.values()].map((r) => r.topic);
    this.#consumer = await port.consumer({
      groupId: this.groupId,
      topics: [...this.plan.sourceTopics, ...repartitionTopics],
      from: this.o.earliest ? 'earliest' : 'latest',
      fromEarliest: repartitionTopics,
      readCommitted: this.o.guarantee === 'exactly_once_v2',
      assignment: 'copartitioned',
      ...sessionOptions(this.o.properties),
      onAssigned: (tps) => this.#assign(tps),
      onRevoked: (tps) => this.#revoke(tps),
      onCrash: (e) => {
        this.#state = 'ERROR';
        this.#error = e.message;
        this.o.logger.error({ err: e }, 'query consumer stopped');
      },
    });
    await this.#consumer.run((batch) => this.#onBatch(batch));
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    if (this.#state !== 'ERROR') this.#state = 'STOPPING';
    const c = this.#consumer;
    this.#consumer = null;
    if (c) await c.close();
    for (const t of [...this.#tasks.values()]) await this.#closeTask(t, true);
    await Promise.allSettled([...this.#checkpoints.values()]);
    if (this.#state !== 'ERROR') this.#state = 'STOPPED';
    this.o.logger.info('query stopped');
  }

  // ------------------------------------------------------------------ tasks

  #context(stores: RuntimeContext['stores'], subscribe: RuntimeContext['subscribe'], produce: RuntimeContext['produce'], log: ProcessingLogger): RuntimeContext {
    return {
      queryId: this.o.queryId,
      functions: this.o.functions,
      registry: this.o.registry,
      log,
      stores,
      properties: this.o.properties,
      subscribe,
      produce,
    };
  }

  #assign(tps: readonly TopicPartition[]): void {
    const fresh: Task[] = [];
    for (const p of new Set(tps.map((tp) => tp.partition))) {
      if (this.#tasks.has(p)) continue;
      const task = this.#newTask(p);
      this.#tasks.set(p, task);
      fresh.push(task);
    }
    this.#m.rebalances.inc();
    this.o.logger.info({ tasks: [...this.#tasks.keys()].sort((a, b) => a - b), fresh: fresh.map((t) => t.partition) }, 'partitions assigned');
    for (const t of fresh) t.restoring = true;
    const started = Date.now();
    const ready = this.#prepare(fresh).then(
      () => {
        for (const t of fresh) {
          t.restoring = false;
          t.clean = true;
        }
        if (fresh.length > 0) this.o.logger.info({ tasks: fresh.map((t) => t.partition), ms: Date.now() - started }, 'tasks ready');
      },
      (e: unknown) => {
        for (const t of fresh) t.restoring = false;
        throw e;
      },
    );
    for (const t of fresh) t.ready = ready;
    // surfaced by the batch handler awaiting it
    ready.catch((e: Error) => this.o.logger.warn({ err: e }, 'task preparation failed'));
  }

  #revoke(tps: readonly TopicPartition[]): void {
    this.o.logger.info({ partitions: [...new Set(tps.map((tp) => tp.partition))] }, 'partitions revoked');
    for (const tp of tps) this.#positions.delete(`${tp.topic}:${tp.partition}`);
    for (const p of new Set(tps.map((tp) => tp.partition))) {
      const t = this.#tasks.get(p);
      if (t) void this.#closeTask(t, true);
    }
  }

  /** Closes a task; `clean` (revocation, shutdown): its state is what the changelog holds, so it may be checkpointed. */
  async #closeTask(t: Task, clean = false): Promise<void> {
    if (this.#tasks.get(t.partition) === t) this.#tasks.delete(t.partition);
    if (t.closed) return;
    t.closed = true;
    const producer = t.producer;
    t.producer = null;
    const closing = producer ? producer.close().catch(() => {}) : Promise.resolve();
    if (clean && t.clean && this.#stateDir !== null && t.stores.stores.size > 0) {
      // registered before any await: stop() and the next assignment wait for it
      const previous = this.#checkpoints.get(t.partition) ?? Promise.resolve();
      const writing = Promise.all([previous, closing])
        .then(() => this.#checkpoint(t))
        .catch((e: Error) => this.o.logger.warn({ err: e, partition: t.partition }, 'checkpoint failed'));
      this.#checkpoints.set(t.partition, writing);
      await writing;
    } else {
      await closing;
    }
  }

  /** Writes the task's stores to the state dir with the changelog offsets they correspond to. */
  async #checkpoint(t: Task): Promise<void> {
    const started = Date.now();
    let entries = 0;
    for (const [name, store] of t.stores.stores) {
      const marks = await this.o.port.admin.fetchWatermarks(store.topic);
      const m = marks.find((w) => w.partition === t.partition);
      if (!m) continue;
      await writeCheckpoint(checkpointPath(this.#stateDir!, this.o.serviceId, this.o.queryId, t.partition, name), { topic: store.topic, partition: t.partition, offset: m.high, entries: store.size }, store.encodedEntries());
      entries += store.size;
    }
    this.o.logger.info({ partition: t.partition, entries, ms: Date.now() - started }, 'state checkpointed');
  }

  #newTask(partition: number): Task {
    const stores = new TaskStoreFactory(partition, (name) => this.#changelogTopics.get(name) ?? names.changelogTopic(this.o.serviceId, this.o.queryId, name));
    const task: Task = { partition, stores, handlers: new Map(), out: [], ready: Promise.resolve(), producer: null, closed: false, restoring: false, clean: false, startOffsets: new Map() };
    const logTopic = this.o.processingLogTopic;
    const logHeaders = this.o.processingLogHeaders ?? [];
    const log: ProcessingLogger = {
      log: (entry: ProcessingLogEntry) => {
        this.#logEntry(entry);
        if (logTopic) task.out.push({ topic: logTopic, key: null, value: Buffer.from(JSON.stringify(processingLogValue(entry))), timestamp: entry.time, headers: logHeaders });
      },
    };
    const ctx = this.#context(
      stores,
      (topic, handler) => {
        const list = task.handlers.get(topic) ?? [];
        list.push(handler);
        task.handlers.set(topic, list);
      },
      (topic: string, rec: ProduceRecord) => {
        task.out.push({ topic, ...rec });
      },
      log,
    );
    buildTaskTopology(this.o.root, ctx, this.#repartitions);
    return task;
  }

  /** Restores the new tasks' stores from their changelog partitions, and opens their transactional producers. */
  async #prepare(tasks: readonly Task[]): Promise<void> {
    if (tasks.length === 0) return;
    if (this.o.guarantee === 'exactly_once_v2') {
      await Promise.all(
        tasks.map(async (t) => {
          const previous = this.#producerSetups.get(t.partition) ?? Promise.resolve();
          const setup = previous
            .catch(() => {})
            .then(() =>
              this.o.port.producer({
                transactionalId: names.taskTransactionalId(this.o.serviceId, this.o.queryId, t.partition),
                // Kafka Streams' EOS default: a dead owner's open transaction blocks read_committed readers at most this long
                transactionTimeoutMs: Number(this.o.properties['ksql.streams.producer.transaction.timeout.ms'] ?? this.o.properties['transaction.timeout.ms'] ?? 10_000),
              }),
            );
          this.#producerSetups.set(t.partition, setup);
          const producer = await setup;
          if (t.closed) await producer.close();
          else t.producer = producer;
        }),
      );
      await this.#readStartOffsets(tasks);
    }
    const topics = [...this.#changelogTopics.values()];
    if (topics.length === 0) return;
    const storeOf = new Map([...this.#changelogTopics].map(([name, topic]) => [topic, name]));
    const wanted = new Map<string, { topic: string; start: number; end: number; task: Task }>();
    for (const topic of topics) {
      const marks = await this.o.port.admin.fetchWatermarks(topic);
      for (const t of tasks) {
        const m = marks.find((w) => w.partition === t.partition);
        if (!m) continue;
        const start = await this.#loadCheckpoint(t, storeOf.get(topic)!, m.low, m.high);
        if (m.high > start) wanted.set(`${topic}:${t.partition}`, { topic, start, end: m.high, task: t });
      }
    }
    if (wanted.size === 0) return;
    const started = Date.now();
    const restoredCounter = this.o.metrics.get('ksetl_state_store_restore_records_total');
    const remainingGauge = this.o.metrics.get('ksetl_state_store_restore_remaining_records');
    // records still to replay per changelog partition, summed per store for the gauge
    const remaining = new Map<string, number>();
    for (const topic of topics) {
      const marks = await this.o.port.admin.fetchWatermarks(topic);
      for (const t of tasks) {
        const m = marks.find((w) => w.partition === t.partition);
        const w = wanted.get(`${topic}:${t.partition}`);
        if (m && w) remaining.set(`${topic}:${t.partition}`, m.high - Math.max(m.low, w.start));
      }
    }
    const publish = (): void => {
      const byStore = new Map<string, number>();
      for (const [k, n] of remaining) {
        const store = storeOf.get(k.slice(0, k.lastIndexOf(':'))) ?? '';
        byStore.set(store, (byStore.get(store) ?? 0) + n);
      }
      for (const [store, n] of byStore) remainingGauge.set({ query_id: this.o.queryId, store }, n);
    };
    publish();
    this.o.logger.info({ partitions: [...wanted.keys()], records: [...remaining.values()].reduce((a, b) => a + b, 0) }, 'restoring state stores');
    const pending = new Set(wanted.keys());
    let done!: () => void;
    let fail!: (e: Error) => void;
    const finished = new Promise<void>((resolve, reject) => ((done = resolve), (fail = reject)));
    finished.catch(() => {}); // awaited below; a crash may come first
    const progress = (p: TopicPartitionOffset): void => {
      const k = `${p.topic}:${p.partition}`;
      const w = wanted.get(k);
      if (w) remaining.set(k, Math.max(0, w.end - 1 - p.offset));
      if (w && p.offset >= w.end - 1 && pending.delete(k) && pending.size === 0) {
        publish();
        done();
      }
      // revoked while restoring: the next owner restores them
      if (tasks.every((t) => t.closed)) done();
    };
    // One consumer per changelog topic: one fetches while another's batch is applied.
    const restoreFrom = async (topic: string): Promise<KafkaConsumer> => {
      const consumer = await this.o.port.consumer({
        groupId: names.restoreGroupId(this.o.serviceId, this.o.queryId, randomUUID()),
        topics: [topic],
        from: 'earliest',
        readCommitted: this.o.guarantee === 'exactly_once_v2',
        maxBytesPerPartition: 8 * 1024 * 1024,
        maxWaitMs: 100,
        onProgress: progress,
        onCrash: (e) => fail(e),
        onAssigned: (tps) => {
          for (const tp of tps) {
            const w = wanted.get(`${tp.topic}:${tp.partition}`);
            // other processes' partitions (and ones with nothing to replay) are not read at all
            if (!w) consumer.pause(tp.topic, [tp.partition]);
            // after a local checkpoint, replay only what follows it
            else if (w.start > 0) consumer.seek({ ...tp, offset: w.start });
          }
        },
      });
      await consumer.run(async (batch) => {
        const w = wanted.get(`${batch.topic}:${batch.partition}`);
        if (!w) return;
        const store = w.task.stores.byTopic().get(batch.topic);
        let n = 0;
        for (const r of batch.records) {
          if (r.offset >= w.end || r.offset < w.start || !store) continue;
          store.restore(r);
          n++;
        }
        this.#restored += n;
        if (n > 0) restoredCounter.inc({ query_id: this.o.queryId, store: storeOf.get(batch.topic) ?? '' }, n);
        publish();
      });
      return consumer;
    };
    const consumers = await Promise.allSettled([...new Set([...wanted.values()].map((w) => w.topic))].map(restoreFrom));
    try {
      for (const c of consumers) if (c.status === 'rejected') throw c.reason;
      await finished;
      this.o.logger.info({ ms: Date.now() - started, restored: this.#restored }, 'state stores restored');
    } finally {
      await Promise.all(consumers.map((c) => (c.status === 'fulfilled' ? c.value.close() : undefined)));
    }
  }

  /**
   * Exactly-once: reads the group's committed input offsets of the tasks.
   *
   * kafkajs reads a new assignment's committed offsets as soon as it joins,
   * without KIP-447's require-stable flag, so it can see an offset that a
   * previous owner's transaction is committing right then (that owner was
   * killed after asking to commit): the records of that transaction would be
   * processed again. Initializing the task's transactional producer finishes
   * any such transaction first; offsets read after it are stable, and the
   * batch handler skips what lies below them.
   */
  async #readStartOffsets(tasks: readonly Task[]): Promise<void> {
    const byPartition = new Map(tasks.map((t) => [t.partition, t]));
    for (const o of await this.o.port.admin.fetchOffsets(this.groupId, this.#consumerTopics())) byPartition.get(o.partition)?.startOffsets.set(o.topic, o.offset);
  }

  /**
   * Loads a store from its local checkpoint, if there is a usable one;
   * returns the changelog offset to replay from (0: everything).
   */
  async #loadCheckpoint(t: Task, storeName: string, low: number, high: number): Promise<number> {
    if (this.#stateDir === null) return 0;
    await this.#checkpoints.get(t.partition);
    const store = t.stores.stores.get(storeName);
    if (!store) return 0;
    const path = checkpointPath(this.#stateDir, this.o.serviceId, this.o.queryId, t.partition, storeName);
    const header = await takeCheckpoint(path, (k, v) => store.load(k, v));
    if (header === null) return 0;
    // the changelog was recreated or truncated past the checkpoint: replay it all
    if (header.topic !== store.topic || header.partition !== t.partition || header.offset > high || header.offset < low) {
      store.clear();
      this.o.logger.info({ partition: t.partition, store: storeName }, 'checkpoint does not match the changelog; replaying it in full');
      return 0;
    }
    this.o.logger.info({ partition: t.partition, store: storeName, entries: store.size, offset: header.offset, behind: high - header.offset }, 'store loaded from its checkpoint');
    return header.offset;
  }

  // ------------------------------------------------------------------ processing

  async #onBatch(batch: ConsumedBatch): Promise<void> {
    try {
      await this.#process(batch);
    } catch (e) {
      this.#lastError = `${new Date().toISOString()} ${batch.topic}/${batch.partition}: ${(e as Error).message}`;
      this.o.logger.warn({ err: e, topic: batch.topic, partition: batch.partition }, 'batch failed; the consumer rejoins and retries from the committed offsets');
      throw e;
    }
  }

  async #process(batch: ConsumedBatch): Promise<void> {
    if (this.#stopping || batch.records.length === 0) return;
    let task = this.#tasks.get(batch.partition);
    if (!task) {
      // assignment seen before GROUP_JOIN reported it (should not happen): create it now
      this.#assign([{ topic: batch.topic, partition: batch.partition }]);
      task = this.#tasks.get(batch.partition)!;
    }
    try {
      await waitWithHeartbeats(task.ready, batch);
    } catch (e) {
      // a failed preparation (or a rebalance): the next batch of this partition prepares a new task
      await this.#closeTask(task);
      throw e;
    }
    let records = batch.records;
    const start = task.startOffsets.get(batch.topic);
    if (start !== undefined) {
      if (records[records.length - 1]!.offset + 1 >= start) task.startOffsets.delete(batch.topic);
      if (records[0]!.offset < start) records = records.filter((r) => r.offset >= start);
      if (records.length === 0) return;
    }
    const handlers = task.handlers.get(batch.topic) ?? [];
    let bytesIn = 0;
    for (const r of records) {
      bytesIn += (r.key?.length ?? 0) + (r.value?.length ?? 0);
      for (const h of handlers) {
        try {
          h(r);
        } catch (e) {
          this.#logEntry({
            logger: `${this.o.queryId}.processing`,
            level: 'ERROR',
            time: Date.now(),
            type: 'RECORD_PROCESSING_ERROR',
            message: `Error processing record: ${(e as Error).message}`,
            topic: r.topic,
            record: JSON.stringify({ topic: r.topic, partition: r.partition, offset: r.offset }),
          });
        }
      }
    }
    const last = records[records.length - 1]!;
    const offsets: TopicPartitionOffset[] = [{ topic: batch.topic, partition: batch.partition, offset: last.offset + 1 }];
    const out = [...task.out, ...task.stores.drainChanges(last.timestamp)];
    task.out = [];
    if (batch.isStale() || task.closed) {
      // the partition moved while we worked: drop this task's state, whoever owns it now restores it
      await this.#closeTask(task);
      return;
    }
    const commitStart = performance.now();
    try {
      if (this.o.guarantee === 'exactly_once_v2') {
        const tx = await task.producer!.beginTransaction();
        try {
          await tx.send(out);
          await tx.sendOffsets(this.groupId, offsets);
          await tx.commit();
        } catch (e) {
          this.#m.aborts.inc();
          await tx.abort().catch(() => {});
          throw e;
        }
      } else {
        await (await this.o.sharedProducer()).send(out);
        await this.#consumer?.commit(offsets);
      }
    } catch (e) {
      // state now ahead of what Kafka holds: forget the task; it is restored from the changelog when reassigned
      await this.#closeTask(task);
      throw e;
    }
    const now = Date.now();
    this.#m.commit.observe((performance.now() - commitStart) / 1000);
    this.#processed += records.length;
    this.#m.recordsIn.inc(records.length);
    this.#m.bytesIn.inc(bytesIn);
    let sunk = 0;
    let bytesOut = 0;
    for (const r of out) {
      if (r.topic !== this.#sinkTopic) continue;
      sunk++;
      bytesOut += (r.key?.length ?? 0) + (r.value?.length ?? 0);
      this.#m.e2e.observe(Math.max(0, now - r.timestamp) / 1000);
    }
    if (sunk > 0) {
      this.#m.recordsOut.inc(sunk);
      this.#m.bytesOut.inc(bytesOut);
    }
    const next = last.offset + 1;
    this.#positions.set(`${batch.topic}:${batch.partition}`, { topic: batch.topic, partition: batch.partition, offset: next });
    this.o.metrics.get('ksetl_query_consumer_lag').set({ query_id: this.o.queryId, topic: batch.topic, partition: String(batch.partition) }, Math.max(0, batch.highWatermark - next));
  }
}

/**
 * Waits for a task's restore while keeping the group membership alive (a
 * restore can outlast the session timeout); a rebalance reported by the
 * heartbeat ends the wait, and kafkajs rejoins.
 */
async function waitWithHeartbeats(ready: Promise<void>, batch: ConsumedBatch): Promise<void> {
  let done = false;
  const settled = ready.finally(() => (done = true));
  while (!done) {
    await Promise.race([settled, new Promise((r) => setTimeout(r, 1_000))]);
    if (!done) await batch.heartbeat();
  }
  await ready;
}

/** Group timeouts from `ksql.streams.session.timeout.ms` / `ksql.streams.heartbeat.interval.ms` (Kafka's defaults otherwise). */
function sessionOptions(p: Readonly<Record<string, string>>): { sessionTimeoutMs?: number; heartbeatIntervalMs?: number } {
  const session = p['ksql.streams.session.timeout.ms'] ?? p['session.timeout.ms'];
  const heartbeat = p['ksql.streams.heartbeat.interval.ms'] ?? p['heartbeat.interval.ms'];
  return { ...(session ? { sessionTimeoutMs: Number(session) } : {}), ...(heartbeat ? { heartbeatIntervalMs: Number(heartbeat) } : {}) };
}

/** Whether Kafka (kafkajs) marks the error retriable; the engine's own errors (KsqlError) never are. */
export function isRetriable(e: unknown): boolean {
  if (e instanceof KsqlError) return false;
  let err: unknown = e;
  // kafkajs wraps the protocol error in retry errors (KafkaJSNumberOfRetriesExceeded: retriable false, cause retriable)
  for (let depth = 0; err !== null && typeof err === 'object' && depth < 5; depth++) {
    // kafkajs sets `retriable` on protocol errors from Kafka's error table
    const x = err as { retriable?: unknown; cause?: unknown; originalError?: unknown };
    if (x.retriable === true) return true;
    err = x.cause ?? x.originalError ?? null;
  }
  return false;
}
