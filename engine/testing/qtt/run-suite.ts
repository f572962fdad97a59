import { basename } from 'node:path';
import { caseKey, expandCases, loadQttFile, resolveQttPaths } from './load.js';
import { DEFAULT_LIMITS, runCase, type RunLimits, type RunnerDeps } from './run-case.js';
import type { CaseResult, QttCase, QttReport } from './types.js';

export interface SuiteOptions {
  /** keep only cases whose `file :: name :: format` contains this substring */
  readonly filter?: string;
  readonly limits?: RunLimits;
  /** called after each file with its results (for progress output) */
  readonly onFile?: (file: string, results: readonly CaseResult[]) => void;
}

export interface FileCount {
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
}

export function countResults(results: readonly CaseResult[]): FileCount {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const r of results) {
    if (r.status === 'passed') passed++;
    else if (r.status === 'failed') failed++;
    else skipped++;
  }
  return { passed, failed, skipped };
}

/** Load and expand the cases of QTT files or directories; a file that cannot be read yields one failed pseudo-case. */
export function loadCases(paths: readonly string[], filter?: string): { cases: QttCase[]; loadErrors: CaseResult[] } {
  const cases: QttCase[] = [];
  const loadErrors: CaseResult[] = [];
  for (const path of resolveQttPaths(paths)) {
    try {
      for (const c of expandCases(path, loadQttFile(path))) if (!filter || caseKey(c).includes(filter)) cases.push(c);
    } catch (e) {
      loadErrors.push({ file: basename(path), name: '<load>', format: null, status: 'failed', message: e instanceof Error ? e.message : String(e), expectsException: false, durationMs: 0 });
    }
  }
  return { cases, loadErrors };
}

export async function runSuite(paths: readonly string[], deps: RunnerDeps, opts: SuiteOptions = {}): Promise<CaseResult[]> {
  const { cases, loadErrors } = loadCases(paths, opts.filter);
  const results: CaseResult[] = [...loadErrors];
  let current: string | null = null;
  let fileResults: CaseResult[] = [];
  const flush = (): void => {
    if (current !== null) opts.onFile?.(current, fileResults);
    fileResults = [];
  };
  for (const c of cases) {
    if (c.file !== current) {
      flush();
      current = c.file;
    }
    const r = await runCase(c, deps, opts.limits ?? DEFAULT_LIMITS);
    results.push(r);
    fileResults.push(r);
  }
  flush();
  return results;
}

export function buildReport(results: readonly CaseResult[]): QttReport {
  const { passed, failed, skipped } = countResults(results);
  const exc = results.filter((r) => r.expectsException);
  return {
    cases: results.map((r) => ({ file: r.file, name: r.name, format: r.format, status: r.status, message: r.message })),
    passed,
    failed,
    skipped,
    lenientExpectedException: {
      total: exc.length,
      passed: exc.filter((r) => r.status === 'passed' || r.lenientPassed === true).length,
      strictPassed: exc.filter((r) => r.status === 'passed').length,
    },
  };
}

/** The summary line the CLI prints last: `N passed, N failed, N skipped`. */
export function summaryLine(c: FileCount): string {
  return `${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`;
}

/** Per-file counts, files in first-seen order. */
export function perFile(results: readonly CaseResult[]): Map<string, FileCount> {
  const groups = new Map<string, CaseResult[]>();
  for (const r of results) {
    const g = groups.get(r.file) ?? [];
    g.push(r);
    groups.set(r.file, g);
  }
  return new Map([...groups].map(([f, rs]) => [f, countResults(rs)]));
}
