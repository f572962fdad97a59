import type {
  BatchHandler,
  BrokerRecord,
  ConsumerOptions,
  KafkaAdmin,
  KafkaConsumer,
  KafkaPort,
  KafkaProducer,
  KafkaTransaction,
  NewTopic,
  OutRecord,
  PartitionWatermarks,
  ProducerOptions,
  RecordMetadata,
  TopicInfo,
  TopicPartition,
  TopicPartitionOffset,
} from '../kafka/port.js';
import { InMemoryBroker } from './broker.js';

/**
 * A Kafka in memory behind the engine's `KafkaPort`, so the Kafka driver's
 * query runner (tasks, repartitions, changelogs, commits, restore) runs
 * without a broker: what `ksetl test`, QTT and RQTT check is the runtime
 * people deploy.
 *
 * Topics live in an `InMemoryBroker`. Consumer groups assign partitions to
 * their members (round-robin, or co-partitioned as Kafka Streams assigns a
 * task's inputs), rebalance when a member joins or leaves (revoking only once
 * the members' running batches finished, as the eager protocol does), and
 * keep committed offsets. Transactional producers append at once (offsets are
 * taken, as in Kafka) but read_committed consumers see a partition only up to
 * its first open transaction (the last stable offset), and never the records
 * of an aborted one; `sendOffsets` commits with the transaction. Control
 * markers take no offsets here.
 *
 * Deterministic and fast: no timers except the back-off after a failed batch.
 * A produce wakes the consumers of its topic in a microtask, each consumer
 * hands one batch at a time to its handler, and `settle()` resolves once no
 * consumer has anything left to read, no batch runs and no rebalance waits.
 */
export class MemoryKafka implements KafkaPort {
  readonly broker: InMemoryBroker;
  readonly admin: KafkaAdmin;
  readonly #groups = new Map<string, Group>();
  readonly #consumers = new Set<MemoryConsumer>();
  readonly #producers = new Set<MemoryProducer>();
  /** the live producer per transactional id (a newer one fences the older) */
  readonly #transactional = new Map<string, MemoryProducer>();
  /** open transactions' first offset per partition ("topic:partition" → first offsets) */
  readonly #open = new Map<string, Set<OpenTx>>();
  /** offsets of aborted records per partition */
  readonly #aborted = new Map<string, Set<number>>();
  readonly #watched = new Set<string>();
  /** batches running, deliveries scheduled, rebalances waiting */
  #busy = 0;
  #idleWaiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  #closed = false;

  constructor(broker: InMemoryBroker = new InMemoryBroker()) {
    this.broker = broker;
    this.admin = new MemoryAdmin(this);
  }

  // --------------------------------------------------------------- KafkaPort

  async producer(options: ProducerOptions = {}): Promise<KafkaProducer> {
    this.#checkOpen();
    const p = new MemoryProducer(this, options.transactionalId ?? null);
    this.#producers.add(p);
    if (options.transactionalId !== undefined) {
      // initTransactions(): fences the id's previous producer and aborts its open transaction
      const previous = this.#transactional.get(options.transactionalId);
      if (previous) previous.fence();
      this.#transactional.set(options.transactionalId, p);
    }
    return p;
  }

