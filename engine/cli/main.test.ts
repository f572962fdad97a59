import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { INTEGER, STRING } from '../types/sql-type.js';
import { col, fakeDeps, source } from '../testing/qtt/fake-engine.test-support.js';
import { main, type Io } from './main.js';

const deps = fakeDeps([source('INPUT', 'input', [col('K', STRING, 'KEY'), col('V', INTEGER)]), source('OUTPUT', 'OUTPUT', [col('K', STRING, 'KEY'), col('V', INTEGER)])]);
const load = async (): Promise<typeof deps> => deps;

function capture(): Io & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (l) => lines.push(l), err: (l) => errors.push(l) };
}

function suite(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cli-'));
  const rec = { topic: 'input', key: 'a', value: { V: 1 } };
  const stmts = ['SOURCE INPUT', 'SOURCE OUTPUT', 'PIPE input OUTPUT'];
  writeFileSync(
    join(dir, 'one.json'),
    JSON.stringify({
      tests: [
        { name: 'ok', statements: stmts, inputs: [rec], outputs: [{ ...rec, topic: 'OUTPUT' }] },
        { name: 'bad', statements: stmts, inputs: [rec], outputs: [{ ...rec, topic: 'OUTPUT', value: { V: 9 } }] },
      ],
    }),
  );
  return dir;
}

describe('ksetl qtt', () => {
  it('prints per-file lines and the summary last, writes the report, exits 0 unless --strict', async () => {
    const dir = suite();
    const io = capture();
    const report = join(mkdtempSync(join(tmpdir(), 'cli-report-')), 'report.json');
    expect(await main(['qtt', dir, '--report', report, '--verbose'], io, load)).toBe(0);
    expect(io.lines[0]).toBe('one.json: 1 passed, 1 failed, 0 skipped');
    expect(io.lines.some((l) => l.startsWith('  FAIL bad [-]: topic OUTPUT, record #0: value.V: expected 9, got 1'))).toBe(true);
    expect(io.lines.at(-1)).toBe('1 passed, 1 failed, 0 skipped');
    const json = JSON.parse(readFileSync(report, 'utf8')) as Record<string, unknown>;
    expect(json).toMatchObject({ passed: 1, failed: 1, skipped: 0, lenientExpectedException: { total: 0, passed: 0, strictPassed: 0 } });
    expect((json['cases'] as unknown[])[1]).toMatchObject({ file: 'one.json', name: 'bad', format: null, status: 'failed' });
    expect(await main(['qtt', dir, '--strict'], capture(), load)).toBe(1);
    const filtered = capture();
    await main(['qtt', dir, '--filter', ':: ok ::'], filtered, load);
    expect(filtered.lines.at(-1)).toBe('1 passed, 0 failed, 0 skipped');
  });

  it('rejects a missing path and unknown commands', async () => {
    expect(await main(['qtt'], capture(), load)).toBe(2);
    const io = capture();
    expect(await main(['frobnicate'], io, load)).toBe(2);
    expect(io.errors[0]).toMatch(/unknown command 'frobnicate'/);
    expect(await main(['qtt', '/no/such/dir'], capture(), load)).toBe(2);
  });
});

describe('ksetl test, version, help', () => {
  it('runs ksql-test-runner files and prints a readable diff', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-'));
    writeFileSync(join(dir, 's.sql'), 'SOURCE INPUT; SOURCE OUTPUT; PIPE input OUTPUT;');
    // the fake engine takes one statement per execute call; the real one runs scripts
    writeFileSync(join(dir, 'in.json'), JSON.stringify({ inputs: [{ topic: 'input', key: 'a', value: { V: 1 }, timestamp: 0 }] }));
    writeFileSync(join(dir, 'out.json'), JSON.stringify({ outputs: [{ topic: 'OUTPUT', key: 'a', value: { V: 2 } }] }));
    const fileDeps = {
      ...deps,
      createEngine: async (o: Parameters<typeof deps.createEngine>[0]) => {
        const e = await deps.createEngine(o);
        return { ...e, execute: (sql: string, props: Readonly<Record<string, string>>) => sql.split(';').filter((s) => s.trim()).map((s) => e.execute(s, props)) };
      },
    };
    const io = capture();
    const code = await main(['test', '--statements', join(dir, 's.sql'), '--input', join(dir, 'in.json'), '--output', join(dir, 'out.json')], io, async () => fileDeps);
    expect(code).toBe(1);
    expect(io.errors.join('\n')).toBe(
      ['Test failed:', 'Topic OUTPUT: expected 1 records, got 1', '  #0 DIFF     value.V: expected 2, got 1', '     expected key="a" value={"V":2}', '     actual   key="a" value={"V":1} timestamp=1'].join('\n'),
    );
    writeFileSync(join(dir, 'out.json'), JSON.stringify({ outputs: [{ topic: 'OUTPUT', key: 'a', value: { V: 1 }, timestamp: 1 }] }));
    const ok = capture();
    expect(await main(['test', '--statements', join(dir, 's.sql'), '--input', join(dir, 'in.json'), '--output', join(dir, 'out.json')], ok, async () => fileDeps)).toBe(0);
    expect(ok.lines).toEqual(['Test passed!']);
  });

  it('prints the version and help', async () => {
    const io = capture();
    expect(await main(['version'], io, load)).toBe(0);
    expect(io.lines[0]).toMatch(/^ksetl \d+\.\d+\.\d+/);
    const h = capture();
    expect(await main(['help'], h, load)).toBe(0);
    expect(h.lines[0]).toMatch(/^Usage: ksetl/);
  });
});
