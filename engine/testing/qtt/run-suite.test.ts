import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { INTEGER, STRING } from '../../types/sql-type.js';
import { col, fakeDeps, source } from './fake-engine.test-support.js';
import { compareWithRatchet, formatRatchetList, parseRatchetList } from './ratchet.js';
import { buildReport, perFile, runSuite, summaryLine } from './run-suite.js';

function writeSuite(): string {
  const dir = mkdtempSync(join(tmpdir(), 'qtt-'));
  const pass = { topic: 'input', key: 'a', value: { V: 1 } };
  writeFileSync(
    join(dir, 'a.json'),
    JSON.stringify({
      tests: [
        { name: 'ok', format: ['JSON', 'AVRO'], statements: ['SOURCE INPUT', 'SOURCE OUTPUT', 'PIPE input OUTPUT'], inputs: [pass], outputs: [{ ...pass, topic: 'OUTPUT' }] },
        { name: 'bad', statements: ['SOURCE INPUT', 'SOURCE OUTPUT', 'PIPE input OUTPUT'], inputs: [pass], outputs: [{ topic: 'OUTPUT', key: 'a', value: { V: 2 } }] },
        { name: 'disabled', enabled: false, statements: [] },
        { name: 'exc', statements: ['BAD'], expectedException: { message: 'nope' } },
      ],
    }),
  );
  writeFileSync(join(dir, 'b.json'), JSON.stringify({ tests: [{ name: 'skip', statements: [], topics: [{ name: 't', valueSchema: 'x', valueSchemaReferences: [{}] }] }] }));
  writeFileSync(join(dir, 'notes.txt'), 'not a test');
  return dir;
}

const deps = fakeDeps([source('INPUT', 'input', [col('K', STRING, 'KEY'), col('V', INTEGER)]), source('OUTPUT', 'OUTPUT', [col('K', STRING, 'KEY'), col('V', INTEGER)])]);

describe('runSuite and the report', async () => {
  it('runs every expanded case of every file and counts them', async () => {
    const files: string[] = [];
    const results = (await runSuite([writeSuite()], deps, { onFile: (f) => files.push(f) }));
    expect(files).toEqual(['a.json', 'b.json']);
    const report = buildReport(results);
    expect(report).toMatchObject({ passed: 2, failed: 2, skipped: 1, lenientExpectedException: { total: 1, passed: 1, strictPassed: 0 } });
    expect(report.cases.map((c) => `${c.file}/${c.name}/${c.format}/${c.status}`)).toEqual([
      'a.json/ok/JSON/passed',
      'a.json/ok/AVRO/passed',
      'a.json/bad/null/failed',
      'a.json/exc/null/failed',
      'b.json/skip/null/skipped',
    ]);
    expect(summaryLine(report)).toBe('2 passed, 2 failed, 1 skipped');
    expect([...perFile(results)].map(([f, c]) => `${f}: ${summaryLine(c)}`)).toEqual(['a.json: 2 passed, 2 failed, 0 skipped', 'b.json: 0 passed, 0 failed, 1 skipped']);
  });

  it('filters by file :: name :: format', async () => {
    const results = (await runSuite([writeSuite()], deps, { filter: 'ok :: AVRO' }));
    expect(results.map((r) => r.format)).toEqual(['AVRO']);
  });

  it('reports a file that cannot be loaded as a failure, not a crash', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qtt-'));
    writeFileSync(join(dir, 'broken.json'), '{"tests": [');
    const results = (await runSuite([dir], deps));
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ file: 'broken.json', status: 'failed' });
  });
});

describe('ratchet', async () => {
  it('finds regressions and newly passing cases', async () => {
    const results = (await runSuite([writeSuite()], deps));
    const list = formatRatchetList(results);
    expect(list.split('\n').filter((l) => !l.startsWith('#') && l)).toEqual(['a.json :: ok :: AVRO', 'a.json :: ok :: JSON']);
    const listed = parseRatchetList('a.json :: ok :: JSON\na.json :: bad :: -\ngone.json :: x :: -\n');
    const cmp = compareWithRatchet(results, listed);
    expect(cmp.regressions).toHaveLength(1);
    expect(cmp.regressions[0]).toMatch(/^a\.json :: bad :: -\n {4}topic OUTPUT, record #0/);
    expect(cmp.newlyPassing).toEqual(['a.json :: ok :: AVRO']);
    expect(cmp.missing).toEqual(['gone.json :: x :: -']);
  });
});
