import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MemoryRuntime } from '../driver/memory-runtime.js';

/**
 * EXPLAIN goldens. Each testdata/explain/<case>.sql holds the DDL a query needs
 * and ends with one `EXPLAIN ...` statement; its plan text must equal
 * <case>.txt. `UPDATE_GOLDEN=1 npx vitest run engine/plan` rewrites the .txt
 * files (review the diff). testdata/explain/errors/*.sql carry a
 * `-- error: <substring>` header and must fail; a `-- known-bug: <why>` header
 * marks a case the engine gets wrong today (the test expects it to still be
 * wrong, so fixing the bug fails it: then drop the header).
 */
const dir = join(dirname(fileURLToPath(import.meta.url)), 'testdata', 'explain');
const errorsDir = join(dir, 'errors');
const update = process.env['UPDATE_GOLDEN'] === '1';

const cases = readdirSync(dir)
  .filter((f) => f.endsWith('.sql'))
  .sort();
const errorCases = readdirSync(errorsDir)
  .filter((f) => f.endsWith('.sql'))
  .sort();

async function explain(sql: string): Promise<string> {
  const engine = await MemoryRuntime.start();
  try {
    const results = await engine.execute(sql);
    const last = results[results.length - 1];
    if (!last || last.statement.kind !== 'Explain') throw new Error('the case must end with an EXPLAIN statement');
    return last.message.trimEnd() + '\n';
  } finally {
    await engine.close();
  }
}

describe('EXPLAIN goldens', () => {
  it('has cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(15);
  });

  it.each(cases)('%s', async (file) => {
    const actual = await explain(readFileSync(join(dir, file), 'utf8'));
    const golden = join(dir, file.replace(/\.sql$/, '.txt'));
    if (update) {
      writeFileSync(golden, actual);
      return;
    }
    expect(existsSync(golden), `missing ${golden}: run with UPDATE_GOLDEN=1 and review it`).toBe(true);
    expect(actual).toBe(readFileSync(golden, 'utf8'));
  });

  it('every golden has its query', () => {
    const txts = readdirSync(dir).filter((f) => f.endsWith('.txt'));
    for (const t of txts) expect(cases, `${t} has no .sql`).toContain(t.replace(/\.txt$/, '.sql'));
  });
});

function header(text: string, name: string): string[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith(`-- ${name}:`))
    .map((l) => l.slice(`-- ${name}:`.length).trim());
}

describe('EXPLAIN error cases', () => {
  const knownBug = (file: string): boolean => header(readFileSync(join(errorsDir, file), 'utf8'), 'known-bug').length > 0;
  it.each(errorCases.filter((f) => !knownBug(f)))('%s', (file) => checkError(file));
  it.fails.each(errorCases.filter(knownBug))('%s (known bug)', (file) => checkError(file));

  async function checkError(file: string): Promise<void> {
    const text = readFileSync(join(errorsDir, file), 'utf8');
    const expected = header(text, 'error');
    expect(expected.length, 'missing `-- error:` header').toBeGreaterThan(0);
    let error: unknown = null;
    try {
      await explain(text);
    } catch (e) {
      error = e;
    }
    expect(error, 'EXPLAIN succeeded but an error was expected').toBeInstanceOf(Error);
    for (const sub of expected) expect((error as Error).message).toContain(sub);
  }
});
