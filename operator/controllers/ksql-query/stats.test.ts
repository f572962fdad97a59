import { describe, expect, it } from 'vitest';
import { nextFigures, type Counters, type Figures } from './stats.js';

const T0 = Date.parse('2026-12-07T10:00:00Z');
const opts = { rateWindowMs: 30_000, refreshMs: 30_000, stallAfterMs: 60_000 };

/** Polls every `everyMs` with the counters given, carrying history and written stats as the reconciler does. */
function run(samples: readonly Counters[], everyMs = 5_000): Figures[] {
  const out: Figures[] = [];
  let prev: Figures | undefined;
  samples.forEach((c, i) => {
    prev = nextFigures(prev?.history, c, prev?.stats, T0 + i * everyMs, opts);
    out.push(prev);
  });
  return out;
}

const c = (recordsIn: number, lag = 0, recordsOut = recordsIn, errors = 0): Counters => ({ recordsIn, recordsOut, errors, lag });

describe('nextFigures', () => {
  it('computes rates over the window, not between two close polls (no 0 between two batches)', () => {
    // 100 records arrive in one batch every 10 s; polls every 5 s
    const f = run([c(0), c(100), c(100), c(200), c(200), c(300), c(300)]);
    expect(f[5]!.stats.messagesInPerSecond).toBeUndefined();
    expect(f[6]!.stats.messagesInPerSecond).toBe(10);
    expect(f[6]!.stats.messagesOutPerSecond).toBe(10);
  });

  it('keeps the stats written while nothing moved meaningfully, so the status is not rewritten on every poll', () => {
    const f = run([c(0, 5), c(0, 5), c(0, 6), c(0, 7)]);
    expect(f[1]!.stats).toBe(f[0]!.stats);
    expect(f[3]!.stats).toBe(f[0]!.stats);
  });

  it('writes small changes at most every refreshMs', () => {
    const f = run([c(0, 5), c(0, 6), c(0, 6), c(0, 6)], 15_000);
    expect(f[1]!.stats).toBe(f[0]!.stats);
    expect(f[2]!.stats.consumerLag).toBe(6);
    expect(f[2]!.stats.observedAt).toBe('2026-12-07T10:00:30Z');
  });

  it('writes a meaningful change at once: lag leaving zero, a new processing error', () => {
    const f = run([c(0, 0), c(0, 5), c(0, 5, 0, 1)]);
    expect(f[1]!.stats.consumerLag).toBe(5);
    expect(f[2]!.stats.processingErrors).toBe(1);
  });

  it('is stalled when records wait and none is consumed for stallAfterMs; not when nothing waits', () => {
    const stuck = run([c(100, 756), c(100, 756), c(100, 756), c(100, 756)], 20_000);
    expect(stuck.map((f) => f.stalledForMs)).toEqual([null, null, null, 60_000]);
    const idle = run([c(100, 0), c(100, 0), c(100, 0), c(100, 0)], 20_000);
    expect(idle.every((f) => f.stalledForMs === null)).toBe(true);
    const slow = run([c(100, 756), c(101, 755), c(102, 754), c(103, 753)], 20_000);
    expect(slow.every((f) => f.stalledForMs === null)).toBe(true);
  });

  it('starts the interval over when counters go down (an engine restarted)', () => {
    const f = run([c(500), c(600), c(10), c(10)], 20_000);
    expect(f[2]!.stats.messagesInPerSecond).toBeUndefined();
    expect(f[2]!.history.base.recordsIn).toBe(10);
  });
});
