/**
 * `npm run gen`: every generated file of the repository, from a list of
 * generators. `--check` writes nothing and exits 1 when a file would change
 * (for CI drift checks); `--only NAME` runs one generator.
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { conformanceGenerator } from './generators/conformance.js';
import { crdsGenerator } from './generators/crds.js';
import { dashboardsGenerator } from './generators/dashboards.js';
import { metricsGenerator } from './generators/metrics.js';
import type { Generator } from './generators/types.js';

/** Add generators here (CRDs from operator/api, dashboards, ...). */
export const GENERATORS: readonly Generator[] = [conformanceGenerator, crdsGenerator, dashboardsGenerator, metricsGenerator];

async function run(): Promise<number> {
  const { values } = parseArgs({ options: { check: { type: 'boolean', default: false }, only: { type: 'string' } } });
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const selected = GENERATORS.filter((g) => !values.only || g.name === values.only);
  if (selected.length === 0) {
    process.stderr.write(`gen: no generator named ${values.only}; have ${GENERATORS.map((g) => g.name).join(', ')}\n`);
    return 2;
  }
  let drift = 0;
  for (const g of selected) {
    const files = await g.generate({ root });
    for (const f of files) {
      const path = join(root, f.path);
      const same = existsSync(path) && readFileSync(path, 'utf8') === f.content;
      if (values.check) {
        if (!same) {
          drift++;
          process.stderr.write(`gen: ${f.path} is out of date (run npm run gen)\n`);
        }
        continue;
      }
      if (!same) {
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, f.content);
      }
      process.stdout.write(`${g.name}: ${f.path}${same ? ' (unchanged)' : ''}\n`);
    }
  }
  return drift > 0 ? 1 : 0;
}

run().then(
  (code) => (process.exitCode = code),
  (e: unknown) => {
    process.stderr.write(`gen: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  },
);
