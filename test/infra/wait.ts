/**
 * The one polling helper of the system tests: streaming and control-plane
 * assertions wait for a match with a deadline, never `sleep` (STYLE.md,
 * habit 5). Deadlines are generous on purpose: CI runs these on a loaded
 * 2-core machine, and a deadline is a bound on a hang, not a performance
 * figure.
 */

export interface WaitOptions {
  /** give up after this long (default 120 s) */
  readonly timeoutMs?: number;
  /** pause between checks (default 500 ms) */
  readonly intervalMs?: number;
  /** appended to the timeout error (a log tail, what was seen last) */
  readonly detail?: () => string | Promise<string>;
}

/**
 * Polls `check` until it returns something other than `undefined` and
 * returns that. A check that throws counts as "not yet"; at the deadline the
 * error names `what`, the last exception and `detail()`.
 */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, options: WaitOptions | number = {}): Promise<T> {
  const { timeoutMs = 120_000, intervalMs = 500, detail } = typeof options === 'number' ? { timeoutMs: options } : options;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      const why = last === undefined ? '' : `: ${last instanceof Error ? last.message : String(last)}`;
      const more = detail ? `\n${await Promise.resolve(detail()).catch((e: unknown) => `(detail failed: ${String(e)})`)}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}${more}`);
    }
    await new Promise<void>((r) => setTimeout(r, intervalMs));
  }
}