  async consumer(options: ConsumerOptions): Promise<KafkaConsumer> {
    this.#checkOpen();
    const c = new MemoryConsumer(this, options);
    this.#consumers.add(c);
    for (const t of options.topics) this.#watch(t);
    return c;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#consumers].map((c) => c.close()));
    await Promise.all([...this.#producers].map((p) => p.close()));
    this.#closed = true;
  }

  // --------------------------------------------------------------- quiescence

  /**
   * Resolves once every consumer has read everything it can read (up to the
   * high watermark, or the last stable offset when reading committed data),
   * no batch runs and no rebalance waits. Rejects with the handler's error
   * when a batch keeps failing (three times in a row), as a test driver
   * surfaces a processing error.
   */
  settle(): Promise<void> {
    const failing = this.#failing();
    if (failing) return Promise.reject(failing);
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve, reject) => this.#idleWaiters.push({ resolve, reject }));
  }

  /** Whether nothing runs or waits to run. */
  get idle(): boolean {
    return this.#isIdle();
  }

  #isIdle(): boolean {
    if (this.#busy > 0) return false;
    for (const c of this.#consumers) if (c.hasWork()) return false;
    return true;
  }

  #failing(): Error | null {
    for (const c of this.#consumers) if (c.failures >= 3 && c.lastError) return c.lastError;
    return null;
  }

  /** @internal */ work(): () => void {
    this.#busy++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.#busy--;
      this.checkIdle();
    };
  }

  /** @internal */ checkIdle(): void {
    if (this.#idleWaiters.length === 0) return;
    const failing = this.#failing();
    if (failing) {
      for (const w of this.#idleWaiters.splice(0)) w.reject(failing);
      return;
    }
    if (!this.#isIdle()) return;
    // resolve in a microtask: work finishing now may schedule more work synchronously after this call
    queueMicrotask(() => {
      if (!this.#isIdle()) return;
      for (const w of this.#idleWaiters.splice(0)) w.resolve();
    });
  }

  #checkOpen(): void {
    if (this.#closed) throw new Error('the in-memory Kafka port is closed');
  }

  // --------------------------------------------------------------- topics and records

  #watch(topic: string): void {
    if (this.#watched.has(topic)) return;
    this.#watched.add(topic);
    this.broker.subscribe(topic, () => this.#wake(topic));
  }

  #wake(topic: string): void {
    for (const c of this.#consumers) c.wake(topic);
  }

  /** @internal */ topicCreated(name: string): void {
    for (const g of this.#groups.values()) if (g.subscribes(name)) g.requestRebalance();
  }

  /** @internal */ topicDeleted(name: string): void {
    for (const key of [...this.#aborted.keys()]) if (key.startsWith(`${name}:`)) this.#aborted.delete(key);
    for (const key of [...this.#open.keys()]) if (key.startsWith(`${name}:`)) this.#open.delete(key);
    for (const g of this.#groups.values()) {
      g.forgetTopic(name);
      if (g.subscribes(name)) g.requestRebalance();
    }
  }

  /** @internal */ append(records: readonly OutRecord[], tx: OpenTx | null): RecordMetadata[] {
    const missing = [...new Set(records.map((r) => r.topic))].filter((t) => this.broker.topic(t) === undefined);
    if (missing.length > 0) throw unknownTopic(missing);
    const out: RecordMetadata[] = [];
    for (const r of records) {
      const { topic, ...rec } = r;
      // the open transaction is registered before the produce wakes read_committed consumers
      if (tx) {
        const info = this.broker.topic(topic)!;
        const partition = InMemoryBroker.partitionFor(rec.partition, rec.key, info.partitions);
        const key = `${topic}:${partition}`;
        if (!tx.first.has(key)) {
          tx.first.set(key, this.broker.partitionLength(topic, partition));
          let open = this.#open.get(key);
          if (!open) this.#open.set(key, (open = new Set()));
          open.add(tx);
        }
        const b = this.broker.produce(topic, { ...rec, partition });
        tx.offsets.push({ key, offset: b.offset });
        out.push({ topic, partition: b.partition, baseOffset: b.offset });
      } else {
        const b = this.broker.produce(topic, rec);
        out.push({ topic, partition: b.partition, baseOffset: b.offset });
      }
    }
    return out;
  }

  /** @internal */ finish(tx: OpenTx, commit: boolean): void {
    for (const key of tx.first.keys()) {
      const open = this.#open.get(key);
      open?.delete(tx);
      if (open?.size === 0) this.#open.delete(key);
    }
    if (commit) {
      for (const [groupId, offsets] of tx.groupOffsets) this.group(groupId).commit(offsets);
    } else {
      for (const { key, offset } of tx.offsets) {
        let set = this.#aborted.get(key);
        if (!set) this.#aborted.set(key, (set = new Set()));
        set.add(offset);
      }
    }
    for (const topic of new Set([...tx.first.keys()].map((k) => k.slice(0, k.lastIndexOf(':'))))) this.#wake(topic);
  }

  /** @internal */ watermarks(topic: string): PartitionWatermarks[] {
    const info = this.broker.topic(topic);
    if (!info) return [];
    // nothing is ever deleted from a partition's log: it starts at 0 and its length is the high watermark
    return Array.from({ length: info.partitions }, (_, partition) => ({ partition, low: 0, high: this.broker.partitionLength(topic, partition) }));
  }

  /** @internal The end a consumer may read to: the high watermark, or the first open transaction's offset. */
  visibleEnd(topic: string, partition: number, readCommitted: boolean): number {
    const high = this.broker.partitionLength(topic, partition);
    if (!readCommitted) return high;
    const open = this.#open.get(`${topic}:${partition}`);
    if (!open) return high;
    let end = high;
    for (const tx of open) end = Math.min(end, tx.first.get(`${topic}:${partition}`) ?? high);
    return end;
  }

  /** @internal */ isAborted(topic: string, partition: number, offset: number): boolean {
    return this.#aborted.get(`${topic}:${partition}`)?.has(offset) ?? false;
  }

  /** Records of a topic in produce order across partitions, leaving out aborted ones and, unless asked, open transactions'. */
  readCommitted(topic: string): BrokerRecord[] {
    return this.broker.readInOrder(topic).filter((r) => !this.isAborted(topic, r.partition, r.offset) && r.offset < this.visibleEnd(topic, r.partition, true));
  }

  /** @internal */ group(id: string): Group {
    let g = this.#groups.get(id);
    if (!g) this.#groups.set(id, (g = new Group(this, id)));
    return g;
  }

  /** @internal */ existingGroup(id: string): Group | undefined {
    return this.#groups.get(id);
  }

  /** @internal */ forget(c: MemoryConsumer | MemoryProducer): void {
    if (c instanceof MemoryConsumer) this.#consumers.delete(c);
    else {
      this.#producers.delete(c);
      if (c.transactionalId !== null && this.#transactional.get(c.transactionalId) === c) this.#transactional.delete(c.transactionalId);
    }
    this.checkIdle();
  }
}

interface OpenTx {
  /** per "topic:partition": the offset of the transaction's first record there */
  readonly first: Map<string, number>;
  readonly offsets: { key: string; offset: number }[];
  readonly groupOffsets: Map<string, TopicPartitionOffset[]>;
}

function unknownTopic(topics: readonly string[]): Error {
  return Object.assign(new Error(`This server does not host this topic-partition: ${topics.join(', ')}`), { type: 'UNKNOWN_TOPIC_OR_PARTITION', retriable: true });
}

// --------------------------------------------------------------------------- admin

class MemoryAdmin implements KafkaAdmin {
  constructor(private readonly kafka: MemoryKafka) {}

  async createTopics(topics: readonly NewTopic[]): Promise<void> {
    for (const t of topics) {
      if (this.kafka.broker.topic(t.name)) continue;
      this.kafka.broker.createTopic(t.name, t.partitions, { ...(t.config ?? {}) });
      this.kafka.topicCreated(t.name);
    }
  }

  async listTopics(): Promise<string[]> {
    return this.kafka.broker.topics().map((t) => t.name);
  }

  async describeTopics(names: readonly string[]): Promise<TopicInfo[]> {
    return names.flatMap((n) => {
      const t = this.kafka.broker.topic(n);
      return t ? [{ name: t.name, partitions: t.partitions, config: { ...t.config } }] : [];
    });
  }

  async deleteTopics(names: readonly string[]): Promise<void> {
    for (const n of names) {
      if (!this.kafka.broker.topic(n)) continue;
      this.kafka.broker.deleteTopic(n);
      this.kafka.topicDeleted(n);
    }
  }

  async fetchOffsets(groupId: string, topics: readonly string[]): Promise<TopicPartitionOffset[]> {
    const g = this.kafka.existingGroup(groupId);
    if (!g) return [];
    const wanted = new Set(topics);
    return g.committedOffsets().filter((o) => wanted.has(o.topic));
  }

  async fetchWatermarks(topic: string): Promise<PartitionWatermarks[]> {
    if (!this.kafka.broker.topic(topic)) throw unknownTopic([topic]);
    return this.kafka.watermarks(topic);
  }
}

// --------------------------------------------------------------------------- producers

function fencedError(id: string): Error {
  return Object.assign(new Error(`Producer with transactional id ${id} was fenced by a newer producer with the same id (INVALID_PRODUCER_EPOCH)`), {
    type: 'INVALID_PRODUCER_EPOCH',
    retriable: false,
  });
}

class MemoryProducer implements KafkaProducer {
  #fenced = false;
  #closed = false;
  #tx: { state: OpenTx; done: boolean } | null = null;

  constructor(
    private readonly kafka: MemoryKafka,
    readonly transactionalId: string | null,
  ) {}

  /** A newer producer took the transactional id: the open transaction is aborted and every later call fails. */
  fence(): void {
    this.#fenced = true;
    const tx = this.#tx;
    this.#tx = null;
    if (tx && !tx.done) {
      tx.done = true;
      this.kafka.finish(tx.state, false);
    }
  }

  #check(): void {
    if (this.#closed) throw new Error('the producer is closed');
    if (this.#fenced) throw fencedError(this.transactionalId ?? '');
  }

  async send(records: readonly OutRecord[]): Promise<RecordMetadata[]> {
    this.#check();
    if (this.transactionalId !== null) throw new Error('a transactional producer sends only inside a transaction');
    return this.kafka.append(records, null);
  }

  async beginTransaction(): Promise<KafkaTransaction> {
    // a fenced producer learns it when it sends or commits, as with Kafka
    if (this.#closed) throw new Error('the producer is closed');
    if (this.transactionalId === null) throw new Error('a producer without a transactional id cannot begin a transaction');
    if (this.#tx && !this.#tx.done) throw new Error('a transaction is already open on this producer');
    const tx = { state: { first: new Map(), offsets: [], groupOffsets: new Map() } as OpenTx, done: false };
    this.#tx = tx;
    const live = (): void => {
      this.#check();
      if (tx.done) throw new Error('the transaction is finished');
    };
    return {
      send: async (records) => {
        live();
        return this.kafka.append(records, tx.state);
      },
      sendOffsets: async (groupId, offsets) => {
        live();
        const list = tx.state.groupOffsets.get(groupId) ?? [];
        list.push(...offsets);
        tx.state.groupOffsets.set(groupId, list);
      },
      commit: async () => {
        live();
        tx.done = true;
        this.kafka.finish(tx.state, true);
      },
      abort: async () => {
        if (tx.done) return;
        tx.done = true;
        this.kafka.finish(tx.state, false);
      },
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    const tx = this.#tx;
    if (tx && !tx.done) {
      // a closed producer's open transaction stays open in Kafka until it times out; here it is aborted at once
      tx.done = true;
      this.kafka.finish(tx.state, false);
    }
    this.#closed = true;
    this.kafka.forget(this);
  }
}

// --------------------------------------------------------------------------- groups

class Group {
  readonly members: MemoryConsumer[] = [];
  readonly #committed = new Map<string, TopicPartitionOffset>();
  #rebalancePending = false;
  #release: (() => void) | null = null;

  constructor(
    private readonly kafka: MemoryKafka,
    readonly id: string,
  ) {}

  subscribes(topic: string): boolean {
    return this.members.some((m) => m.options.topics.includes(topic));
  }

  committed(topic: string, partition: number): number | undefined {
    return this.#committed.get(`${topic}:${partition}`)?.offset;
  }

  committedOffsets(): TopicPartitionOffset[] {
    return [...this.#committed.values()].sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
  }

  commit(offsets: readonly TopicPartitionOffset[]): void {
    for (const o of offsets) this.#committed.set(`${o.topic}:${o.partition}`, { topic: o.topic, partition: o.partition, offset: o.offset, ...(o.metadata !== undefined ? { metadata: o.metadata } : {}) });
  }

  forgetTopic(topic: string): void {
    for (const [k, o] of this.#committed) if (o.topic === topic) this.#committed.delete(k);
  }

  join(m: MemoryConsumer): void {
    this.members.push(m);
    this.requestRebalance();
  }

  leave(m: MemoryConsumer): void {
    const i = this.members.indexOf(m);
    if (i >= 0) this.members.splice(i, 1);
    this.requestRebalance();
  }

  get rebalancing(): boolean {
    return this.#rebalancePending;
  }

  requestRebalance(): void {
    if (this.#rebalancePending) return;
    this.#rebalancePending = true;
    this.#release = this.kafka.work();
    queueMicrotask(() => this.tryRebalance());
  }

  /** Runs the pending rebalance once no member's batch runs (the eager protocol: everything is revoked, then assigned anew). */
  tryRebalance(): void {
    if (!this.#rebalancePending) return;
    if (this.members.some((m) => m.busy)) return; // the member finishing its batch calls again
    this.#rebalancePending = false;
    const release = this.#release;
    this.#release = null;
    for (const m of this.members) m.revokeAll();
    const plan = this.#assign();
    for (const m of this.members) m.assign(plan.get(m) ?? []);
    release?.();
  }

  #assign(): Map<MemoryConsumer, TopicPartition[]> {
    const out = new Map<MemoryConsumer, TopicPartition[]>(this.members.map((m) => [m, []]));
    if (this.members.length === 0) return out;
    const topics = [...new Set(this.members.flatMap((m) => m.options.topics))].filter((t) => this.kafka.broker.topic(t)).sort();
    const copartitioned = this.members.every((m) => m.options.assignment === 'copartitioned');
    if (copartitioned) {
      const byIndex = new Map<number, string[]>();
      for (const t of topics) {
        for (let p = 0; p < this.kafka.broker.topic(t)!.partitions; p++) {
          const list = byIndex.get(p) ?? [];
          list.push(t);
          byIndex.set(p, list);
        }
      }
      [...byIndex.keys()]
        .sort((a, b) => a - b)
        .forEach((p, i) => {
          const m = this.members[i % this.members.length]!;
          for (const t of byIndex.get(p)!) if (m.options.topics.includes(t)) out.get(m)!.push({ topic: t, partition: p });
        });
      return out;
    }
    let i = 0;
    for (const t of topics) {
      const subscribed = this.members.filter((m) => m.options.topics.includes(t));
      for (let p = 0; p < this.kafka.broker.topic(t)!.partitions; p++) out.get(subscribed[i++ % subscribed.length]!)!.push({ topic: t, partition: p });
    }
    return out;
  }
}

// --------------------------------------------------------------------------- consumers

interface Assigned {
  readonly topic: string;
  readonly partition: number;
  position: number;
  paused: boolean;
  /** bumped by seek and revocation: a running batch of an older epoch is stale */
  epoch: number;
}

/** Most records handed over in one batch. */
const MAX_BATCH = 500;

class MemoryConsumer implements KafkaConsumer {
  readonly #group: Group;
  readonly #assigned = new Map<string, Assigned>();
  /** topics paused as a whole (also the partitions assigned later) */
  readonly #pausedTopics = new Set<string>();
  #handler: BatchHandler | null = null;
  #running = false;
  #closed = false;
  #scheduled = false;
  /** a delivery loop runs (it looks for more data before it ends, so wakes meanwhile need no loop of their own) */
  #delivering = false;
  #release: (() => void) | null = null;
  busy = false;
  failures = 0;
  lastError: Error | null = null;
  #retryTimer: NodeJS.Timeout | null = null;
  #retryRelease: (() => void) | null = null;

  constructor(
    private readonly kafka: MemoryKafka,
    readonly options: ConsumerOptions,
  ) {
    this.#group = kafka.group(options.groupId);
  }

  async run(handler: BatchHandler): Promise<void> {
    if (this.#closed) throw new Error('the consumer is closed');
    if (this.#running) throw new Error('the consumer already runs');
    this.#handler = handler;
    this.#running = true;
    this.#group.join(this);
  }

  /** Whether this consumer has records it could deliver now (or a failed batch to retry). */
  hasWork(): boolean {
    if (!this.#running || this.#closed) return false;
    if (this.#retryTimer !== null || this.busy) return true;
    if (this.#group.rebalancing) return true;
    for (const a of this.#assigned.values()) if (!a.paused && a.position < this.#end(a)) return true;
    return false;
  }

  #end(a: Assigned): number {
    if (!this.kafka.broker.topic(a.topic)) return a.position;
    return this.kafka.visibleEnd(a.topic, a.partition, this.options.readCommitted !== false);
  }

  wake(topic: string): void {
    if (!this.#running || this.#closed) return;
    if (!this.options.topics.includes(topic)) return;
    this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled || this.#delivering || this.#retryTimer !== null || this.#closed) return;
    this.#scheduled = true;
    this.#release = this.kafka.work();
    queueMicrotask(() => {
      this.#scheduled = false;
      const release = this.#release;
      this.#release = null;
      void this.#deliver().finally(() => release?.());
    });
  }

  revokeAll(): void {
    const revoked = [...this.#assigned.values()].map((a) => ({ topic: a.topic, partition: a.partition }));
    for (const a of this.#assigned.values()) a.epoch++;
    this.#assigned.clear();
    if (revoked.length > 0) this.options.onRevoked?.(revoked);
  }

  assign(tps: readonly TopicPartition[]): void {
    const fromEarliest = new Set(this.options.fromEarliest ?? []);
    for (const tp of tps) {
      const committed = this.#group.committed(tp.topic, tp.partition);
      const latest = this.options.from === 'latest' && !fromEarliest.has(tp.topic);
      const position = committed ?? (latest ? this.kafka.broker.partitionLength(tp.topic, tp.partition) : 0);
      this.#assigned.set(`${tp.topic}:${tp.partition}`, { topic: tp.topic, partition: tp.partition, position, paused: this.#pausedTopics.has(tp.topic), epoch: 0 });
    }
    if (tps.length > 0) this.options.onAssigned?.(tps);
    this.#schedule();
  }

  /** Hands batches to the handler, one at a time, until nothing is left to read. */
  async #deliver(): Promise<void> {
    if (this.#delivering) return;
    this.#delivering = true;
    try {
      while (!this.#closed && this.#running && !this.#group.rebalancing) {
        const next = this.#nextPartition();
        if (!next || !(await this.#deliverOne(next.a, next.before))) break;
      }
    } finally {
      this.#delivering = false;
    }
    // a rebalance waiting on this member's batch can go on
    if (this.#group.rebalancing) this.#group.tryRebalance();
  }

  /**
   * The partition whose next record was produced first, across every
   * assigned partition: records reach the handler in the order they were
   * written (what Kafka Streams' TopologyTestDriver does; a real consumer's
   * order between partitions is arbitrary, so this is one of its orders).
   */
  #nextPartition(): { a: Assigned; before: number } | null {
    let best: Assigned | null = null;
    let bestSeq = Infinity;
    let second = Infinity;
    for (const a of this.#assigned.values()) {
      if (a.paused || a.position >= this.#end(a)) continue;
      const seq = this.kafka.broker.sequenceAt(a.topic, a.partition, a.position);
      if (seq < bestSeq) {
        second = bestSeq;
        bestSeq = seq;
        best = a;
      } else if (seq < second) second = seq;
    }
    return best ? { a: best, before: second } : null;
  }

  /** One batch of a partition; false when it failed (a retry is scheduled). */
  async #deliverOne(a: Assigned, before: number): Promise<boolean> {
    const readCommitted = this.options.readCommitted !== false;
    const log = this.kafka.broker;
    // the batch stops where another partition has an earlier record
    let end = a.position + 1;
    const last = Math.min(this.#end(a), a.position + MAX_BATCH);
    while (end < last && log.sequenceAt(a.topic, a.partition, end) < before) end++;
    const records: BrokerRecord[] = [];
    for (let o = a.position; o < end; o++) {
      if (readCommitted && this.kafka.isAborted(a.topic, a.partition, o)) continue;
      records.push(log.recordAt(a.topic, a.partition, o));
    }
    const epoch = a.epoch;
    const stale = (): boolean => a.epoch !== epoch || this.#assigned.get(`${a.topic}:${a.partition}`) !== a || this.#closed;
    if (records.length > 0) {
      this.busy = true;
      try {
        await this.#handler!({
          topic: a.topic,
          partition: a.partition,
          records,
          highWatermark: log.partitionLength(a.topic, a.partition),
          nextOffset: end,
          readableEnd: this.#end(a),
          heartbeat: async () => {},
          isStale: stale,
        });
      } catch (e) {
        this.busy = false;
        this.#failed(e instanceof Error ? e : new Error(String(e)));
        return false;
      }
      this.busy = false;
    }
    this.failures = 0;
    this.lastError = null;
    if (stale()) return true;
    a.position = end;
    this.options.onProgress?.({ topic: a.topic, partition: a.partition, offset: end - 1 });
    return true;
  }

  /** The batch comes again from the position before it, after a back-off (the only timer of the port). */
  #failed(e: Error): void {
    this.failures++;
    this.lastError = e;
    this.#retryRelease = this.kafka.work();
    this.kafka.checkIdle();
    const delay = Math.min(1_000, 5 * 2 ** Math.min(this.failures, 8));
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      const release = this.#retryRelease;
      this.#retryRelease = null;
      release?.();
      if (this.#group.rebalancing) this.#group.tryRebalance();
      else this.#schedule();
    }, delay);
    this.#retryTimer.unref?.();
  }

  async commit(offsets: readonly TopicPartitionOffset[]): Promise<void> {
    if (this.#closed) throw new Error('the consumer is closed');
    this.#group.commit(offsets);
  }

  pause(topic: string, partitions?: readonly number[]): void {
    if (!partitions) this.#pausedTopics.add(topic);
    for (const a of this.#assigned.values()) if (a.topic === topic && (!partitions || partitions.includes(a.partition))) a.paused = true;
    this.kafka.checkIdle();
  }

  resume(topic: string, partitions?: readonly number[]): void {
    if (!partitions) this.#pausedTopics.delete(topic);
    for (const a of this.#assigned.values()) if (a.topic === topic && (!partitions || partitions.includes(a.partition))) a.paused = false;
    this.#schedule();
  }

  seek(position: TopicPartitionOffset): void {
    if (!this.#running) throw new Error('seek needs a running consumer');
    const a = this.#assigned.get(`${position.topic}:${position.partition}`);
    if (!a) return;
    a.position = Math.max(0, position.offset);
    a.epoch++;
    this.#schedule();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#retryTimer) {
      clearTimeout(this.#retryTimer);
      this.#retryTimer = null;
      this.#retryRelease?.();
      this.#retryRelease = null;
    }
    // a running batch finishes first (kafkajs's stop() waits for it)
    while (this.busy) await new Promise<void>((r) => setImmediate(r));
    if (this.#running) {
      this.revokeAll();
      this.#group.leave(this);
    }
    this.#running = false;
    this.kafka.forget(this);
  }
}
