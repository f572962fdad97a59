// first: patches kafkajs's modules before kafkajs loads them
import { forgetTopics, hasKafkaErrorType } from './kafkajs-patches.js';
import {
  AssignerProtocol,
  Kafka,
  PartitionAssigners,
  Partitioners,
  logLevel as KafkaLogLevel,
  type Admin,
  type Assignment,
  type PartitionAssigner,
  type SASLOptions,
  type Consumer,
  type IHeaders,
  type Message,
  type Producer,
  type RecordMetadata as KafkajsRecordMetadata,
  type KafkaMessage,
  type logCreator,
} from 'kafkajs';
import type { Logger } from '../server/logger.js';
import type {
  BatchHandler,
  BrokerRecord,
  ConsumerOptions,
  GroupMember,
  Header,
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
} from './port.js';

export interface KafkajsPortOptions {
  /** "host:port" list, or a comma-separated string as in bootstrap.servers */
  readonly brokers: readonly string[] | string;
  readonly clientId?: string;
  /** kafkajs's own logging; default error (kafkajs logs retriable errors at error level too). */
  readonly logLevel?: 'nothing' | 'error' | 'warn' | 'info' | 'debug';
  /** TLS: true for the platform's CAs, or PEM material (ca/cert/key). */
  readonly ssl?: boolean | { readonly ca?: string | Buffer; readonly cert?: string | Buffer; readonly key?: string | Buffer; readonly passphrase?: string; readonly rejectUnauthorized?: boolean };
  readonly sasl?: { readonly mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; readonly username: string; readonly password: string };
  /** kafkajs's log lines go to this pino logger (as logger=kafkajs) instead of kafkajs's own console output */
  readonly logger?: Logger;
}

/** kafkajs's logs through pino: the level maps across, the entry's fields become the line's fields. */
function pinoLogCreator(logger: Logger): logCreator {
  const child = logger.child({ logger: 'kafkajs' });
  return () =>
    ({ level, log }) => {
      const { message, timestamp: _t, logger: _l, ...fields } = log;
      const msg = `${log.namespace ? `[${String(log.namespace)}] ` : ''}${String(message)}`;
      // kafkajs logs retriable errors (coordinator loading, rejoins) at ERROR and retries them: a warning here
      if (level === KafkaLogLevel.ERROR || level === KafkaLogLevel.WARN) child.warn(fields, msg);
      else if (level === KafkaLogLevel.INFO) child.info(fields, msg);
      else child.debug(fields, msg);
    };
}

const LOG_LEVELS = {
  nothing: KafkaLogLevel.NOTHING,
  error: KafkaLogLevel.ERROR,
  warn: KafkaLogLevel.WARN,
  info: KafkaLogLevel.INFO,
  debug: KafkaLogLevel.DEBUG,
} as const;

