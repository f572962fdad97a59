import { describe, expect, it } from 'vitest';
import type { QueryStatus } from './query-runner.js';
import { mergeStatus, numStreamThreads } from './stream-threads.js';

const status = (o: Partial<QueryStatus> = {}): QueryStatus => ({ state: 'RUNNING', paused: false, error: null, assigned: [], processed: 0, restored: 0, lastError: null, errors: [], ...o });

describe('numStreamThreads', () => {
  it('reads ksql.streams.num.stream.threads (or num.stream.threads), default 1', () => {
    expect(numStreamThreads({})).toBe(1);
    expect(numStreamThreads({ 'ksql.streams.num.stream.threads': '4' })).toBe(4);
    expect(numStreamThreads({ 'num.stream.threads': '2' })).toBe(2);
    expect(numStreamThreads({ 'ksql.streams.num.stream.threads': ' ' })).toBe(1);
  });

  it('refuses what is not a positive integer', () => {
    for (const v of ['0', '-1', '1.5', 'two']) expect(() => numStreamThreads({ 'ksql.streams.num.stream.threads': v }), v).toThrow(`num.stream.threads must be a positive integer, got ${v}`);
  });
});

describe('mergeStatus', () => {
  it('is the main thread runner\'s status when no worker runs the query', () => {
    const main = status({ assigned: [1], processed: 3 });
    expect(mergeStatus(main, [])).toBe(main);
  });

  it('unions the partitions, sums the counts and orders the errors over the threads', () => {
    const merged = mergeStatus(status({ assigned: [2, 0], processed: 10, restored: 1, errors: [{ timestamp: 5, errorMessage: 'b', type: 'UNKNOWN' }] }), [
      status({ assigned: [3, 1], processed: 7, restored: 2, lastError: 'x', errors: [{ timestamp: 2, errorMessage: 'a', type: 'UNKNOWN' }] }),
    ]);
    expect(merged).toEqual(status({ assigned: [0, 1, 2, 3], processed: 17, restored: 3, lastError: 'x', errors: [{ timestamp: 2, errorMessage: 'a', type: 'UNKNOWN' }, { timestamp: 5, errorMessage: 'b', type: 'UNKNOWN' }] }));
  });

  it('is in ERROR when a thread is, and STARTING while a thread starts', () => {
    expect(mergeStatus(status(), [status({ state: 'ERROR', error: 'boom' })])).toMatchObject({ state: 'ERROR', error: 'boom' });
    expect(mergeStatus(status(), [status({ state: 'STARTING' })]).state).toBe('STARTING');
    expect(mergeStatus(status({ state: 'STOPPING' }), [status({ state: 'STARTING' })]).state).toBe('STOPPING');
  });
});
