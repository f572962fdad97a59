/** One Kafka record as a topic holds it. */
export interface Header {
  readonly key: string;
  readonly value: Buffer | null;
}

export interface BrokerRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly timestamp: number;
  readonly headers: readonly Header[];
}

export interface ProduceRecord {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly timestamp: number;
  readonly headers?: readonly Header[];
  /** chosen by the default partitioner on the key bytes when absent */
  readonly partition?: number;
}

export interface TopicInfo {
  readonly name: string;
  readonly partitions: number;
  readonly config: Readonly<Record<string, string>>;
}

export type RecordListener = (record: BrokerRecord) => void;

const NO_HEADERS: readonly Header[] = Object.freeze([]);

/**
 * One partition's records, stored as a log stores them: key and value bytes
 * appended to large chunks, offsets, lengths and timestamps in flat number
 * arrays. No object per record stays in memory (a long run keeps millions of
 * records, and every live object costs the garbage collector); records are
 * built when read, their key and value views of the chunks.
 */
class PartitionLog {
  static readonly CHUNK_BYTES = 1 << 20;
  /** fields per record in `meta`: chunk index, position in the chunk, key length and value length (-1: null), timestamp, broker-wide append sequence */
  static readonly STRIDE = 6;
  readonly #chunks: Buffer[] = [];
  #chunk: Buffer = Buffer.alloc(0);
  #used = 0;
  #meta = new Float64Array(16 * PartitionLog.STRIDE);
  #length = 0;
  /** headers of the records that have any, by offset */
  readonly #headers = new Map<number, readonly Header[]>();

  constructor(
    readonly topic: string,
    readonly partition: number,
  ) {}

  get length(): number {
    return this.#length;
  }

