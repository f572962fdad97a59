import type { DataSource } from '../catalog/data-source.js';
import type { ProduceRecord } from '../driver/broker.js';
import type { FunctionRegistry } from '../functions/types.js';
import { KafkaEngine } from '../kafka/kafka-engine.js';
import { kafkaClientFromEnv, kafkaPort } from '../kafka/kafka-client.js';
import type { BrokerRecord, KafkaPort, KafkaProducer, OutRecord, TopicInfo } from '../kafka/port.js';
import { prefixedPort } from '../kafka/prefixed-port.js';
import type { SchemaRegistry } from '../serde/types.js';
import type { CaseEngine } from './qtt/run-case.js';

export interface KafkaCaseRuntimeOptions {
  /** "host:port" of the broker */
  readonly bootstrap: string;
  /** every topic, group and transactional id of the case lives under it on the broker (a per-run seed and a case number) */
  readonly prefix: string;
  readonly properties?: Readonly<Record<string, string>>;
  readonly functions?: FunctionRegistry;
  readonly registry?: SchemaRegistry;
  /** longest a settle waits (default 60 s) */
  readonly settleTimeoutMs?: number;
}

const POLL_MS = 50;

/**
 * The engine people deploy (KafkaEngine over kafkajs) on a real broker, as a
 * test case's engine (`--runtime kafka`): the case's topics live under its
 * own prefix, so cases run side by side on one broker.
 *
 * Unlike the in-memory runtime, `pipe` only queues a record: `drain` sends
 * what is queued and waits until every query has processed and committed
 * everything of its input and repartition topics (KafkaEngine.caughtUp
 * against the topics' log ends, read before and after: unchanged ends mean
 * no record is on its way), then reads every topic for `read`.
 */
export class KafkaCaseRuntime implements CaseEngine {
  #engine: KafkaEngine;
  #generation = 1;
  #queued: OutRecord[] = [];
  #producer: KafkaProducer | null = null;
  #topics = new Map<string, TopicInfo>();
  #mirror = new Map<string, BrokerRecord[]>();

  private constructor(
    readonly port: KafkaPort,
    engine: KafkaEngine,
    private readonly options: KafkaCaseRuntimeOptions,
  ) {
    this.#engine = engine;
  }

  static async start(o: KafkaCaseRuntimeOptions): Promise<KafkaCaseRuntime> {
    const port = prefixedPort(kafkaPort(kafkaClientFromEnv(), { brokers: o.bootstrap, clientId: `ksetl-case-${o.prefix}`, logLevel: 'nothing' }), o.prefix);
    try {
      return new KafkaCaseRuntime(port, await KafkaCaseRuntime.#startEngine(port, o, 1), o);
    } catch (e) {
      await port.close().catch(() => {});
      throw e;
    }
  }

  static #startEngine(port: KafkaPort, o: KafkaCaseRuntimeOptions, generation: number): Promise<KafkaEngine> {
    return KafkaEngine.start({
      port,
      serviceId: 'case',
      // commits after every turn, as the in-memory runtime (so a settle never waits on a commit timer)
      properties: { 'ksetl.metrics.lag.refresh.ms': '0', ...(o.properties ?? {}), 'ksql.streams.commit.interval.ms': '0' },
      ...(o.functions ? { functions: o.functions } : {}),
      ...(o.registry ? { registry: o.registry } : {}),
      instanceId: `case-${generation}`,
    });
  }

  get engine(): KafkaEngine {
    return this.#engine;
  }

  get registry(): SchemaRegistry {
    return this.#engine.registry;
  }

  source(name: string): DataSource | undefined {
    return this.#engine.source(name);
  }

  sources(): readonly DataSource[] {
    return this.#engine.sources();
  }

  execute(sql: string, properties: Readonly<Record<string, string>>): Promise<unknown> {
    return this.#engine.execute(sql, properties);
  }

  async createTopic(name: string, partitions: number): Promise<void> {
    await this.port.admin.createTopics([{ name, partitions }]);
    this.#topics.set(name, { name, partitions, config: {} });
  }

  /** Queues a record; `drain` sends it (in pipe order) and waits for what it causes. */
  pipe(topic: string, rec: ProduceRecord): void {
    this.#queued.push({ topic, ...rec });
  }

  read(topic: string): readonly BrokerRecord[] {
    return this.#mirror.get(topic) ?? [];
  }

  topic(name: string): TopicInfo | undefined {
    return this.#topics.get(name) ?? this.#engine.topics().find((t) => t.name === name);
  }

  topics(): readonly TopicInfo[] {
    const all = new Map(this.#engine.topics().map((t) => [t.name, t]));
    for (const [n, t] of this.#topics) all.set(n, t);
    return [...all.values()];
  }

  /** Sends what is queued and waits until every query settled; then (`read`) reads every topic for `read`. */
  async drain(read: boolean): Promise<void> {
    await this.#settle();
    if (read) await this.#readAll();
  }

  async #flush(): Promise<void> {
    if (this.#queued.length === 0) return;
    const records = this.#queued;
    this.#queued = [];
    this.#producer ??= await this.port.producer();
    await this.#producer.send(records);
  }

  /** Log ends (high watermarks) of `names` by `topic:partition`. */
  async #ends(names: readonly string[]): Promise<Map<string, number>> {
    const ends = new Map<string, number>();
    await Promise.all(
      names.map(async (t) => {
        for (const w of await this.port.admin.fetchWatermarks(t)) ends.set(`${t}:${w.partition}`, w.high);
      }),
    );
    return ends;
  }

  /** The existing topics the queries read (a query may name a topic that is not there yet). */
  async #consumed(): Promise<string[]> {
    const live = new Set(await this.port.admin.listTopics());
    return this.#engine.consumedTopics().filter((t) => live.has(t));
  }

