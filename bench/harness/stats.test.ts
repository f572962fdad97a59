import { describe, expect, it } from 'vitest';
import { observations, percentile } from './stats.js';

describe('percentile (nearest rank over a histogram)', () => {
  it('is null without observations', () => {
    expect(percentile([], 0.5)).toBeNull();
    expect(percentile([[3, 0]], 0.99)).toBeNull();
  });

  it('takes the smallest value with at least ⌈q·n⌉ observations at or below it', () => {
    // 1..100, one each
    const h = Array.from({ length: 100 }, (_, i) => [i + 1, 1] as const);
    expect(percentile(h, 0.5)).toBe(50);
    expect(percentile(h, 0.99)).toBe(99);
    expect(percentile(h, 1)).toBe(100);
    expect(percentile(h, 0.001)).toBe(1);
  });

  it('weighs values by their counts and does not need sorted pairs', () => {
    const h = [
      [40, 1],
      [5, 98],
      [900, 1],
    ] as const;
    expect(observations(h)).toBe(100);
    expect(percentile(h, 0.5)).toBe(5);
    expect(percentile(h, 0.98)).toBe(5);
    expect(percentile(h, 0.99)).toBe(40);
    expect(percentile(h, 1)).toBe(900);
  });

  it('a single observation is every percentile', () => {
    expect(percentile([[7, 1]], 0.5)).toBe(7);
    expect(percentile([[7, 1]], 0.99)).toBe(7);
  });

  it('rejects q outside (0, 1]', () => {
    expect(() => percentile([[1, 1]], 0)).toThrow(RangeError);
    expect(() => percentile([[1, 1]], 1.5)).toThrow(RangeError);
  });
});
