import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { topicSafe } from './names.js';

/**
 * Local checkpoints of a task's state stores (`ksql.streams.state.dir`): on a
 * clean close (revocation, shutdown) each store is written to
 * `<dir>/<service id>/<query id>/<partition>/<store>.ckpt` with the changelog
 * offset it corresponds to; when the task is assigned here again, the store
 * is loaded from the file and only the changelog after that offset is
 * replayed. A file is used once (deleted when loaded), so a crash afterwards
 * never reuses state older than what the changelog says.
 *
 * Format: a header line `{"topic","partition","offset","entries"}`, then one
 * line per entry: the key as a JSON string, a tab, the value as the store
 * codec's JSON text.
 */
export interface CheckpointHeader {
  readonly topic: string;
  readonly partition: number;
  /** the changelog offset the state corresponds to: replay from here */
  readonly offset: number;
  readonly entries: number;
}

export function checkpointPath(dir: string, serviceId: string, queryId: string, partition: number, store: string): string {
  return join(dir, topicSafe(serviceId), topicSafe(queryId), String(partition), `${topicSafe(store)}.ckpt`);
}

/** `entries`: keys with their values as the store codec's JSON text. */
export async function writeCheckpoint(path: string, header: CheckpointHeader, entries: Iterable<[string, string]>): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.write(JSON.stringify(header) + '\n');
    let chunk: string[] = [];
    for (const [k, v] of entries) {
      chunk.push(`${JSON.stringify(k)}\t${v}\n`);
      if (chunk.length >= 10_000) {
        await fh.write(chunk.join(''));
        chunk = [];
      }
    }
    if (chunk.length > 0) await fh.write(chunk.join(''));
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
}

/** Reads and deletes a checkpoint; null when there is none (or it is unreadable: then the changelog is replayed in full). */
export async function takeCheckpoint(path: string, put: (key: string, text: string) => void): Promise<CheckpointHeader | null> {
  let header: CheckpointHeader | null = null;
  try {
    const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 }), crlfDelay: Infinity });
    for await (const line of lines) {
      if (header === null) {
        header = JSON.parse(line) as CheckpointHeader;
        continue;
      }
      const tab = line.indexOf('\t');
      if (tab < 0) continue;
      put(JSON.parse(line.slice(0, tab)) as string, line.slice(tab + 1));
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    await rm(path, { force: true });
    return null;
  }
  await rm(path, { force: true });
  return header;
}
