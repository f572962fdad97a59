import {
  Admin,
  ConfigResourceTypes,
  ConfigSources,
  Consumer,
  FetchIsolationLevels,
  FindCoordinatorKeyTypes,
  IS_CONTROL,
  Producer,
  compatibilityPartitioner,
  roundRobinAssigner,
  type ClusterMetadata,
  type ExtendedGroupProtocolSubscription,
  type GroupAssignment,
  type GroupPartitionsAssignments,
  type SASLMechanismValue,
} from '@platformatic/kafka';
import type { ConnectionOptions as TlsOptions } from 'node:tls';

type FetchResponse = Awaited<ReturnType<Consumer['fetch']>>;
type Transaction = Awaited<ReturnType<Producer['beginTransaction']>>;
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

export interface PlatformaticPortOptions {
  /** "host:port" list, or a comma-separated string as in bootstrap.servers */
  readonly brokers: readonly string[] | string;
  readonly clientId?: string;
  /** TLS: true for the platform's CAs, or PEM material (ca/cert/key). */
  readonly ssl?: boolean | { readonly ca?: string | Buffer; readonly cert?: string | Buffer; readonly key?: string | Buffer; readonly passphrase?: string; readonly rejectUnauthorized?: boolean };
  readonly sasl?: { readonly mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; readonly username: string; readonly password: string };
  /** where the port says what it retries (the library itself logs nothing) */
  readonly logger?: Logger;
}

const SASL_MECHANISMS = { plain: 'PLAIN', 'scram-sha-256': 'SCRAM-SHA-256', 'scram-sha-512': 'SCRAM-SHA-512' } as const;

/** Options every client of the port shares: brokers, id, TLS/SASL, Kafka's request timeout. */
interface BaseClientOptions {
  clientId: string;
  bootstrapBrokers: string[];
  timeout: number;
  retries: number;
  retryDelay: number;
  tls?: TlsOptions;
  sasl?: { mechanism: SASLMechanismValue; username: string; password: string };
}

/**
 * A `KafkaPort` on @platformatic/kafka (2.x; Kafka 3.5 to 4.2). Admin and
 * producer map onto the library's clients; the consumer uses the library's
 * group membership (join, sync, heartbeats, the partition assigner) and its
 * fetch API, with the fetch loop here: the port's per-partition batches,
 * positions, pause/resume and seek are what a Kafka Streams task needs, and
 * the library's message stream does not give them.
 */
export function platformaticPort(options: PlatformaticPortOptions): KafkaPort {
  const brokers = (typeof options.brokers === 'string' ? options.brokers.split(',') : [...options.brokers]).map((b) => b.trim()).filter((b) => b.length > 0);
  const base: BaseClientOptions = {
    clientId: options.clientId ?? 'ksetl',
    bootstrapBrokers: brokers,
    timeout: 30_000,
    retries: 5,
    retryDelay: 250,
    ...(options.ssl !== undefined ? { tls: options.ssl === true ? {} : options.ssl === false ? {} : { ...options.ssl } } : {}),
    ...(options.sasl !== undefined
      ? { sasl: { mechanism: SASL_MECHANISMS[options.sasl.mechanism], username: options.sasl.username, password: options.sasl.password } }
      : {}),
  };
  if (options.ssl === false) delete base.tls;
  const open = new Set<{ close(): Promise<void>; forget(): void }>();
  const admin = new PlatformaticAdmin(new Admin({ ...base, clientId: `${base.clientId}-admin` }));
  // the library caches metadata for a few seconds: a topic deleted (and perhaps made anew) is forgotten at once
  const forget = () => {
    admin.forget();
    for (const c of open) c.forget();
  };
  admin.onDeleted = forget;

  return {
    admin,
    async producer(producerOptions: ProducerOptions = {}) {
      const producer = new PlatformaticProducer(base, producerOptions, admin);
      await producer.init();
      open.add(producer);
      producer.onClose = () => open.delete(producer);
      return producer;
    },
    async consumer(consumerOptions) {
      const consumer = new PlatformaticConsumer(base, consumerOptions, options.logger);
      open.add(consumer);
      consumer.onClose = () => open.delete(consumer);
      return consumer;
    },
    forgetTopics() {
      forget();
    },
    async close() {
      await Promise.allSettled([...open].map((c) => c.close()));
      await admin.close();
    },
  };
}

// ---------------------------------------------------------------- errors

interface ProtocolErrorLike {
  readonly apiId?: string;
  readonly canRetry?: boolean;
  readonly errors?: unknown[];
  readonly cause?: unknown;
  readonly message?: string;
}

/** The Kafka protocol errors inside a library error (its MultipleErrors nest them). */
function protocolErrors(e: unknown, out: ProtocolErrorLike[] = [], depth = 0): ProtocolErrorLike[] {
  if (e === null || typeof e !== 'object' || depth > 6) return out;
  const err = e as ProtocolErrorLike;
  if (typeof err.apiId === 'string') out.push(err);
  for (const inner of err.errors ?? []) protocolErrors(inner, out, depth + 1);
  if (err.cause) protocolErrors(err.cause, out, depth + 1);
  return out;
}

/** The library's own error for a topic its metadata does not hold (deleted, or not yet there). */
function isUnknownTopicUserError(e: unknown, depth = 0): boolean {
  if (e === null || typeof e !== 'object' || depth > 6) return false;
  const err = e as ProtocolErrorLike;
  if (typeof err.message === 'string' && /^Unknown topic /.test(err.message)) return true;
  return (err.errors ?? []).some((x) => isUnknownTopicUserError(x, depth + 1)) || isUnknownTopicUserError(err.cause, depth + 1);
}

