/**
 * A controller: a work queue of `namespace/name` keys and a reconcile
 * function, with metrics. It can be started and stopped more than once
 * (leadership comes and goes): stopping drains the reconciles in flight;
 * starting again enqueues every key the informers know.
 */
import type { Logger } from 'pino';
import { WorkQueue, type ReconcileResult } from '../kube/workqueue.js';
import type { ControllerName, OperatorMetrics } from '../metrics.js';

export type Reconcile = (namespace: string, name: string) => Promise<ReconcileResult>;

export class Controller {
  readonly name: ControllerName;
  readonly #reconcile: Reconcile;
  readonly #metrics: OperatorMetrics | undefined;
  readonly #log: Logger;
  readonly #concurrency: number;
  readonly #keys: () => string[];
  #queue: WorkQueue | null = null;

  constructor(name: ControllerName, reconcile: Reconcile, opts: { log: Logger; metrics?: OperatorMetrics; concurrency?: number; keys: () => string[] }) {
    this.name = name;
    this.#reconcile = reconcile;
    this.#metrics = opts.metrics;
    this.#log = opts.log.child({ controller: name });
    this.#concurrency = opts.concurrency ?? 2;
    this.#keys = opts.keys;
  }

  get running(): boolean {
    return this.#queue !== null;
  }

  enqueue(key: string): void {
    this.#queue?.add(key);
  }

  start(): void {
    if (this.#queue) return;
    const c = this.name;
    const m = this.#metrics;
    const log = this.#log;
    this.#queue = new WorkQueue(
      async (key) => {
        const i = key.indexOf('/');
        return await this.#reconcile(key.slice(0, i), key.slice(i + 1));
      },
      {
        concurrency: this.#concurrency,
        hooks: {
          depth: (n) => m?.workqueueDepth.set({ controller: c }, n),
          result: (key, result, seconds, err) => {
            m?.reconciles.inc({ controller: c, result });
            m?.reconcileDuration.observe({ controller: c }, seconds);
            if (result === 'error') log.warn({ key, err }, 'reconcile failed');
            else log.debug({ key, result, seconds }, 'reconciled');
          },
          retry: (key, delayMs) => {
            m?.workqueueRetries.inc({ controller: c });
            log.info({ key, delayMs }, 'retrying with backoff');
          },
        },
      },
    );
    this.#queue.start();
    for (const k of this.#keys()) this.#queue.add(k);
    log.info('controller started');
  }

  async stop(): Promise<void> {
    const q = this.#queue;
    this.#queue = null;
    if (!q) return;
    await q.shutdown();
    this.#metrics?.workqueueDepth.set({ controller: this.name }, 0);
    this.#log.info('controller stopped');
  }
}
