import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, truncateSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LogFile, engineLogger } from './logger.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ksetl-log-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const lines = (path: string): Record<string, unknown>[] =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

function memory(): { stream: Writable; lines: string[] } {
  const out: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      out.push(...chunk.toString().split('\n').filter((l) => l !== ''));
      done();
    },
  });
  return { stream, lines: out };
}

describe('engineLogger with a log file', () => {
  it('writes every line to the file as well as to the destination, base fields and query_id included', () => {
    const file = join(dir, 'sub', 'engine.log');
    const out = memory();
    const log = engineLogger({ level: 'debug', namespace: 'team-a', cluster: 'c1', serviceId: 's_', destination: out.stream, file });
    log.info('started');
    log.child({ query_id: 'CSAS_T_0' }).debug({ partition: 1 }, 'query detail');
    log.trace('below the level');
    const written = lines(file);
    expect(written.map((l) => l['msg'])).toEqual(['started', 'query detail']);
    expect(written[1]).toMatchObject({ level: 'debug', namespace: 'team-a', cluster: 'c1', service_id: 's_', query_id: 'CSAS_T_0', partition: 1 });
    expect(out.lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['started', 'query detail']);
  });

  it('appends to an existing file instead of overwriting it (a restarted container)', () => {
    const file = join(dir, 'engine.log');
    engineLogger({ destination: memory().stream, file }).info('first run');
    engineLogger({ destination: memory().stream, file }).info('second run');
    expect(lines(file).map((l) => l['msg'])).toEqual(['first run', 'second run']);
  });

  it('takes the path from KSETL_LOG_FILE, and writes no file when it is unset', () => {
    const file = join(dir, 'from-env.log');
    const before = process.env['KSETL_LOG_FILE'];
    try {
      process.env['KSETL_LOG_FILE'] = file;
      engineLogger({ destination: memory().stream }).info('via env');
      delete process.env['KSETL_LOG_FILE'];
      engineLogger({ destination: memory().stream }).info('no file');
    } finally {
      if (before === undefined) delete process.env['KSETL_LOG_FILE'];
      else process.env['KSETL_LOG_FILE'] = before;
    }
    expect(lines(file).map((l) => l['msg'])).toEqual(['via env']);
  });
});

describe('LogFile rotation', () => {
  it('rotates itself past maxBytes to <file>.1, never splitting a line', () => {
    const file = join(dir, 'engine.log');
    const f = new LogFile(file, { maxBytes: 100, watch: false });
    const line = (i: number) => `${JSON.stringify({ i, pad: 'x'.repeat(20) })}\n`;
    for (let i = 0; i < 10; i++) f.write(line(i));
    f.close();
    const current = readFileSync(file, 'utf8');
    const rotated = readFileSync(`${file}.1`, 'utf8');
    expect(Buffer.byteLength(current)).toBeLessThanOrEqual(100);
    expect(Buffer.byteLength(rotated)).toBeLessThanOrEqual(100);
    // the newest lines, in order, whole: rotated then current is a suffix of what was written
    const all = (rotated + current).split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as { i: number }).i);
    expect(all).toEqual(all.map((_, k) => 10 - all.length + k));
    expect(all.at(-1)).toBe(9);
  });

  it('follows an outside rotation (the file moved or deleted) and a truncation (copytruncate)', () => {
    const file = join(dir, 'engine.log');
    const f = new LogFile(file, { watch: false });
    f.write('{"n":1}\n');
    renameSync(file, join(dir, 'engine.log.old'));
    f.checkRotated();
    f.write('{"n":2}\n');
    expect(readFileSync(join(dir, 'engine.log.old'), 'utf8')).toBe('{"n":1}\n');
    expect(readFileSync(file, 'utf8')).toBe('{"n":2}\n');

    unlinkSync(file);
    f.checkRotated();
    f.write('{"n":3}\n');
    expect(readFileSync(file, 'utf8')).toBe('{"n":3}\n');

    // copytruncate: appending continues at the new end, no hole of zeros
    truncateSync(file, 0);
    f.checkRotated();
    f.write('{"n":4}\n');
    expect(readFileSync(file, 'utf8')).toBe('{"n":4}\n');
    f.close();
  });

  it('drops lines instead of throwing when the file cannot be written', () => {
    const file = join(dir, 'gone', 'engine.log');
    const f = new LogFile(file, { watch: false });
    rmSync(join(dir, 'gone'), { recursive: true });
    f.checkRotated();
    expect(() => f.write('{"n":1}\n')).not.toThrow();
    expect(existsSync(file)).toBe(false);
    // the directory is back (a remounted volume): the next check reopens
    mkdirSync(join(dir, 'gone'));
    f.checkRotated();
    f.write('{"n":2}\n');
    expect(readFileSync(file, 'utf8')).toBe('{"n":2}\n');
    f.close();
  });
});
