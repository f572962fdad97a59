import type { BrokerRecord, Header, ProduceRecord, TopicInfo } from '../driver/broker.js';

/**
 * The Kafka the engine's Kafka driver talks to. Everything the driver needs
 * from a client library goes through here, so the driver is tested against a
 * real broker through `kafkajs-port.ts` and the in-memory broker stays a
 * separate, synchronous path (engine/driver).
 *
 * Offsets are plain numbers (safe up to 2^53) and, when committed, are the
 * offset of the next record to read, as in Kafka itself.
 */
export interface KafkaPort {
  readonly admin: KafkaAdmin;
  producer(options?: ProducerOptions): Promise<KafkaProducer>;
  consumer(options: ConsumerOptions): Promise<KafkaConsumer>;
  /**
   * Drops what the clients cached about these topics (deleted, or created anew
   * under an old name, by this process or another): the next use of a topic
   * reads its metadata again. Ports without such caches need not have it.
   */
  forgetTopics?(names: readonly string[]): void;
  /** Closes the admin client and every producer and consumer still open. */
  close(): Promise<void>;
}

export type { BrokerRecord, Header, TopicInfo };

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

export interface TopicPartitionOffset extends TopicPartition {
  readonly offset: number;
  /**
   * Committed offsets: the commit's metadata string, kept by the group with
   * the offset and read back by `fetchOffsets` (Kafka Streams writes a
   * partition's stream time there). Left out: none.
   */
  readonly metadata?: string;
}

export interface PartitionWatermarks {
  readonly partition: number;
  /** log start offset */
  readonly low: number;
  /** high watermark: the offset the next produced record gets */
  readonly high: number;
}

export interface NewTopic {
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor?: number;
  readonly config?: Readonly<Record<string, string>>;
}

export interface KafkaAdmin {
  /** Creates the topics that do not exist yet and waits for their leaders; existing ones are left as they are. */
  createTopics(topics: readonly NewTopic[]): Promise<void>;
  listTopics(): Promise<string[]>;
  /** Partition counts of existing topics, in the order asked; unknown names are left out. `config` holds only overrides. */
  describeTopics(names: readonly string[]): Promise<TopicInfo[]>;
  /** Deletes the topics that exist and resolves once they are gone (a topic of the same name may be created then). */
  deleteTopics(names: readonly string[]): Promise<void>;
  /** Committed offsets of a consumer group, with their metadata; partitions with no commit are left out. */
  fetchOffsets(groupId: string, topics: readonly string[]): Promise<TopicPartitionOffset[]>;
  fetchWatermarks(topic: string): Promise<PartitionWatermarks[]>;
  /**
   * The members of a consumer group with what each announced (`ConsumerOptions.memberInfo`)
   * and the partitions it was assigned: who owns a query's tasks. Optional: a port
   * without it leaves pull queries to the processes that own the partitions asked.
   */
  describeGroup?(groupId: string): Promise<GroupMember[]>;
  /** Every consumer group id of the cluster (benchmarks and tests count them). */
  listGroups?(): Promise<string[]>;
  /** The cluster's id (GET /info); optional: ports over no real cluster have none. */
  clusterId?(): Promise<string>;
  /**
   * Deletes consumer groups (a terminated query's, a deleted service's); groups
   * that do not exist are left out. Groups that still have members are not
   * deleted and come back in `nonEmpty` (the caller retries once they left).
   */
  deleteGroups?(groupIds: readonly string[]): Promise<{ readonly nonEmpty: readonly string[] }>;
}

export interface GroupMember {
  readonly memberId: string;
  /** what the member announced in its subscription (empty when nothing) */
  readonly memberInfo: string;
  readonly assignment: readonly TopicPartition[];
}

/** A record to produce: the in-memory broker's produce record plus its topic. */
export interface OutRecord extends ProduceRecord {
  readonly topic: string;
}

export interface RecordMetadata extends TopicPartition {
  /** offset of the first record of this partition's share of the batch */
  readonly baseOffset: number;
}

export interface ProducerOptions {
  /**
   * Makes the producer transactional (and idempotent); one id per task, stable
   * across restarts. The producer is returned once the id is initialized: any
   * earlier producer with this id is fenced, and its open transaction finished.
   */
  readonly transactionalId?: string;
  /** Default 60 000 ms, as in Kafka's producer. */
  readonly transactionTimeoutMs?: number;
}

export interface KafkaProducer {
  /** Sends outside a transaction; rejected on a transactional producer. */
  send(records: readonly OutRecord[]): Promise<RecordMetadata[]>;
  /** Starts a transaction; only one may be open at a time per producer. */
  beginTransaction(): Promise<KafkaTransaction>;
  close(): Promise<void>;
}

