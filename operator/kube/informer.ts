/**
 * An informer: list, then watch from the list's resourceVersion (bookmarks
 * on), keep a cache, tell handlers about adds, updates and deletes. A
 * watchdog (watchdog.ts) re-lists when the watch goes quiet and on a timer;
 * a re-list diffs the fresh list against the cache so handlers see what
 * they missed (including deletes).
 */
import type { Logger } from 'pino';
import { isGone, type KubeObject, type KubePort, type WatchEvent } from './port.js';
import type { ResourceType } from './resources.js';
import { DEFAULT_WATCHDOG, watchdogInterval, watchdogVerdict, type WatchdogSettings } from './watchdog.js';

export type InformerEventType = 'ADDED' | 'MODIFIED' | 'DELETED';
export type InformerHandler<T extends KubeObject> = (type: InformerEventType, obj: T) => void;

export interface InformerOptions {
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly watchdog?: WatchdogSettings;
  /** server-side watch timeout; the watch is re-opened from the last resourceVersion after it */
  readonly watchTimeoutSeconds?: number;
  /** delay before retrying after an error */
  readonly retryMs?: number;
}

export const objectKey = (o: KubeObject): string => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;

export class Informer<T extends KubeObject> {
  readonly #kube: KubePort;
  readonly #type: ResourceType;
  readonly #opts: InformerOptions;
  readonly #log: Logger;
  readonly #cache = new Map<string, T>();
  readonly #handlers: InformerHandler<T>[] = [];
  #synced = false;
  #stopped = true;
  #listedAt = 0;
  #lastActivityAt = 0;
  #watchAbort: AbortController | null = null;
  #timer: NodeJS.Timeout | null = null;
  #loop: Promise<void> | null = null;
  #relists = 0;

  constructor(kube: KubePort, type: ResourceType, log: Logger, opts: InformerOptions = {}) {
    this.#kube = kube;
    this.#type = type;
    this.#opts = opts;
    this.#log = log.child({ informer: type.plural });
  }

  get kind(): string {
    return this.#type.kind;
  }
  get synced(): boolean {
    return this.#synced;
  }
  /** how many lists ran (the first one included) */
  get lists(): number {
    return this.#relists;
  }

  on(handler: InformerHandler<T>): this {
    this.#handlers.push(handler);
    return this;
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.#cache.get(`${namespace ?? ''}/${name}`);
  }

  list(): T[] {
    return [...this.#cache.values()];
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    const settings = this.#opts.watchdog ?? DEFAULT_WATCHDOG;
    this.#timer = setInterval(() => this.#checkWatchdog(settings), watchdogInterval(settings));
    this.#timer.unref();
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.#watchAbort?.abort();
    await this.#loop;
  }

  /** Forces a re-list (the watchdog's action; also for tests). */
  relist(why: string): void {
    this.#log.info({ why }, 'relisting');
    this.#listedAt = 0;
    this.#watchAbort?.abort();
  }

  #checkWatchdog(settings: WatchdogSettings): void {
    if (!this.#synced || this.#watchAbort === null) return;
    const v = watchdogVerdict(Date.now(), { listedAt: this.#listedAt, lastActivityAt: this.#lastActivityAt }, settings);
    if (v.relist) this.relist(v.why);
  }

  #emit(type: InformerEventType, obj: T): void {
    for (const h of this.#handlers) {
      try {
        h(type, obj);
      } catch (e) {
        this.#log.error({ err: e }, 'informer handler failed');
      }
    }
  }

  async #listAndDiff(): Promise<string> {
    const { items, resourceVersion } = await this.#kube.list<T>(this.#type, this.#opts.namespace, { labelSelector: this.#opts.labelSelector });
    this.#relists++;
    const seen = new Set<string>();
    for (const item of items) {
      const key = objectKey(item);
      seen.add(key);
      const old = this.#cache.get(key);
      this.#cache.set(key, item);
      if (!old) this.#emit('ADDED', item);
      else if (old.metadata?.resourceVersion !== item.metadata?.resourceVersion) this.#emit('MODIFIED', item);
    }
    for (const [key, old] of [...this.#cache.entries()]) {
      if (!seen.has(key)) {
        this.#cache.delete(key);
        this.#emit('DELETED', old);
      }
    }
    const now = Date.now();
    this.#listedAt = now;
    this.#lastActivityAt = now;
    this.#synced = true;
    return resourceVersion;
  }

  #onWatchEvent(ev: WatchEvent<T>, setRv: (rv: string) => void): void {
    this.#lastActivityAt = Date.now();
    const rv = ev.object.metadata?.resourceVersion;
    if (rv) setRv(rv);
    if (ev.type === 'BOOKMARK') return;
    const key = objectKey(ev.object);
    if (ev.type === 'DELETED') {
      this.#cache.delete(key);
      this.#emit('DELETED', ev.object);
      return;
    }
    const existed = this.#cache.has(key);
    this.#cache.set(key, ev.object);
    this.#emit(existed ? 'MODIFIED' : 'ADDED', ev.object);
  }

  async #run(): Promise<void> {
    let rv: string | null = null;
    const retryMs = this.#opts.retryMs ?? 2000;
    while (!this.#stopped) {
      try {
        if (rv === null || this.#listedAt === 0) rv = await this.#listAndDiff();
        const abort = new AbortController();
        this.#watchAbort = abort;
        this.#lastActivityAt = Date.now();
        const timeoutSeconds = this.#opts.watchTimeoutSeconds ?? 240 + Math.floor(Math.random() * 60);
        await this.#kube.watch<T>(
          this.#type,
          this.#opts.namespace,
          { resourceVersion: rv, allowWatchBookmarks: true, timeoutSeconds, labelSelector: this.#opts.labelSelector, signal: abort.signal },
          (ev) => this.#onWatchEvent(ev, (v) => (rv = v)),
        );
        this.#watchAbort = null;
      } catch (e) {
        this.#watchAbort = null;
        if (this.#stopped) break;
        if (isGone(e)) {
          this.#log.info('watch resourceVersion expired; relisting');
          rv = null;
          continue;
        }
        this.#log.warn({ err: e }, 'list/watch failed; retrying');
        rv = null;
        await new Promise((r) => setTimeout(r, retryMs).unref());
      }
    }
  }
}
