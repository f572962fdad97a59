import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { engineDeps, RUNTIMES } from '../../engine/testing/qtt/engine-deps.js';
import { runTestFiles, testCaseDirs } from '../../engine/testing/test-runner.js';

/**
 * System tests as files, in ksqlDB's ksql-test-runner shapes: each folder here
 * holds statements.sql, input.json ({"inputs": [...]}) and output.json
 * ({"outputs": [...]}), run through `ksetl test`'s runner on a fresh
 * engine: the Kafka runtime (query runners, repartition and changelog topics)
 * over the in-memory Kafka port (test/conformance/qtt-kafka.int.test.ts runs
 * them on a real broker).
 * The cases come from the product's seed use cases.
 */
const root = dirname(fileURLToPath(import.meta.url));
const cases = testCaseDirs(root);

describe('system tests', () => {
  it('has cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(4);
  });

  it.each(RUNTIMES.flatMap((runtime) => cases.map((c) => [c.name, runtime, c.files] as const)))('%s (%s)', async (_name, runtime, files) => {
    const result = await runTestFiles(files, engineDeps(runtime));
    expect(result.text).toBe('Test passed!');
    expect(result.passed).toBe(true);
  });
});