function hasErrorType(e: unknown, ...types: string[]): boolean {
  if (types.includes('UNKNOWN_TOPIC_OR_PARTITION') && isUnknownTopicUserError(e)) return true;
  return protocolErrors(e).some((p) => types.includes(p.apiId!));
}

/** What the engine and its retries go by (as kafkajs's errors carry them): Kafka's error name and whether it is retriable. */
const NOT_RETRIABLE = new Set(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED', 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED', 'TOPIC_AUTHORIZATION_FAILED', 'GROUP_AUTHORIZATION_FAILED', 'CLUSTER_AUTHORIZATION_FAILED', 'INVALID_TXN_STATE', 'UNSUPPORTED_VERSION']);
const RETRIABLE = new Set([
  'UNKNOWN_TOPIC_OR_PARTITION',
  'LEADER_NOT_AVAILABLE',
  'NOT_LEADER_OR_FOLLOWER',
  'REQUEST_TIMED_OUT',
  'NETWORK_EXCEPTION',
  'COORDINATOR_LOAD_IN_PROGRESS',
  'COORDINATOR_NOT_AVAILABLE',
  'NOT_COORDINATOR',
  'NOT_ENOUGH_REPLICAS',
  'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
  'CONCURRENT_TRANSACTIONS',
  'REBALANCE_IN_PROGRESS',
  'FENCED_LEADER_EPOCH',
  'UNKNOWN_LEADER_EPOCH',
  'KAFKA_STORAGE_ERROR',
  'OFFSET_NOT_AVAILABLE',
  'THROTTLING_QUOTA_EXCEEDED',
]);

export class KafkaPortError extends Error {
  override readonly name = 'KsetlKafkaError';
  readonly retriable: boolean;
  readonly type: string | undefined;
  constructor(message: string, cause: unknown) {
    const found = protocolErrors(cause);
    const first = found.find((p) => NOT_RETRIABLE.has(p.apiId!)) ?? found[0];
    const detail = found.length > 0 ? `${(cause as Error)?.message ?? ''} (${[...new Set(found.map((p) => p.apiId))].join(', ')})` : ((cause as Error)?.message ?? String(cause));
    super(`${message}: ${detail}`, { cause });
    const unknownTopic = !first && isUnknownTopicUserError(cause);
    this.type = first?.apiId ?? (unknownTopic ? 'UNKNOWN_TOPIC_OR_PARTITION' : undefined);
    const network = (cause as { code?: string })?.code === 'PLT_KFK_NETWORK';
    this.retriable = first ? !NOT_RETRIABLE.has(first.apiId!) && (RETRIABLE.has(first.apiId!) || first.canRetry === true) : network || unknownTopic;
  }
}

const wrap = async <T>(what: string, op: () => Promise<T>): Promise<T> => {
  try {
    return await op();
  } catch (e) {
    if (e instanceof KafkaPortError) throw e;
    throw new KafkaPortError(what, e);
  }
};

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- admin

class PlatformaticAdmin implements KafkaAdmin {
  readonly #coordinators = new Map<string, number>();
  /** every client of the port drops its cached metadata (set by the port) */
  onDeleted: () => void = () => this.client.clearMetadata();

  constructor(readonly client: Admin) {
    client.on('error', () => {});
  }

  forget(): void {
    this.client.clearMetadata();
  }

  async metadata(topics: readonly string[], forceUpdate = false): Promise<ClusterMetadata> {
    return this.client.metadata({ topics: [...topics], forceUpdate });
  }

  async createTopics(topics: readonly NewTopic[]): Promise<void> {
    const existing = new Set(await this.listTopics());
    const missing = topics.filter((t) => !existing.has(t.name));
    if (missing.length === 0) return;
    await Promise.all(
      missing.map(async (t) => {
        try {
          await this.client.createTopics({
            topics: [t.name],
            partitions: t.partitions,
            replicas: t.replicationFactor ?? -1,
            configs: Object.entries(t.config ?? {}).map(([name, value]) => ({ name, value })),
          });
        } catch (e) {
          // another client created it between the listing and the creation
          if (!hasErrorType(e, 'TOPIC_ALREADY_EXISTS')) throw new KafkaPortError(`Could not create topic ${t.name}`, e);
        }
      }),
    );
    await this.#untilLeaders(missing.map((t) => t.name));
  }

