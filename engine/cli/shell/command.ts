import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { KsqlClient } from './client.js';
import { runRepl } from './repl.js';
import { Shell } from './shell.js';

export const SHELL_USAGE = `Usage: ksetl [shell] [--server URL] [options]

An interactive client for a ksetl (ksqlDB-compatible) server.

Options:
  -s, --server URL       the server (default http://localhost:8088); also as the first argument
  -f, --file FILE        run the statements of FILE, then exit (non-zero on the first error)
  -e, --execute SQL      run SQL, then exit (non-zero on the first error)
  -u, --user USER        basic authentication user (env KSETL_USER)
  -p, --password PASS    basic authentication password (env KSETL_PASSWORD)
  -d, --define NAME=VAL  define a session variable (repeatable)
      --history FILE     history file (default ~/.ksetl_history)
  -h, --help             print this help`;

export interface ShellStreams {
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** readline terminal mode; default: stdin and stdout are TTYs */
  readonly terminal?: boolean;
  /** install a process SIGINT handler that cancels the running query (default true) */
  readonly handleSignals?: boolean;
}

const processStreams = (): ShellStreams => ({ stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env });

/** `ksetl shell ...`; resolves to the exit code. */
export async function shellCommand(args: readonly string[], streams: ShellStreams = processStreams()): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      server: { type: 'string', short: 's' },
      file: { type: 'string', short: 'f' },
      execute: { type: 'string', short: 'e' },
      user: { type: 'string', short: 'u' },
      password: { type: 'string', short: 'p' },
      define: { type: 'string', short: 'd', multiple: true },
      history: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const errLine = (l: string): void => void streams.stderr.write(l + '\n');
  if (values.help) {
    streams.stdout.write(SHELL_USAGE + '\n');
    return 0;
  }
  if (positionals.length > 1 || (positionals.length === 1 && values.server !== undefined)) {
    errLine(`ksetl shell: unexpected argument '${positionals.at(-1)}'`);
    return 2;
  }
  if (values.file !== undefined && values.execute !== undefined) {
    errLine('ksetl shell: give either --file or --execute, not both');
    return 2;
  }
  const server = values.server ?? positionals[0] ?? 'http://localhost:8088';
  const user = values.user ?? streams.env['KSETL_USER'];
  const password = values.password ?? streams.env['KSETL_PASSWORD'];
  const client = new KsqlClient({ server: /^https?:\/\//.test(server) ? server : `http://${server}`, user, password });
  const stdout = streams.stdout as Writable & { columns?: number; isTTY?: boolean };
  const shell = new Shell(client, {
    out: (l) => void stdout.write(l + '\n'),
    err: errLine,
    columns: () => stdout.columns ?? 120,
  });
  for (const d of values.define ?? []) {
    const eq = d.indexOf('=');
    if (eq <= 0) {
      errLine(`ksetl shell: --define wants NAME=VALUE, got '${d}'`);
      return 2;
    }
    shell.variables[d.slice(0, eq)] = d.slice(eq + 1);
  }

  const terminal = streams.terminal ?? ((streams.stdin as Readable & { isTTY?: boolean }).isTTY === true && stdout.isTTY === true);
  // outside readline's terminal mode Ctrl-C arrives as a signal: cancel the query, or leave
  const onSigint = (): void => {
    if (!shell.cancel()) process.exit(130);
  };
  const signals = streams.handleSignals ?? true;
  if (signals) process.on('SIGINT', onSigint);
  try {
    if (values.execute !== undefined) return (await shell.runScript(values.execute, true)) ? 0 : 1;
    if (values.file !== undefined) {
      let text: string;
      try {
        text = readFileSync(values.file, 'utf8');
      } catch (e) {
        errLine(`ksetl shell: cannot read ${values.file}: ${e instanceof Error ? e.message : String(e)}`);
        return 2;
      }
      return (await shell.runScript(text, true)) ? 0 : 1;
    }
    return await runRepl(shell, {
      input: streams.stdin,
      output: streams.stdout,
      terminal,
      historyFile: values.history ?? (terminal ? join(homedir(), '.ksetl_history') : null),
      banner: await banner(client),
    });
  } finally {
    if (signals) process.off('SIGINT', onSigint);
  }
}

async function banner(client: KsqlClient): Promise<string[]> {
  const head = `ksetl shell — server ${client.server}`;
  try {
    const r = await client.info();
    const info = (r.body as { KsqlServerInfo?: { version?: string; serverStatus?: string } })?.KsqlServerInfo;
    const status = r.ok && info ? `version ${info.version ?? '?'}, ${info.serverStatus ?? 'status unknown'}` : `HTTP ${r.status}: ${JSON.stringify(r.body)}`;
    return [`${head} (${status})`, "Type 'help' for help, 'exit' or Ctrl-D to leave.", ''];
  } catch (e) {
    return [head, `WARNING: ${e instanceof Error ? e.message : String(e)}`, "Type 'help' for help, 'exit' or Ctrl-D to leave.", ''];
  }
}
