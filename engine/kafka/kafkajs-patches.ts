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

/** Whether every fix is in place (false: kafkajs was loaded before this module). */
export const kafkajsPatched: boolean = replaceModule(GROUP_MODULE, groupMessagesPerPartition);
