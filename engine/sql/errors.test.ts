import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ParseError } from './parse-error.js';
import { parseStatements } from './parser.js';

/**
 * Each testdata/errors/*.sql file starts with one or more `-- error: <substring>`
 * lines; parsing the file must fail with a ParseError whose message contains
 * every substring and starts with `line L:C: `. Lines are counted from the first
 * line after the header.
 */
const dir = join(dirname(fileURLToPath(import.meta.url)), 'testdata', 'errors');
const files = readdirSync(dir).filter((f) => f.endsWith('.sql')).sort();

describe('syntax error cases', () => {
  it('has cases', () => {
    expect(files.length).toBeGreaterThanOrEqual(15);
  });

  it.each(files)('%s', (file) => {
    const text = readFileSync(join(dir, file), 'utf8');
    const lines = text.split('\n');
    const expected = lines.filter((l) => l.startsWith('-- error:')).map((l) => l.slice('-- error:'.length).trim());
    // positions in the expectations are relative to the SQL below the header
    const sql = lines.filter((l) => !l.startsWith('-- error:')).join('\n');
    expect(expected.length, 'missing `-- error:` header').toBeGreaterThan(0);
    let error: unknown = null;
    try {
      parseStatements(sql);
    } catch (e) {
      error = e;
    }
    expect(error, 'parsing succeeded but an error was expected').toBeInstanceOf(ParseError);
    const msg = (error as ParseError).message;
    expect(msg).toMatch(/^line \d+:\d+: /);
    for (const sub of expected) expect(msg).toContain(sub);
  });
});
