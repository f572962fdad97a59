import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryRuntime } from '../../driver/memory-runtime.js';
import { kafkaBackend } from '../../kafka/kafka-backend.js';
import { KsqlRestServer } from '../../server/app.js';
import { main } from '../main.js';
import { shellCommand, type ShellStreams } from './command.js';

let server: KsqlRestServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

async function start(opts: { auth?: { user: string; password: string } } = {}): Promise<{ url: string; engine: MemoryRuntime; server: KsqlRestServer }> {
  const engine = await MemoryRuntime.start();
  server = new KsqlRestServer({ backend: kafkaBackend(engine.engine), ...(opts.auth ? { auth: opts.auth } : {}) });
  const { url } = await server.listen(0);
  return { url, engine, server };
}

class Capture extends Writable {
  text = '';
  columns = 60;
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

function streams(stdin = new PassThrough(), env: Record<string, string> = {}): ShellStreams & { stdout: Capture; stderr: Capture; stdin: PassThrough } {
  return { stdin, stdout: new Capture(), stderr: new Capture(), env, terminal: false, handleSignals: false };
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const CREATE = "CREATE STREAM S (K STRING KEY, V INT) WITH (kafka_topic='t', value_format='JSON', partitions=1);";

describe('ksetl shell --execute / --file', () => {
  it('runs DDL, SHOW, DESCRIBE, INSERT VALUES and a pull query', async () => {
    const { url } = await start();
    const io = streams();
    const sql = `${CREATE}
      SHOW STREAMS;
      DESCRIBE S;
      INSERT INTO S (K, V) VALUES ('a', 1);
      INSERT INTO S (K, V) VALUES ('bb', 22);
      SELECT * FROM S;`;
    expect(await shellCommand(['--server', url, '--execute', sql], io)).toBe(0);
    expect(io.stderr.text).toBe('');
    expect(io.stdout.text).toBe(
      [
        ' Message        ',
        '----------------',
        ' Stream created ',
        '----------------',
        ' Stream Name | Kafka Topic | Key Format | Value Format | Windowed ',
        '------------------------------------------------------------------',
        ' S           | t           | KAFKA      | JSON         | false    ',
        '------------------------------------------------------------------',
        'Name                 : S',
        ' Field | Type                   ',
        '--------------------------------',
        ' K     | VARCHAR(STRING)  (key) ',
        ' V     | INTEGER                ',
        '--------------------------------',
        'For runtime statistics and query details run: DESCRIBE <Stream,Table> EXTENDED;',
        '+--+--+',
        '|K |V |',
        '+--+--+',
        '|a |1 |',
        '|bb|22|',
        '+--+--+',
        '',
      ].join('\n'),
    );
  });

  it('stops a script at the first error with the server message and exits 1', async () => {
    const { url, engine } = await start();
    const dir = mkdtempSync(join(tmpdir(), 'ksetl-shell-'));
    const file = join(dir, 'script.sql');
    writeFileSync(file, `${CREATE}\n${CREATE}\nCREATE STREAM NEVER (K STRING KEY) WITH (kafka_topic='n', value_format='JSON', partitions=1);\n`);
    const io = streams();
    expect(await shellCommand(['--server', url, '-f', file], io)).toBe(1);
    expect(io.stderr.text).toMatch(/already exists/);
    expect(engine.source('S')).toBeDefined();
    expect(engine.source('NEVER')).toBeUndefined();

    const bad = streams();
    expect(await shellCommand(['--server', url, '-e', 'SELECT * FROM NOPE;'], bad)).toBe(1);
    expect(bad.stderr.text).toMatch(/NOPE/);
  });

  it('prints push query rows as they arrive until the LIMIT', async () => {
    const { url, engine, server: srv } = await start();
    await shellCommand(['--server', url, '-e', CREATE], streams());
    const io = streams();
    const run = shellCommand(['--server', url, '-e', 'SELECT K, V FROM S EMIT CHANGES LIMIT 2;'], io);
    await until(() => srv.activePushQueries.length === 1);
    await engine.execute("INSERT INTO S (K, V) VALUES ('x', 7);");
    await until(() => io.stdout.text.includes('|x'));
    // the first row is printed before the second exists
    expect(io.stdout.text).not.toContain('|y');
    await engine.execute("INSERT INTO S (K, V) VALUES ('y', 8); INSERT INTO S (K, V) VALUES ('z', 9);");
    expect(await run).toBe(0);
    const w = '-'.repeat(28);
    const pad = (s: string): string => s.padEnd(28);
    expect(io.stdout.text.split('\n')).toEqual([`+${w}+${w}+`, `|${pad('K')}|${pad('V')}|`, `+${w}+${w}+`, `|${pad('x')}|${pad('7')}|`, `|${pad('y')}|${pad('8')}|`, `+${w}+${w}+`, 'Limit Reached', 'Query terminated', '']);
    expect(srv.activePushQueries).toEqual([]);
  });

  it('sends SET properties along with queries (auto.offset.reset) and session variables', async () => {
    const { url } = await start();
    const io = streams();
    const sql = `DEFINE topic = 't';
      CREATE STREAM S (K STRING KEY, V INT) WITH (kafka_topic='\${topic}', value_format='JSON', partitions=1);
      INSERT INTO S (K, V) VALUES ('a', 1);
      SET 'auto.offset.reset'='earliest';
      SELECT V FROM S EMIT CHANGES LIMIT 1;
      UNSET 'auto.offset.reset';
      SHOW TOPICS;`;
    expect(await shellCommand(['--server', url, '-e', sql], io)).toBe(0);
    expect(io.stderr.text).toBe('');
    expect(io.stdout.text).toContain("Successfully changed local property 'auto.offset.reset' to 'earliest'");
    expect(io.stdout.text).toMatch(/\|1 +\|\n\+-+\+\nLimit Reached\nQuery terminated\n/);
    expect(io.stdout.text).toContain("Successfully unset local property 'auto.offset.reset' (value was 'earliest').");
    expect(io.stdout.text).toMatch(/ t +\| 1 +\| 1 +\n/);
  });

  it('uses basic authentication from options or the environment', async () => {
    const { url } = await start({ auth: { user: 'u', password: 'p' } });
    const denied = streams();
    expect(await shellCommand(['--server', url, '-e', 'SHOW STREAMS;'], denied)).toBe(1);
    expect(denied.stderr.text).toContain('Unauthorized');
    const ok = streams();
    expect(await shellCommand(['--server', url, '--user', 'u', '--password', 'p', '-e', 'SHOW STREAMS;'], ok)).toBe(0);
    expect(ok.stdout.text).toContain('Stream Name');
    const env = streams(new PassThrough(), { KSETL_USER: 'u', KSETL_PASSWORD: 'p' });
    expect(await shellCommand(['--server', url, '-e', 'SHOW STREAMS;'], env)).toBe(0);
  });

  it('reports an unreachable server', async () => {
    const { url } = await start();
    await server!.close();
    server = null;
    const io = streams();
    expect(await shellCommand(['--server', url, '-e', 'SHOW STREAMS;'], io)).toBe(1);
    expect(io.stderr.text).toContain(`Could not reach the server at ${url}`);
  });
});

describe('ksetl shell REPL', () => {
  it('accumulates multi-line statements, runs local commands and RUN SCRIPT, saves history', async () => {
    const { url, engine } = await start();
    const dir = mkdtempSync(join(tmpdir(), 'ksetl-repl-'));
    const script = join(dir, 'more.sql');
    writeFileSync(script, "INSERT INTO S (K, V) VALUES ('a', 1);\nINSERT INTO S (K, V) VALUES ('b', 2);\n");
    const history = join(dir, 'history');
    const io = streams();
    const run = shellCommand(['--server', url, '--history', history], io);
    io.stdin.write('CREATE STREAM S (K STRING KEY,\n');
    io.stdin.write("  V INT) WITH (kafka_topic='t', value_format='JSON',\n");
    io.stdin.write("  partitions=1); SHOW\nTABLES;\nhelp\nRUN SCRIPT '" + script + "';\n");
    io.stdin.write("SELECT * FROM S WHERE K = 'b';\n");
    io.stdin.write('SELECT * FROM MISSING;\nexit\nSHOW STREAMS;\n');
    io.stdin.end();
    expect(await run).toBe(0);
    expect(io.stdout.text).toContain(' Stream created ');
    expect(io.stdout.text).toContain(' Table Name | Kafka Topic');
    expect(io.stdout.text).toContain('Local commands');
    expect(io.stdout.text).toContain('+-+-+\n|K|V|\n+-+-+\n|b|2|\n+-+-+\n');
    expect(io.stderr.text).toMatch(/MISSING/);
    // nothing after exit ran
    expect(io.stdout.text).not.toContain('Stream Name');
    expect(engine.broker.readInOrder('t')).toHaveLength(2);
    const saved = readFileSync(history, 'utf8').split('\n');
    expect(saved[0]).toBe('CREATE STREAM S (K STRING KEY,');
    expect(saved).toContain('exit');
    expect(saved).not.toContain('SHOW STREAMS;');
  });

  it('cancels a running push query on Ctrl-C through /close-query (terminal mode)', async () => {
    const { url, engine, server: srv } = await start();
    const io = { ...streams(), terminal: true };
    const run = shellCommand(['--server', url, '--history', join(mkdtempSync(join(tmpdir(), 'ksetl-repl-')), 'h')], io);
    io.stdin.write(`${CREATE}\rSELECT * FROM S EMIT CHANGES;\r`);
    await until(() => srv.activePushQueries.length === 1);
    await engine.execute("INSERT INTO S (K, V) VALUES ('x', 7);");
    await until(() => io.stdout.text.includes('|x'));
    io.stdin.write('\x03');
    await until(() => io.stdout.text.includes('Query terminated'));
    expect(srv.activePushQueries).toEqual([]);
    // the shell is usable again; Ctrl-C at the prompt drops the typed text
    io.stdin.write('SHOW STR\x03SHOW STREAMS;\r');
    await until(() => io.stdout.text.includes(' Stream Name '));
    io.stdin.end();
    expect(await run).toBe(0);
    expect(io.stdout.text).toContain('ksetl shell — server');
    expect(io.stderr.text).toBe('');
  });
});

describe('ksetl main', () => {
  it('routes to the shell by default, with --server first, and with the shell command', async () => {
    const calls: (readonly string[])[] = [];
    const fake = async (args: readonly string[]): Promise<number> => {
      calls.push(args);
      return 0;
    };
    const io = { out: () => undefined, err: () => undefined };
    const load = async (): Promise<never> => {
      throw new Error('not loaded');
    };
    await main([], io, load, fake);
    await main(['--server', 'http://h:1'], io, load, fake);
    await main(['shell', '-e', 'SHOW STREAMS;'], io, load, fake);
    expect(calls).toEqual([[], ['--server', 'http://h:1'], ['-e', 'SHOW STREAMS;']]);
  });
});
