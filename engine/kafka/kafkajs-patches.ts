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

/** Whether every fix is in place (false: kafkajs was loaded before this module). */
export const kafkajsPatched: boolean = replaceModule(GROUP_MODULE, groupMessagesPerPartition) && extendBatch();
