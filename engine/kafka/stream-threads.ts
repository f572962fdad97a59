import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Header, TopicInfo } from '../driver/broker.js';
import { KsqlError } from '../errors.js';
import type { Logger } from '../server/logger.js';
import { decodeText, encodeText } from './codec.js';
import type { KafkaClientName, KafkaPortOptions } from './kafka-client.js';
import type { PartitionsRequest, PartitionsResponse } from './pull-service.js';
import type { ProcessingGuarantee, QueryStatus } from './query-runner.js';

/**
 * Stream threads (Kafka Streams' `num.stream.threads`, ksqlDB's
 * `ksql.streams.num.stream.threads`): how many threads of one engine process
 * run the persistent queries. The main thread is the first (it also serves
 * the REST API and follows the command log, as at N = 1); each further one
 * is a worker_thread (stream-thread-worker.ts) with its own Kafka clients,
 * running a QueryRunner per query as one more member of the query's consumer
 * group, so the group spreads a query's tasks over the threads as over
 * processes. The main thread sends each worker the commands it applied, in
 * order; asks the workers for the rows of the partitions they own (pull
 * queries); and merges the workers' query statuses (answered synchronously
 * from the snapshot each worker sends every 500 ms and after each command)
 * and their metrics into its own.
 *
 * Only a process started with a Kafka client configuration (`ksetl server`)
 * can start workers: they build their own clients from it. On other ports
 * (the in-memory Kafka of tests, QTT) the property is ignored.
 */
export function numStreamThreads(properties: Readonly<Record<string, string>>): number {
  const raw = properties['ksql.streams.num.stream.threads'] ?? properties['num.stream.threads'];
  if (raw === undefined || raw.trim() === '') return 1;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new KsqlError(`num.stream.threads must be a positive integer, got ${raw}`);
  return n;
}

/** What a process needs to start its stream threads: how to reach Kafka (the workers make their own clients). */
export interface StreamThreadsSpec {
  readonly client: KafkaClientName;
  readonly portOptions: Omit<KafkaPortOptions, 'logger' | 'logLevel'>;
  readonly logLevel: string;
}

/** The worker's workerData. */
export interface StreamThreadData {
  /** 2.. (the main thread is 1) */
  readonly thread: number;
  readonly serviceId: string;
  readonly properties: Readonly<Record<string, string>>;
  readonly client: KafkaClientName;
  readonly portOptions: Omit<KafkaPortOptions, 'logger' | 'logLevel'>;
  readonly logLevel: string;
  readonly identity: { readonly namespace: string; readonly cluster: string } | null;
  readonly processingLogTopic: string | null;
  readonly guarantee: ProcessingGuarantee;
  readonly precreated: boolean;
}

/** Main thread → worker. */
export type ToThread =
  /** `topics`: the catalog's topics before the command (absent: the thread's own, as the replay of a replacement thread keeps them) */
  | { readonly type: 'command'; readonly statement: string; readonly streamsProperties: Readonly<Record<string, string>>; readonly topics?: readonly TopicInfo[] }
  /** `topics`: the catalog's topics now (a replacement thread keeps those its replayed commands left) */
  | { readonly type: 'endReplay'; readonly topics?: readonly TopicInfo[] }
  /** stop a query's runner now (TERMINATE, or a replacement), before the main thread deletes its topics; answered once stopped */
  | { readonly type: 'stop'; readonly id: number; readonly queryId: string; readonly keepState: boolean }
  /** `request`: a PartitionsRequest in codec text (keys are SQL values) */
  | { readonly type: 'read'; readonly id: number; readonly request: string }
  | { readonly type: 'metrics'; readonly id: number }
  /** answered once the commands sent before are applied (their runners launched) */
  | { readonly type: 'sync'; readonly id: number }
  | { readonly type: 'close'; readonly id: number };

/** Worker → main thread. */
export type FromThread = { readonly type: 'status'; readonly statuses: Readonly<Record<string, QueryStatus>> } | { readonly type: 'reply'; readonly id: number; readonly text?: string; readonly error?: string };

interface Thread {
  readonly number: number;
  readonly worker: Worker;
  statuses: Readonly<Record<string, QueryStatus>>;
  alive: boolean;
}

const REPLY_TIMEOUT_MS = 60_000;

export class StreamThreads {
  readonly #threads: Thread[] = [];
  readonly #waiting = new Map<number, { readonly thread: Thread; resolve(text: string): void; reject(e: Error): void }>();
  #next = 0;

  private constructor(
    private readonly logger: Logger,
    private readonly data: Omit<StreamThreadData, 'thread'>,
    private readonly onError: (message: string) => void,
    private readonly topics: () => readonly TopicInfo[],
  ) {}

  /** Starts `count` worker threads (numbered 2..count+1). */
  static start(count: number, data: Omit<StreamThreadData, 'thread'>, logger: Logger, onError: (message: string) => void, topics: () => readonly TopicInfo[]): StreamThreads {
    const threads = new StreamThreads(logger, data, onError, topics);
    for (let i = 0; i < count; i++) threads.#threads.push(threads.#spawn(i + 2));
    return threads;
  }

