import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { HELP, type Shell } from './shell.js';
import { isBlank, localCommand, takeStatements } from './statements.js';

export interface ReplOptions {
  readonly input: Readable;
  readonly output: Writable;
  /** readline terminal mode (line editing, Ctrl-C as an event); default: output is a TTY */
  readonly terminal?: boolean;
  /** write prompts and the banner; default: terminal */
  readonly prompt?: boolean;
  /** persisted history; null: none */
  readonly historyFile?: string | null;
  readonly historySize?: number;
  /** the lines shown before the first prompt */
  readonly banner?: readonly string[];
}

export const PROMPT = 'ksetl> ';
export const CONTINUATION = '     > ';

/** Loads the last `size` lines of a history file, newest first (readline's order). */
export function loadHistory(file: string, size: number): string[] {
  if (!existsSync(file)) return [];
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');
  const kept = lines.slice(-size);
  if (kept.length < lines.length) writeFileSync(file, kept.join('\n') + '\n');
  return kept.reverse();
}

/**
 * The interactive loop: reads lines, accumulates them until statements are
 * complete, runs them one after another. Resolves with the exit code when the
 * input ends or the user types `exit`.
 */
export async function runRepl(shell: Shell, opts: ReplOptions): Promise<number> {
  const terminal = opts.terminal ?? (opts.output as Writable & { isTTY?: boolean }).isTTY === true;
  const prompting = opts.prompt ?? terminal;
  const historyFile = opts.historyFile ?? null;
  const historySize = opts.historySize ?? 1000;
  const history = historyFile ? loadHistory(historyFile, historySize) : [];
  const rl = createInterface({ input: opts.input, output: opts.output, terminal, history, historySize, removeHistoryDuplicates: true, prompt: PROMPT });
  const write = (s: string): void => void opts.output.write(s);
  let buffer = '';
  let lastSaved = history[0];

  const prompt = (): void => {
    if (!prompting) return;
    rl.setPrompt(buffer.trim() ? CONTINUATION : PROMPT);
    rl.prompt();
  };

  rl.on('SIGINT', () => {
    if (shell.cancel()) return;
    // at the prompt: drop what was typed, like a shell
    buffer = '';
    write('^C\n');
    if (rl.line) rl.write(null, { ctrl: true, name: 'u' });
    prompt();
  });

  if (prompting) for (const l of opts.banner ?? []) write(l + '\n');
  prompt();
  for await (const line of rl) {
    if (historyFile && line.trim() && line !== lastSaved) {
      appendFileSync(historyFile, line.replace(/\n/g, ' ') + '\n');
      lastSaved = line;
    }
    if (!buffer.trim()) {
      const cmd = localCommand(line);
      if (cmd) {
        if (cmd === 'exit') break;
        await runLocal(cmd, shell, write, historyFile, historySize);
        prompt();
        continue;
      }
    }
    buffer += (buffer ? '\n' : '') + line;
    const { statements, rest } = takeStatements(buffer);
    buffer = isBlank(rest) ? '' : rest;
    for (const st of statements) await shell.execute(st);
    prompt();
  }
  rl.close();
  if (prompting) write('\nExiting ksetl.\n');
  return 0;
}

async function runLocal(cmd: 'help' | 'history' | 'version' | 'server' | 'clear', shell: Shell, write: (s: string) => void, historyFile: string | null, historySize: number): Promise<void> {
  switch (cmd) {
    case 'help':
      write(HELP + '\n');
      return;
    case 'history': {
      const lines = historyFile ? loadHistory(historyFile, historySize).reverse() : [];
      lines.forEach((l, i) => write(`${String(i + 1).padStart(4)}  ${l}\n`));
      return;
    }
    case 'server':
      write(`Server: ${shell.client.server}\n`);
      return;
    case 'version': {
      try {
        const r = await shell.client.info();
        const v = (r.body as { KsqlServerInfo?: { version?: string } })?.KsqlServerInfo?.version;
        write(r.ok && v ? `Server version: ${v}\n` : `Could not get the server version (HTTP ${r.status})\n`);
      } catch (e) {
        write(`${e instanceof Error ? e.message : String(e)}\n`);
      }
      return;
    }
    case 'clear':
      write('\x1b[2J\x1b[H');
      return;
  }
}