/** A `KafkaPort` on kafkajs 2.2 (works against Kafka 3.9 and 4.x; see test/infra/kafka/README.md). */
export function kafkajsPort(options: KafkajsPortOptions): KafkaPort {
  const brokers = typeof options.brokers === 'string' ? options.brokers.split(',').map((b) => b.trim()) : [...options.brokers];
  const kafka = new Kafka({
    clientId: options.clientId ?? 'ksetl',
    brokers,
    logLevel: LOG_LEVELS[options.logLevel ?? 'error'],
    ...(options.logger ? { logCreator: pinoLogCreator(options.logger) } : {}),
    ...(options.ssl !== undefined ? { ssl: typeof options.ssl === 'boolean' ? options.ssl : { ...options.ssl } } : {}),
    ...(options.sasl !== undefined ? { sasl: { ...options.sasl } as SASLOptions } : {}),
  });
  const open = new Set<{ close(): Promise<void> }>();
  const track = <T extends { close(): Promise<void> }>(client: T): T => {
    open.add(client);
    const close = client.close.bind(client);
    client.close = async () => {
      open.delete(client);
      await close();
    };
    return client;
  };
  const admin = new KafkajsAdmin(kafka.admin());

  return {
    admin,
    async producer(producerOptions: ProducerOptions = {}) {
      const transactional = producerOptions.transactionalId !== undefined;
      const producer = kafka.producer({
        // Java's murmur2 partitioning, so keys land where Kafka Streams/ksqlDB put them.
        createPartitioner: Partitioners.DefaultPartitioner,
        allowAutoTopicCreation: false,
        idempotent: transactional,
        ...(transactional
          ? {
              transactionalId: producerOptions.transactionalId,
              maxInFlightRequests: 1,
              transactionTimeout: producerOptions.transactionTimeoutMs ?? 60_000,
            }
          : {}),
      });
      await producer.connect();
      // Java's initTransactions(): kafkajs asks for the transactional producer id
      // only when the first transaction begins. Asking now fences the id's
      // previous owner and finishes its open transaction (committing or
      // aborting it), before the new owner restores state or reads offsets.
      if (transactional) await (await producer.transaction()).abort();
      return track(new KafkajsProducer(producer, transactional));
    },
    async consumer(consumerOptions) {
      // kafkajs restarts a consumer whose run crashed even when the crash came from disconnect()
      // itself (a close while the group was being joined): it came back to life after its
      // close, a member of a terminated query's group retrying metadata of deleted topics
      // forever. Once closed, it is not restarted.
      const closing = { closed: false };
      const consumer = kafka.consumer({
        groupId: consumerOptions.groupId,
        retry: { retries: 5, restartOnFailure: async () => !closing.closed },
        allowAutoTopicCreation: false,
        readUncommitted: consumerOptions.readCommitted === false,
        maxWaitTimeInMs: consumerOptions.maxWaitMs ?? 500,
        ...(consumerOptions.maxBytesPerPartition !== undefined
          ? { maxBytesPerPartition: consumerOptions.maxBytesPerPartition, maxBytes: Math.max(10 * 1024 * 1024, 4 * consumerOptions.maxBytesPerPartition) }
          : {}),
        partitionAssigners: [consumerOptions.assignment === 'copartitioned' ? copartitionedAssigner(consumerOptions.memberInfo ?? '') : PartitionAssigners.roundRobin],
        ...(consumerOptions.sessionTimeoutMs !== undefined ? { sessionTimeout: consumerOptions.sessionTimeoutMs } : {}),
        ...(consumerOptions.heartbeatIntervalMs !== undefined
          ? { heartbeatInterval: consumerOptions.heartbeatIntervalMs }
          : {}),
      });
      await consumer.connect();
      const earliest = new Set(consumerOptions.fromEarliest ?? []);
      const fromBeginning = consumerOptions.from !== 'latest';
      const rest = consumerOptions.topics.filter((t) => fromBeginning || !earliest.has(t));
      if (rest.length > 0) await consumer.subscribe({ topics: rest, fromBeginning });
      const early = consumerOptions.topics.filter((t) => !fromBeginning && earliest.has(t));
      if (early.length > 0) await consumer.subscribe({ topics: early, fromBeginning: true });
      const onProgress = consumerOptions.onProgress;
      if (onProgress) {
        consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) =>
          onProgress({ topic: payload.topic, partition: payload.partition, offset: Number(payload.lastOffset) }),
        );
      }
      return track(new KafkajsConsumer(consumer, consumerOptions, closing));
    },
    forgetTopics,
    async close() {
      await Promise.all([...open].map((c) => c.close()));
      await admin.close();
    },
  };
}

/**
 * Gives every member whole "task columns": partition N of every subscribed
 * topic goes to the same member, so a task's co-partitioned inputs (both sides
 * of a join, a query's source and its repartition topic) are read together.
 * `memberInfo` goes in the subscription's user data (Kafka Streams' host info).
 */
