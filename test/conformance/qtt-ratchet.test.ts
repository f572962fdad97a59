/**
 * The QTT ratchet: runs ksqlDB's public query-validation tests in-process and
 * fails when a case listed in qtt-passing.txt no longer passes.
 * `UPDATE_RATCHET=1 npx vitest run test/conformance` rewrites the list.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { compareWithRatchet, formatRatchetList, parseRatchetList } from '../../engine/testing/qtt/ratchet.js';
import { buildReport, runSuite, summaryLine } from '../../engine/testing/qtt/run-suite.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const suiteDir = process.env['QTT_DIR'] ?? resolve(root, '..', 'shared', 'conformance', 'ksqldb-qtt', 'query-validation-tests');
const listFile = join(here, 'qtt-passing.txt');

it('no QTT case that passed before fails now', { timeout: 600_000 }, async () => {
  const { engineDeps } = await import('../../engine/testing/qtt/engine-deps.js');
  const results = await runSuite([suiteDir], engineDeps());
  const report = buildReport(results);
  const figure = `QTT: ${summaryLine(report)} (${((100 * report.passed) / Math.max(1, report.passed + report.failed + report.skipped)).toFixed(1)}% passing)`;
  if (process.env['UPDATE_RATCHET'] === '1') {
    writeFileSync(listFile, formatRatchetList(results));
    console.log(`${figure}; wrote ${listFile}`);
    return;
  }
  const listed = parseRatchetList(existsSync(listFile) ? readFileSync(listFile, 'utf8') : '');
  const cmp = compareWithRatchet(results, listed);
  console.log(`${figure}; ${cmp.newlyPassing.length} newly passing (UPDATE_RATCHET=1 to record them)`);
  expect(cmp.regressions, `cases that passed before and fail now:\n${cmp.regressions.join('\n')}`).toEqual([]);
});
