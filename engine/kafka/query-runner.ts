import { randomUUID } from 'node:crypto';
import type { BrokerRecord, Header, ProduceRecord } from '../driver/broker.js';
import { KsqlError } from '../errors.js';
import type { FunctionRegistry } from '../functions/types.js';
import type { RuntimeContext } from '../runtime/context.js';
import { processingLogValue, recordPosition, type ProcessingLogEntry, type ProcessingLogger } from '../runtime/processing-log.js';
import type { SchemaRegistry } from '../serde/types.js';
import type { Logger } from '../server/logger.js';
import { errorKind, type EngineMetrics, type QueryState } from '../server/metrics.js';
import { queryStores, repartitionOf } from '../topology/internal-names.js';
import { murmur2Partition } from '../driver/broker.js';
import { makeKeySerde } from '../runtime/operators/source-sink.js';
import { InMemoryStoreFactory } from '../runtime/store.js';
import type { AggregateStep, Step } from '../topology/topology.js';
import { TaskStoreFactory } from './changelog-store.js';
import { checkpointPath, takeCheckpoint, writeCheckpoint } from './checkpoint.js';
import * as names from './names.js';
import { PartitionGroup } from './partition-group.js';
import type { ConsumedBatch, KafkaConsumer, KafkaPort, KafkaProducer, KafkaTransaction, NewTopic, OutRecord, TopicPartition, TopicPartitionOffset } from './port.js';
import { buildTaskTopology, groupPartition, planDistributed, sourceOf, type DistributedPlan, type Repartitioned } from './task-topology.js';

/** The task partition of an aggregation's group key (see QueryRunner.groupPartitioner). */
export interface GroupPartitioner {
  readonly partitions: number;
  partitionOf(key: readonly unknown[]): number;
}

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
  /** restored: the task may process */
  prepared: boolean;
  /** restored and everything processed since flushed (exactly-once: committed): its stores match the changelog (a checkpoint may be written) */
  clean: boolean;
  /**
   * Exactly-once: the group's committed offset per input topic, read once the
   * task's transactional producer was initialized (so no transaction of a
   * previous owner is still pending). Records below it were processed already.
   */
  readonly startOffsets: Map<string, number>;
  /** the fetched records of the task's input partitions (keyed by topic), in the order they are processed */
  readonly group: PartitionGroup<BrokerRecord>;
  /** next offset per input topic of what was processed, not yet flushed */
  readonly pending: Map<string, number>;
  pendingRecords: number;
  /** the timestamp of the last record processed (changelog records take it) */
  lastTimestamp: number;
  /** the greatest timestamp processed per input topic, not yet flushed */
  readonly pendingTimes: Map<string, number>;
  /**
   * The partition time per input topic (the greatest timestamp processed and
   * flushed, or restored from the committed offset's metadata): what the
   * next commit writes in its metadata, as Kafka Streams does.
   */
  readonly partitionTimes: Map<string, number>;
  /** next offset per input topic of what was processed and flushed: what the next commit commits */
  readonly processed: Map<string, number>;
  /** what the task committed last per input topic: where a failed task rewinds to */
  readonly committed: Map<string, number>;
  /** the first offset fetched per input topic: where it rewinds to before its first commit */
  readonly fetchedFrom: Map<string, number>;
  /** the offset after the last record fetched per input topic */
  readonly fetchedTo: Map<string, number>;
  /**
   * Topics a failed predecessor rewound: until their first batch since, the
   * consumer's progress reports may be of batches fetched before the rewind.
   */
  readonly rewound: Set<string>;
  /** the high watermark per input topic at the last fetch (the lag gauge) */
  readonly highWatermarks: Map<string, number>;
  /** processed and flushed since the last commit */
  uncommitted: boolean;
  lastCommit: number;
  /** exactly-once: the transaction the task's outputs since the last commit went to */
  tx: KafkaTransaction | null;
  /** the task's processing loop, while it runs (one at a time) */
  loop: Promise<void> | null;
  /** new records or a timer came while the loop ran: it goes round once more */
  wake: boolean;
  timer: ReturnType<typeof setTimeout> | null;
  /** input topics whose partition this task paused (its queue is full) */
  readonly full: Set<string>;
}

/** One of a query's recent errors, as ksqlDB's QueryError (EXPLAIN's queryErrors). */
export interface QueryError {
  /** epoch ms */
  readonly timestamp: number;
  readonly errorMessage: string;
  /** ksqlDB's classification; ksetl does not classify (UNKNOWN) */
  readonly type: 'USER' | 'SYSTEM' | 'UNKNOWN';
}

export interface QueryStatus {
  /**
   * ERROR: the start failed, the consumer stopped for good, or a partition's
   * batches keep failing (`ksetl.query.error.failed.batches` in a row); the
   * last two return to RUNNING once every failing partition's batches succeed.
   */
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
  /** the latest errors, oldest first (at most `ksql.query.error.max.queue.size`, default 10, as ksqlDB) */
  readonly errors: readonly QueryError[];
}

/**
 * One persistent query run the way Kafka Streams runs an application: a
 * consumer group named after the query, a task per input partition (the
 * co-partitioned partitions of every input and repartition topic together).
 * Fetched records go to the task's queues (a PartitionGroup); the task
 * processes them lowest timestamp first across its partitions, waiting while
 * a partition that may hold older records has nothing buffered, and pauses
 * fetching a partition whose queue is full. After each processing turn its
 * outputs and changelog writes are flushed (at-least-once) or sent in the
 * task's open transaction (exactly-once); every `commit.interval.ms` the
 * processed (not fetched) offsets are committed, after the outputs that came
 * of them, or with them in the transaction, which spans all of the task's
 * partitions (exactly-once).
 */
