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

const patched = [replaceModule(GROUP_MODULE, groupMessagesPerPartition), replaceModule(RECORD_MODULE, encodeRecordV0)];

/** Whether every fix is in place (false: kafkajs was loaded before this module). */
export const kafkajsPatched: boolean = patched.every(Boolean);