const copartitionedAssigner = (memberInfo: string): PartitionAssigner => ({ cluster }) => ({
  name: 'KsetlCopartitioned',
  version: 0,
  async assign({ members, topics }) {
    const memberIds = members.map((m) => m.memberId).sort();
    const byIndex = new Map<number, string[]>();
    for (const topic of topics) {
      for (const p of cluster.findTopicPartitionMetadata(topic)) {
        const list = byIndex.get(p.partitionId) ?? [];
        list.push(topic);
        byIndex.set(p.partitionId, list);
      }
    }
    const assignments = new Map<string, Assignment>(memberIds.map((id) => [id, {}]));
    [...byIndex.keys()]
      .sort((a, b) => a - b)
      .forEach((partition, i) => {
        const a = assignments.get(memberIds[i % memberIds.length]!)!;
        for (const topic of byIndex.get(partition)!) (a[topic] ??= []).push(partition);
      });
    return memberIds.map((memberId) => ({
      memberId,
      memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 0, assignment: assignments.get(memberId)!, userData: Buffer.alloc(0) }),
    }));
  },
  protocol({ topics }) {
    return { name: 'KsetlCopartitioned', metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.from(memberInfo, 'utf8') }) };
  },
});

class KafkajsAdmin implements KafkaAdmin {
  #connected: Promise<Admin> | null = null;

  constructor(private readonly admin: Admin) {}

