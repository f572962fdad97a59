/**
 * The RQTT ratchet: runs ksqlDB's public REST query-validation tests through the
 * real REST server (the Kafka runtime over the in-memory Kafka port) and fails when a case listed in
 * rqtt-passing.txt no longer passes. `UPDATE_RATCHET=1` rewrites the list.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { caseKey } from '../../engine/testing/qtt/load.js';
import { parseRatchetList } from '../../engine/testing/qtt/ratchet.js';
import { runRqtt } from '../../engine/testing/rqtt/run-rqtt.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const suiteDir = process.env['RQTT_DIR'] ?? resolve(root, '..', 'shared', 'conformance', 'ksqldb-qtt', 'rest-query-validation-tests');
const listFile = join(here, 'rqtt-passing.txt');

it.skipIf(!existsSync(suiteDir))('no RQTT case that passed before fails now', { timeout: 600_000 }, async () => {
  const report = await runRqtt([suiteDir]);
  const figure = `RQTT: ${report.passed} passed, ${report.failed} failed, ${report.skipped} skipped`;
  const passing = report.cases.filter((c) => c.status === 'passed').map(caseKey).sort();
  if (process.env['UPDATE_RATCHET'] === '1') {
    writeFileSync(listFile, `# RQTT cases that pass (file :: name :: format); rewritten by UPDATE_RATCHET=1 npx vitest run test/conformance\n${passing.join('\n')}\n`);
    console.log(`${figure}; wrote ${listFile}`);
    return;
  }
  const listed = parseRatchetList(existsSync(listFile) ? readFileSync(listFile, 'utf8') : '');
  const now = new Set(passing);
  const regressions = [...listed].filter((k) => !now.has(k)).sort();
  console.log(`${figure}; ${passing.filter((k) => !listed.has(k)).length} newly passing`);
  expect(regressions, `RQTT cases that passed before and fail now:\n${regressions.join('\n')}`).toEqual([]);
});
