import { afterEach } from 'vitest';
import { MemoryRuntime } from '../../driver/memory-runtime.js';

/**
 * The operator tests' engine: the one runtime on the in-memory Kafka (one
 * record processed to completion at a time), JSON values and KAFKA string
 * keys; every engine a test starts is closed after it.
 */
export type Engine = MemoryRuntime;

const open: MemoryRuntime[] = [];
afterEach(async () => {
  for (const rt of open.splice(0)) await rt.close();
});

export async function engine(sql: string, properties: Record<string, string> = {}): Promise<Engine> {
  const e = await MemoryRuntime.start({ properties: { 'ksql.streams.auto.offset.reset': 'earliest', ...properties } });
  open.push(e);
  await e.execute(sql);
  return e;
}

/** Writes a record whose value is `value` as JSON (null: a tombstone). */
export async function send(e: Engine, topic: string, key: string | null, value: unknown, timestamp: number): Promise<void> {
  await sendRaw(e, topic, key, value === null ? null : JSON.stringify(value), timestamp);
}

/** Writes a record whose value is the given text, as is. */
export async function sendRaw(e: Engine, topic: string, key: string | null, value: string | null, timestamp: number): Promise<void> {
  await e.pipe(topic, { key: key === null ? null : Buffer.from(key), value: value === null ? null : Buffer.from(value), timestamp });
}

/** A topic's records: string keys, JSON values. */
export function read(e: Engine, topic: string): { key: string | null; value: unknown; ts: number }[] {
  return e.read(topic).map((r) => ({
    key: r.key?.toString('utf8') ?? null,
    value: r.value === null ? null : (JSON.parse(r.value.toString('utf8')) as unknown),
    ts: r.timestamp,
  }));
}
