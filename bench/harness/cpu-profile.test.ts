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

  it('groups by area: packages, source directories, node internals, V8 pseudo-frames', () => {
    const p: CpuProfile = {
      nodes: [
        frame(1, '(garbage collector)'),
        frame(2, 'encode', 'file:///repo/node_modules/kafkajs/src/protocol/request.js'),
        frame(3, 'decode', 'file:///repo/node_modules/kafkajs/src/protocol/response.js'),
        frame(4, 'read', 'file:///repo/engine/serde/json.ts'),
        frame(5, 'from', 'node:buffer'),
        frame(6, 'x', 'file:///repo/node_modules/@js-joda/core/dist/a.js'),
      ],
      samples: [1, 2, 3, 4, 5, 6],
      timeDeltas: [10, 20, 30, 5, 15, 20],
    };
    expect(topSelfTime(p, 10, '/repo', 'area').map((t) => [t.frame, Math.round(t.share * 100)])).toEqual([
      ['kafkajs', 50],
      ['@js-joda/core', 20],
      ['node internals', 15],
      ['(garbage collector)', 10],
      ['engine/serde', 5],
    ]);
  });
});
