import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { engineDeps } from '../../engine/testing/qtt/engine-deps.js';
import { runSuite } from '../../engine/testing/qtt/run-suite.js';

/**
 * ksetl's own cases of ksqlDB's dialect, family by family (rules/*.json, in
 * ksqlDB's query-validation test shape): each file's `comments` cite the
 * section of ksqlDB's documentation its cases follow. Written from the
 * documentation, not from ksqlDB's test suite; every case must pass.
 */
const root = join(dirname(fileURLToPath(import.meta.url)), 'rules');
const files = readdirSync(root)
  .filter((f) => f.endsWith('.json'))
  .sort();

describe('dialect rules', () => {
  it.each(files)('%s', { timeout: 120_000 }, async (file) => {
    const results = await runSuite([join(root, file)], engineDeps());
    const failed = results.filter((r) => r.status !== 'passed').map((r) => `${r.name}: ${r.message}`);
    expect(failed).toEqual([]);
    expect(results.length).toBeGreaterThan(0);
  });
});
