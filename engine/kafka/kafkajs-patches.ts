/**
 * Fixes applied to kafkajs before it loads (kafkajs 2.2.4 is the last release;
 * the project is no longer maintained). Import this module before `kafkajs`.
 *
 * - `groupMessagesPerPartition`: kafkajs groups a produce request's messages
 *   per partition by copying the partition's array for every message
 *   (`[...current, message]`), which is quadratic in the messages of a
 *   request: a task's flush of ~2,000 records to one partition copied about
 *   two million array slots. This version appends; the result is the same
 *   (partitions in first-seen order, messages in order).
 * - `Batch` keeps the fetch response's last stable offset (kafkajs decodes it
 *   and drops it): the end of what a read_committed consumer can read, which
 *   a task needs to know whether a partition has lag (Java's currentLag).
 * - Deleted topics in a client's metadata: kafkajs asks for the metadata of
 *   every topic a client ever used (its cluster's `targetTopics`) in one
 *   request, and the broker answers it with UNKNOWN_TOPIC_OR_PARTITION as soon
 *   as one of them was deleted. Every later refresh fails the same way: the
 *   client keeps its stale metadata and fails every send to a new topic, for
 *   good. Patched, a refresh that fails so drops the target topics the broker
 *   no longer has and tries again; `forgetTopics` drops topics at once (the
 *   engine deleted them, or made them anew under an old name).
 * - record v0 encoding: kafkajs sizes a header with `Buffer.byteLength(value)`
 *   before it checks for null, so a record with a null header value (which
 *   Kafka's format has, and ksqlDB's HEADER columns pass through) fails to
 *   encode. This version sizes it as the encoder writes it (varint -1).
 */