  /** the commands sent so far (without their topics): what a replacement thread replays */
  readonly #sent: { readonly statement: string; readonly streamsProperties: Readonly<Record<string, string>> }[] = [];
  #replayed = false;
  #closing = false;

  /**
   * Starts worker thread `number`. One that dies (an uncaught error) is
   * replaced, as Kafka Streams' REPLACE_THREAD does: the new thread gets the
   * commands sent so far and starts the queries; its members join the groups
   * (the dead one's leave them at their session timeout).
   */
  #spawn(number: number): Thread {
    const { url, execArgv } = workerEntry();
    const worker = new Worker(url, { workerData: { ...this.data, thread: number } satisfies StreamThreadData, execArgv, name: `StreamThread-${number}` });
    const t: Thread = { number, worker, statuses: {}, alive: true };
    worker.on('message', (m: FromThread) => this.#onMessage(t, m));
    worker.on('error', (e) => {
      this.logger.error({ err: e, stream_thread: number }, 'stream thread failed');
      this.onError(`stream thread ${number} failed: ${e.message}`);
    });
    worker.on('exit', (code) => {
      t.alive = false;
      t.statuses = {};
      for (const [id, w] of [...this.#waiting]) {
        if (w.thread !== t) continue;
        this.#waiting.delete(id);
        w.reject(new Error(`stream thread ${number} exited`));
      }
      if (this.#closing) return;
      this.onError(`stream thread ${number} exited with code ${code}; replaced`);
      const i = this.#threads.indexOf(t);
      if (i < 0) return;
      this.#threads[i] = this.#spawn(number);
    });
    // a replacement replays every command so far on the topics there are now, as the main thread replays the command log
    // when it starts (queries terminated since are never started), then ends its replay if the main thread's ended
    this.#sent.forEach((c, i) => worker.postMessage({ type: 'command', ...c, ...(i === 0 ? { topics: this.topics() } : {}) } satisfies ToThread));
    if (this.#replayed) worker.postMessage({ type: 'endReplay' } satisfies ToThread);
    return t;
  }

  get count(): number {
    return this.#threads.length;
  }

  #onMessage(t: Thread, m: FromThread): void {
    switch (m.type) {
      case 'status':
        t.statuses = m.statuses;
        return;
      case 'reply': {
        const w = this.#waiting.get(m.id);
        this.#waiting.delete(m.id);
        if (!w) return;
        if (m.error !== undefined) w.reject(new Error(m.error));
        else w.resolve(m.text ?? '');
        return;
      }
      default: {
        const never: never = m;
        this.logger.warn({ message: never }, 'unknown message from a stream thread');
      }
    }
  }

  #post(m: ToThread): void {
    for (const t of this.#threads) if (t.alive) t.worker.postMessage(m);
  }

  #ask(t: Thread, make: (id: number) => ToThread): Promise<string> {
    if (!t.alive) return Promise.reject(new Error(`stream thread ${t.number} is not running`));
    const id = this.#next++;
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(id);
        reject(new Error(`stream thread ${t.number} did not answer in ${REPLY_TIMEOUT_MS} ms`));
      }, REPLY_TIMEOUT_MS);
      timer.unref();
      this.#waiting.set(id, {
        thread: t,
        resolve: (x) => (clearTimeout(timer), resolve(x)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      t.worker.postMessage(make(id));
    });
  }

  /** A command the main thread applied (replayed or new), with the topics it knew before applying it. */
  apply(statement: string, streamsProperties: Readonly<Record<string, string>>, topics: readonly TopicInfo[]): void {
    this.#sent.push({ statement, streamsProperties });
    this.#post({ type: 'command', statement, streamsProperties, topics });
  }

  /** The replay is over: the threads start their queries. */
  endReplay(topics: readonly TopicInfo[]): void {
    this.#replayed = true;
    this.#post({ type: 'endReplay', topics });
  }

  /**
   * Stops a query's runners on the workers (in order after the commands sent
   * before) and resolves once they stopped: the main thread deletes a
   * terminated query's internal topics and consumer group only after every
   * thread has left them.
   */
  async stopQuery(queryId: string, keepState: boolean): Promise<void> {
    await Promise.all(this.#threads.filter((t) => t.alive).map((t) => this.#ask(t, (id) => ({ type: 'stop', id, queryId, keepState })).catch((e: Error) => this.logger.warn({ err: e, stream_thread: t.number, query_id: queryId }, 'stream thread did not stop the query'))));
  }

  /** Resolves once every worker applied the commands sent so far (never rejects). */
  async sync(): Promise<void> {
    await Promise.all(this.#threads.filter((t) => t.alive).map((t) => this.#ask(t, (id) => ({ type: 'sync', id })).catch(() => {})));
  }

  /** The statuses of a query's runners on the worker threads (the latest each sent). */
  statuses(queryId: string): QueryStatus[] {
    return this.#threads.flatMap((t) => (t.alive && t.statuses[queryId] ? [t.statuses[queryId]] : []));
  }

  /** The partitions each worker's runner of a query has tasks for, by thread number. */
  assignments(queryId: string): Map<number, readonly number[]> {
    return new Map(this.#threads.flatMap((t) => (t.statuses[queryId] ? [[t.number, t.statuses[queryId].assigned] as const] : [])));
  }

  /** Reads the partitions the workers own from their stores; `notOwned`: those none of them owns. */
  async read(request: PartitionsRequest): Promise<PartitionsResponse> {
    const records: PartitionsResponse['records'][number][] = [];
    let left = [...request.partitions];
    for (const t of this.#threads) {
      if (left.length === 0) break;
      const owned = t.statuses[request.queryId]?.assigned;
      if (!owned || !left.some((p) => owned.includes(p))) continue;
      const ask = left.filter((p) => owned.includes(p));
      try {
        const r = decodeText<PartitionsResponse>(await this.#ask(t, (id) => ({ type: 'read', id, request: encodeText({ ...request, partitions: ask }) })));
        records.push(...r.records);
        left = left.filter((p) => !ask.includes(p) || r.notOwned.includes(p));
      } catch (e) {
        this.logger.debug({ err: e, stream_thread: t.number }, 'pull read on a stream thread failed');
      }
    }
    return { records, notOwned: left };
  }

  /** The workers' metrics (prom-client's JSON), to aggregate with the main thread's. */
  async metrics(): Promise<object[]> {
    const all = await Promise.all(this.#threads.filter((t) => t.alive).map((t) => this.#ask(t, (id) => ({ type: 'metrics', id })).catch(() => '[]')));
    return all.map((text) => JSON.parse(text) as object);
  }

  /** Ends worker thread `number` at once, as an uncaught error would (tests: the thread is replaced). */
  async kill(number: number): Promise<void> {
    await this.#threads.find((t) => t.number === number && t.alive)?.worker.terminate();
  }

  /** Stops the workers' queries (committing what they processed) and ends the threads. */
  async close(): Promise<void> {
    this.#closing = true;
    await Promise.allSettled(
      this.#threads.map(async (t) => {
        if (!t.alive) return;
        await this.#ask(t, (id) => ({ type: 'close', id })).catch(() => {});
        await t.worker.terminate();
      }),
    );
  }
}

/**
 * The worker's module: the TypeScript source beside this file in a source
 * checkout (run through tsx's loader, as bin/ksetl.js runs the CLI), the
 * compiled JavaScript in dist/.
 */
function workerEntry(): { url: URL; execArgv: string[] } {
  const here = import.meta.url;
  if (!/\.[cm]?ts$/.test(new URL(here).pathname)) return { url: new URL('./stream-thread-worker.js', here), execArgv: [] };
  const tsx = pathToFileURL(createRequire(here).resolve('tsx')).href;
  return { url: new URL('./stream-thread-worker.ts', here), execArgv: ['--import', tsx] };
}

/** A query's status over all the threads of the process: its main-thread runner's and the workers'. */
export function mergeStatus(main: QueryStatus, others: readonly QueryStatus[]): QueryStatus {
  if (others.length === 0) return main;
  const all = [main, ...others];
  const state = all.some((s) => s.state === 'ERROR') ? 'ERROR' : all.some((s) => s.state === 'STARTING') && main.state !== 'STOPPING' && main.state !== 'STOPPED' ? 'STARTING' : main.state;
  const failed = all.find((s) => s.state === 'ERROR');
  return {
    state,
    paused: main.paused,
    error: main.error ?? failed?.error ?? null,
    assigned: [...new Set(all.flatMap((s) => s.assigned))].sort((a, b) => a - b),
    processed: all.reduce((n, s) => n + s.processed, 0),
    restored: all.reduce((n, s) => n + s.restored, 0),
    lastError: main.lastError ?? others.find((s) => s.lastError !== null)?.lastError ?? null,
    errors: all.flatMap((s) => s.errors).sort((a, b) => a.timestamp - b.timestamp),
  };
}

/**
 * The Kafka Streams settings a statement's streamsProperties may set for its
 * own query, as in ksqlDB (`max.task.idle.ms`, `buffered.records.per.partition`,
 * with or without the `ksql.streams.` prefix); nothing else of the engine's
 * configuration (state directory, guarantees, clients) can be changed per query.
 */
const PER_QUERY = ['max.task.idle.ms', 'buffered.records.per.partition'];
export function perQueryTuning(p: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of PER_QUERY) {
    const v = p[`ksql.streams.${k}`] ?? p[k];
    if (v !== undefined) out[`ksql.streams.${k}`] = v;
  }
  return out;
}

/**
 * Who wrote a processing-log record, as Kafka headers: the value keeps
 * ksqlDB's KSQL_PROCESSING_LOG shape, and a topic shared by several
 * clusters still tells them apart.
 */
export function processingLogHeaders(serviceId: string, identity: { readonly namespace: string; readonly cluster: string } | null | undefined, queryId: string): Header[] {
  const h = (key: string, value: string): Header => ({ key, value: Buffer.from(value) });
  return [...(identity ? [h('ksetl.namespace', identity.namespace), h('ksetl.cluster', identity.cluster)] : []), h('ksetl.service.id', serviceId), h('ksetl.query.id', queryId)];
}