export interface KafkaTransaction {
  send(records: readonly OutRecord[]): Promise<RecordMetadata[]>;
  /** Commits the group's input offsets atomically with the transaction's output. */
  sendOffsets(groupId: string, offsets: readonly TopicPartitionOffset[]): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

export interface ConsumerOptions {
  readonly groupId: string;
  readonly topics: readonly string[];
  /** Where a partition with no committed offset starts: earliest (default) or latest. */
  readonly from?: 'earliest' | 'latest';
  /** Read only committed transactional data (default true). */
  readonly readCommitted?: boolean;
  readonly sessionTimeoutMs?: number;
  readonly heartbeatIntervalMs?: number;
  /** Longest a fetch waits for data when there is none (default 500 ms). */
  readonly maxWaitMs?: number;
  /** Most bytes one fetch returns per partition (default 1 MiB; restores read bigger chunks). */
  readonly maxBytesPerPartition?: number;
  /**
   * Rebalance notifications. Revocation comes before the next assignment, and
   * after the batches of the revoked partitions have finished. They are not
   * awaited: a rebalance does not wait on them.
   */
  readonly onAssigned?: (partitions: readonly TopicPartition[]) => void;
  readonly onRevoked?: (partitions: readonly TopicPartition[]) => void;
  /**
   * Batches of different partitions handed to the handler at once (default 1).
   * A partition's batches always come one after the other, and the next fetch
   * waits for every batch of the last one.
   */
  readonly partitionsConsumedConcurrently?: number;
  /** Topics that start at the earliest offset whatever `from` says (a query's internal repartition topics). */
  readonly fromEarliest?: readonly string[];
  /**
   * How partitions are spread over the group's members: 'round-robin' (default),
   * or 'copartitioned': every subscribed topic's partition N goes to the same
   * member, as Kafka Streams assigns a task's co-partitioned inputs together.
   */
  readonly assignment?: 'round-robin' | 'copartitioned';
  /**
   * What this member announces to the group in its subscription's user data, as
   * Kafka Streams' `application.server`: a query's members announce their REST
   * address, so any process finds the owner of a partition (`describeGroup`).
   * Only with the copartitioned assignment.
   */
  readonly memberInfo?: string;
  /**
   * Called after each fetched batch with the offset of its last entry, also for
   * batches holding only transaction markers or aborted records (which never
   * reach the handler): how a reader knows it reached a partition's end.
   */
  readonly onProgress?: (position: TopicPartitionOffset) => void;
  /**
   * The consumer stopped for good on an error it does not retry (authorization,
   * a cluster gone). A batch handler's own errors never stop it: the batch is
   * fetched again, and after repeated failures the consumer rejoins its group.
   */
  readonly onCrash?: (error: Error) => void;
}

export interface ConsumedBatch extends TopicPartition {
  readonly records: readonly BrokerRecord[];
  /** the partition's high watermark at fetch time */
  readonly highWatermark: number;
  /**
   * The consumer's position once the batch is done: the offset after its
   * last entry, counting transaction markers and aborted records the handler
   * never sees.
   */
  readonly nextOffset: number;
  /**
   * The end of what this consumer may read, at fetch time: the last stable
   * offset under read_committed (the high watermark if the broker did not
   * say), the high watermark otherwise. Below it, the partition has lag.
   */
  readonly readableEnd: number;
  /** Keeps the group membership alive during a long batch. */
  heartbeat(): Promise<void>;
  /** True once the partition was revoked or sought while the batch ran: stop and don't commit. */
  isStale(): boolean;
}

export type BatchHandler = (batch: ConsumedBatch) => Promise<void>;

export interface KafkaConsumer {
  /**
   * Starts fetching and hands each partition's batch to the handler. Offsets
   * are never committed automatically: commit them with `commit` or with a
   * transaction's `sendOffsets`. The position moves past a batch once its
   * handler resolves; a handler that throws gets the batch again (from the
   * position before it), and after repeated failures the consumer rejoins and
   * restarts from the last committed offsets.
   */
  run(handler: BatchHandler): Promise<void>;
  commit(offsets: readonly TopicPartitionOffset[]): Promise<void>;
  /** Pauses fetching; with no partitions, the whole topic. */
  pause(topic: string, partitions?: readonly number[]): void;
  resume(topic: string, partitions?: readonly number[]): void;
  /** Moves the position of an assigned partition (only once `run` has started). */
  seek(position: TopicPartitionOffset): void;
  close(): Promise<void>;
}
