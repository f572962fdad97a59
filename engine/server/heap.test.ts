import { describe, expect, it } from 'vitest';
import { DEFAULT_SEMI_SPACE_MB, tuneYoungGeneration } from './heap.js';

describe('tuneYoungGeneration', () => {
  it('asks for the default semi-space unless told otherwise', () => {
    expect(tuneYoungGeneration({}, [])).toBe(DEFAULT_SEMI_SPACE_MB);
    expect(tuneYoungGeneration({ KSETL_SEMI_SPACE_MB: '32' }, [])).toBe(32);
  });

  it('leaves V8 alone when the size is given to node or set to 0', () => {
    expect(tuneYoungGeneration({ NODE_OPTIONS: '--max-semi-space-size=8' }, [])).toBeNull();
    expect(tuneYoungGeneration({}, ['--max-semi-space-size=8'])).toBeNull();
    expect(tuneYoungGeneration({ KSETL_SEMI_SPACE_MB: '0' }, [])).toBeNull();
  });

  it('refuses a size that is not a whole number of megabytes', () => {
    expect(() => tuneYoungGeneration({ KSETL_SEMI_SPACE_MB: 'lots' }, [])).toThrow(/KSETL_SEMI_SPACE_MB/);
  });
});
