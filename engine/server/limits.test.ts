import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, limitsFrom } from './limits.js';

describe('limitsFrom', () => {
  it('reads the request memory and regex budget properties, the defaults otherwise', () => {
    expect(limitsFrom({})).toEqual(DEFAULT_LIMITS);
    const l = limitsFrom({ 'ksetl.server.request.max.memory.bytes': '1048576', 'ksetl.functions.regex.backtracking.budget.ms': '250' });
    expect(l.requestMaxMemoryBytes).toBe(1048576);
    expect(l.regexBacktrackingBudgetMs).toBe(250);
    expect(DEFAULT_LIMITS.regexBacktrackingBudgetMs).toBe(100);
  });

  it('refuses values that are not positive integers, naming the property', () => {
    expect(() => limitsFrom({ 'ksetl.functions.regex.backtracking.budget.ms': '0' })).toThrow(/ksetl\.functions\.regex\.backtracking\.budget\.ms must be a positive integer/);
    expect(() => limitsFrom({ 'ksetl.server.request.max.memory.bytes': 'lots' })).toThrow(/ksetl\.server\.request\.max\.memory\.bytes/);
  });
});