export class QueryRunner {
  readonly groupId: string;
  readonly plan: DistributedPlan;
  #consumer: KafkaConsumer | null = null;
  readonly #tasks = new Map<number, Task>();
  #repartitions = new Map<string, Repartitioned>();
  /** partition counts of the source topics, once prepared */
  #sourcePartitions = new Map<string, number>();
  /** groupPartitioner's answers since the last preparation */
  readonly #partitioners = new Map<AggregateStep, GroupPartitioner | undefined>();
  #changelogTopics = new Map<string, string>();
  /** the consumer's assignment: input topics per partition number */
  readonly #assignment = new Map<number, string[]>();
  /** failures in a row per task (partition), for the back-off before it is prepared again */
  readonly #failures = new Map<number, number>();
  /** tasks being closed after a revocation (committing, checkpointing): their next owner here waits for them */
  readonly #retiring = new Map<number, Promise<void>>();
  readonly #commitIntervalMs: number;
  readonly #maxTaskIdleMs: number;
  readonly #maxBuffered: number;
  #state: QueryStatus['state'] = 'STARTING';
  #error: string | null = null;
  #processed = 0;
  #restored = 0;
  #lastError: string | null = null;
  readonly #errors: QueryError[] = [];
  /** why the query is ERROR: batches keep failing (it recovers), or its start or consumer failed (it does not) */
  #errorCause: 'batches' | 'fatal' | null = null;
  /** the next restart of a query in ERROR for good (ksqlDB's query retry), and how many came before it */
  #restartTimer: NodeJS.Timeout | null = null;
  #restarts = 0;
  #stopping = false;
  /** called when stop() begins: restores waiting for changelogs give up (a deleted changelog never reaches its end) */
  readonly #onStop = new Set<() => void>();
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
    const streamsProperty = (name: string): number | null => {
      const v = o.properties[`ksql.streams.${name}`] ?? o.properties[name];
      return v === undefined || v.trim() === '' || !Number.isFinite(Number(v)) ? null : Number(v);
    };
    // ksqlDB's default (2 s) for at-least-once; Kafka Streams' exactly-once default (100 ms), as outputs show only once committed
    this.#commitIntervalMs = streamsProperty('commit.interval.ms') ?? (o.guarantee === 'exactly_once_v2' ? 100 : 2_000);
    this.#maxTaskIdleMs = streamsProperty('max.task.idle.ms') ?? 0;
    this.#maxBuffered = Math.max(1, streamsProperty('buffered.records.per.partition') ?? 1_000);
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
    return { state: this.#state, paused: this.#paused, error: this.#error, assigned: [...this.#tasks.keys()].sort((a, b) => a - b), processed: this.#processed, restored: this.#restored, lastError: this.#lastError, errors: [...this.#errors] };
  }

  /** Records an error in the query's error queue (ksql.query.error.max.queue.size). */
  #recordError(message: string): void {
    this.#errors.push({ timestamp: Date.now(), errorMessage: message, type: 'UNKNOWN' });
    const max = Math.max(1, Number(this.o.properties['ksql.query.error.max.queue.size'] ?? 10) || 10);
    if (this.#errors.length > max) this.#errors.splice(0, this.#errors.length - max);
  }

