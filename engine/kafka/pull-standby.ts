import { randomUUID } from 'node:crypto';
import { TaskStoreFactory } from './changelog-store.js';
import * as names from './names.js';
import type { KafkaConsumer, KafkaPort } from './port.js';

/** Whether pull queries may read standby copies (`num.standby.replicas` >= 1 keeps them). */
export function standbyReplicas(properties: Readonly<Record<string, string>>): number {
  const n = Number(properties['num.standby.replicas'] ?? properties['ksql.streams.num.standby.replicas'] ?? '0');
  return Number.isInteger(n) && n > 0 ? n : 0;
}

/** `ksql.query.pull.enable.standby.reads` (default false, as in ksqlDB). */
export function standbyReadsEnabled(properties: Readonly<Record<string, string>>): boolean {
  return String(properties['ksql.query.pull.enable.standby.reads'] ?? 'false').toLowerCase() === 'true';
}

/**
 * Standby copies of one store of a query, as Kafka Streams' standby tasks:
 * kept by consuming the store's changelog, partition by partition, into
 * stores of the task's own kind. Pull queries read them when the owner of a
 * partition cannot be reached (`ksql.query.pull.enable.standby.reads`).
 *
 * Unlike Kafka Streams, which assigns `num.standby.replicas` standby tasks
 * per active task over the other members, a process keeps a copy of every
 * partition of the store (with two processes, the same thing; with more,
 * more copies than asked), including those it owns (a partition that moves
 * away has an up-to-date copy at once). The copy's consumer group
 * (`...-standby-<uuid>`) never commits: a process replays the changelog from
 * its start when it starts keeping it.
 */
export class StandbyStore {
  readonly #partitions = new Map<number, TaskStoreFactory>();
  /** the changelog offset up to which each partition's copy is applied (exclusive) */
  readonly #positions = new Map<number, number>();
  #consumer: KafkaConsumer | null = null;
  #closed = false;
  #error: Error | null = null;

  private constructor(
    readonly storeName: string,
    readonly changelogTopic: string,
  ) {}

  static async start(o: { port: KafkaPort; serviceId: string; queryId: string; storeName: string; storeKind: 'keyValue' | 'window'; readCommitted: boolean }): Promise<StandbyStore> {
    const topic = names.changelogTopic(o.serviceId, o.queryId, o.storeName);
    const s = new StandbyStore(o.storeName, topic);
    const consumer = await o.port.consumer({
      groupId: `${names.queryApplicationId(o.serviceId, o.queryId)}-standby-${randomUUID()}`,
      topics: [topic],
      from: 'earliest',
      readCommitted: o.readCommitted,
      maxBytesPerPartition: 8 * 1024 * 1024,
      onCrash: (e) => {
        s.#error = e;
      },
    });
    s.#consumer = consumer;
    void consumer
      .run(async (batch) => {
        if (s.#closed) return;
        let stores = s.#partitions.get(batch.partition);
        if (!stores) s.#partitions.set(batch.partition, (stores = new TaskStoreFactory(batch.partition, () => topic)));
        if (!stores.stores.has(o.storeName)) void (o.storeKind === 'window' ? stores.window(o.storeName) : stores.keyValue(o.storeName));
        const store = stores.stores.get(o.storeName)!;
        for (const r of batch.records) store.restore(r);
        s.#positions.set(batch.partition, batch.nextOffset);
      })
      .catch((e: Error) => {
        s.#error = e;
      });
    return s;
  }

  /** The copy of a partition's store (null: nothing read of it yet, or the copy failed). */
  store(partition: number): unknown {
    if (this.#error !== null || this.#closed) return null;
    return this.#partitions.get(partition)?.stores.get(this.storeName) ?? null;
  }

  /** How far the copy of a partition is applied: the next changelog offset (0: nothing yet). */
  position(partition: number): number {
    return this.#positions.get(partition) ?? 0;
  }

  get failed(): Error | null {
    return this.#error;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#partitions.clear();
    await this.#consumer?.close();
  }
}
