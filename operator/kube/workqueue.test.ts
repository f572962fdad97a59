import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WorkQueue, backoffDelay, type ReconcileResult } from './workqueue.js';

/** Lets the queue's promise chains run (no timer involved). */
const flush = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

describe('WorkQueue (fake timers)', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('queues a key once however often it is added, and never hands it to two workers at once', async () => {
    const runs: string[] = [];
    let release: () => void = () => {};
    const q = new WorkQueue(async (key) => {
      runs.push(key);
      if (runs.length === 1) await new Promise<void>((r) => (release = r));
    }, { concurrency: 4 });
    q.add('a');
    q.add('a');
    q.start();
    await flush();
    expect(runs).toEqual(['a']);
    // added while processed: dirty, run again after, once
    q.add('a');
    q.add('a');
    await flush();
    expect(runs).toEqual(['a']);
    expect(q.active).toEqual(['a']);
    release();
    await flush();
    expect(runs).toEqual(['a', 'a']);
    await q.shutdown();
  });

  it('backs off a failing key exponentially and forgets its failures after a success', async () => {
    let fail = 3;
    const times: number[] = [];
    const q = new WorkQueue(async () => {
      times.push(Date.now());
      if (fail-- > 0) throw new Error('boom');
    }, { baseDelayMs: 100, maxDelayMs: 1_000 });
    const t0 = Date.now();
    q.add('k');
    q.start();
    await flush();
    expect(q.failures('k')).toBe(1);
    await vi.advanceTimersByTimeAsync(99);
    expect(times).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(times).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(200);
    await vi.advanceTimersByTimeAsync(400);
    expect(times.map((t) => t - t0)).toEqual([0, 100, 300, 700]);
    expect(q.failures('k')).toBe(0);
    await q.shutdown();
  });

  it('runs a key again after requeueAfterMs; an earlier pending delay wins', async () => {
    const runs: number[] = [];
    const q = new WorkQueue(async (): Promise<ReconcileResult> => {
      runs.push(Date.now());
      return { requeueAfterMs: 5_000 };
    });
    const t0 = Date.now();
    q.add('p');
    q.start();
    await flush();
    q.addAfter('p', 1_000);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(runs.map((t) => t - t0)).toEqual([0, 1_000]);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(runs.map((t) => t - t0)).toEqual([0, 1_000, 6_000]);
    await q.shutdown();
  });

  it('shutdown drops pending keys and timers and waits for the reconciles in flight', async () => {
    let finished = false;
    const q = new WorkQueue(async (key) => {
      if (key === 'slow') {
        await new Promise((r) => setTimeout(r, 1_000));
        finished = true;
      }
    }, { concurrency: 1 });
    q.add('slow');
    q.add('waiting');
    q.addAfter('later', 10_000);
    q.start();
    await flush();
    const done = q.shutdown();
    expect(q.depth).toBe(0);
    await vi.advanceTimersByTimeAsync(1_000);
    await done;
    expect(finished).toBe(true);
    q.add('after');
    expect(q.depth).toBe(0);
  });

  it('backoffDelay doubles from the base and is capped', () => {
    expect([0, 1, 2, 3, 10].map((n) => backoffDelay(n, 500, 5_000))).toEqual([0, 500, 1_000, 2_000, 5_000]);
  });
});
