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

/**
 * The in-memory Kafka the test runner and the in-memory driver use: topics with
 * partitions and offsets; `produce` delivers synchronously to subscribers, in
 * order, so a chain of queries processes a record to completion before the next
 * input is produced (as ksqlDB's topology test driver does).
 */
export class InMemoryBroker {
  readonly #topics = new Map<string, { info: TopicInfo; partitions: BrokerRecord[][]; ordered: BrokerRecord[] }>();
  readonly #listeners = new Map<string, RecordListener[]>();
  readonly #queue: { listener: RecordListener; record: BrokerRecord }[] = [];
  #delivering = false;

  createTopic(name: string, partitions = 1, config: Record<string, string> = {}): TopicInfo {
    const existing = this.#topics.get(name);
    if (existing) return existing.info;
    const info: TopicInfo = { name, partitions, config };
    this.#topics.set(name, { info, partitions: Array.from({ length: partitions }, () => []), ordered: [] });
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
    const n = t.partitions.length;
    const partition = rec.partition !== undefined ? rec.partition % n : rec.key ? murmur2Partition(rec.key, n) : 0;
    const log = t.partitions[partition]!;
    const record: BrokerRecord = {
      topic,
      partition,
      offset: log.length,
      key: rec.key,
      value: rec.value,
      timestamp: rec.timestamp,
      headers: rec.headers ?? [],
    };
    log.push(record);
    t.ordered.push(record);
    for (const listener of this.#listeners.get(topic) ?? []) this.#queue.push({ listener, record });
    this.#drain();
    return record;
  }

  /** All records of a topic, partition by partition, each in offset order. */
  read(topic: string): readonly BrokerRecord[] {
    return this.#topics.get(topic)?.partitions.flat() ?? [];
  }

  /** Records of a topic in the order they were produced across partitions. */
  readInOrder(topic: string): readonly BrokerRecord[] {
    return this.#topics.get(topic)?.ordered ?? [];
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
