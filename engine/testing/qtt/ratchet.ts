import { caseKey } from './load.js';
import type { CaseResult } from './types.js';

/**
 * The conformance ratchet: a committed list of passing cases (`file :: name ::
 * format`, one per line, sorted). A case on the list that no longer passes is a
 * regression; cases that newly pass are reported so the list can be updated.
 */
export interface RatchetComparison {
  readonly regressions: readonly string[];
  readonly newlyPassing: readonly string[];
  /** listed cases that no longer exist in the suite (renamed or removed) */
  readonly missing: readonly string[];
}

export function passingKeys(results: readonly CaseResult[]): string[] {
  return [...new Set(results.filter((r) => r.status === 'passed').map(caseKey))].sort();
}

export function parseRatchetList(text: string): Set<string> {
  return new Set(
    text
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#')),
  );
}

export function formatRatchetList(results: readonly CaseResult[]): string {
  const keys = passingKeys(results);
  return `# QTT cases that pass (file :: name :: format); rewritten by UPDATE_RATCHET=1 npx vitest run test/conformance\n${keys.join('\n')}\n`;
}

export function compareWithRatchet(results: readonly CaseResult[], listed: ReadonlySet<string>): RatchetComparison {
  const byKey = new Map(results.map((r) => [caseKey(r), r]));
  const regressions: string[] = [];
  const missing: string[] = [];
  for (const k of [...listed].sort()) {
    const r = byKey.get(k);
    if (!r) missing.push(k);
    else if (r.status !== 'passed') regressions.push(`${k}\n    ${r.message.split('\n')[0] ?? ''}`);
  }
  const newlyPassing = passingKeys(results).filter((k) => !listed.has(k));
  return { regressions, newlyPassing, missing };
}
