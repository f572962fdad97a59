import { describe, expect, it } from 'vitest';
import { topSelfTime, type CpuProfile } from './cpu-profile.js';

const frame = (id: number, functionName: string, url = '', lineNumber = 0): CpuProfile['nodes'][number] => ({ id, callFrame: { functionName, url, lineNumber } });

describe('topSelfTime', () => {
  it('sums sample time per function, merges nodes of the same frame, largest first', () => {
    const p: CpuProfile = {
      nodes: [frame(1, '(idle)'), frame(2, 'parse', 'file:///repo/engine/serde/json.ts', 9), frame(3, 'parse', 'file:///repo/engine/serde/json.ts', 9), frame(4, '', 'node:internal/x', 0)],
      samples: [2, 3, 1, 4, 2],
      timeDeltas: [1000, 2000, 4000, 500, 2500],
    };
    expect(topSelfTime(p, 10, '/repo')).toEqual([
      { frame: 'parse (engine/serde/json.ts:10)', ms: 6, share: 0.55 },
      { frame: '(idle)', ms: 4, share: 0.4 },
      { frame: '(anonymous) (node:internal/x:1)', ms: 1, share: 0.05 },
    ]);
  });

  it('keeps the first n', () => {
    const p: CpuProfile = { nodes: [frame(1, 'a'), frame(2, 'b')], samples: [1, 2, 2], timeDeltas: [10, 10, 10] };
    expect(topSelfTime(p, 1).map((t) => t.frame)).toEqual(['b']);
  });
});
