import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runRqtt } from '../../engine/testing/rqtt/run-rqtt.js';

/**
 * ksetl's own cases of ksqlDB's pull and push queries (rest-rules/*.json, in
 * ksqlDB's REST query-validation test shape), run through the REST API by the
 * runner `ksetl qtt --rest` uses: each file's `comments` cite the section of
 * ksqlDB's documentation its cases follow. Written from the documentation,
 * not from ksqlDB's test suite; every case must pass.
 */
const root = join(dirname(fileURLToPath(import.meta.url)), 'rest-rules');
const files = readdirSync(root)
  .filter((f) => f.endsWith('.json'))
  .sort();

describe('dialect rules over the REST API', () => {
  it.each(files)('%s', { timeout: 120_000 }, async (file) => {
    const report = await runRqtt([join(root, file)]);
    const failed = report.cases.filter((r) => r.status !== 'passed').map((r) => `${r.name}: ${r.message}`);
    expect(failed).toEqual([]);
    expect(report.cases.length).toBeGreaterThan(0);
  });
});
