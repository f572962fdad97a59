import type { HealthReport } from './routes/state.js';

/**
 * GET /healthcheck as ksqlDB's HealthCheckAgent: the engine's own report
 * (metastore, commandRunner, queries, background failures; synchronous) with
 * live checks that need a round trip (is Kafka reachable?) run at most once
 * per `intervalMs` (5 s) and each given `timeoutMs` (3 s). A check that fails or does not
 * answer in time makes its detail unhealthy, with the error, and so the
 * whole report (503): a failure in the background shows in the health
 * check, not only in a log.
 */
export interface LiveCheck {
  /** the detail it sets (merged into the engine's detail of that name, e.g. `kafka`) */
  readonly name: string;
  readonly run: () => Promise<unknown>;
}

export interface HealthMonitorOptions {
  /** how long a check's answer is reused (default 5 s) */
  readonly intervalMs?: number;
  /** how long a check may take before it counts as failed (default 3 s: the answer comes within a 5 s probe timeout) */
  readonly timeoutMs?: number;
  readonly now?: () => number;
}

interface CheckState {
  /** when the latest answer came (null: none yet) */
  at: number | null;
  ok: boolean;
  error: string | undefined;
  inFlight: Promise<void> | null;
}

export class HealthMonitor {
  readonly #base: () => HealthReport;
  readonly #checks: readonly LiveCheck[];
  readonly #interval: number;
  readonly #timeout: number;
  readonly #now: () => number;
  readonly #state = new Map<string, CheckState>();

  constructor(base: () => HealthReport, checks: readonly LiveCheck[], opts: HealthMonitorOptions = {}) {
    this.#base = base;
    this.#checks = checks;
    this.#interval = opts.intervalMs ?? 5000;
    this.#timeout = opts.timeoutMs ?? 3000;
    this.#now = opts.now ?? Date.now;
  }

  /** The report: the engine's, with each live check's latest answer (run again when older than the interval). */
  async report(): Promise<HealthReport> {
    await Promise.all(this.#checks.map((c) => this.#refresh(c)));
    const base = this.#base();
    const details: Record<string, { readonly isHealthy: boolean } & Record<string, unknown>> = { ...base.details };
    let healthy = base.isHealthy;
    for (const c of this.#checks) {
      const st = this.#state.get(c.name)!;
      const prev = details[c.name];
      const isHealthy = (prev?.isHealthy ?? true) && st.ok;
      details[c.name] = { ...prev, isHealthy, ...(st.error !== undefined ? { error: st.error } : {}), lastCheckMs: st.at };
      healthy &&= isHealthy;
    }
    return { isHealthy: healthy, details };
  }

  #refresh(c: LiveCheck): Promise<void> {
    let st = this.#state.get(c.name);
    if (st === undefined) {
      st = { at: null, ok: false, error: 'not checked yet', inFlight: null };
      this.#state.set(c.name, st);
    }
    if (st.inFlight) return st.inFlight;
    if (st.at !== null && this.#now() - st.at < this.#interval) return Promise.resolve();
    const s = st;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${this.#timeout} ms`)), this.#timeout);
      timer.unref();
    });
    s.inFlight = Promise.race([Promise.resolve().then(c.run), late])
      .then(
        () => {
          s.ok = true;
          s.error = undefined;
        },
        (e: unknown) => {
          s.ok = false;
          s.error = e instanceof Error ? e.message : String(e);
        },
      )
      .finally(() => {
        clearTimeout(timer);
        s.at = this.#now();
        s.inFlight = null;
      });
    return s.inFlight;
  }
}