  #client(): Promise<Admin> {
    this.#connected ??= this.admin.connect().then(() => this.admin);
    return this.#connected;
  }

  async createTopics(topics: readonly NewTopic[]): Promise<void> {
    const admin = await this.#client();
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t.name));
    if (missing.length === 0) return;
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((t) => ({
          topic: t.name,
          numPartitions: t.partitions,
          replicationFactor: t.replicationFactor ?? -1,
          configEntries: Object.entries(t.config ?? {}).map(([name, value]) => ({ name, value })),
        })),
      });
    } catch (e) {
      // Another client created it between listTopics and createTopics.
      if (isTopicAlreadyExists(e)) return;
      // Created, but kafkajs's wait for leaders asked a broker whose metadata
      // does not show the topics yet, and gave up on that answer: wait on.
      if (!isUnknownTopic(e)) throw e;
      await this.#untilLeaders(missing.map((t) => t.name));
    }
  }

  async #untilLeaders(topics: readonly string[]): Promise<void> {
    const admin = await this.#client();
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        const { topics: found } = await admin.fetchTopicMetadata({ topics: [...topics] });
        if (found.length === topics.length && found.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return;
      } catch (e) {
        if (!isUnknownTopic(e) || Date.now() > deadline) throw e;
      }
      if (Date.now() > deadline) throw new Error(`Topics created but without leaders after 30 s: ${topics.join(', ')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async listTopics(): Promise<string[]> {
    return (await this.#client()).listTopics();
  }

  async describeTopics(names: readonly string[]): Promise<TopicInfo[]> {
    // A topic deleted by another client between the listing and the description is not
    // described (listed again). kafkajs fails such a description either with
    // UNKNOWN_TOPIC_OR_PARTITION or, when its metadata refresh drops the topic, with a
    // TypeError on the missing metadata: both are retried after a new listing.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#describeListed(names);
      } catch (e) {
        if (!(isUnknownTopic(e) || e instanceof TypeError) || attempt >= 5) throw e;
        await new Promise((r) => setTimeout(r, 50 * attempt));
      }
    }
  }

  async #describeListed(names: readonly string[]): Promise<TopicInfo[]> {
    const admin = await this.#client();
    const existing = new Set(await admin.listTopics());
    const topics = names.filter((n) => existing.has(n));
    if (topics.length === 0) return [];
    const [metadata, configs] = await Promise.all([
      admin.fetchTopicMetadata({ topics }),
      admin.describeConfigs({
        includeSynonyms: false,
        resources: topics.map((name) => ({ type: 2 /* ConfigResourceTypes.TOPIC */, name })),
      }),
    ]);
    const overrides = new Map(
      configs.resources.map((r) => [
        r.resourceName,
        Object.fromEntries(r.configEntries.filter((c) => !c.isDefault).map((c) => [c.configName, c.configValue])),
      ]),
    );
    const partitions = new Map(metadata.topics.map((t) => [t.name, t.partitions.length]));
    return topics.map((name) => ({ name, partitions: partitions.get(name) ?? 0, config: overrides.get(name) ?? {} }));
  }

  async deleteTopics(names: readonly string[]): Promise<void> {
    const admin = await this.#client();
    const existing = new Set(await admin.listTopics());
    const topics = names.filter((n) => existing.has(n));
    if (topics.length === 0) return;
    try {
      await admin.deleteTopics({ topics });
    } catch (e) {
      // deleted by another client since the listing: gone is what was asked
      if (!isUnknownTopic(e)) throw e;
    }
    // The controller has accepted the deletion; the broker's metadata follows
    // shortly. Until then a listing still shows the topics, and creating one
    // again would find it "already exists" and then lose it.
    const deadline = Date.now() + 30_000;
    for (let left = topics; left.length > 0; ) {
      if (Date.now() > deadline) throw new Error(`Topics still listed 30 s after their deletion: ${left.join(', ')}`);
      await new Promise((r) => setTimeout(r, 50));
      const listed = new Set(await admin.listTopics());
      left = left.filter((t) => listed.has(t));
    }
    forgetTopics(topics);
  }

  async fetchOffsets(groupId: string, topics: readonly string[]): Promise<TopicPartitionOffset[]> {
    const admin = await this.#client();
    // kafkajs lists the partitions to ask for from its metadata, whose refresh is shared
    // between concurrent callers: a caller that joined a refresh started before it added
    // its topic sees no partitions and asks for none, which reads as "nothing committed".
    // A topic answered with no partitions is asked again (a topic that does not exist
    // stays empty after the retries).
    type Offsets = Awaited<ReturnType<typeof admin.fetchOffsets>>;
    const incomplete = (r: Offsets): boolean => topics.some((t) => (r.find((x) => x.topic === t)?.partitions.length ?? 0) === 0);
    let result = await admin.fetchOffsets({ groupId, topics: [...topics] });
    for (let attempt = 1; attempt <= 3 && incomplete(result); attempt++) {
      await new Promise((r) => setTimeout(r, 50 * attempt));
      result = await admin.fetchOffsets({ groupId, topics: [...topics] });
    }
    return result.flatMap(({ topic, partitions }) =>
      partitions
        .filter((p) => Number(p.offset) >= 0)
        .map((p) => ({ topic, partition: p.partition, offset: Number(p.offset), ...(typeof p.metadata === 'string' ? { metadata: p.metadata } : {}) })),
    );
  }

  async fetchWatermarks(topic: string): Promise<PartitionWatermarks[]> {
    const admin = await this.#client();
    // Right after a topic is created (or its leader moves), a broker whose metadata
    // already names it leader can still answer NOT_LEADER_FOR_PARTITION for a moment;
    // kafkajs's fetchTopicOffsets gives up on that at once. Retry it, briefly. Its
    // metadata refresh is shared between concurrent callers: one that joined a refresh
    // started before it added its topic finds no partitions and fails with a TypeError
    // (`high.pop()` undefined); the next attempt refreshes with the topic. Retried too.
    let offsets: Awaited<ReturnType<typeof admin.fetchTopicOffsets>>;
    for (let attempt = 1; ; attempt++) {
      try {
        offsets = await admin.fetchTopicOffsets(topic);
        break;
      } catch (e) {
        const again = e instanceof TypeError || hasKafkaErrorType(e, 'NOT_LEADER_FOR_PARTITION', 'LEADER_NOT_AVAILABLE');
        if (!again || attempt >= 20) throw e;
        await new Promise((r) => setTimeout(r, Math.min(50 * attempt, 500)));
      }
    }
    return offsets
      .map((o) => ({ partition: o.partition, low: Number(o.low), high: Number(o.high) }))
      .sort((a, b) => a.partition - b.partition);
  }

  async describeGroup(groupId: string): Promise<GroupMember[]> {
    const { groups } = await (await this.#client()).describeGroups([groupId]);
    return (groups[0]?.members ?? []).map((m) => {
      const meta = m.memberMetadata.length > 0 ? AssignerProtocol.MemberMetadata.decode(m.memberMetadata) : null;
      const assigned = m.memberAssignment.length > 0 ? AssignerProtocol.MemberAssignment.decode(m.memberAssignment) : null;
      return {
        memberId: m.memberId,
        memberInfo: meta?.userData?.toString('utf8') ?? '',
        assignment: Object.entries(assigned?.assignment ?? {}).flatMap(([topic, partitions]) => partitions.map((partition) => ({ topic, partition }))),
      };
    });
  }

  async listGroups(): Promise<string[]> {
    return (await (await this.#client()).listGroups()).groups.map((g) => g.groupId);
  }

  async clusterId(): Promise<string> {
    return (await (await this.#client()).describeCluster()).clusterId;
  }

  async deleteGroups(groupIds: readonly string[]): Promise<{ readonly nonEmpty: readonly string[] }> {
    if (groupIds.length === 0) return { nonEmpty: [] };
    try {
      await (await this.#client()).deleteGroups([...groupIds]);
      return { nonEmpty: [] };
    } catch (e) {
      const groups = (e as { groups?: { groupId: string; error?: { type?: string } }[] }).groups;
      if (!Array.isArray(groups)) throw e;
      const nonEmpty = groups.filter((g) => g.error?.type === 'NON_EMPTY_GROUP').map((g) => g.groupId);
      const other = groups.filter((g) => g.error?.type !== 'NON_EMPTY_GROUP' && g.error?.type !== 'GROUP_ID_NOT_FOUND');
      if (other.length > 0) throw new Error(`could not delete consumer group(s): ${other.map((g) => `${g.groupId} (${g.error?.type ?? 'unknown error'})`).join(', ')}`);
      return { nonEmpty };
    }
  }

  async close(): Promise<void> {
    if (this.#connected) await this.admin.disconnect();
    this.#connected = null;
  }
}

/** UNKNOWN_TOPIC_OR_PARTITION or LEADER_NOT_AVAILABLE, also under kafkajs's retry errors. */
function isUnknownTopic(e: unknown): boolean {
  return hasKafkaErrorType(e, 'UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE');
}

function isTopicAlreadyExists(e: unknown): boolean {
  const err = e as { type?: string; errors?: { type?: string }[] };
  return err.type === 'TOPIC_ALREADY_EXISTS' || (err.errors?.length ?? 0) > 0 && err.errors!.every((x) => x.type === 'TOPIC_ALREADY_EXISTS');
}

class KafkajsProducer implements KafkaProducer {
  constructor(
    private readonly producer: Producer,
    private readonly transactional: boolean,
  ) {}

  async send(records: readonly OutRecord[]): Promise<RecordMetadata[]> {
    // kafkajs lets a transactional producer send outside a transaction; an
    // exactly-once task must never do that, so the port refuses.
    if (this.transactional) throw new Error('a transactional producer sends only inside a transaction');
    return sendBatch(this.producer, records);
  }

  async beginTransaction(): Promise<KafkaTransaction> {
    const tx = await this.producer.transaction();
    return {
      send: (records) => sendBatch(tx, records),
      async sendOffsets(groupId, offsets) {
        await tx.sendOffsets({ consumerGroupId: groupId, topics: toTopicOffsets(offsets) });
      },
      commit: () => tx.commit(),
      abort: () => tx.abort(),
    };
  }

  async close(): Promise<void> {
    await this.producer.disconnect();
  }
}

/** Upper bound of one produce request, below the broker's default message.max.bytes (1 MiB). */
const MAX_REQUEST_BYTES = 512 * 1024;

/** Sends in order, in requests small enough for the broker to accept (a task's batch can be large). */
async function sendBatch(
  sender: Pick<Producer, 'sendBatch'>,
  records: readonly OutRecord[],
): Promise<RecordMetadata[]> {
  const out: RecordMetadata[] = [];
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    const size = (r.key?.length ?? 0) + (r.value?.length ?? 0) + 64;
    if (i > start && bytes + size > MAX_REQUEST_BYTES) {
      out.push(...(await sendRequest(sender, records.slice(start, i))));
      start = i;
      bytes = 0;
    }
    bytes += size;
  }
  if (start < records.length) out.push(...(await sendRequest(sender, records.slice(start))));
  return out;
}

async function sendRequest(
  sender: Pick<Producer, 'sendBatch'>,
  records: readonly OutRecord[],
): Promise<RecordMetadata[]> {
  if (records.length === 0) return [];
  const byTopic = new Map<string, Message[]>();
  for (const r of records) {
    let messages = byTopic.get(r.topic);
    if (!messages) byTopic.set(r.topic, (messages = []));
    messages.push({
      key: r.key,
      value: r.value,
      timestamp: String(r.timestamp),
      headers: toKafkajsHeaders(r.headers ?? []),
      ...(r.partition !== undefined ? { partition: r.partition } : {}),
    });
  }
  let sent: KafkajsRecordMetadata[];
  try {
    sent = await sender.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
    });
  } catch (e) {
    throw new ProduceFailed([...byTopic.keys()], e);
  }
  return sent.map((m) => ({ topic: m.topicName, partition: m.partition, baseOffset: Number(m.baseOffset ?? -1) }));
}

/**
 * A produce request that failed, naming its topics (kafkajs's messages do
 * not: "This server does not host this topic-partition"). Keeps the cause's
 * `retriable` and `type`, which retries go by.
 */
class ProduceFailed extends Error {
  override readonly name = 'KsetlProduceFailed';
  readonly retriable: boolean | undefined;
  readonly type: string | undefined;
  constructor(topics: readonly string[], cause: unknown) {
    const err = cause as Error & { retriable?: boolean; type?: string };
    super(`Could not write to ${topics.join(', ')}: ${err?.message ?? String(cause)}`, { cause });
    this.retriable = err?.retriable;
    this.type = err?.type;
  }
}

function toKafkajsHeaders(headers: readonly Header[]): IHeaders {
  const out: Record<string, (Buffer | null)[]> = {};
  // null values are written as Kafka writes them (kafkajs-patches.ts fixes kafkajs's sizing of them)
  for (const h of headers) (out[h.key] ??= []).push(h.value);
  return out as IHeaders;
}

/** Shared by every consumed record without headers (most): one array, not one per record. */
const NO_HEADERS: readonly Header[] = Object.freeze([]);

function fromKafkajsHeaders(headers: IHeaders | undefined): readonly Header[] {
  if (headers === undefined) return NO_HEADERS;
  let out: Header[] | null = null;
  for (const key in headers) {
    out ??= [];
    const value = headers[key];
    for (const v of Array.isArray(value) ? value : [value]) {
      out.push({ key, value: v === undefined || v === null ? null : Buffer.isBuffer(v) ? v : Buffer.from(v) });
    }
  }
  return out ?? NO_HEADERS;
}

/** Offsets by topic for a transaction's sendOffsets; kafkajs writes each partition's `metadata` into TxnOffsetCommit (its typings leave it out). */
function toTopicOffsets(offsets: readonly TopicPartitionOffset[]) {
  const byTopic = new Map<string, { partition: number; offset: string; metadata?: string }[]>();
  for (const o of offsets) {
    let partitions = byTopic.get(o.topic);
    if (!partitions) byTopic.set(o.topic, (partitions = []));
    partitions.push({ partition: o.partition, offset: String(o.offset), ...(o.metadata !== undefined ? { metadata: o.metadata } : {}) });
  }
  return [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
}

function toBrokerRecord(topic: string, partition: number, m: KafkaMessage): BrokerRecord {
  return {
    topic,
    partition,
    offset: Number(m.offset),
    key: m.key,
    value: m.value,
    timestamp: Number(m.timestamp),
    headers: fromKafkajsHeaders(m.headers),
  };
}

/**
 * A batch handler's failure, as kafkajs must see it to retry: kafkajs stops a
 * consumer for good (no restart, no error anywhere but its log) when a
 * handler throws an error it deems non-retriable — a TypeError, or a Kafka
 * error such as a fenced transactional producer's INVALID_PRODUCER_EPOCH.
 * Wrapped, the batch is fetched again from the last resolved offset (a few
 * times, then the consumer restarts and rejoins). Rebalance errors keep their
 * type: kafkajs rejoins on them.
 */
class BatchFailed extends Error {
  override readonly name = 'KsetlBatchFailed';
  readonly retriable = true;
  readonly type: string | undefined;
  constructor(cause: Error & { type?: string }) {
    super(cause.message, { cause });
    this.type = cause.type;
  }
}

function retriable(e: unknown): unknown {
  if (!(e instanceof Error)) return e;
  const err = e as Error & { retriable?: boolean };
  const unrecoverable = ['RangeError', 'ReferenceError', 'SyntaxError', 'TypeError'].includes(err.name);
  return err.retriable === false || unrecoverable ? new BatchFailed(err) : e;
}

class KafkajsConsumer implements KafkaConsumer {
  /** partitions assigned and not yet reported revoked */
  #assigned: TopicPartition[] = [];

  constructor(
    private readonly consumer: Consumer,
    private readonly options: ConsumerOptions,
    private readonly closing: { closed: boolean } = { closed: false },
  ) {
    // What kafkajs does not restart from (authorization errors, a broker gone for good) ends the consumer: say so
    // (not the crash of a consumer being closed).
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart && !this.closing.closed) this.options.onCrash?.(payload.error);
    });
    // kafkajs uses the eager protocol: every rebalance revokes the whole
    // assignment. It announces a rebalance (REBALANCING) once the running
    // batches have finished, and the new assignment once joined (GROUP_JOIN);
    // an UNKNOWN_MEMBER_ID rejoin skips REBALANCING, so GROUP_JOIN revokes too.
    consumer.on(consumer.events.REBALANCING, () => this.#revoke());
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      this.#revoke();
      this.#assigned = Object.entries(payload.memberAssignment).flatMap(([topic, partitions]) =>
        partitions.map((partition) => ({ topic, partition })),
      );
      if (this.#assigned.length > 0) this.options.onAssigned?.(this.#assigned);
    });
  }

  #revoke(): void {
    const revoked = this.#assigned;
    this.#assigned = [];
    if (revoked.length > 0) this.options.onRevoked?.(revoked);
  }

  async run(handler: BatchHandler): Promise<void> {
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 1,
      eachBatch: async ({ batch, heartbeat, isStale }) => {
        const highWatermark = Number(batch.highWatermark);
        // kafkajs-patches.ts keeps the fetch's last stable offset on the batch
        const lastStable = Number((batch as { lastStableOffset?: string }).lastStableOffset ?? -1);
        try {
          await handler({
            topic: batch.topic,
            partition: batch.partition,
            records: batch.messages.map((m) => toBrokerRecord(batch.topic, batch.partition, m)),
            highWatermark,
            nextOffset: Number(batch.lastOffset()) + 1,
            readableEnd: this.options.readCommitted !== false && lastStable >= 0 ? Math.min(lastStable, highWatermark) : highWatermark,
            heartbeat,
            isStale,
          });
        } catch (e) {
          throw retriable(e);
        }
      },
    });
  }

  async commit(offsets: readonly TopicPartitionOffset[]): Promise<void> {
    await this.consumer.commitOffsets(
      offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: String(o.offset), ...(o.metadata !== undefined ? { metadata: o.metadata } : {}) })),
    );
  }

  pause(topic: string, partitions?: readonly number[]): void {
    this.consumer.pause([partitions ? { topic, partitions: [...partitions] } : { topic }]);
  }

  resume(topic: string, partitions?: readonly number[]): void {
    this.consumer.resume([partitions ? { topic, partitions: [...partitions] } : { topic }]);
  }

  seek(position: TopicPartitionOffset): void {
    this.consumer.seek({ topic: position.topic, partition: position.partition, offset: String(position.offset) });
  }

  async close(): Promise<void> {
    this.closing.closed = true;
    await this.consumer.stop();
    this.#revoke();
    await this.consumer.disconnect();
  }
}
