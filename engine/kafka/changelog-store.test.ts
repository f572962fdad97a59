import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ChangelogStore, ChangelogWindowStore } from './changelog-store.js';
import { checkpointPath, takeCheckpoint, writeCheckpoint } from './checkpoint.js';
import { decodeValue, encodeText, encodeValue } from './codec.js';

const rec = (key: string, value: unknown, offset: number) => ({
  topic: 'cl',
  partition: 0,
  offset,
  key: Buffer.from(key),
  value: value === null ? null : encodeValue(value),
  timestamp: 0,
  headers: [],
});

describe('ChangelogStore', () => {
  it('restores lazily: values decode on first read, in-place changes stick, tombstones delete', () => {
    const s = new ChangelogStore<{ n: bigint; tags: Set<string> }>('cl', 0);
    s.restore(rec('a', { n: 1n, tags: new Set(['x']) }, 0));
    s.restore(rec('b', { n: 2n, tags: new Set() }, 1));
    s.restore(rec('b', null, 2));
    expect(s.size).toBe(1);
    const a = s.get('a')!;
    expect(a).toEqual({ n: 1n, tags: new Set(['x']) });
    a.n = 5n;
    expect(s.get('a')!.n).toBe(5n);
    expect([...s.entries()]).toEqual([['a', { n: 5n, tags: new Set(['x']) }]]);
    expect(s.drainChanges(0)).toEqual([]);
    s.put('c', { n: 3n, tags: new Set() });
    expect(s.drainChanges(7).map((r) => r.key!.toString())).toEqual(['c']);
  });

  it('keeps each key once, restored or decoded: writes, deletes and replays over restored values', () => {
    const s = new ChangelogStore<number[]>('cl', 0);
    for (let i = 0; i < 4; i++) s.restore(rec(`k${i}`, [i], i));
    s.load('k4', '[4]');
    expect(s.get('k1')).toEqual([1]);
    s.put('k2', [20]);
    s.delete('k3');
    s.restore(rec('k1', [10], 5));
    expect(s.size).toBe(4);
    expect(s.get('k1')).toEqual([10]);
    expect(Object.fromEntries(s.entries())).toEqual({ k0: [0], k1: [10], k2: [20], k4: [4] });
    expect(Object.fromEntries(s.encodedEntries())).toEqual({ k0: '[0]', k1: '[10]', k2: '[20]', k4: '[4]' });
    expect(s.drainChanges(0).map((r) => [r.key!.toString(), (r.value ? encodeText(decodeValue(r.value)) : null)])).toEqual([
      ['k2', '[20]'],
      ['k3', null],
    ]);
  });

  it('checkpoints round-trip through the state dir and are used once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ksetl-ckpt-'));
    try {
      const s = new ChangelogStore<unknown>('cl', 3);
      s.restore(rec('k1', { v: 1.5, d: new Date(5) }, 0));
      s.put('k\t2\n', [1n, 'two']);
      const path = checkpointPath(dir, 'svc_', 'CTAS_X_0', 3, 'Aggregate-store');
      await writeCheckpoint(path, { topic: 'cl', partition: 3, offset: 42, entries: s.size }, s.encodedEntries());
      const back = new ChangelogStore<unknown>('cl', 3);
      const header = await takeCheckpoint(path, (k, v) => back.load(k, v));
      expect(header).toEqual({ topic: 'cl', partition: 3, offset: 42, entries: 2 });
      expect(Object.fromEntries(back.entries())).toEqual({ k1: { v: 1.5, d: new Date(5) }, 'k\t2\n': [1n, 'two'] });
      expect(back.drainChanges(0)).toEqual([]);
      await expect(stat(path)).rejects.toThrow();
      expect(await takeCheckpoint(path, () => {})).toBeNull();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('ChangelogWindowStore', () => {
  it('keys changelog records key@start, restores lazily, and deletes expired windows from the changelog', () => {
    const s = new ChangelogWindowStore<number[]>('cl', 0);
    s.restore(rec('sa@0', [1], 0));
    s.restore(rec('sb@0', [2], 1));
    s.restore(rec('sa@1000', [3], 2));
    s.restore(rec('sb@0', null, 3));
    s.restore(rec('no-window', [9], 4)); // not a window store record: ignored
    s.load('sc@2000', '[4]');
    expect(s.size).toBe(3);
    expect(s.get('sa', 0)).toEqual([1]);
    expect(s.get('sb', 0)).toBeUndefined();
    expect(s.drainChanges(0)).toEqual([]);
    s.put('sa', 1000, [30]);
    s.put('sd', 3000, [5]);
    expect([...s.entries()]).toEqual([
      ['sa', 0, [1]],
      ['sa', 1000, [30]],
      ['sc', 2000, [4]],
      ['sd', 3000, [5]],
    ]);
    expect(Object.fromEntries(s.encodedEntries())).toEqual({ 'sa@0': '[1]', 'sa@1000': '[30]', 'sc@2000': '[4]', 'sd@3000': '[5]' });
    s.expireBefore(2000);
    expect(s.size).toBe(2);
    expect(s.get('sa', 1000)).toBeUndefined();
    expect(s.drainChanges(7).map((r) => [r.key!.toString(), (r.value ? encodeText(decodeValue(r.value)) : null), r.timestamp])).toEqual([
      ['sd@3000', '[5]', 7],
      ['sa@0', null, 7],
      ['sa@1000', null, 7],
    ]);
    s.put('sc', 2000, [40]);
    s.discardChanges();
    expect(s.drainChanges(8)).toEqual([]);
  });
});