  async #untilLeaders(topics: readonly string[]): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        const meta = await this.metadata(topics, true);
        if (topics.every((t) => {
          const m = meta.topics.get(t);
          return m !== undefined && m.partitionsCount > 0 && m.partitions.every((p) => p.leader >= 0);
        })) return;
      } catch (e) {
        if (!hasErrorType(e, 'UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE') || Date.now() > deadline) throw new KafkaPortError(`Topics ${topics.join(', ')} without leaders`, e);
      }
      if (Date.now() > deadline) throw new Error(`Topics created but without leaders after 30 s: ${topics.join(', ')}`);
      await sleep(50);
    }
  }

  async listTopics(): Promise<string[]> {
    return wrap('Could not list topics', () => this.client.listTopics({ includeInternals: false }));
  }

  async describeTopics(names: readonly string[]): Promise<TopicInfo[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#describeListed(names);
      } catch (e) {
        // deleted by another client between the listing and the description: list again
        if (!hasErrorType(e, 'UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE') || attempt >= 5) throw new KafkaPortError(`Could not describe ${names.join(', ')}`, e);
        await sleep(50 * attempt);
      }
    }
  }

  async #describeListed(names: readonly string[]): Promise<TopicInfo[]> {
    const existing = new Set(await this.client.listTopics());
    const topics = names.filter((n) => existing.has(n));
    if (topics.length === 0) return [];
    const [meta, configs] = await Promise.all([
      this.metadata(topics, true),
      this.client.describeConfigs({ resources: topics.map((name) => ({ resourceType: ConfigResourceTypes.TOPIC, resourceName: name })), includeSynonyms: false }),
    ]);
    const overrides = new Map(
      configs.map((r) => [
        r.resourceName,
        Object.fromEntries(r.configs.filter((c) => c.configSource === ConfigSources.DYNAMIC_TOPIC_CONFIG && c.value !== null).map((c) => [c.name, c.value!])),
      ]),
    );
    return topics.map((name) => ({ name, partitions: meta.topics.get(name)?.partitionsCount ?? 0, config: overrides.get(name) ?? {} }));
  }

  async deleteTopics(names: readonly string[]): Promise<void> {
    const existing = new Set(await this.listTopics());
    const topics = names.filter((n) => existing.has(n));
    if (topics.length === 0) return;
    try {
      await this.client.deleteTopics({ topics });
    } catch (e) {
      // deleted by another client since the listing: gone is what was asked
      if (!hasErrorType(e, 'UNKNOWN_TOPIC_OR_PARTITION')) throw new KafkaPortError(`Could not delete ${topics.join(', ')}`, e);
    }
    // the controller accepted the deletion; wait until the broker's metadata follows
    const deadline = Date.now() + 30_000;
    for (let left = topics; left.length > 0; ) {
      if (Date.now() > deadline) throw new Error(`Topics still listed 30 s after their deletion: ${left.join(', ')}`);
      await sleep(50);
      const listed = new Set(await this.client.listTopics());
      left = left.filter((t) => listed.has(t));
    }
    this.onDeleted();
  }

  async fetchOffsets(groupId: string, topics: readonly string[]): Promise<TopicPartitionOffset[]> {
    const [group] = await wrap(`Could not read the offsets of group ${groupId}`, () =>
      this.client.listConsumerGroupOffsets({ groups: [groupId] }),
    );
    const wanted = new Set(topics);
    return (group?.topics ?? []).flatMap((t) =>
      wanted.has(t.name) ? t.partitions.filter((p) => p.committedOffset >= 0n).map((p) => ({ topic: t.name, partition: p.partitionIndex, offset: Number(p.committedOffset) })) : [],
    );
  }

  async fetchWatermarks(topic: string): Promise<PartitionWatermarks[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        const meta = await this.metadata([topic], attempt > 1);
        const count = meta.topics.get(topic)?.partitionsCount ?? 0;
        const partitions = Array.from({ length: count }, (_, i) => i);
        const ask = (timestamp: bigint) =>
          this.client.listOffsets({ topics: [{ name: topic, partitions: partitions.map((partitionIndex) => ({ partitionIndex, timestamp })) }] });
        const [low, high] = await Promise.all([ask(-2n), ask(-1n)]);
        const highOf = new Map(high.flatMap((t) => t.partitions.map((p) => [p.partitionIndex, Number(p.offset)] as const)));
        return low
          .flatMap((t) => t.partitions.map((p) => ({ partition: p.partitionIndex, low: Number(p.offset), high: highOf.get(p.partitionIndex) ?? Number(p.offset) })))
          .sort((a, b) => a.partition - b.partition);
      } catch (e) {
        // right after a topic is created a broker can still answer so for a moment
        if (!hasErrorType(e, 'NOT_LEADER_OR_FOLLOWER', 'LEADER_NOT_AVAILABLE', 'UNKNOWN_TOPIC_OR_PARTITION') || attempt >= 20) throw new KafkaPortError(`Could not read the watermarks of ${topic}`, e);
        await sleep(Math.min(50 * attempt, 500));
      }
    }
  }

  async describeGroup(groupId: string): Promise<GroupMember[]> {
    const groups = await wrap(`Could not describe group ${groupId}`, () => this.client.describeGroups({ groups: [groupId] }));
    const group = groups.get(groupId);
    return [...(group?.members.values() ?? [])].map((m) => ({
      memberId: m.id,
      memberInfo: m.metadata?.metadata ? Buffer.from(m.metadata.metadata as Buffer).toString('utf8') : '',
      assignment: [...(m.assignments?.values() ?? [])].flatMap((a) => a.partitions.map((partition) => ({ topic: a.topic, partition }))),
    }));
  }

  async listGroups(): Promise<string[]> {
    const groups = await wrap('Could not list groups', () => this.client.listGroups());
    return [...groups.keys()];
  }

  /** The node coordinating a consumer group (transactions send its offsets there). */
  async groupCoordinator(groupId: string): Promise<number> {
    const known = this.#coordinators.get(groupId);
    if (known !== undefined) return known;
    const [found] = await wrap(`Could not find the coordinator of group ${groupId}`, () => this.client.findCoordinator({ keyType: FindCoordinatorKeyTypes.GROUP, keys: [groupId] }));
    if (!found) throw new Error(`No coordinator for group ${groupId}`);
    this.#coordinators.set(groupId, found.nodeId);
    return found.nodeId;
  }

  forgetCoordinator(groupId: string): void {
    this.#coordinators.delete(groupId);
  }

  async close(): Promise<void> {
    if (!this.client.closed) await this.client.close();
  }
}

