import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Informer } from './informer.js';
import type { KubeObject, KubePort, WatchEvent, WatchOptions } from './port.js';
import { RESOURCE } from './resources.js';
import { watchdogInterval, watchdogVerdict } from './watchdog.js';

const obj = (name: string, rv: string): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'ns', resourceVersion: rv } });

/** An API server whose watch stays open (silent) until aborted; the test pushes events and bookmarks into it. */
class SilentApi {
  items: KubeObject[] = [];
  lists = 0;
  push: ((e: WatchEvent) => void) | null = null;
  readonly port = {
    list: async () => {
      this.lists++;
      return { items: structuredClone(this.items), resourceVersion: String(100 + this.lists) };
    },
    watch: (_t: unknown, _ns: unknown, opts: WatchOptions, onEvent: (e: WatchEvent) => void) =>
      new Promise<void>((resolve) => {
        this.push = onEvent;
        opts.signal?.addEventListener('abort', () => resolve());
      }),
  } as unknown as KubePort;
}

const flush = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

describe('Informer watchdog (fake timers)', () => {
  const settings = { silenceMs: 60_000, relistMs: 600_000 };
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('re-lists a watch that went silent, and handlers see what it missed (a delete included)', async () => {
    const api = new SilentApi();
    api.items = [obj('a', '1'), obj('b', '1')];
    const seen: string[] = [];
    const inf = new Informer(api.port, RESOURCE.ConfigMap, pino({ level: 'silent' }), { watchdog: settings });
    inf.on((type, o) => seen.push(`${type} ${o.metadata?.name}`));
    inf.start();
    await flush();
    expect(api.lists).toBe(1);
    expect(seen).toEqual(['ADDED a', 'ADDED b']);
    // the watch says nothing while the world changes
    api.items = [obj('a', '2')];
    await vi.advanceTimersByTimeAsync(45_000);
    expect(api.lists).toBe(1);
    await vi.advanceTimersByTimeAsync(30_000);
    await flush();
    expect(api.lists).toBe(2);
    expect(seen).toEqual(['ADDED a', 'ADDED b', 'MODIFIED a', 'DELETED b']);
    expect(inf.list().map((o) => o.metadata?.name)).toEqual(['a']);
    await inf.stop();
  });

  it('does not re-list while bookmarks keep arriving, but does every relistMs regardless', async () => {
    const api = new SilentApi();
    const inf = new Informer(api.port, RESOURCE.ConfigMap, pino({ level: 'silent' }), { watchdog: settings });
    inf.start();
    await flush();
    for (let t = 0; t < 9; t++) {
      await vi.advanceTimersByTimeAsync(50_000);
      api.push?.({ type: 'BOOKMARK', object: obj('', String(200 + t)) });
    }
    expect(api.lists).toBe(1);
    for (let t = 0; t < 4; t++) {
      await vi.advanceTimersByTimeAsync(50_000);
      api.push?.({ type: 'BOOKMARK', object: obj('', String(300 + t)) });
    }
    await flush();
    expect(api.lists).toBe(2);
    await inf.stop();
  });

  it('watchdogVerdict and watchdogInterval', () => {
    expect(watchdogVerdict(100, { listedAt: 0, lastActivityAt: 50 }, { silenceMs: 60, relistMs: 1000 })).toEqual({ relist: false });
    expect(watchdogVerdict(120, { listedAt: 0, lastActivityAt: 50 }, { silenceMs: 60, relistMs: 1000 })).toEqual({ relist: true, why: 'silent' });
    expect(watchdogVerdict(1000, { listedAt: 0, lastActivityAt: 990 }, { silenceMs: 60, relistMs: 1000 })).toEqual({ relist: true, why: 'periodic' });
    expect(watchdogInterval(settings)).toBe(15_000);
    expect(watchdogInterval({ silenceMs: 100, relistMs: 100 })).toBe(250);
  });
});