  /** The query cannot go on by itself: its start failed, its consumer stopped for good, or an input topic is gone. */
  #fail(message: string): void {
    this.#state = 'ERROR';
    this.#error = message;
    this.#errorCause = 'fatal';
    this.#recordError(message);
    this.#scheduleRestart();
  }

  /**
   * ksqlDB restarts a query in ERROR after `ksql.query.retry.backoff.initial.ms`
   * (default 15 s), doubling the wait up to `ksql.query.retry.backoff.max.ms`
   * (default 15 min) while it keeps failing.
   */
  #scheduleRestart(): void {
    if (this.#stopping || this.#restartTimer) return;
    const initial = Number(this.o.properties['ksql.query.retry.backoff.initial.ms'] ?? 15_000);
    const max = Number(this.o.properties['ksql.query.retry.backoff.max.ms'] ?? 900_000);
    const delay = Math.min(max, initial * 2 ** Math.min(this.#restarts++, 30));
    this.o.logger.info({ retryInMs: delay, restarts: this.#restarts }, 'query in ERROR: restarting it after a backoff');
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = null;
      void this.#restart();
    }, delay);
    this.#restartTimer.unref();
  }

  async #restart(): Promise<void> {
    if (this.#stopping) return;
    const c = this.#consumer;
    this.#consumer = null;
    if (c) await c.close().catch((e: Error) => this.o.logger.warn({ err: e }, 'closing the failed consumer failed'));
    for (const t of [...this.#tasks.values()]) await this.#closeTask(t);
    if (this.#stopping) return;
    try {
      await this.#startWithRetries();
    } catch (e) {
      if (!this.#stopping) this.#fail((e as Error).message);
      this.o.logger.error({ err: e }, 'query restart failed');
      return;
    }
    // set by the start (TypeScript keeps the null of above across the awaits)
    const started = this.#consumer as KafkaConsumer | null;
    if (this.#stopping) {
      // stop() ran during the start and found no consumer to close
      await started?.close().catch(() => undefined);
      return;
    }
    this.#state = 'RUNNING';
    this.#errorCause = null;
    this.#error = null;
    this.#failures.clear();
    if (this.#paused) for (const t of this.#consumerTopics()) started?.pause(t);
    this.o.logger.info('query restarted: RUNNING');
  }

  /**
   * Kafka Streams ends a stream thread on a processing error and ksqlDB shows
   * the query as ERROR; here a failed task rewinds and is retried, and the
   * query is ERROR while a task has failed `ksetl.query.error.failed.batches`
   * (default 3) times in a row without a commit, RUNNING again once it commits.
   */
  #checkFailing(error: string | null): void {
    const limit = Math.max(1, Number(this.o.properties['ksetl.query.error.failed.batches'] ?? 3) || 3);
    const failing = [...this.#failures.values()].some((n) => n >= limit);
    if (failing && this.#state === 'RUNNING') {
      this.#state = 'ERROR';
      this.#errorCause = 'batches';
      this.#error = error ?? this.#lastError;
      this.o.logger.error({ err: this.#error, partitions: [...this.#failures.keys()] }, `query batches keep failing (${limit} in a row): ERROR until they succeed`);
    } else if (!failing && this.#state === 'ERROR' && this.#errorCause === 'batches') {
      this.#state = 'RUNNING';
      this.#errorCause = null;
      this.#error = null;
      this.o.logger.info('query batches succeed again: RUNNING');
    }
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

  /** The query's dataflow (pull queries find the store of its table in it). */
  get root(): Step {
    return this.o.root;
  }

  /**
   * Where an aggregation's groups live, once the query is prepared: the task
   * partition of a group key. Behind a repartition, the group key's key string
   * routes it (groupByRouter); a stream grouped by its own key (groupByKey)
   * stays in its source topic's partition, where the producer's partitioner
   * put it: murmur2 of the key serialized in the source's key format.
   */
  groupPartitioner(aggregate: AggregateStep): GroupPartitioner | undefined {
    // every pull query asks: the serde and its context are built once per preparation
    if (!this.#partitioners.has(aggregate)) this.#partitioners.set(aggregate, this.#groupPartitioner(aggregate));
    return this.#partitioners.get(aggregate);
  }

  #groupPartitioner(aggregate: AggregateStep): GroupPartitioner | undefined {
    const cut = repartitionOf(aggregate, 'input');
    if (cut !== undefined) {
      const r = this.#repartitions.get(cut.name);
      return r ? { partitions: r.partitions, partitionOf: (key) => groupPartition(key, r.partitions) } : undefined;
    }
    const source = sourceOf(aggregate.input);
    const partitions = source ? this.#sourcePartitions.get(source.topic) : undefined;
    if (!source || partitions === undefined) return undefined;
    const keyColumns = source.columns.filter((c) => c.namespace === 'KEY');
    const serde = makeKeySerde(this.#context(new InMemoryStoreFactory(), () => {}, () => {}, { log: () => {} }), source.topic, source.keyFormat, keyColumns, null);
    return {
      partitions,
      partitionOf: (key) => {
        const bytes = serde.serialize(key, null);
        return bytes === null ? 0 : murmur2Partition(bytes, partitions);
      },
    };
  }

  /**
   * A state store of this process's task of `partition` (pull queries), once
   * the task is restored (null: the task has no such store); undefined when
   * this process does not own the partition.
   */
  async localStore(partition: number, name: string): Promise<unknown> {
    const task = this.#tasks.get(partition);
    if (!task) return undefined;
    // a task whose restore failed is replaced by the next batch: its partition counts as not here
    if (!(await task.ready.then(() => true, () => false))) return undefined;
    return task.closed ? undefined : (task.stores.stores.get(name) ?? null);
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
    // partitions with a full queue stay paused until the task drains them
    for (const task of this.#tasks.values()) for (const topic of task.full) this.#consumer?.pause(topic, [task.partition]);
    this.o.logger.info('query resumed');
  }

  /** The topics the query's consumer reads: its sources and repartition topics. */
  get consumedTopics(): string[] {
    return this.#consumerTopics();
  }

  /**
   * Whether this process's tasks have processed and committed everything up
   * to `ends` (log end offsets by `topic:partition`, read by the caller) of
   * every input and repartition topic: each partition's task is running
   * (restored), has nothing buffered, processed-but-unflushed or uncommitted,
   * no turn running, and its committed offset (or, past trailing transaction
   * markers, its fetch position with nothing left to process) reached the end.
   * A query in ERROR or STOPPED counts as caught up (it makes no progress).
   * Tests on a real broker use it to know when a query has settled.
   */
  caughtUp(ends: ReadonlyMap<string, number>): boolean {
    if (this.#state === 'ERROR' || this.#state === 'STOPPED') return true;
    if (this.#state !== 'RUNNING' || this.#paused) return false;
    for (const topic of this.#consumerTopics()) {
      for (const [k, end] of ends) {
        if (!k.startsWith(`${topic}:`) || k.slice(topic.length + 1).includes(':')) continue;
        const task = this.#tasks.get(Number(k.slice(topic.length + 1)));
        if (!task || !task.prepared || task.closed || task.loop || task.pendingRecords > 0 || task.out.length > 0 || task.uncommitted || task.tx) return false;
        if (task.group.size(topic) > 0) return false;
        if (end === 0) continue;
        const reached = Math.max(task.committed.get(topic) ?? -1, task.group.position(topic) ?? -1);
        if (reached < end) return false;
      }
    }
    return true;
  }

  #consumerTopics(): string[] {
    return [...this.plan.sourceTopics, ...[...this.#repartitions.values()].map((r) => r.topic)];
  }

  /**
   * Checks that the input topics still exist (see #checkSources), then
   * refreshes ksetl_query_consumer_lag for the input partitions this process
   * (`listing`: the cluster's topics, when the caller listed them for every query)
   * owns: the log end (high watermark) minus the position (the next offset to
   * process, or the group's committed offset before the first batch).
   */
  async refreshLag(listing?: Promise<ReadonlySet<string>>): Promise<void> {
    if (this.#stopping) return;
    await this.#checkSources(listing);
    if (this.#state !== 'RUNNING') return;
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

  /**
   * An input topic deleted under a running query ends it, as Kafka Streams'
   * MissingSourceTopicException does (ksqlDB shows ERROR): kafkajs itself
   * just assigns the group nothing and waits, without an error.
   */
  async #checkSources(listing?: Promise<ReadonlySet<string>>): Promise<void> {
    if (this.#state !== 'RUNNING') return;
    const listed = await (listing ?? this.o.port.admin.listTopics().then((t) => new Set(t)));
    const missing = this.plan.sourceTopics.filter((t) => !listed.has(t));
    if (missing.length === 0 || this.#state !== 'RUNNING' || this.#stopping) return;
    this.#fail(`Missing source topics: ${missing.join(', ')}`);
    this.o.logger.error({ topics: missing }, 'source topics deleted under the query');
  }

  #logEntry(entry: ProcessingLogEntry): void {
    this.o.log.log(entry);
    const kind = errorKind(entry.type);
    this.o.metrics.get('ksetl_query_processing_errors_total').inc({ query_id: this.o.queryId, kind });
    this.o.metrics.get('ksetl_processing_log_records_total').inc({ kind });
    this.o.logger.warn({ kind, topic: entry.topic, ...recordPosition(entry.record) }, entry.message); // the position, never the record's bytes
  }

  /** Topics the query creates for itself (for cleanup on TERMINATE). */
  get internalTopics(): string[] {
    return [...[...this.#repartitions.values()].map((r) => r.topic), ...this.#changelogTopics.values()];
  }

  async start(): Promise<void> {
    try {
      this.o.logger.info({ guarantee: this.o.guarantee, topics: this.plan.sourceTopics }, 'query starting');
      await this.#startWithRetries();
      if (this.#stopping) {
        // stop() ran during the start (TERMINATE right after CREATE): it may have found no consumer to close
        const started = this.#consumer as KafkaConsumer | null;
        this.#consumer = null;
        await started?.close().catch(() => undefined);
        return;
      }
      this.#state = 'RUNNING';
      if (this.#paused) for (const t of this.#consumerTopics()) this.#consumer?.pause(t);
      this.o.logger.info('query running');
    } catch (e) {
      if (this.#stopping) {
        // terminated while it started: what failed was the close under it, not the query
        this.o.logger.info({ err: e }, 'query stopped while it was starting');
        return;
      }
      this.#fail((e as Error).message);
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
        this.#assignment.clear();
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
    this.#sourcePartitions = new Map(this.plan.sourceTopics.map((t) => [t, partitionsOf(t)!]));
    this.#partitioners.clear();
    this.#repartitions = new Map();
    for (const r of this.plan.repartitions) {
      const partitions = Math.max(1, ...r.partitionsLike.map((t) => partitionsOf(t) ?? 1));
      const topic = r.routing === 'broadcast' ? names.subscriptionTopic(serviceId, queryId, r.name) : names.repartitionTopic(serviceId, queryId, r.name);
      this.#repartitions.set(r.name, { topic, partitions });
    }
    const taskCount = Math.max(1, ...this.plan.sourceTopics.map((t) => partitionsOf(t)!), ...[...this.#repartitions.values()].map((r) => r.partitions));
    // the plan declares the state stores, hence the changelog topics
    this.#changelogTopics = new Map(queryStores(this.o.root).map((s) => [s.name, names.changelogTopic(serviceId, queryId, s.name)]));
    // build the operators once, as ksqlDB builds the topology when the statement runs: what cannot be built is refused now
    const dry = new InMemoryStoreFactory();
    buildTaskTopology(this.o.root, this.#context(dry, () => {}, () => {}, { log: () => {} }), this.#repartitions);
    const undeclared = [...dry.stores.keys()].filter((n) => !this.#changelogTopics.has(n));
    if (undeclared.length > 0) throw new Error(`state stores not declared by the query's plan: ${undeclared.join(', ')}`);
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
      // Kafka Streams' application.server: where the other processes forward pull queries for our partitions
      ...(this.o.properties['ksql.advertised.listener'] ? { memberInfo: this.o.properties['ksql.advertised.listener'] } : {}),
      // a handler holding a full partition's batch back does not hold up the batches of the task's other partitions
      partitionsConsumedConcurrently: MAX_CONCURRENT_PARTITIONS,
      // a fetch waiting for data on the partitions it asked for does not see one resumed meanwhile
      // (or all paused: kafkajs then sleeps this long): bounds that wait (kafkajs's default: 5 s; the port's: 500 ms)
      maxWaitMs: FETCH_MAX_WAIT_MS,
      ...sessionOptions(this.o.properties),
      onAssigned: (tps) => this.#assign(tps),
      onRevoked: (tps) => this.#revoke(tps),
      // batches of transaction markers or aborted records only never reach the handler, but move the position
      onProgress: (p) => this.#onProgress(p),
      onCrash: (e) => {
        this.#fail(e.message);
        this.o.logger.error({ err: e }, 'query consumer stopped');
      },
    });
    if (this.#stopping) return; // start() closes it
    await this.#consumer.run((batch) => this.#onBatch(batch));
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    if (this.#restartTimer) clearTimeout(this.#restartTimer);
    this.#restartTimer = null;
    for (const abort of [...this.#onStop]) abort();
    if (this.#state !== 'ERROR') this.#state = 'STOPPING';
    // commit what was processed (the consumer commits only while it runs), as Kafka Streams does on close
    const committed = new Set<Task>();
    await Promise.all([...this.#tasks.values()].map(async (t) => (await this.#finish(t)) && committed.add(t)));
    const c = this.#consumer;
    this.#consumer = null;
    if (c) await c.close();
    for (const t of [...this.#tasks.values()]) await this.#closeTask(t, committed.has(t));
    await Promise.allSettled([...this.#retiring.values()]);
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

  #assign(tps: readonly TopicPartition[], rebalance = true): void {
    for (const tp of tps) {
      const topics = this.#assignment.get(tp.partition) ?? [];
      if (!topics.includes(tp.topic)) topics.push(tp.topic);
      this.#assignment.set(tp.partition, topics);
    }
    const fresh: Task[] = [];
    for (const p of new Set(tps.map((tp) => tp.partition))) {
      if (this.#tasks.has(p)) continue;
      const task = this.#newTask(p);
      this.#tasks.set(p, task);
      fresh.push(task);
    }
    if (rebalance) {
      this.#m.rebalances.inc();
      this.o.logger.info({ tasks: [...this.#tasks.keys()].sort((a, b) => a - b), fresh: fresh.map((t) => t.partition) }, 'partitions assigned');
    }
    for (const t of fresh) t.restoring = true;
    const started = Date.now();
    const ready = this.#prepare(fresh).then(
      () => {
        for (const t of fresh) {
          t.restoring = false;
          t.prepared = true;
          t.clean = true;
          this.#kick(t);
        }
        if (fresh.length > 0) this.o.logger.info({ tasks: fresh.map((t) => t.partition), ms: Date.now() - started }, 'tasks ready');
      },
      (e: unknown) => {
        for (const t of fresh) t.restoring = false;
        throw e;
      },
    );
    for (const t of fresh) t.ready = ready;
    ready.catch((e: Error) => {
      for (const t of fresh) void this.#taskFailed(t, e);
    });
  }

  #revoke(tps: readonly TopicPartition[]): void {
    this.o.logger.info({ partitions: [...new Set(tps.map((tp) => tp.partition))] }, 'partitions revoked');
    for (const tp of tps) {
      this.#positions.delete(`${tp.topic}:${tp.partition}`);
      const topics = this.#assignment.get(tp.partition)?.filter((t) => t !== tp.topic) ?? [];
      if (topics.length > 0) this.#assignment.set(tp.partition, topics);
      else {
        this.#assignment.delete(tp.partition);
        // a failing task that moved to another process is its concern now
        if (this.#failures.delete(tp.partition)) this.#checkFailing(null);
      }
    }
    for (const p of new Set(tps.map((tp) => tp.partition))) {
      const t = this.#tasks.get(p);
      if (!t) continue;
      // out of the task map now: a new assignment of the partition makes a new task, which waits for this one
      this.#tasks.delete(p);
      const retiring = this.#retire(t).catch((e: Error) => this.o.logger.warn({ err: e, partition: p }, 'closing a revoked task failed'));
      this.#retiring.set(p, retiring);
      void retiring.finally(() => this.#retiring.get(p) === retiring && this.#retiring.delete(p));
    }
  }

  /**
   * A revoked task: commits what it processed while the group generation may
   * still take it (Kafka Streams commits in onPartitionsRevoked; kafkajs does
   * not wait for it, so a commit the group refuses means reprocessing under
   * at-least-once, never loss), then closes, checkpointing if it is clean.
   */
  async #retire(t: Task): Promise<void> {
    const committed = await this.#finish(t);
    await this.#closeTask(t, committed);
  }

  /** Closes a task; `clean` (revocation, shutdown): its state is what the changelog holds, so it may be checkpointed. */
  async #closeTask(t: Task, clean = false): Promise<void> {
    if (this.#tasks.get(t.partition) === t) this.#tasks.delete(t.partition);
    if (t.closed) return;
    t.closed = true;
    if (t.timer) clearTimeout(t.timer);
    t.group.clear();
    this.#resumeFull(t, true);
    const tx = t.tx;
    t.tx = null;
    if (tx) {
      this.#m.aborts.inc();
      await tx.abort().catch(() => {});
    }
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
    const stores = new TaskStoreFactory(partition, (name) => {
      const topic = this.#changelogTopics.get(name);
      if (topic === undefined) throw new Error(`state store ${name} is not declared by the query's plan`);
      return topic;
    });
    // the queues in the plan's topic order (ties between equal timestamps go to the first)
    const assigned = this.#assignment.get(partition) ?? [];
    const topics = this.#consumerTopics().filter((t) => assigned.includes(t));
    const task: Task = {
      partition,
      stores,
      handlers: new Map(),
      out: [],
      ready: Promise.resolve(),
      producer: null,
      closed: false,
      restoring: false,
      prepared: false,
      clean: false,
      startOffsets: new Map(),
      group: new PartitionGroup<BrokerRecord>(topics, { maxTaskIdleMs: this.#maxTaskIdleMs }),
      pending: new Map(),
      pendingRecords: 0,
      lastTimestamp: 0,
      pendingTimes: new Map(),
      partitionTimes: new Map(),
      processed: new Map(),
      committed: new Map(),
      fetchedFrom: new Map(),
      fetchedTo: new Map(),
      rewound: new Set(),
      highWatermarks: new Map(),
      uncommitted: false,
      lastCommit: Date.now(),
      tx: null,
      loop: null,
      wake: false,
      timer: null,
      full: new Set(),
    };
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
    buildTaskTopology(this.o.root, ctx, this.#repartitions, (topic) => task.partitionTimes.get(topic));
    return task;
  }

  /** Restores the new tasks' stores from their changelog partitions, and opens their transactional producers. */
  async #prepare(tasks: readonly Task[]): Promise<void> {
    if (tasks.length === 0) return;
    // a task failing again and again backs off (its partitions were rewound to the committed offsets)
    const failures = Math.max(0, ...tasks.map((t) => this.#failures.get(t.partition) ?? 0));
    if (failures > 0) await new Promise((r) => setTimeout(r, Math.min(5_000, 100 * 2 ** failures)));
    // the previous task of these partitions here commits and checkpoints first (and its producer goes before the new one)
    await Promise.all(tasks.map((t) => this.#retiring.get(t.partition)));
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
    await this.#initLag(tasks);
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
    const abort = (): void => fail(new Error('the query is stopping'));
    this.#onStop.add(abort);
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
      this.#onStop.delete(abort);
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
   * What the tasks' queues know of their partitions before anything is
   * fetched: the committed offset (or where the consumer starts without one)
   * and the end offset. Until a queue knows it, its task waits (the partition
   * may hold records older than every buffered one); a partition with nothing
   * to read would otherwise hold its task up for good, as kafkajs reports no
   * empty fetches.
   */
  async #initLag(tasks: readonly Task[]): Promise<void> {
    const topics = this.#consumerTopics();
    const offsets = await this.o.port.admin.fetchOffsets(this.groupId, topics);
    const committed = new Map(offsets.map((o) => [`${o.topic}:${o.partition}`, o.offset]));
    // the partition times the last commits carry: the tasks' stream time resumes there
    const byPartition = new Map(tasks.map((t) => [t.partition, t]));
    for (const o of offsets) {
      const time = decodePartitionTime(o.metadata);
      const t = byPartition.get(o.partition);
      if (time !== null && t && t.group.partitions.includes(o.topic)) t.partitionTimes.set(o.topic, time);
    }
    const repartitions = new Set([...this.#repartitions.values()].map((r) => r.topic));
    for (const topic of topics) {
      if (!tasks.some((t) => t.group.partitions.includes(topic))) continue;
      const marks = await this.o.port.admin.fetchWatermarks(topic);
      for (const t of tasks) {
        const m = marks.find((w) => w.partition === t.partition);
        if (!m || !t.group.partitions.includes(topic)) continue;
        const start = committed.get(`${topic}:${t.partition}`) ?? (this.o.earliest || repartitions.has(topic) ? m.low : m.high);
        t.group.initLag(topic, Math.min(m.high, Math.max(start, m.low)), m.high);
      }
    }
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

  /**
   * A fetched batch goes to its task's queue; the task's loop processes it.
   * Never fails on the task's account: kafkajs moves the position past it
   * (the task's commits cover only what it processed, and a failed task
   * rewinds its partitions).
   */
  async #onBatch(batch: ConsumedBatch): Promise<void> {
    if (this.#stopping || batch.isStale()) return;
    let task = this.#tasks.get(batch.partition);
    if (!task) {
      // the first batch after a failed task's rewind (or before GROUP_JOIN reported the assignment): a new task
      this.#assign([{ topic: batch.topic, partition: batch.partition }]);
      task = this.#tasks.get(batch.partition)!;
    }
    if (!task.group.partitions.includes(batch.topic)) return;
    let records = batch.records;
    const start = task.startOffsets.get(batch.topic);
    if (start !== undefined && records.length > 0) {
      if (records[records.length - 1]!.offset + 1 >= start) task.startOffsets.delete(batch.topic);
      if (records[0]!.offset < start) records = records.filter((r) => r.offset >= start);
    }
    if (records.length > 0) {
      if (!task.fetchedFrom.has(batch.topic)) task.fetchedFrom.set(batch.topic, records[0]!.offset);
      task.fetchedTo.set(batch.topic, records[records.length - 1]!.offset + 1);
    }
    task.rewound.delete(batch.topic);
    task.group.add(batch.topic, records, batch.nextOffset, batch.readableEnd);
    task.highWatermarks.set(batch.topic, batch.highWatermark);
    this.#backpressure(task, batch);
    this.#kick(task);
  }

  /**
   * Bounded memory (buffered.records.per.partition), as Kafka Streams does
   * it: a partition whose queue is full is paused, and resumed once the task
   * drained it below the bound (after a turn). The handler returns at once:
   * the consumer's fetch loop hands over a whole response's batches and
   * fetches again only when every handler returned, so a handler waiting for
   * its task to drain held back every other partition's records (the
   * repartition records an aggregation's other half waits for above all):
   * seconds of latency under load.
   */
  #backpressure(task: Task, batch: ConsumedBatch): void {
    const { topic } = batch;
    if (!this.#live(task) || task.group.size(topic) < this.#maxBuffered || task.full.has(topic)) return;
    task.full.add(topic);
    if (!this.#paused) this.#consumer?.pause(topic, [task.partition]);
  }

  /** A batch of transaction markers or aborted records only (or any batch, after the handler): the position moved. */
  #onProgress(p: TopicPartitionOffset): void {
    const task = this.#tasks.get(p.partition);
    if (!task || this.#stopping || task.rewound.has(p.topic) || !task.group.partitions.includes(p.topic)) return;
    task.group.add(p.topic, [], p.offset + 1, null);
    this.#kick(task);
  }

  /** Whether the task is still the one running its partition (not closed, revoked or stopping). */
  #live(task: Task): boolean {
    return !task.closed && !this.#stopping && this.#tasks.get(task.partition) === task;
  }

  /** Runs the task's loop, or has the running one go round again. */
  #kick(task: Task): void {
    if (!this.#live(task) || !task.prepared) return;
    if (task.loop) {
      task.wake = true;
      return;
    }
    task.loop = this.#loop(task).finally(() => {
      task.loop = null;
      if (task.wake) this.#kick(task);
    });
  }

  /**
   * Processing turns while the task has records it may process: each turn
   * takes up to TURN_RECORDS records in timestamp order, flushes what they
   * produced, and commits when the commit interval has passed. Then a timer
   * covers the next commit and the end of an idle wait.
   */
  async #loop(task: Task): Promise<void> {
    try {
      for (;;) {
        task.wake = false;
        if (!this.#live(task)) return;
        const n = this.#processTurn(task);
        // drained: the consumer fetches these partitions again while the turn's outputs are sent
        this.#resumeFull(task);
        if (task.pendingRecords > 0) await this.#flush(task);
        if (!this.#live(task)) return;
        if (task.uncommitted && Date.now() - task.lastCommit >= this.#commitIntervalMs) await this.#commit(task);
        if (!this.#live(task)) return;
        if (n === 0 && !task.wake) break;
      }
      this.#arm(task);
    } catch (e) {
      await this.#taskFailed(task, e as Error);
    }
  }

  /** Sets the task's timer for its next commit, or the end of its idle wait (max.task.idle.ms). */
  #arm(task: Task): void {
    if (task.timer) clearTimeout(task.timer);
    task.timer = null;
    const now = Date.now();
    const readiness = task.group.readiness(now);
    let at = task.uncommitted ? task.lastCommit + this.#commitIntervalMs : Number.POSITIVE_INFINITY;
    if (!readiness.ready && readiness.retryAt !== null) at = Math.min(at, readiness.retryAt);
    if (at === Number.POSITIVE_INFINITY) return;
    task.timer = setTimeout(() => {
      task.timer = null;
      this.#kick(task);
    }, Math.max(0, at - now));
    task.timer.unref?.();
  }

  /** Processes what the task may process now (its PartitionGroup decides); returns the number of records. */
  #processTurn(task: Task): number {
    const deadline = performance.now() + TURN_MS;
    let n = 0;
    // in chunks, so that a turn ends after TURN_MS: its outputs wait for the turn's end
    while (n < TURN_RECORDS) {
      const k = this.#processChunk(task, Math.min(TURN_CHUNK, TURN_RECORDS - n));
      n += k;
      if (k === 0 || performance.now() >= deadline) break;
    }
    return n;
  }

  #processChunk(task: Task, max: number): number {
    const records = task.group.take(max, Date.now());
    if (records.length === 0) return 0;
    let bytesIn = 0;
    let fromSources = 0;
    for (const r of records) {
      bytesIn += (r.key?.length ?? 0) + (r.value?.length ?? 0);
      if (this.#sourcePartitions.has(r.topic)) fromSources++;
      for (const h of task.handlers.get(r.topic) ?? []) {
        try {
          h(r);
        } catch (e) {
          // an exception no operator handled (a UDAF's, an overflow): as in Kafka Streams, the
          // task stops at this record, which is not skipped; #taskFailed rewinds and retries it,
          // and the query is ERROR while it keeps failing (ksqlDB's poison-pill behaviour)
          const cause = (e as Error).message;
          this.#logEntry({
            logger: `${this.o.queryId}.processing`,
            level: 'ERROR',
            time: Date.now(),
            type: 'RECORD_PROCESSING_ERROR',
            message: `Error processing record: ${cause}`,
            topic: r.topic,
            record: JSON.stringify({ topic: r.topic, partition: r.partition, offset: r.offset }),
          });
          throw new Error(`Exception caught in process. taskId=0_${task.partition}, topic=${r.topic}, partition=${r.partition}, offset=${r.offset}: ${cause}`, { cause: e });
        }
      }
      task.pending.set(r.topic, r.offset + 1);
      if (r.timestamp > (task.pendingTimes.get(r.topic) ?? Number.NEGATIVE_INFINITY)) task.pendingTimes.set(r.topic, r.timestamp);
    }
    task.pendingRecords += records.length;
    task.lastTimestamp = records[records.length - 1]!.timestamp;
    // records of the source topics only: a record read again from a repartition topic is not a second input
    this.#m.recordsIn.inc(fromSources);
    this.#m.bytesIn.inc(bytesIn);
    return records.length;
  }

  /**
   * Sends what the processed records produced (outputs, changelog writes,
   * processing-log entries): at-least-once on the shared producer, awaited,
   * so their offsets may be committed; exactly-once in the task's open
   * transaction, which the next commit ends.
   */
  async #flush(task: Task): Promise<void> {
    const out = [...task.out, ...task.stores.drainChanges(task.lastTimestamp)];
    task.out = [];
    const records = task.pendingRecords;
    const offsets = [...task.pending];
    const times = [...task.pendingTimes];
    task.pending.clear();
    task.pendingTimes.clear();
    task.pendingRecords = 0;
    task.clean = false;
    if (out.length > 0) {
      if (this.o.guarantee === 'exactly_once_v2') {
        task.tx ??= await task.producer!.beginTransaction();
        await task.tx.send(out);
      } else {
        await (await this.o.sharedProducer()).send(out);
      }
    }
    // exactly-once: the stores match the changelog once the transaction commits
    if (this.o.guarantee !== 'exactly_once_v2') task.clean = true;
    for (const [topic, time] of times) if (time > (task.partitionTimes.get(topic) ?? Number.NEGATIVE_INFINITY)) task.partitionTimes.set(topic, time);
    for (const [topic, offset] of offsets) {
      task.processed.set(topic, offset);
      this.#positions.set(`${topic}:${task.partition}`, { topic, partition: task.partition, offset });
      const high = task.highWatermarks.get(topic);
      if (high !== undefined) this.o.metrics.get('ksetl_query_consumer_lag').set({ query_id: this.o.queryId, topic, partition: String(task.partition) }, Math.max(0, high - offset));
    }
    task.uncommitted = true;
    this.#processed += records;
    const now = Date.now();
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
  }

  /**
   * Commits the offsets the task processed and flushed, for all its
   * partitions at once: at-least-once through the consumer, exactly-once with
   * the transaction holding the outputs of those records.
   */
  async #commit(task: Task): Promise<void> {
    const offsets: TopicPartitionOffset[] = [...task.processed].map(([topic, offset]) => {
      const time = task.partitionTimes.get(topic);
      return { topic, partition: task.partition, offset, ...(time !== undefined ? { metadata: encodePartitionTime(time) } : {}) };
    });
    const started = performance.now();
    if (this.o.guarantee === 'exactly_once_v2') {
      const tx = task.tx ?? (await task.producer!.beginTransaction());
      task.tx = tx;
      try {
        await tx.sendOffsets(this.groupId, offsets);
        await tx.commit();
      } catch (e) {
        this.#m.aborts.inc();
        await tx.abort().catch(() => {});
        throw e;
      } finally {
        if (task.tx === tx) task.tx = null;
      }
      task.clean = true;
    } else {
      if (!this.#consumer) throw new Error('the query consumer is closed');
      await this.#consumer.commit(offsets);
    }
    for (const o of offsets) task.committed.set(o.topic, o.offset);
    task.uncommitted = false;
    task.lastCommit = Date.now();
    this.#restarts = 0;
    if (this.#failures.delete(task.partition)) this.#checkFailing(null);
    this.#m.commit.observe((performance.now() - started) / 1000);
  }

  /**
   * A revoked task, or every task on stop: waits for its loop, then flushes
   * and commits what it processed. True when nothing processed is left
   * uncommitted (its state may be checkpointed).
   */
  async #finish(task: Task): Promise<boolean> {
    if (task.timer) clearTimeout(task.timer);
    if (!task.prepared || task.closed) return false;
    await task.loop;
    if (task.closed) return false;
    try {
      if (task.pendingRecords > 0) await this.#flush(task);
      if (task.uncommitted) await this.#commit(task);
      return true;
    } catch (e) {
      this.o.logger.warn({ err: e, partition: task.partition }, 'final commit of a task failed; what it processed since its last commit is processed again');
      return false;
    }
  }

  /** Resumes fetching the partitions of the task whose queue drained (`all`: every one it paused, the task is closing). */
  #resumeFull(task: Task, all = false): void {
    for (const topic of task.full) {
      if (!all && task.group.size(topic) >= this.#maxBuffered) continue;
      task.full.delete(topic);
      if (!this.#paused) this.#consumer?.resume(topic, [task.partition]);
    }
  }

  /**
   * A failed flush, commit or preparation: the task's state may be ahead of
   * what Kafka holds. It is closed, its partitions rewind to what it last
   * committed, and the next batch makes a new task, restored from the
   * changelogs (after a back-off when it keeps failing).
   */
  async #taskFailed(task: Task, e: Error): Promise<void> {
    const topics = task.group.partitions;
    this.#lastError = `${new Date().toISOString()} ${topics.join(',')}/${task.partition}: ${e.message}`;
    if (task.closed) return;
    this.o.logger.warn({ err: e, topics, partition: task.partition }, 'task failed; its partitions rewind to the committed offsets and its state is restored');
    const current = this.#tasks.get(task.partition) === task && !this.#stopping;
    const rewound: string[] = [];
    if (current) {
      this.#failures.set(task.partition, (this.#failures.get(task.partition) ?? 0) + 1);
      const message = `${topics.join(',')}/${task.partition}: ${e.message}`;
      this.#recordError(message);
      this.#checkFailing(message);
      // before anything else: batches fetched before the seek are stale from now on
      for (const topic of topics) {
        const from = task.committed.get(topic) ?? task.fetchedFrom.get(topic);
        const to = task.fetchedTo.get(topic);
        if (from === undefined || to === undefined || to <= from) continue;
        this.#consumer?.seek({ topic, partition: task.partition, offset: from });
        rewound.push(topic);
      }
    }
    const closing = this.#closeTask(task);
    const assigned = this.#assignment.get(task.partition);
    if (current && assigned && !this.#tasks.has(task.partition)) {
      this.#assign(assigned.map((topic) => ({ topic, partition: task.partition })), false);
      for (const topic of rewound) this.#tasks.get(task.partition)?.rewound.add(topic);
    }
    await closing;
  }
}

/**
 * A partition time as Kafka Streams writes it in a commit's metadata
 * (TopicPartitionMetadata, version 1): base64 of a version byte and the time
 * as a big-endian 64-bit integer.
 */
export function encodePartitionTime(time: number): string {
  const b = Buffer.alloc(9);
  b.writeUInt8(1, 0);
  b.writeBigInt64BE(BigInt(Math.trunc(time)), 1);
  return b.toString('base64');
}

/** The partition time of a commit's metadata (Kafka Streams' versions 1 and 2, which adds processor metadata after it); null when there is none. */
export function decodePartitionTime(metadata: string | undefined): number | null {
  if (!metadata) return null;
  const b = Buffer.from(metadata, 'base64');
  if (b.length < 9 || (b[0] !== 1 && b[0] !== 2)) return null;
  const time = Number(b.readBigInt64BE(1));
  return time >= 0 ? time : null;
}

/** Records a task processes per turn before it flushes (and maybe commits): bulk processing with bounded output batches. */
const TURN_RECORDS = 5_000;

/**
 * A turn also ends once it took this long (checked every TURN_CHUNK records):
 * what a turn produced is sent at its end, so under a backlog a long turn
 * holds its first records' outputs back for the whole turn.
 */
const TURN_MS = 20;
const TURN_CHUNK = 500;

/** How long a fetch of the query consumer waits for data (fetch.max.wait.ms); see #start. */
const FETCH_MAX_WAIT_MS = 50;

/** Partitions whose batches the query consumer hands over at once (kafkajs's partitionsConsumedConcurrently). */
const MAX_CONCURRENT_PARTITIONS = 64;

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