  async #settle(): Promise<void> {
    await this.#flush();
    const deadline = Date.now() + (this.options.settleTimeoutMs ?? 60_000);
    for (;;) {
      const names = await this.#consumed();
      const before = await this.#ends(names);
      if (this.#engine.caughtUp(before)) {
        const after = await this.#ends(names);
        if (after.size === before.size && [...after].every(([k, v]) => before.get(k) === v)) return;
      }
      if (Date.now() > deadline) throw new Error(`the queries did not settle within ${this.options.settleTimeoutMs ?? 60_000} ms`);
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }

  /** Every topic's records (read_committed), partitions merged in timestamp order (ties: lower partition first). */
  async #readAll(): Promise<void> {
    const names = (await this.port.admin.listTopics()).filter((n) => !n.endsWith('_command_topic'));
    const infos = await this.port.admin.describeTopics(names);
    for (const t of infos) this.#topics.set(t.name, t);
    const ends = await this.#ends(names);
    const pending = new Set([...ends].filter(([k, v]) => v > 0 && names.includes(k.slice(0, k.lastIndexOf(':')))).map(([k]) => k));
    const byPartition = new Map<string, BrokerRecord[]>();
    this.#mirror = new Map(names.map((n) => [n, []]));
    if (pending.size === 0) return;
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    const reached = (topic: string, partition: number, next: number): void => {
      const k = `${topic}:${partition}`;
      const end = ends.get(k);
      if (end !== undefined && next >= end && pending.delete(k) && pending.size === 0) done();
    };
    const topics = [...new Set([...pending].map((k) => k.slice(0, k.lastIndexOf(':'))))];
    const consumer = await this.port.consumer({ groupId: `reader-${this.#generation}-${Date.now()}`, topics, from: 'earliest', maxWaitMs: 50, onProgress: (p) => reached(p.topic, p.partition, p.offset + 1) });
    let timer: NodeJS.Timeout | undefined;
    try {
      await consumer.run(async (b) => {
        const k = `${b.topic}:${b.partition}`;
        const end = ends.get(k) ?? 0;
        const list = byPartition.get(k) ?? [];
        byPartition.set(k, list);
        for (const r of b.records) if (r.offset < end) list.push(r);
        reached(b.topic, b.partition, b.nextOffset);
      });
      await Promise.race([
        finished,
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`timed out reading the case's topics (${[...pending].join(', ')} not read to their end)`)), 30_000);
        }),
      ]);
    } finally {
      clearTimeout(timer);
      await consumer.close();
    }
    for (const t of topics) {
      const parts = [...byPartition]
        .filter(([k]) => k.slice(0, k.lastIndexOf(':')) === t)
        .sort(([a], [b]) => Number(a.slice(a.lastIndexOf(':') + 1)) - Number(b.slice(b.lastIndexOf(':') + 1)))
        .map(([, rs]) => rs);
      this.#mirror.set(t, mergeByTimestamp(parts));
    }
  }

  /**
   * Stops the engine and starts a new one on the same topics, as a process
   * restart: the catalog comes back from the command log, queries resume
   * from their committed offsets, stores from their changelogs.
   */
  async restart(): Promise<void> {
    await this.#settle();
    const registry = this.#engine.registry;
    const functions = this.#engine.functions;
    await this.#engine.close();
    this.#engine = await KafkaCaseRuntime.#startEngine(this.port, { ...this.options, registry, functions }, ++this.#generation);
    await this.#settle();
  }

  /** Closes the engine and deletes the case's topics. */
  /** See KafkaEngine.queryErrors. */
  queryErrors(): string[] {
    return this.#engine.queryErrors();
  }

  async close(): Promise<void> {
    try {
      await this.#engine.close();
      await this.#producer?.close();
      const names = await this.port.admin.listTopics();
      if (names.length > 0) await this.port.admin.deleteTopics(names);
    } finally {
      await this.port.close();
    }
  }
}

/** Merges partitions' records (each in offset order) by timestamp, ties to the earlier list. */
function mergeByTimestamp(lists: readonly (readonly BrokerRecord[])[]): BrokerRecord[] {
  if (lists.length === 1) return [...lists[0]!];
  const heads = lists.map(() => 0);
  const out: BrokerRecord[] = [];
  for (;;) {
    let best = -1;
    for (const [i, l] of lists.entries()) {
      const r = l[heads[i]!];
      if (r && (best < 0 || r.timestamp < lists[best]![heads[best]!]!.timestamp)) best = i;
    }
    if (best < 0) return out;
    out.push(lists[best]![heads[best]!++]!);
  }
}
