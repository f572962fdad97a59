import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { engineDeps, RUNTIMES } from '../../engine/testing/qtt/engine-deps.js';
import { runTestFiles } from '../../engine/testing/test-runner.js';

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
const cases = readdirSync(root)
  .filter((d) => statSync(join(root, d)).isDirectory() && existsSync(join(root, d, 'statements.sql')))
  .sort();

describe('system tests', () => {
  it('has cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(4);
  });

  it.each(RUNTIMES.flatMap((runtime) => cases.map((name) => [name, runtime] as const)))('%s (%s)', async (name, runtime) => {
    const dir = join(root, name);
    const input = join(dir, 'input.json');
    const result = await runTestFiles(
      { statements: join(dir, 'statements.sql'), output: join(dir, 'output.json'), ...(existsSync(input) ? { input } : {}) },
      engineDeps(runtime),
    );
    expect(result.text).toBe('Test passed!');
    expect(result.passed).toBe(true);
  });
});