  append(key: Buffer | null, value: Buffer | null, timestamp: number, headers: readonly Header[], sequence: number): void {
    const size = (key?.length ?? 0) + (value?.length ?? 0);
    // a partition's first record gets a chunk even when it is empty (an all-defaults PROTOBUF_NOSR message is zero bytes)
    if (this.#chunks.length === 0 || this.#used + size > this.#chunk.length) {
      // chunks double from 4 KB to 1 MB: a partition with a few records (a test case) stays small
      const next = Math.min(PartitionLog.CHUNK_BYTES, Math.max(4096, this.#chunk.length * 2));
      this.#chunk = Buffer.allocUnsafeSlow(Math.max(next, size));
      this.#chunks.push(this.#chunk);
      this.#used = 0;
    }
    let at = this.#length * PartitionLog.STRIDE;
    if (at + PartitionLog.STRIDE > this.#meta.length) {
      const grown = new Float64Array(this.#meta.length * 2);
      grown.set(this.#meta);
      this.#meta = grown;
    }
    const meta = this.#meta;
    meta[at++] = this.#chunks.length - 1;
    meta[at++] = this.#used;
    meta[at++] = key === null ? -1 : key.length;
    meta[at++] = value === null ? -1 : value.length;
    meta[at++] = timestamp;
    meta[at] = sequence;
    if (key !== null) {
      this.#chunk.set(key, this.#used);
      this.#used += key.length;
    }
    if (value !== null) {
      this.#chunk.set(value, this.#used);
      this.#used += value.length;
    }
    if (headers.length > 0) this.#headers.set(this.#length, headers);
    this.#length++;
  }

  /** The broker-wide rank of the record's append (records of every topic in the order they were produced). */
  sequence(offset: number): number {
    return this.#meta[offset * PartitionLog.STRIDE + 5]!;
  }

  record(offset: number): BrokerRecord {
    const at = offset * PartitionLog.STRIDE;
    const meta = this.#meta;
    const chunk = this.#chunks[meta[at]!]!;
    const pos = meta[at + 1]!;
    const keyLen = meta[at + 2]!;
    const valueLen = meta[at + 3]!;
    const valueAt = pos + Math.max(0, keyLen);
    return {
      topic: this.topic,
      partition: this.partition,
      offset,
      key: keyLen < 0 ? null : chunk.subarray(pos, pos + keyLen),
      value: valueLen < 0 ? null : chunk.subarray(valueAt, valueAt + valueLen),
      timestamp: meta[at + 4]!,
      headers: this.#headers.get(offset) ?? NO_HEADERS,
    };
  }

  records(): BrokerRecord[] {
    const out = new Array<BrokerRecord>(this.#length);
    for (let i = 0; i < out.length; i++) out[i] = this.record(i);
    return out;
  }
}

/**
 * The in-memory Kafka the test runner and the in-memory driver use: topics with
 * partitions and offsets; `produce` delivers synchronously to subscribers, in
 * order, so a chain of queries processes a record to completion before the next
 * input is produced (as ksqlDB's topology test driver does).
 */
export class InMemoryBroker {
  /** `ordered`: the partition of each record in produce order (its offset is its rank among that partition's) */
  readonly #topics = new Map<string, { info: TopicInfo; partitions: PartitionLog[]; ordered: number[] }>();
  readonly #listeners = new Map<string, RecordListener[]>();
  readonly #queue: { listener: RecordListener; record: BrokerRecord }[] = [];
  #delivering = false;
  #appended = 0;

  createTopic(name: string, partitions = 1, config: Record<string, string> = {}): TopicInfo {
    const existing = this.#topics.get(name);
    if (existing) return existing.info;
    const info: TopicInfo = { name, partitions, config };
    this.#topics.set(name, { info, partitions: Array.from({ length: partitions }, (_, p) => new PartitionLog(name, p)), ordered: [] });
    return info;
  }

  deleteTopic(name: string): void {
    this.#topics.delete(name);
  }

  topic(name: string): TopicInfo | undefined {
    return this.#topics.get(name)?.info;
  }

  topics(): readonly TopicInfo[] {
    return [...this.#topics.values()].map((t) => t.info);
  }

  produce(topic: string, rec: ProduceRecord): BrokerRecord {
    const t = this.#topics.get(topic) ?? (this.createTopic(topic), this.#topics.get(topic)!);
    const partition = InMemoryBroker.partitionFor(rec.partition, rec.key, t.partitions.length);
    const log = t.partitions[partition]!;
    const headers = rec.headers ?? NO_HEADERS;
    const record: BrokerRecord = { topic, partition, offset: log.length, key: rec.key, value: rec.value, timestamp: rec.timestamp, headers };
    log.append(rec.key, rec.value, rec.timestamp, headers, this.#appended++);
    t.ordered.push(partition);
    const listeners = this.#listeners.get(topic);
    if (listeners !== undefined) for (const listener of listeners) this.#queue.push({ listener, record });
    this.#drain();
    return record;
  }

  /** The partition a record goes to: the one it names (modulo the count), else the default partitioner's on its key. */
  static partitionFor(partition: number | undefined, key: Buffer | null, partitions: number): number {
    return partition !== undefined ? partition % partitions : key && partitions > 1 ? murmur2Partition(key, partitions) : 0;
  }

  /** Records in a partition (its high watermark); 0 for an unknown topic or partition. */
  partitionLength(topic: string, partition: number): number {
    return this.#topics.get(topic)?.partitions[partition]?.length ?? 0;
  }

  /** The broker-wide produce rank of the record at an offset (which must exist): how a test driver replays records in the order they were written. */
  sequenceAt(topic: string, partition: number, offset: number): number {
    return this.#topics.get(topic)!.partitions[partition]!.sequence(offset);
  }

  /** The record at an offset of a partition (which must exist). */
  recordAt(topic: string, partition: number, offset: number): BrokerRecord {
    const log = this.#topics.get(topic)?.partitions[partition];
    if (!log || offset < 0 || offset >= log.length) throw new RangeError(`no record at ${topic}/${partition}@${offset}`);
    return log.record(offset);
  }

  /** All records of a topic, partition by partition, each in offset order. */
  read(topic: string): readonly BrokerRecord[] {
    return this.#topics.get(topic)?.partitions.flatMap((p) => p.records()) ?? [];
  }

  /** How many records a topic holds (without building them). */
  recordCount(topic: string): number {
    return this.#topics.get(topic)?.ordered.length ?? 0;
  }

  /** Records of a topic in the order they were produced across partitions. */
  readInOrder(topic: string): readonly BrokerRecord[] {
    const t = this.#topics.get(topic);
    if (!t) return [];
    const next = t.partitions.map(() => 0);
    return t.ordered.map((p) => t.partitions[p]!.record(next[p]!++));
  }

  subscribe(topic: string, listener: RecordListener): () => void {
    const list = this.#listeners.get(topic) ?? [];
    list.push(listener);
    this.#listeners.set(topic, list);
    return () => {
      const i = list.indexOf(listener);
      if (i >= 0) list.splice(i, 1);
    };
  }

  #drain(): void {
    if (this.#delivering) return;
    this.#delivering = true;
    try {
      while (this.#queue.length > 0) {
        const { listener, record } = this.#queue.shift()!;
        listener(record);
      }
    } finally {
      this.#delivering = false;
    }
  }
}

/** Kafka's default partitioner: murmur2 of the key bytes, positive, modulo partitions. */
export function murmur2Partition(key: Buffer, partitions: number): number {
  return (murmur2(key) & 0x7fffffff) % partitions;
}

export function murmur2(data: Buffer): number {
  const length = data.length;
  const seed = 0x9747b28c;
  const m = 0x5bd1e995;
  const r = 24;
  let h = (seed ^ length) | 0;
  const length4 = length >> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = (data[i4]! & 0xff) + ((data[i4 + 1]! & 0xff) << 8) + ((data[i4 + 2]! & 0xff) << 16) + ((data[i4 + 3]! & 0xff) << 24);
    k = Math.imul(k, m);
    k ^= k >>> r;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  const rest = length & 3;
  const base = length & ~3;
  if (rest === 3) h ^= (data[base + 2]! & 0xff) << 16;
  if (rest >= 2) h ^= (data[base + 1]! & 0xff) << 8;
  if (rest >= 1) {
    h ^= data[base]! & 0xff;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h;
}
