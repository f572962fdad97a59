import { describe, expect, it } from 'vitest';
import { mergeConditions, transitions } from './conditions.js';

const t0 = new Date('2026-01-01T00:00:00.000Z');
const t1 = new Date('2026-01-01T00:05:00.000Z');

describe('mergeConditions', () => {
  it('sets lastTransitionTime on a new condition', () => {
    const c = mergeConditions(undefined, [{ type: 'Ready', status: 'False', reason: 'Progressing' }], t0, 3);
    expect(c).toEqual([{ type: 'Ready', status: 'False', reason: 'Progressing', message: '', lastTransitionTime: '2026-01-01T00:00:00Z', observedGeneration: 3 }]);
  });

  it('keeps lastTransitionTime while the status stays, even when reason and message change', () => {
    const a = mergeConditions(undefined, [{ type: 'Ready', status: 'False', reason: 'A', message: 'x' }], t0, 1);
    const b = mergeConditions(a, [{ type: 'Ready', status: 'False', reason: 'B', message: 'y' }], t1, 2);
    expect(b[0]).toMatchObject({ reason: 'B', message: 'y', lastTransitionTime: '2026-01-01T00:00:00Z', observedGeneration: 2 });
  });

  it('moves lastTransitionTime when the status changes', () => {
    const a = mergeConditions(undefined, [{ type: 'Ready', status: 'False', reason: 'A' }], t0, 1);
    const b = mergeConditions(a, [{ type: 'Ready', status: 'True', reason: 'Ready' }], t1, 1);
    expect(b[0]!.lastTransitionTime).toBe('2026-01-01T00:05:00Z');
    expect(transitions(a, b).map((c) => c.type)).toEqual(['Ready']);
  });

  it('keeps conditions of other types and reports no transition when nothing changed', () => {
    const a = mergeConditions(undefined, [{ type: 'Ready', status: 'True', reason: 'R' }, { type: 'SqlValid', status: 'True', reason: 'V' }], t0, 1);
    const b = mergeConditions(a, [{ type: 'Ready', status: 'True', reason: 'R' }], t1, 1);
    expect(b.map((c) => c.type)).toEqual(['Ready', 'SqlValid']);
    expect(transitions(a, b)).toEqual([]);
  });
});
