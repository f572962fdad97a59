/**
 * A work queue of object keys, as client-go's: a key waiting is queued once
 * however often it is added (dedup); a key is never handed to two workers
 * at once (an add while it is processed marks it dirty and it is queued
 * again when the worker is done); failures back off exponentially per key up
 * to a cap; a reconcile can ask to run again after a delay (polling).
 */
export interface ReconcileResult {
  /** run the key again after this many ms (polling, waiting on something) */
  readonly requeueAfterMs?: number;
}

export type Worker = (key: string) => Promise<ReconcileResult | void>;

export interface WorkQueueOptions {
  readonly concurrency?: number;
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly hooks?: {
    readonly depth?: (n: number) => void;
    readonly result?: (key: string, result: 'success' | 'error' | 'requeue', seconds: number, err?: unknown) => void;
    readonly retry?: (key: string, delayMs: number) => void;
  };
}

/** Delay before the `failures`-th retry (1-based): base·2^(failures-1), capped. Pure. */
export function backoffDelay(failures: number, baseMs: number, maxMs: number): number {
  if (failures <= 0) return 0;
  const d = baseMs * 2 ** Math.min(failures - 1, 52);
  return Math.min(d, maxMs);
}

export class WorkQueue {
  readonly #worker: Worker;
  readonly #concurrency: number;
  readonly #base: number;
  readonly #max: number;
  readonly #hooks: NonNullable<WorkQueueOptions['hooks']>;
  readonly #queue: string[] = [];
  readonly #dirty = new Set<string>();
  readonly #processing = new Set<string>();
  readonly #failures = new Map<string, number>();
  readonly #timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  readonly #inflight = new Set<Promise<void>>();
  #running = false;
  #shuttingDown = false;

  constructor(worker: Worker, opts: WorkQueueOptions = {}) {
    this.#worker = worker;
    this.#concurrency = opts.concurrency ?? 2;
    this.#base = opts.baseDelayMs ?? 500;
    this.#max = opts.maxDelayMs ?? 5 * 60_000;
    this.#hooks = opts.hooks ?? {};
  }

  get depth(): number {
    return this.#queue.length;
  }
  /** keys being processed right now */
  get active(): readonly string[] {
    return [...this.#processing];
  }
  failures(key: string): number {
    return this.#failures.get(key) ?? 0;
  }

  add(key: string): void {
    if (this.#shuttingDown) return;
    if (this.#dirty.has(key)) return;
    this.#dirty.add(key);
    if (this.#processing.has(key)) return;
    this.#queue.push(key);
    this.#hooks.depth?.(this.#queue.length);
    this.#pump();
  }

  /** Adds the key after `ms` (an earlier pending delay for the key wins). */
  addAfter(key: string, ms: number): void {
    if (this.#shuttingDown) return;
    if (ms <= 0) return this.add(key);
    const at = Date.now() + ms;
    const pending = this.#timers.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.#timers.delete(key);
      this.add(key);
    }, ms);
    timer.unref?.();
    this.#timers.set(key, { at, timer });
  }

  start(): void {
    this.#running = true;
    this.#pump();
  }

  /** Stops taking keys, drops pending ones and waits for the reconciles in flight. */
  async shutdown(): Promise<void> {
    this.#shuttingDown = true;
    this.#running = false;
    for (const { timer } of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    this.#queue.length = 0;
    this.#hooks.depth?.(0);
    while (this.#inflight.size > 0) await Promise.all([...this.#inflight]);
  }

  #pump(): void {
    while (this.#running && this.#processing.size < this.#concurrency && this.#queue.length > 0) {
      const key = this.#queue.shift()!;
      this.#hooks.depth?.(this.#queue.length);
      this.#dirty.delete(key);
      this.#processing.add(key);
      const p: Promise<void> = this.#process(key).finally(() => {
        this.#inflight.delete(p);
        this.#processing.delete(key);
        if (this.#dirty.has(key) && !this.#shuttingDown) {
          this.#queue.push(key);
          this.#hooks.depth?.(this.#queue.length);
        }
        this.#pump();
      });
      this.#inflight.add(p);
    }
  }

  async #process(key: string): Promise<void> {
    const started = performance.now();
    try {
      const r = await this.#worker(key);
      const seconds = (performance.now() - started) / 1000;
      this.#failures.delete(key);
      if (r && r.requeueAfterMs !== undefined) {
        this.#hooks.result?.(key, 'requeue', seconds);
        this.addAfter(key, r.requeueAfterMs);
      } else {
        this.#hooks.result?.(key, 'success', seconds);
      }
    } catch (e) {
      const seconds = (performance.now() - started) / 1000;
      const n = (this.#failures.get(key) ?? 0) + 1;
      this.#failures.set(key, n);
      const delay = backoffDelay(n, this.#base, this.#max);
      this.#hooks.result?.(key, 'error', seconds, e);
      this.#hooks.retry?.(key, delay);
      this.addAfter(key, delay);
    }
  }
}
