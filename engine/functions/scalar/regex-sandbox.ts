import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { FunctionError } from '../types.js';

/**
 * The time budget of the regular expressions that must run on V8's
 * backtracking engine (backreferences, lookarounds, Unicode classes; see
 * regex.ts). Such a pattern can take exponential or high polynomial time on
 * a value ('(?=a)(a|a)*b', '\p{L}*\p{L}*\p{L}*1'), and a RegExp cannot be
 * interrupted on the thread that runs it. So these patterns run on a worker
 * thread: the caller posts the match and waits for its answer (Atomics.wait,
 * synchronous, as a scalar function is) at most the budget; past it the
 * worker is terminated (V8 interrupts the match), a new one is started, and
 * the record fails with a FunctionError (the processing log gets it, the
 * query goes on). The event loop is thus never blocked by one match for much
 * more than the budget. Patterns on the linear-time engine never come here.
 *
 * The budget is the server property `ksetl.functions.regex.backtracking.budget.ms`
 * (server/limits.ts, docs/rest-api.md); the default is 100 ms.
 */

export const DEFAULT_REGEX_BUDGET_MS = 100;

let budgetMs = DEFAULT_REGEX_BUDGET_MS;

/** Sets the process's budget of one backtracking match (the server does, from its properties). */
export function setRegexBudgetMs(ms: number): void {
  if (!Number.isFinite(ms) || ms <= 0) throw new Error(`the regex budget must be a positive number of milliseconds, got ${ms}`);
  budgetMs = ms;
}

export function regexBudgetMs(): number {
  return budgetMs;
}

/** One match as the worker hands it back: what a RegExpExecArray holds. */
export interface SandboxMatch {
  readonly index: number;
  /** the whole match, then each group (undefined: the group did not take part) */
  readonly groups: readonly (string | undefined)[];
  readonly named: Readonly<Record<string, string | undefined>> | undefined;
}

interface Request {
  readonly source: string;
  readonly flags: string;
  readonly input: string;
  /** every match (the flags hold 'g'), else the first */
  readonly all: boolean;
}

type Reply = { readonly matches: readonly SandboxMatch[] } | { readonly error: string };

// Plain JavaScript (no imports to resolve): the same under tsx, vitest and the built files.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const flags = new Int32Array(workerData.flags);
const port = workerData.port;
const one = (m) => ({ index: m.index, groups: Array.from(m), named: m.groups ? { ...m.groups } : undefined });
parentPort.on('message', (r) => {
  let reply;
  try {
    const re = new RegExp(r.source, r.flags);
    if (r.all) reply = { matches: Array.from(r.input.matchAll(re), one) };
    else {
      const m = re.exec(r.input);
      reply = { matches: m ? [one(m)] : [] };
    }
  } catch (e) {
    reply = { error: e instanceof Error ? e.message : String(e) };
  }
  port.postMessage(reply);
  Atomics.store(flags, 0, 1);
  Atomics.notify(flags, 0);
});
Atomics.store(flags, 1, 1);
Atomics.notify(flags, 1);
`;

/** How long a match waits for a worker to start (a start is not the pattern's time; it happens once, and after each timeout). */
const START_TIMEOUT_MS = 30_000;

class Sandbox {
  readonly #worker: Worker;
  readonly #port: MessagePort;
  /** [0]: the reply is posted; [1]: the worker listens */
  readonly #flags = new Int32Array(new SharedArrayBuffer(8));

  constructor() {
    const { port1, port2 } = new MessageChannel();
    this.#port = port1;
    this.#worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { flags: this.#flags.buffer, port: port2 }, transferList: [port2] });
    // an idle sandbox keeps no process alive
    this.#worker.unref();
    this.#port.unref();
    this.#worker.on('error', () => {
      // a worker that died (out of memory on a huge value): the next match starts another
      if (sandbox === this) sandbox = null;
      if (spare === this) spare = null;
    });
  }

  /** The matches, or null when the budget ran out (the worker is then terminated). */
  run(req: Request): Reply | null {
    if (Atomics.load(this.#flags, 1) === 0 && Atomics.wait(this.#flags, 1, 0, START_TIMEOUT_MS) === 'timed-out') {
      this.terminate();
      throw new FunctionError('The regular expression worker did not start');
    }
    Atomics.store(this.#flags, 0, 0);
    this.#worker.postMessage(req);
    if (Atomics.wait(this.#flags, 0, 0, budgetMs) === 'timed-out') {
      this.terminate();
      return null;
    }
    const m = receiveMessageOnPort(this.#port);
    if (m === undefined) throw new FunctionError('The regular expression worker gave no answer');
    return m.message as Reply;
  }

  terminate(): void {
    void this.#worker.terminate();
    this.#port.close();
  }
}

let sandbox: Sandbox | null = null;
/**
 * Once a match ran out of time, a second worker is kept started: the next
 * timeout hands over to it at once instead of waiting for a new worker to
 * start (tens of milliseconds, more on a busy machine) on the event loop.
 */
let spare: Sandbox | null = null;

/** Starts the worker ahead of the first match (a backtracking pattern was just compiled). */
export function warmRegexSandbox(): void {
  sandbox ??= new Sandbox();
}

/**
 * Runs `re` (a backtracking-engine RegExp) over `input` on the worker, within
 * the budget: the first match (or none), or with `all` every match.
 * `pattern` is the user's text, for the error.
 */
export function sandboxMatches(re: RegExp, input: string, all: boolean, pattern: string): readonly SandboxMatch[] {
  const box = (sandbox ??= new Sandbox());
  const reply = box.run({ source: re.source, flags: re.flags, input, all });
  if (reply === null) {
    // the next match finds a worker started meanwhile
    sandbox = spare ?? new Sandbox();
    spare = new Sandbox();
    throw new FunctionError(
      `The regular expression '${pattern}' took more than ${budgetMs} ms on a value of ${input.length} characters (ksetl.functions.regex.backtracking.budget.ms); a pattern with backreferences, lookarounds or Unicode classes runs on the backtracking engine under this budget`,
    );
  }
  if ('error' in reply) throw new FunctionError(`Invalid regular expression pattern: ${pattern}: ${reply.error}`);
  return reply.matches;
}

/** Stops the worker (tests; a process exits without it, the worker being unref'd). */
export function closeRegexSandbox(): void {
  sandbox?.terminate();
  spare?.terminate();
  sandbox = null;
  spare = null;
}
