/**
 * Child processes of the benchmark: each measured engine runs in its own
 * process, pinned to CPUs with `taskset -c` when the machine has it, and its
 * peak RSS (VmHWM) is read from /proc before it is stopped.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

const hasTaskset = spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status === 0;

/** the CPU list a process pinned to `n` cores gets, starting at core `first` (null: no pinning) */
export function cpuList(first: number, n: number): string | null {
  const count = cpus().length;
  if (!hasTaskset || count < 1) return null;
  const list = Array.from({ length: Math.min(n, count) }, (_, i) => (first + i) % count);
  return [...new Set(list)].join(',');
}

export interface Proc {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  readonly cpus: string | null;
  /** the last stdout lines (at most 2000) */
  readonly lines: string[];
  /** the last stderr output, else the last stdout lines (for failure reasons) */
  stderrTail(): string;
  /** resolves with the first stdout line matching */
  waitFor(re: RegExp, timeoutMs: number): Promise<string>;
  /** VmHWM in MiB (null once exited or without /proc) */
  peakRssMiB(): number | null;
  exited(): boolean;
  stop(): Promise<void>;
}

export interface StartOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cpus?: string | null;
  readonly cwd?: string;
  /**
   * SIGTERM (graceful: needed for `node --cpu-prof`, which writes the profile
   * on exit) or SIGKILL (default: a measured run's topics and groups are never
   * reused, so a clean shutdown buys nothing and costs seconds per run)
   */
  readonly stopSignal?: 'SIGTERM' | 'SIGKILL';
}

export function start(name: string, cmd: string, args: readonly string[], opts: StartOptions = {}): Proc {
  const pin = opts.cpus ?? null;
  const [c, a] = pin ? ['taskset', ['-c', pin, cmd, ...args]] : [cmd, [...args]];
  const child = spawn(c, a, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiters: { re: RegExp; ok: (l: string) => void }[] = [];
  let partial = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    partial += d;
    const parts = partial.split('\n');
    partial = parts.pop()!;
    for (const l of parts) {
      lines.push(l);
      if (process.env['BENCH_VERBOSE']) process.stderr.write(`[${name}] ${l}\n`);
      if (lines.length > 2000) lines.splice(0, 1000);
      for (const w of [...waiters]) {
        if (!w.re.test(l)) continue;
        waiters.splice(waiters.indexOf(w), 1);
        w.ok(l);
      }
    }
  });
  let tail = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    tail = (tail + d).slice(-4000);
    if (process.env['BENCH_VERBOSE']) process.stderr.write(`[${name}] ${d}`);
  });
  let exitedFlag = false;
  const exit = new Promise<void>((res) => child.on('exit', () => ((exitedFlag = true), res())));
  return {
    name,
    child,
    pid: child.pid!,
    cpus: pin,
    lines,
    stderrTail: () => tail || lines.slice(-10).join('\n'),
    waitFor(re, timeoutMs) {
      const seen = lines.find((l) => re.test(l));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((ok, ko) => {
        const timer = setTimeout(() => ko(new Error(`${name}: no line matching ${re} after ${timeoutMs} ms; stderr: ${tail.slice(-800)}`)), timeoutMs);
        waiters.push({ re, ok: (l) => (clearTimeout(timer), ok(l)) });
        void exit.then(() => (clearTimeout(timer), ko(new Error(`${name} exited (${child.exitCode ?? child.signalCode}); stderr: ${tail.slice(-800)}`))));
      });
    },
    peakRssMiB() {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        return m ? Math.round(Number(m[1]) / 1024) : null;
      } catch {
        return null;
      }
    },
    exited: () => exitedFlag,
    async stop() {
      if (exitedFlag) return;
      child.kill(opts.stopSignal ?? 'SIGKILL');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exit;
      clearTimeout(timer);
    },
  };
}
