import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseStatements } from './parser.js';

/**
 * Parses every statement of the imported ksqlDB query-validation tests.
 * Cases that expect an exception may fail to parse; every other statement must
 * parse, apart from at most MAX_FAILURES known gaps.
 */
const MAX_FAILURES = 0;

const here = dirname(fileURLToPath(import.meta.url));
const dir = join(here, '..', '..', '..', 'shared', 'conformance', 'ksqldb-qtt', 'query-validation-tests');

interface QttCase {
  readonly name: string;
  readonly statements?: readonly string[];
  readonly expectedException?: { readonly message?: string };
}

describe.skipIf(!existsSync(dir))('QTT statements parse', () => {
  it('parses every statement of non-exception cases', () => {
    let parsed = 0;
    const failures: string[] = [];
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
      const json = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { tests?: readonly QttCase[] };
      for (const c of json.tests ?? []) {
        if (c.expectedException !== undefined) continue;
        for (const s of c.statements ?? []) {
          try {
            parseStatements(s.replaceAll('{FORMAT}', 'JSON'));
            parsed++;
          } catch (e) {
            failures.push(`${file} / ${c.name}: ${(e as Error).message.split('\n')[1] ?? ''}\n    ${s}`);
          }
        }
      }
    }
    console.log(`QTT parse: ${parsed} statements parsed, ${failures.length} failed`);
    for (const f of failures) console.log(`  ${f}`);
    expect(parsed).toBeGreaterThan(2500);
    expect(failures.length).toBeLessThanOrEqual(MAX_FAILURES);
  });

  it('matches the syntax-error messages ksqlDB gives', () => {
    let checked = 0;
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
      const json = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { tests?: readonly QttCase[] };
      for (const c of json.tests ?? []) {
        const expected = c.expectedException?.message;
        if (expected === undefined || !/Syntax error|Syntax Error/.test(expected)) continue;
        const script = (c.statements ?? []).join('\n');
        expect(() => parseStatements(script), `${file} / ${c.name}`).toThrow(expected);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(0);
  });
});
