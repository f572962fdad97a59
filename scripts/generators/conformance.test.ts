import { describe, expect, it } from 'vitest';
import type { CaseResult } from '../../engine/testing/qtt/types.js';
import { renderConformance, renderRuleFamilies } from './conformance.js';

const r = (file: string, status: CaseResult['status']): CaseResult => ({ file, name: 'n', format: null, status, message: '', expectsException: false, durationMs: 0 });

describe('renderConformance', () => {
  it('writes the overall pass rate and one row per file', () => {
    const md = renderConformance([r('b.json', 'passed'), r('a.json', 'failed'), r('b.json', 'skipped'), r('a.json', 'passed')]);
    expect(md).toContain('**Overall: 2 of 4 cases pass (50.0%)** — 1 failed, 1 skipped.');
    expect(md).toContain('| a.json | 2 | 1 | 1 | 0 | 50.0% |\n| b.json | 2 | 1 | 0 | 1 | 50.0% |');
  });
});

describe('renderRuleFamilies', () => {
  it('writes a table per family with the documentation it cites', () => {
    const md = renderRuleFamilies([{ file: 'nulls.json', comments: ['Source: docs, CAST'], results: [r('nulls.json', 'passed'), { ...r('nulls.json', 'failed'), expectsException: true }] }]);
    expect(md).toContain('### nulls.json — 1 of 2 cases pass');
    expect(md).toContain('> Source: docs, CAST');
    expect(md).toContain('| n | output | passed |\n| n | an error | failed |');
  });
});
