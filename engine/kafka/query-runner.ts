import { randomUUID } from 'node:crypto';
import type { BrokerRecord, ProduceRecord } from '../driver/broker.js';
import { KsqlError } from '../errors.js';
import type { FunctionRegistry } from '../functions/types.js';
import type { RuntimeContext } from '../runtime/context.js';
import { processingLogValue, type ProcessingLogEntry, type ProcessingLogger } from '../runtime/processing-log.js';
import type { SchemaRegistry } from '../serde/types.js';
import type { Step } from '../topology/topology.js';
import { ProbeStoreFactory, TaskStoreFactory } from './changelog-store.js';
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
  readonly guarantee: ProcessingGuarantee;
  /** where partitions with no committed offset start (ksql.streams.auto.offset.reset) */
  readonly earliest: boolean;
  /** internal topics must exist already (ksql.internal.topics.precreated): never create them */
  readonly precreatedInternalTopics: boolean;
  readonly replicationFactor?: number;
  /** the ALOS producer shared by the engine's queries */
  readonly sharedProducer: () => Promise<KafkaProducer>;
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
}

export interface QueryStatus {
  readonly state: 'STARTING' | 'RUNNING' | 'ERROR' | 'STOPPED';
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

  constructor(private readonly o: QueryRunnerOptions) {
    this.groupId = names.queryGroupId(o.serviceId, o.queryId);
    this.plan = planDistributed(o.root);
  }

  get status(): QueryStatus {
    return { state: this.#state, error: this.#error, assigned: [...this.#tasks.keys()].sort((a, b) => a - b), processed: this.#processed, restored: this.#restored, lastError: this.#lastError };
  }

  /** Topics the query creates for itself (for cleanup on TERMINATE). */
  get internalTopics(): string[] {
    return [...[...this.#repartitions.values()].map((r) => r.topic), ...this.#changelogTopics.values()];
  }

  async start(): Promise<void> {
    try {
      await this.#start();
      this.#state = 'RUNNING';
    } catch (e) {
      this.#state = 'ERROR';
      this.#error = (e as Error).message;
      throw e;
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
      this.#repartitions.set(r.stepId, { topic: names.repartitionTopic(serviceId, queryId, r.stepId), partitions });
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
    });
    await this.#consumer.run((batch) => this.#onBatch(batch));
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    const c = this.#consumer;
    this.#consumer = null;
    if (c) await c.close();
    for (const t of [...this.#tasks.values()]) await this.#closeTask(t);
    this.#state = 'STOPPED';
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
    const ready = this.#prepare(fresh);
    for (const t of fresh) t.ready = ready;
    // surfaced by the batch handler awaiting it
    ready.catch(() => {});
  }

  #revoke(tps: readonly TopicPartition[]): void {
    for (const p of new Set(tps.map((tp) => tp.partition))) {
      const t = this.#tasks.get(p);
      if (t) void this.#closeTask(t);
    }
  }

  async #closeTask(t: Task): Promise<void> {
    if (this.#tasks.get(t.partition) === t) this.#tasks.delete(t.partition);
    t.closed = true;
    const producer = t.producer;
    t.producer = null;
    if (producer) await producer.close().catch(() => {});
  }

  #newTask(partition: number): Task {
    const stores = new TaskStoreFactory(partition, (name) => this.#changelogTopics.get(name) ?? names.changelogTopic(this.o.serviceId, this.o.queryId, name));
    const task: Task = { partition, stores, handlers: new Map(), out: [], ready: Promise.resolve(), producer: null, closed: false };
    const logTopic = this.o.processingLogTopic;
    const log: ProcessingLogger = {
      log: (entry: ProcessingLogEntry) => {
        this.o.log.log(entry);
        if (logTopic) task.out.push({ topic: logTopic, key: null, value: Buffer.from(JSON.stringify(processingLogValue(entry))), timestamp: entry.time });
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
        task.out.push({ topic, ...rec, headers: (rec.headers ?? []).filter((h) => h.value !== null) });
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
          const producer = await this.o.port.producer({
            transactionalId: names.taskTransactionalId(this.o.serviceId, this.o.queryId, t.partition),
            // Kafka Streams' EOS default: a dead owner's open transaction blocks read_committed readers at most this long
            transactionTimeoutMs: Number(this.o.properties['ksql.streams.producer.transaction.timeout.ms'] ?? this.o.properties['transaction.timeout.ms'] ?? 10_000),
          });
          if (t.closed) await producer.close();
          else t.producer = producer;
        }),
      );
    }
    const topics = [...this.#changelogTopics.values()];
    if (topics.length === 0) return;
    const wanted = new Map<string, { end: number; task: Task }>();
    for (const topic of topics) {
      const marks = await this.o.port.admin.fetchWatermarks(topic);
      for (const t of tasks) {
        const m = marks.find((w) => w.partition === t.partition);
        if (m && m.high > m.low) wanted.set(`${topic}:${t.partition}`, { end: m.high, task: t });
      }
    }
    if (wanted.size === 0) return;
    const pending = new Set(wanted.keys());
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    const progress = (p: TopicPartitionOffset): void => {
      const k = `${p.topic}:${p.partition}`;
      const w = wanted.get(k);
      if (w && p.offset >= w.end - 1 && pending.delete(k) && pending.size === 0) done();
    };
    const consumer = await this.o.port.consumer({
      groupId: names.restoreGroupId(this.o.serviceId, this.o.queryId, randomUUID()),
      topics,
      from: 'earliest',
      readCommitted: this.o.guarantee === 'exactly_once_v2',
      onProgress: progress,
    });
    try {
      await consumer.run(async (batch) => {
        const w = wanted.get(`${batch.topic}:${batch.partition}`);
        if (!w) return;
        const store = w.task.stores.byTopic().get(batch.topic);
        for (const r of batch.records) {
          if (r.offset >= w.end || !store) continue;
          store.restore(r);
          this.#restored++;
        }
      });
      await finished;
    } finally {
      await consumer.close();
    }
  }

  // ------------------------------------------------------------------ processing

  async #onBatch(batch: ConsumedBatch): Promise<void> {
    try {
      await this.#process(batch);
    } catch (e) {
      this.#lastError = `${new Date().toISOString()} ${batch.topic}/${batch.partition}: ${(e as Error).message}`;
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
    await waitWithHeartbeats(task.ready, batch);
    const handlers = task.handlers.get(batch.topic) ?? [];
    for (const r of batch.records) {
      for (const h of handlers) {
        try {
          h(r);
        } catch (e) {
          this.o.log.log({
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
    const last = batch.records[batch.records.length - 1]!;
    const offsets: TopicPartitionOffset[] = [{ topic: batch.topic, partition: batch.partition, offset: last.offset + 1 }];
    const out = [...task.out, ...task.stores.drainChanges(last.timestamp)];
    task.out = [];
    if (batch.isStale() || task.closed) {
      // the partition moved while we worked: drop this task's state, whoever owns it now restores it
      await this.#closeTask(task);
      return;
    }
    try {
      if (this.o.guarantee === 'exactly_once_v2') {
        const tx = await task.producer!.beginTransaction();
        try {
          await tx.send(out);
          await tx.sendOffsets(this.groupId, offsets);
          await tx.commit();
        } catch (e) {
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
    this.#processed += batch.records.length;
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