import Module, { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface GroupArgs<M> {
  readonly topic: string;
  readonly partitionMetadata: readonly unknown[];
  readonly messages: readonly M[];
  readonly partitioner: (args: { topic: string; partitionMetadata: readonly unknown[]; message: M }) => number;
}

export function groupMessagesPerPartition<M>({ topic, partitionMetadata, messages, partitioner }: GroupArgs<M>): Record<number, M[]> {
  const result: Record<number, M[]> = {};
  if (partitionMetadata.length === 0) return result;
  for (const message of messages) {
    const partition = partitioner({ topic, partitionMetadata, message });
    (result[partition] ??= []).push(message);
  }
  return result;
}

const GROUP_MODULE = 'kafkajs/src/producer/groupMessagesPerPartition.js';

function replaceModule(request: string, exports: unknown): boolean {
  let path: string;
  try {
    path = require.resolve(request);
  } catch {
    return false; // another kafkajs layout: left as it is (the patch's test says so)
  }
  const cached = require.cache[path];
  // already loaded (kafkajs came first): too late to replace what it holds
  if (cached !== undefined) return cached.exports === exports;
  const m = new Module(path);
  m.filename = path;
  m.loaded = true;
  m.exports = exports;
  require.cache[path] = m;
  return true;
}

interface KafkajsEncoder {
  writeVarInt(n: number): KafkajsEncoder;
  writeInt8(n: number): KafkajsEncoder;
  writeVarLong(n: unknown): KafkajsEncoder;
  writeVarIntBytes(b: unknown): KafkajsEncoder;
  writeVarIntArray(a: readonly unknown[]): KafkajsEncoder;
}
interface EncoderClass {
  new (): KafkajsEncoder;
  sizeOfVarInt(n: number): number;
  sizeOfVarLong(n: unknown): number;
  sizeOfVarIntBytes(b: unknown): number;
}
type HeaderValue = Buffer | string | null;

const RECORD_MODULE = 'kafkajs/src/protocol/recordBatch/record/v0/index.js';

function loadKafkajsModule<T>(request: string): T | null {
  try {
    return require(request) as T;
  } catch {
    return null;
  }
}

/** kafkajs's record v0 encoder with null header values sized right (the rest as kafkajs writes it). */
export function encodeRecordV0({ offsetDelta = 0, timestampDelta = 0, key, value, headers = {} }: { offsetDelta?: number; timestampDelta?: unknown; key: unknown; value: unknown; headers?: Record<string, HeaderValue | HeaderValue[]> }): KafkajsEncoder {
  const Encoder = loadKafkajsModule<EncoderClass>('kafkajs/src/protocol/encoder.js')!;
  const Header = loadKafkajsModule<(h: { key: string; value: HeaderValue }) => KafkajsEncoder>('kafkajs/src/protocol/recordBatch/header/v0/index.js')!;
  const list = Object.keys(headers).flatMap((k) => {
    const v = headers[k]!;
    return Array.isArray(v) ? v.map((x) => ({ key: k, value: x })) : [{ key: k, value: v }];
  });
  let headersSize = Encoder.sizeOfVarInt(list.length);
  for (const h of list) {
    const keySize = Buffer.byteLength(h.key);
    headersSize += Encoder.sizeOfVarInt(keySize) + keySize;
    if (h.value === null || h.value === undefined) headersSize += Encoder.sizeOfVarInt(-1);
    else {
      const valueSize = Buffer.byteLength(h.value);
      headersSize += Encoder.sizeOfVarInt(valueSize) + valueSize;
    }
  }
  const sizeOfBody = 1 + Encoder.sizeOfVarLong(timestampDelta) + Encoder.sizeOfVarInt(offsetDelta) + Encoder.sizeOfVarIntBytes(key) + Encoder.sizeOfVarIntBytes(value) + headersSize;
  return new Encoder().writeVarInt(sizeOfBody).writeInt8(0).writeVarLong(timestampDelta).writeVarInt(offsetDelta).writeVarIntBytes(key).writeVarIntBytes(value).writeVarIntArray(list.map(Header));
}


const BATCH_MODULE = 'kafkajs/src/consumer/batch.js';

type BatchClass = new (topic: string, fetchedOffset: string, partitionData: { lastStableOffset?: string }) => object;

/** kafkajs's Batch plus `lastStableOffset` (a string, as kafkajs's offsets; absent from fetch versions before 4). */
function extendBatch(): boolean {
  let path: string;
  let groupPath: string;
  try {
    path = require.resolve(BATCH_MODULE);
    groupPath = require.resolve('kafkajs/src/consumer/consumerGroup.js');
  } catch {
    return false;
  }
  // the consumer group module holds the class it loaded first: too late once it is loaded
  const group = require.cache[groupPath];
  const loaded = require.cache[path]?.exports as { ksetlLastStableOffset?: true } | undefined;
  if (loaded?.ksetlLastStableOffset) return true;
  if (group !== undefined) return false;
  const Batch = require(BATCH_MODULE) as BatchClass;
  class BatchWithLastStableOffset extends Batch {
    static readonly ksetlLastStableOffset = true;
    readonly lastStableOffset: string | undefined;
    constructor(topic: string, fetchedOffset: string, partitionData: { lastStableOffset?: string }) {
      super(topic, fetchedOffset, partitionData);
      this.lastStableOffset = partitionData.lastStableOffset;
    }
  }
  require.cache[path]!.exports = BatchWithLastStableOffset;
  return true;
}


/** What the patches use of kafkajs's (private) Cluster and BrokerPool. */
interface KafkajsCluster {
  targetTopics: Set<string>;
  readonly brokerPool: {
    metadataExpireAt: number | null;
    withBroker<T>(callback: (args: { broker: { metadata(topics: string[]): Promise<{ topicMetadata: { topic: string }[] }> } }) => Promise<T>): Promise<T>;
  };
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  refreshMetadata(): Promise<void>;
  refreshMetadataIfNecessary(): Promise<void>;
}

const CLUSTER_MODULE = 'kafkajs/src/cluster/index.js';

/** Connected clusters (one per kafkajs client), for `forgetTopics`. */
const clusters = new Set<KafkajsCluster>();

/** Whether a kafkajs error, or one it wraps (retries, our own wrappers), is a Kafka error of one of these types. */
export function hasKafkaErrorType(e: unknown, ...types: readonly string[]): boolean {
  for (let err = e as { type?: unknown; cause?: unknown; originalError?: unknown } | null, depth = 0; err && typeof err === 'object' && depth < 5; depth++) {
    if (typeof err.type === 'string' && types.includes(err.type)) return true;
    err = (err.originalError ?? err.cause ?? null) as typeof err;
  }
  return false;
}

/** Drops the target topics the broker does not have; whether it dropped any. */
export async function dropDeletedTargetTopics(cluster: KafkajsCluster): Promise<boolean> {
  if (cluster.targetTopics.size === 0) return false;
  // an empty topic list asks for every topic
  const { topicMetadata } = await cluster.brokerPool.withBroker(({ broker }) => broker.metadata([]));
  const live = new Set(topicMetadata.map((t) => t.topic));
  const gone = [...cluster.targetTopics].filter((t) => !live.has(t));
  if (gone.length === 0) return false;
  cluster.targetTopics = new Set([...cluster.targetTopics].filter((t) => live.has(t)));
  return true;
}

/**
 * Makes every kafkajs client of this process forget what it cached about
 * `topics`: they are no longer asked for in metadata refreshes, and the next
 * use of any topic refreshes the metadata first.
 */
export function forgetTopics(topics: readonly string[]): void {
  if (topics.length === 0) return;
  for (const c of clusters) {
    if (topics.some((t) => c.targetTopics.has(t))) c.targetTopics = new Set([...c.targetTopics].filter((t) => !topics.includes(t)));
    c.brokerPool.metadataExpireAt = 0;
  }
}

function patchCluster(): boolean {
  let Cluster: { prototype: KafkajsCluster } & { [PATCHED]?: true };
  try {
    Cluster = require(CLUSTER_MODULE) as typeof Cluster;
  } catch {
    return false;
  }
  if (Cluster[PATCHED]) return true;
  Cluster[PATCHED] = true;
  const proto = Cluster.prototype;
  for (const name of ['refreshMetadata', 'refreshMetadataIfNecessary'] as const) {
    const original = proto[name];
    proto[name] = async function (this: KafkajsCluster) {
      try {
        await original.call(this);
      } catch (e) {
        if (!hasKafkaErrorType(e, 'UNKNOWN_TOPIC_OR_PARTITION') || !(await dropDeletedTargetTopics(this))) throw e;
        await original.call(this);
      }
    };
  }
  const connect = proto.connect;
  proto.connect = async function (this: KafkajsCluster) {
    await connect.call(this);
    clusters.add(this);
  };
  const disconnect = proto.disconnect;
  proto.disconnect = async function (this: KafkajsCluster) {
    clusters.delete(this);
    await disconnect.call(this);
  };
  return true;
}

const PATCHED = Symbol.for('ksetl.kafkajs.cluster.patched');

const REQUEST_QUEUE_MODULE = 'kafkajs/src/network/requestQueue/index.js';

interface KafkajsRequestQueue {
  throttledUntil: number;
  throttleCheckTimeoutId: ReturnType<typeof setTimeout> | null;
  pending: unknown[];
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

/**
 * kafkajs schedules its throttle check `throttledUntil - Date.now()` ms ahead
 * and, when it is not throttled (throttledUntil = -1) and nothing is pending,
 * passes a negative delay: Node 24 warns on every such call
 * (TimeoutNegativeWarning on stderr) before running it after 1 ms as Node 20
 * did silently. The same schedule, with the delay clamped at 0.
 */
function patchRequestQueue(): boolean {
  let RequestQueue: { prototype: KafkajsRequestQueue } & { [PATCHED]?: true };
  try {
    RequestQueue = require(REQUEST_QUEUE_MODULE) as typeof RequestQueue;
  } catch {
    return false;
  }
  if (RequestQueue[PATCHED]) return true;
  RequestQueue[PATCHED] = true;
  RequestQueue.prototype.scheduleCheckPendingRequests = function (this: KafkajsRequestQueue) {
    if (this.throttleCheckTimeoutId) return;
    let scheduleAt = this.throttledUntil - Date.now();
    if (this.pending.length > 0 && scheduleAt <= 0) scheduleAt = CHECK_PENDING_REQUESTS_INTERVAL_MS;
    this.throttleCheckTimeoutId = setTimeout(() => {
      this.throttleCheckTimeoutId = null;
      this.checkPendingRequests();
    }, Math.max(0, scheduleAt));
  };
  return true;
}

/** kafkajs's CHECK_PENDING_REQUESTS_INTERVAL (requestQueue/index.js). */
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;


/** Whether every fix is in place (false: kafkajs was loaded before this module). */
const groupPatched = replaceModule(GROUP_MODULE, groupMessagesPerPartition) && replaceModule(RECORD_MODULE, encodeRecordV0) && extendBatch();
// a prototype patch: in place whenever kafkajs was loaded
const clusterPatched = patchCluster() && patchRequestQueue();
export const kafkajsPatched: boolean = groupPatched && clusterPatched;