// ---------------------------------------------------------------- producer

/** Upper bound of one produce request, below the broker's default message.max.bytes (1 MiB). */
const MAX_REQUEST_BYTES = 512 * 1024;

type PlainMessage = {
  topic: string;
  key?: Buffer;
  value?: Buffer;
  timestamp: bigint;
  partition?: number;
  headers?: Map<Buffer, Buffer>;
};

class PlatformaticProducer implements KafkaProducer {
  readonly #producer: Producer;
  readonly #transactional: boolean;
  onClose: () => void = () => {};

  constructor(
    base: BaseClientOptions,
    options: ProducerOptions,
    private readonly admin: PlatformaticAdmin,
  ) {
    this.#transactional = options.transactionalId !== undefined;
    this.#producer = new Producer({
      ...base,
      // Java's partitioning (murmur2 & 0x7fffffff), so keys land where Kafka Streams/ksqlDB put them
      partitioner: compatibilityPartitioner,
      autocreateTopics: false,
      acks: -1,
      ...(this.#transactional
        ? {
            idempotent: true,
            transactionalId: options.transactionalId!,
            // the library sends its request timeout as the transaction timeout (InitProducerId)
            timeout: options.transactionTimeoutMs ?? 60_000,
          }
        : {}),
    });
    this.#producer.on('error', () => {});
  }

  /**
   * Java's initTransactions(): asks for the transactional producer id now,
   * which fences the id's previous owner and finishes its open transaction,
   * before the new owner restores state or reads offsets.
   */
  async init(): Promise<void> {
    if (!this.#transactional) return;
    // A new producer announces no producer id (-1, -1), as Java's initTransactions() does:
    // the library would send 0/0, which the broker takes for an older epoch (PRODUCER_FENCED).
    const tx = await wrap('Could not initialize the transactional producer', () => this.#producer.beginTransaction({ producerId: -1n, producerEpoch: -1 }));
    await tx.cancel();
  }

  forget(): void {
    this.#producer.clearMetadata();
  }

  async send(records: readonly OutRecord[]): Promise<RecordMetadata[]> {
    if (this.#transactional) throw new Error('a transactional producer sends only inside a transaction');
    return sendBatch((messages) => this.#producer.send({ messages }), records);
  }

  async beginTransaction(): Promise<KafkaTransaction> {
    const tx: Transaction = await wrap('Could not begin a transaction', () => this.#producer.beginTransaction());
    let used = false;
    const groups = new Set<string>();
    const admin = this.admin;
    const producer = this.#producer;
    // A transaction that sent nothing is finished here: the broker refuses to end an empty one.
    const end = async (commit: boolean) => {
      if (!used) return void (await tx.cancel());
      try {
        await (commit ? tx.commit() : tx.abort());
      } catch (e) {
        // an abort that failed leaves the producer unusable for new transactions in the library: drop it locally
        if (!commit) await tx.cancel().catch(() => {});
        throw new KafkaPortError(commit ? 'Could not commit the transaction' : 'Could not abort the transaction', e);
      }
    };
    return {
      async send(records) {
        used = true;
        return sendBatch((messages) => tx.send({ messages }), records);
      },
      async sendOffsets(groupId, offsets) {
        if (offsets.length === 0) return;
        used = true;
        const coordinatorId = await admin.groupCoordinator(groupId);
        // the library sends offsets one by one as consumed messages (the last read, committed as next)
        const consumer = { groupId, generationId: -1, memberId: '', coordinatorId };
        try {
          if (!groups.has(groupId)) {
            await tx.addConsumer({ groupId } as never);
            groups.add(groupId);
          }
          await producer.metadata({ topics: [...new Set(offsets.map((o) => o.topic))] });
          for (const o of offsets) {
            await tx.addOffset({ topic: o.topic, partition: o.partition, offset: BigInt(o.offset - 1), metadata: { consumer } } as never);
          }
        } catch (e) {
          if (hasErrorType(e, 'NOT_COORDINATOR', 'COORDINATOR_NOT_AVAILABLE')) admin.forgetCoordinator(groupId);
          throw new KafkaPortError(`Could not send the offsets of group ${groupId}`, e);
        }
      },
      commit: () => end(true),
      abort: () => end(false),
    };
  }

  async close(): Promise<void> {
    this.onClose();
    if (!this.#producer.closed) await this.#producer.close(true);
  }
}

type Sender = (messages: PlainMessage[]) => Promise<{ offsets?: { topic: string; partition: number; offset: bigint }[] }>;

/**
 * Widest spread of timestamps one request may hold. @platformatic/dynamic-buffer 0.3.1
 * zigzag-encodes a record's timestamp delta as `(v << 1n) ^ (v >> 31n)` (not `>> 63n`): a delta
 * of 2^31 ms (24.8 days) or more from the batch's first timestamp is written wrong (a replay of
 * old events, ksqlDB's timestamp-format cases). Records further apart go in separate requests.
 */
const MAX_TIMESTAMP_SPREAD = 2 ** 31 - 1;

/** Sends in order, in requests small enough for the broker to accept (a task's batch can be large). */
async function sendBatch(sender: Sender, records: readonly OutRecord[]): Promise<RecordMetadata[]> {
  const out: RecordMetadata[] = [];
  let start = 0;
  let bytes = 0;
  let lowTs = Infinity;
  let highTs = -Infinity;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    const size = (r.key?.length ?? 0) + (r.value?.length ?? 0) + 64;
    const low = Math.min(lowTs, r.timestamp);
    const high = Math.max(highTs, r.timestamp);
    if (i > start && (bytes + size > MAX_REQUEST_BYTES || high - low >= MAX_TIMESTAMP_SPREAD)) {
      out.push(...(await sendRequest(sender, records, start, i)));
      start = i;
      bytes = 0;
      lowTs = highTs = r.timestamp;
    } else {
      lowTs = low;
      highTs = high;
    }
    bytes += size;
  }
  if (start < records.length) out.push(...(await sendRequest(sender, records, start, records.length)));
  return out;
}

async function sendRequest(sender: Sender, records: readonly OutRecord[], from: number, to: number): Promise<RecordMetadata[]> {
  const messages: PlainMessage[] = new Array(to - from);
  for (let i = from; i < to; i++) {
    const r = records[i]!;
    const m: PlainMessage = { topic: r.topic, timestamp: BigInt(r.timestamp) };
    if (r.key !== null) m.key = r.key;
    if (r.value !== null) m.value = r.value;
    if (r.partition !== undefined) m.partition = r.partition;
    if (r.headers && r.headers.length > 0) m.headers = toHeaderMap(r.headers);
    messages[i - from] = m;
  }
  try {
    const result = await sender(messages);
    return (result.offsets ?? []).map((o) => ({ topic: o.topic, partition: o.partition, baseOffset: Number(o.offset) }));
  } catch (e) {
    throw new KafkaPortError(`Could not write to ${[...new Set(messages.map((m) => m.topic))].join(', ')}`, e);
  }
}

/** Kafka's headers as the library writes them: a Map keyed by Buffer objects keeps repeated keys apart. */
function toHeaderMap(headers: readonly Header[]): Map<Buffer, Buffer> {
  const map = new Map<Buffer, Buffer>();
  // a null value is written as Kafka writes it (length -1)
  for (const h of headers) map.set(Buffer.from(h.key, 'utf8'), h.value as Buffer);
  return map;
}

// ---------------------------------------------------------------- consumer

const NO_HEADERS: readonly Header[] = Object.freeze([]);
const DEFAULT_MAX_BYTES_PER_PARTITION = 1024 * 1024;

interface PartitionState {
  readonly topic: string;
  readonly partition: number;
  /** offset of the next record to fetch; -1 until resolved */
  position: bigint;
  /** bumped by seek and revocation: a running batch is stale once it changed */
  epoch: number;
  failures: number;
  maxBytes: number;
}

const tpKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;

class PlatformaticConsumer implements KafkaConsumer {
  readonly #consumer: Consumer;
  readonly #options: ConsumerOptions;
  readonly #logger: Logger | undefined;
  readonly #paused = new Map<string, Set<number> | 'all'>();
  /** assigned partitions, by `topic\0partition` */
  #partitions = new Map<string, PartitionState>();
  /** an assignment from the group not yet taken over by the fetch loop */
  #pendingAssignment: GroupAssignment[] | null = null;
  #assigned: TopicPartition[] = [];
  /** a rebalance started: revoke once the running batches end */
  #revokePending = false;
  #running: Promise<void> | null = null;
  #closing = false;
  #wake: (() => void) | null = null;
  onClose: () => void = () => {};

  constructor(base: BaseClientOptions, options: ConsumerOptions, logger: Logger | undefined) {
    this.#options = options;
    this.#logger = logger;
    const copartitioned = options.assignment === 'copartitioned';
    const perPartition = options.maxBytesPerPartition ?? DEFAULT_MAX_BYTES_PER_PARTITION;
    this.#consumer = new Consumer<Buffer, Buffer, Buffer, Buffer>({
      ...base,
      groupId: options.groupId,
      autocommit: false,
      maxWaitTime: options.maxWaitMs ?? 500,
      minBytes: 1,
      maxBytes: Math.max(10 * 1024 * 1024, 4 * perPartition),
      isolationLevel: options.readCommitted === false ? FetchIsolationLevels.READ_UNCOMMITTED : FetchIsolationLevels.READ_COMMITTED,
      ...(options.sessionTimeoutMs !== undefined ? { sessionTimeout: options.sessionTimeoutMs } : {}),
      ...(options.heartbeatIntervalMs !== undefined ? { heartbeatInterval: options.heartbeatIntervalMs } : {}),
      protocols: copartitioned
        ? [{ name: 'KsetlCopartitioned', version: 0, metadata: Buffer.from(options.memberInfo ?? '', 'utf8') }]
        : [{ name: 'roundrobin', version: 1 }],
      partitionAssigner: copartitioned ? copartitionedAssigner : roundRobinAssigner,
    } as ConstructorParameters<typeof Consumer<Buffer, Buffer, Buffer, Buffer>>[0]);
    this.#consumer.topics.trackAll(...options.topics);
    // the library emits what its background work (heartbeats, rejoins) meets as 'error' events:
    // without a listener, Node throws them (also after close, when a rejoin finds the pool closed)
    this.#consumer.on('error', (e: Error) => {
      if (!this.#closing) this.#logger?.warn({ err: e, groupId: options.groupId }, 'Kafka consumer group error');
    });
    this.#consumer.on('consumer:group:join', (payload) => {
      this.#pendingAssignment = payload.assignments ?? [];
      // a rebalance revokes everything (eager protocol): running batches are stale
      for (const p of this.#partitions.values()) p.epoch++;
      this.#wake?.();
    });
    // A rebalance revokes everything (eager protocol). The library rejoins at once; the fetch loop
    // reports the revocation as soon as the running batches end, before the new assignment
    // arrives, so the engine commits what it processed while the group is still rebalancing.
    this.#consumer.on('consumer:group:rebalance', () => {
      for (const p of this.#partitions.values()) p.epoch++;
      this.#revokePending = true;
      this.#wake?.();
    });
  }

  forget(): void {
    this.#consumer.clearMetadata();
  }

  async run(handler: BatchHandler): Promise<void> {
    if (this.#running) throw new Error('the consumer runs already');
    try {
      await this.#consumer.joinGroup({});
    } catch (e) {
      // closed while joining (a query terminated as it started): nothing to run
      if (this.#closing) return;
      throw new KafkaPortError(`Could not join group ${this.#options.groupId}`, e);
    }
    this.#running = this.#loop(handler).catch((e: unknown) => {
      if (this.#closing) return;
      this.#logger?.error({ err: e, groupId: this.#options.groupId }, 'Kafka consumer stopped');
      this.#options.onCrash?.(e instanceof Error ? e : new Error(String(e)));
    });
  }

  async #loop(handler: BatchHandler): Promise<void> {
    let failures = 0;
    while (!this.#closing) {
      try {
        if (this.#pendingAssignment) await this.#takeAssignment();
        else if (this.#revokePending) {
          this.#revokePending = false;
          this.#revoke();
        }
        const fetchable = [...this.#partitions.values()].filter((p) => p.position >= 0n && !this.#isPaused(p.topic, p.partition));
        if (fetchable.length === 0) {
          await this.#idle(this.#options.maxWaitMs ?? 500);
          continue;
        }
        await this.#fetchOnce(fetchable, handler);
        failures = 0;
      } catch (e) {
        if (this.#closing) return;
        if (isFatal(e)) throw e;
        failures++;
        this.#logger?.warn({ err: e, groupId: this.#options.groupId, attempt: failures }, 'Kafka fetch failed; retrying');
        // a leader moved, or a topic was deleted or made anew (a new topic id): read the metadata again
        this.#consumer.clearMetadata();
        await this.#idle(Math.min(100 * failures, 2_000));
      }
    }
  }

  #idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = () => {
        this.#wake = null;
        done();
      };
    });
  }

  #isPaused(topic: string, partition: number): boolean {
    const p = this.#paused.get(topic);
    return p === 'all' || (p !== undefined && p.has(partition));
  }

  /** Revokes the old assignment and starts the new one at the committed offsets (or where `from` says). */
  async #takeAssignment(): Promise<void> {
    const assignment = this.#pendingAssignment!;
    this.#pendingAssignment = null;
    this.#revokePending = false;
    this.#revoke();
    const next = new Map<string, PartitionState>();
    for (const a of assignment) {
      for (const partition of a.partitions) {
        next.set(tpKey(a.topic, partition), { topic: a.topic, partition, position: -1n, epoch: 0, failures: 0, maxBytes: this.#options.maxBytesPerPartition ?? DEFAULT_MAX_BYTES_PER_PARTITION });
      }
    }
    this.#partitions = next;
    this.#assigned = [...next.values()].map((p) => ({ topic: p.topic, partition: p.partition }));
    // positions first: a seek from the assignment listener (a push query "from now") wins over them
    await this.#resolvePositions([...next.values()]);
    if (this.#assigned.length > 0) this.#options.onAssigned?.(this.#assigned);
  }

  #revoke(): void {
    const revoked = this.#assigned;
    this.#assigned = [];
    for (const p of this.#partitions.values()) p.epoch++;
    this.#partitions = new Map();
    if (revoked.length > 0) this.#options.onRevoked?.(revoked);
  }

  /** Committed offsets, else the earliest or latest offset. */
  async #resolvePositions(states: readonly PartitionState[]): Promise<void> {
    if (states.length === 0) return;
    // a seek while the offsets are asked for wins over them
    const epochs = new Map(states.map((s) => [s, s.epoch]));
    const set = (s: PartitionState, position: bigint) => {
      if (s.epoch === epochs.get(s)) s.position = position;
    };
    const byTopic = new Map<string, number[]>();
    for (const s of states) (byTopic.get(s.topic) ?? byTopic.set(s.topic, []).get(s.topic)!).push(s.partition);
    const committed = await this.#consumer.listCommittedOffsets({ topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })) });
    const missing = states.filter((s) => (committed.get(s.topic)?.[s.partition] ?? -1n) < 0n);
    for (const s of states) {
      const c = committed.get(s.topic)?.[s.partition] ?? -1n;
      if (c >= 0n) set(s, c);
    }
    if (missing.length === 0) return;
    const earliest = new Set(this.#options.fromEarliest ?? []);
    const fromLatest = (s: PartitionState) => this.#options.from === 'latest' && !earliest.has(s.topic);
    for (const [latest, group] of [true, false].map((l) => [l, missing.filter((s) => fromLatest(s) === l)] as const)) {
      if (group.length === 0) continue;
      const topics = [...new Set(group.map((s) => s.topic))];
      const partitions: Record<string, number[]> = {};
      for (const s of group) (partitions[s.topic] ??= []).push(s.partition);
      const offsets = await this.#consumer.listOffsets({ topics, partitions, timestamp: latest ? -1n : -2n });
      for (const s of group) set(s, offsets.get(s.topic)?.[s.partition] ?? 0n);
    }
  }

  async #fetchOnce(fetchable: readonly PartitionState[], handler: BatchHandler): Promise<void> {
    const metadata = await this.#consumer.metadata({ topics: [...new Set(fetchable.map((p) => p.topic))] });
    const byNode = new Map<number, PartitionState[]>();
    for (const p of fetchable) {
      const leader = metadata.topics.get(p.topic)?.partitions[p.partition]?.leader;
      if (leader === undefined || leader < 0) continue;
      (byNode.get(leader) ?? byNode.set(leader, []).get(leader)!).push(p);
    }
    const responses = await Promise.all(
      [...byNode].map(async ([node, states]) => {
        const epochs = states.map((s) => s.epoch);
        const positions = states.map((s) => s.position);
        const byTopic = new Map<string, PartitionState[]>();
        for (const s of states) (byTopic.get(s.topic) ?? byTopic.set(s.topic, []).get(s.topic)!).push(s);
        try {
          const response = await this.#consumer.fetch({
            node,
            topics: [...byTopic].map(([topic, list]) => ({
              topicId: metadata.topics.get(topic)!.id,
              partitions: list.map((s) => ({
                partition: s.partition,
                fetchOffset: s.position,
                currentLeaderEpoch: -1,
                lastFetchedEpoch: -1,
                partitionMaxBytes: s.maxBytes,
              })),
            })),
          });
          return { response, states, epochs, positions, error: null };
        } catch (e) {
          const response = (e as { response?: FetchResponse }).response;
          return { response: response ?? null, states, epochs, positions, error: e };
        }
      }),
    );
    const topicNames = new Map([...metadata.topics].map(([name, t]) => [t.id, name]));
    const batches: (() => Promise<void>)[] = [];
    let firstError: unknown = null;
    for (const { response, states, epochs, positions, error } of responses) {
      if (error) {
        if (hasErrorType(error, 'OFFSET_OUT_OF_RANGE')) {
          await this.#resetOutOfRange(states.filter((s, i) => s.epoch === epochs[i] && s.position === positions[i]));
        } else firstError ??= error;
        if (!response || hasErrorType(error, 'OFFSET_OUT_OF_RANGE')) continue;
      }
      if (!response) continue;
      const stateOf = new Map(states.map((s, i) => [tpKey(s.topic, s.partition), { s, epoch: epochs[i]!, position: positions[i]! }]));
      for (const t of response.responses) {
        const topic = topicNames.get(t.topicId) ?? t.topicId;
        for (const p of t.partitions) {
          if (p.errorCode !== 0) continue;
          const entry = stateOf.get(tpKey(topic, p.partitionIndex));
          if (!entry || entry.s.epoch !== entry.epoch || entry.s.position !== entry.position) continue;
          const batch = this.#toBatch(entry.s, entry.position, p);
          if (batch) batches.push(batch(handler));
        }
      }
    }
    const concurrency = Math.max(1, this.#options.partitionsConsumedConcurrently ?? 1);
    for (let i = 0; i < batches.length; i += concurrency) await Promise.all(batches.slice(i, i + concurrency).map((b) => b()));
    if (firstError) throw firstError;
  }

  async #resetOutOfRange(states: readonly PartitionState[]): Promise<void> {
    if (states.length === 0) return;
    for (const s of states) s.position = -1n;
    // as auto.offset.reset: committed positions are out of range, so start where `from` says
    const earliest = new Set(this.#options.fromEarliest ?? []);
    for (const s of states) {
      const latest = this.#options.from === 'latest' && !earliest.has(s.topic);
      const offsets = await this.#consumer.listOffsets({ topics: [s.topic], partitions: { [s.topic]: [s.partition] }, timestamp: latest ? -1n : -2n });
      s.position = offsets.get(s.topic)?.[s.partition] ?? 0n;
    }
  }

  /** The handler's call for one partition's share of a fetch, or null when it brought nothing. */
  #toBatch(state: PartitionState, position: bigint, p: FetchResponse['responses'][number]['partitions'][number]): ((handler: BatchHandler) => () => Promise<void>) | null {
    const recordBatches = p.records ?? [];
    const highWatermark = Number(p.highWatermark);
    const readCommitted = this.#options.readCommitted !== false;
    const lastStable = Number(p.lastStableOffset);
    const readableEnd = readCommitted && lastStable >= 0 ? Math.min(lastStable, highWatermark) : highWatermark;
    if (recordBatches.length === 0) {
      // under read_committed, aborted records are dropped whole: if a fetch brought only those
      // (its end cut before the abort marker), fetch more next time to reach past them
      if (readCommitted && (p.abortedTransactions?.length ?? 0) > 0 && position < BigInt(readableEnd)) state.maxBytes = Math.min(state.maxBytes * 2, 64 * 1024 * 1024);
      return null;
    }
    const last = recordBatches[recordBatches.length - 1]!;
    const nextOffset = last.firstOffset + BigInt(last.lastOffsetDelta) + 1n;
    if (nextOffset <= position) return null;
    const { topic, partition } = state;
    const records: BrokerRecord[] = [];
    for (const b of recordBatches) {
      if ((b.attributes & IS_CONTROL) !== 0) continue;
      for (const r of b.records) {
        const offset = b.firstOffset + BigInt(r.offsetDelta);
        if (offset < position) continue;
        records.push({
          topic,
          partition,
          offset: Number(offset),
          key: r.key,
          value: r.value,
          timestamp: Number(b.firstTimestamp + r.timestampDelta),
          headers: r.headers.length === 0 ? NO_HEADERS : r.headers.map(([k, v]: [Buffer | null, Buffer | null]) => ({ key: k ? k.toString('utf8') : '', value: v })),
        });
      }
    }
    const epoch = state.epoch;
    const isStale = () => state.epoch !== epoch || this.#partitions.get(tpKey(topic, partition)) !== state;
    return (handler) => async () => {
      // paused while the fetch was out: the batch is not handed over (fetched again on resume)
      if (isStale() || this.#isPaused(topic, partition)) return;
      try {
        if (records.length > 0) {
          await handler({
            topic,
            partition,
            records,
            highWatermark,
            nextOffset: Number(nextOffset),
            readableEnd,
            heartbeat: async () => {},
            isStale,
          });
        }
      } catch (e) {
        if (isStale()) return;
        state.failures++;
        this.#logger?.warn({ err: e, topic, partition, attempt: state.failures }, 'batch handler failed; the batch comes again');
        if (state.failures >= 5) {
          // as kafkajs restarts its consumer: back to the committed offsets
          state.failures = 0;
          state.epoch++;
          await this.#resolvePositions([state]).catch(() => {});
        }
        await sleep(Math.min(100 * state.failures, 1_000));
        return;
      }
      if (isStale()) return;
      state.failures = 0;
      state.maxBytes = this.#options.maxBytesPerPartition ?? DEFAULT_MAX_BYTES_PER_PARTITION;
      state.position = nextOffset;
      this.#options.onProgress?.({ topic, partition, offset: Number(nextOffset) - 1 });
    };
  }

  async commit(offsets: readonly TopicPartitionOffset[]): Promise<void> {
    if (offsets.length === 0) return;
    await wrap(`Could not commit the offsets of group ${this.#options.groupId}`, () =>
      this.#consumer.commit({ offsets: offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: BigInt(o.offset), leaderEpoch: -1 })) }),
    );
  }

  pause(topic: string, partitions?: readonly number[]): void {
    if (!partitions) return void this.#paused.set(topic, 'all');
    const current = this.#paused.get(topic);
    if (current === 'all') return;
    const set = current ?? new Set<number>();
    for (const p of partitions) set.add(p);
    this.#paused.set(topic, set);
  }

  resume(topic: string, partitions?: readonly number[]): void {
    const current = this.#paused.get(topic);
    if (!partitions || current === undefined) this.#paused.delete(topic);
    else if (current === 'all') {
      // resuming some partitions of a paused topic: the others stay paused
      const others = new Set([...this.#partitions.values()].filter((p) => p.topic === topic && !partitions.includes(p.partition)).map((p) => p.partition));
      this.#paused.set(topic, others);
    } else {
      for (const p of partitions) current.delete(p);
      if (current.size === 0) this.#paused.delete(topic);
    }
    this.#wake?.();
  }

  seek(position: TopicPartitionOffset): void {
    const state = this.#partitions.get(tpKey(position.topic, position.partition));
    if (!state) return;
    state.epoch++;
    state.position = BigInt(position.offset);
    this.#wake?.();
  }

  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    this.onClose();
    this.#wake?.();
    await this.#running;
    this.#revoke();
    if (!this.#consumer.closed) await this.#consumer.close(true);
  }
}

/** Errors a consumer does not retry: the cluster refuses it for good. */
function isFatal(e: unknown): boolean {
  if ((e as { code?: string })?.code === 'PLT_KFK_AUTHENTICATION') return true;
  return protocolErrors(e).some((p) => /AUTHORIZATION_FAILED|SASL_AUTHENTICATION_FAILED|UNSUPPORTED_VERSION/.test(p.apiId!));
}

/**
 * Gives every member whole "task columns": partition N of every subscribed
 * topic goes to the same member, so a task's co-partitioned inputs (both sides
 * of a join, a query's source and its repartition topic) are read together.
 * Each member's `memberInfo` travels in its subscription's user data.
 */
function copartitionedAssigner(
  _current: string,
  members: Map<string, ExtendedGroupProtocolSubscription>,
  topics: Set<string>,
  metadata: ClusterMetadata,
): GroupPartitionsAssignments[] {
  const memberIds = [...members.keys()].sort();
  const byIndex = new Map<number, string[]>();
  for (const topic of topics) {
    const count = metadata.topics.get(topic)?.partitionsCount ?? 0;
    for (let p = 0; p < count; p++) (byIndex.get(p) ?? byIndex.set(p, []).get(p)!).push(topic);
  }
  const assignments = new Map(memberIds.map((id) => [id, new Map<string, GroupAssignment>()]));
  [...byIndex.keys()]
    .sort((a, b) => a - b)
    .forEach((partition, i) => {
      const a = assignments.get(memberIds[i % memberIds.length]!)!;
      for (const topic of byIndex.get(partition)!) {
        const entry = a.get(topic) ?? a.set(topic, { topic, partitions: [] }).get(topic)!;
        entry.partitions.push(partition);
      }
    });
  return memberIds.map((memberId) => ({ memberId, assignments: assignments.get(memberId)! }));
}
