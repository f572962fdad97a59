/**
 * One long-lived JVM of the bench/kstreams app in `serve` mode for the
 * harness's own Kafka work (pre-loading inputs, probing output timestamps,
 * offering load for the latency runs): commands go in as stdin lines and each
 * answers one JSON line, so a run pays no JVM start-up for them.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';

export type JavaMode = 'load' | 'probe' | 'latency';

/** one JSON answer line */
export interface JavaAnswer {
  /** a numeric field (throws if missing) */
  num(key: string): number;
  /** the latency run's [ms, count] pairs */
  histogram(): [number, number][];
}

export class JavaTool {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #answers: string[] = [];
  #waiting: ((line: string | null) => void) | null = null;
  #queue: Promise<unknown> = Promise.resolve();
  #stderr = '';
  #exited = false;

  constructor(flags: readonly string[], classpath: string) {
    this.#child = spawn('java', [...flags, '-cp', classpath, 'dev.ksetl.bench.Main', 'serve'], { stdio: ['pipe', 'pipe', 'pipe'] });
    createInterface({ input: this.#child.stdout }).on('line', (line) => {
      if (!line.startsWith('{')) return;
      if (this.#waiting) {
        const w = this.#waiting;
        this.#waiting = null;
        w(line);
      } else this.#answers.push(line);
    });
    this.#child.stderr.setEncoding('utf8').on('data', (d: string) => (this.#stderr = (this.#stderr + d).slice(-4000)));
    this.#child.on('exit', () => {
      this.#exited = true;
      this.#waiting?.(null);
      this.#waiting = null;
    });
  }

  /** runs one command (commands run one after another) and returns its JSON answer */
  run(mode: JavaMode, args: Readonly<Record<string, string | number>>, timeoutMs: number): Promise<JavaAnswer> {
    const next = this.#queue.then(() => this.#run(mode, args, timeoutMs));
    this.#queue = next.catch(() => {});
    return next;
  }

  async #run(mode: JavaMode, args: Readonly<Record<string, string | number>>, timeoutMs: number): Promise<JavaAnswer> {
    if (this.#exited) throw new Error(`the Java tool exited: ${this.#stderr.slice(-1000)}`);
    const kv = Object.entries(args).map(([k, v]) => {
      const s = `${k}=${v}`;
      if (/\s/.test(s)) throw new Error(`argument with whitespace: ${s}`);
      return s;
    });
    this.#child.stdin.write(`${[mode, ...kv].join(' ')}\n`);
    const line = await new Promise<string | null>((ok, ko) => {
      const ready = this.#answers.shift();
      if (ready !== undefined) return ok(ready);
      const timer = setTimeout(() => {
        this.#waiting = null;
        ko(new Error(`the Java tool did not answer ${mode} within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.#waiting = (l) => (clearTimeout(timer), ok(l));
    });
    if (line === null) throw new Error(`the Java tool exited during ${mode}: ${this.#stderr.slice(-1000)}`);
    const res = JSON.parse(line) as Record<string, unknown>;
    if (typeof res['error'] === 'string') throw new Error(`${mode}: ${res['error']}`);
    return {
      num: (k) => {
        const v = res[k];
        if (typeof v !== 'number') throw new Error(`${mode} answered no number ${k}: ${line.slice(0, 300)}`);
        return v;
      },
      histogram: () => (Array.isArray(res['histogram']) ? (res['histogram'] as [number, number][]) : []),
    };
  }

  async close(): Promise<void> {
    if (this.#exited) return;
    const exit = new Promise<void>((ok) => this.#child.once('exit', () => ok()));
    this.#child.stdin.end();
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 10_000);
    await exit;
    clearTimeout(timer);
  }
}
