import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import type { DataSource } from '../catalog/data-source.js';
import type { BrokerRecord } from '../driver/broker.js';
import { KsqlError } from '../errors.js';
import type { PullAccess } from '../exec/pull-access.js';
import { PULL_PARTITIONS_PATH } from '../server/backend.js';
import { decodeText, encodeText } from './codec.js';
import type { KafkaEngine } from './kafka-engine.js';
import { findMaterialization, materializationReader, type Materialization, type MaterializationReader } from './pull-store.js';
import { StandbyStore, standbyReadsEnabled, standbyReplicas } from './pull-standby.js';
import type { GroupPartitioner, QueryRunner } from './query-runner.js';

/** A pull request forwarded to the owner of some partitions (the body of PULL_PARTITIONS_PATH, codec text). */
export interface PartitionsRequest {
  readonly queryId: string;
  readonly partitions: readonly number[];
  readonly access: PullAccess;
}

export interface PartitionsResponse {
  readonly records: readonly BrokerRecord[];
  /** partitions asked that this process does not own (any more): the asker looks their owner up again */
  readonly notOwned: readonly number[];
}

/** How long a query's partition owners are trusted without looking again (a rebalance is noticed sooner: see read). */
const OWNERS_TTL_MS = 30_000;
/** How long an owner may take to answer a forwarded request (a scan of a large table included). */
const FORWARD_TIMEOUT_MS = 60_000;
/** Most requests one batch to an owner carries. */
const MAX_BATCH = 64;

interface Lane {
  busy: boolean;
  readonly waiting: { readonly request: PartitionsRequest; resolve(r: PartitionsResponse): void; reject(e: unknown): void }[];
}

/** How often the standby copies follow the queries started and stopped. */
const STANDBY_SWEEP_MS = 2_000;

/**
 * Pull queries over tables served from state, as ksqlDB serves them: the
 * query that writes the table keeps it in its aggregation's store, split
 * by partition over the processes of the service. Key lookups go to the
 * partitions of their keys, ranges and scans to every partition; a partition
 * this process owns is read from its task's store, another one is asked of
 * its owner over the REST API. Owners come from the query's consumer group:
 * each member announces its REST address in its subscription, as Kafka
 * Streams' `application.server` (QueryRunner, `ksql.advertised.listener`).
 * No consumer is created for a pull query.
 *
 * Not served here (the caller reads the topic instead): tables that no
 * running query materializes in an aggregation (source tables, joins,
 * tables copied from tables), and partitions whose owner cannot be reached
 * (unless a standby copy answers for them).
 *
 * Standby copies (`num.standby.replicas` >= 1, see pull-standby.ts): every
 * process keeps a copy of each materialized table's store from its
 * changelog; with `ksql.query.pull.enable.standby.reads=true` (a request or
 * engine property, as in ksqlDB) a partition whose owner does not answer
 * is read from the copy instead, possibly behind the owner.
 */
export class PullService {
  readonly #owners = new Map<string, { readonly at: number; readonly byPartition: ReadonlyMap<number, string> }>();
  readonly #readers = new Map<string, { readonly root: unknown; readonly m: Materialization; readonly reader: MaterializationReader } | null>();
  readonly #standbys = new Map<string, { readonly root: unknown; readonly standby: Promise<StandbyStore | null> }>();
  readonly #sweep: ReturnType<typeof setInterval> | null = null;
  /** requests to an owner waiting for the one in flight (#forward) */
  readonly #lanes = new Map<string, Lane>();

  constructor(private readonly engine: KafkaEngine) {
    if (standbyReplicas(engine.properties) > 0) {
      // standby copies are kept from a query's start on, not from its first pull query
      this.#sweep = setInterval(() => void this.#keepStandbys(), STANDBY_SWEEP_MS);
      this.#sweep.unref();
    }
  }

  /** Stops keeping standby copies. */
  async close(): Promise<void> {
    if (this.#sweep) clearInterval(this.#sweep);
    const all = [...this.#standbys.values()];
    this.#standbys.clear();
    await Promise.all(all.map(async (s) => (await s.standby)?.close()));
  }

  /** The rows of a table the access selects, as records of its topic; null when the table is not served from state. */
  async read(source: DataSource, access: PullAccess, authorization?: string, properties: Readonly<Record<string, string>> = {}): Promise<BrokerRecord[] | null> {
    if (source.sourceType !== 'TABLE' || !source.isSink) return null;
    const queryId = this.engine.executor.metastore.queries().find((q) => q.sink === source.name)?.id;
    const runner = queryId === undefined ? undefined : this.engine.runner(queryId);
    if (queryId === undefined || runner === undefined || runner.status.state !== 'RUNNING') return null;
    const r = this.#reader(queryId, runner);
    const where = r ? runner.groupPartitioner(r.m.aggregate) : undefined;
    if (!r || where === undefined) return null;
    const { partitions } = where;
    const wanted = access.kind === 'keys' ? [...new Set(access.keys.map((k) => where.partitionOf(k)))] : Array.from({ length: partitions }, (_, p) => p);
    const out: BrokerRecord[] = [];
    let remote: number[] = [];
    for (const p of wanted) {
      const store = await runner.localStore(p, r.reader.storeName);
      if (store === undefined) remote.push(p);
      else if (store !== null) out.push(...r.reader.read(store, p, narrow(access, p, where)));
    }
    // the partitions this process's other stream threads own
    remote = await this.#threadRead(queryId, remote, access, out);
    // Other processes' partitions. During a rebalance a partition has no owner, or one
    // still restoring it, for a while: look the owners up again until they answer.
    // a port that cannot tell the owners leaves other processes' partitions to the topic read
    if (remote.length > 0 && !this.engine.port.admin.describeGroup) return null;
    const deadline = Date.now() + Number(this.engine.properties['ksetl.query.pull.owner.wait.ms'] ?? 15_000);
    for (let round = 0; remote.length > 0; round++) {
      if (round > 0) {
        if (Date.now() >= deadline) {
          this.engine.logger.warn({ query_id: queryId, partitions: remote }, 'no owner answered for these partitions; the pull query reads the topic');
          return null;
        }
        await new Promise((r) => setTimeout(r, Math.min(1_000, 50 * 2 ** round)));
      }
      const owners = await this.#ownersOf(queryId, runner, round > 0);
      const byOwner = new Map<string, number[]>();
      const left: number[] = [];
      for (const p of remote) {
        const url = owners.get(p);
        // an owner that announces no address (no ksql.advertised.listener) cannot be asked
        if (url === '') return null;
        if (url === undefined || url === this.#self) left.push(p);
        else byOwner.set(url, [...(byOwner.get(url) ?? []), p]);
      }
      const unreachable: number[] = [];
      const answers = await Promise.all(
        [...byOwner].map(async ([url, ps]) => {
          try {
            return await this.#forward(url, { queryId, partitions: ps, access: access.kind === 'keys' ? { kind: 'keys', keys: access.keys.filter((k) => ps.includes(where.partitionOf(k))) } : access }, authorization);
          } catch (e) {
            this.engine.logger.debug({ err: e, url, partitions: ps }, 'pull query forwarding failed');
            unreachable.push(...ps);
            return { records: [], notOwned: ps };
          }
        }),
      );
      remote = [...left];
      for (const a of answers) {
        out.push(...a.records);
        remote.push(...a.notOwned);
      }
      // an owner that does not answer (or none known during a rebalance): its standby copy here, where reads from it are allowed
      if (remote.length > 0 && (unreachable.length > 0 || left.length > 0) && standbyReadsEnabled({ ...this.engine.properties, ...properties })) {
        const standby = await this.#standbyOf(queryId, runner, r);
        const unanswered: number[] = [];
        for (const p of remote) {
          const store = standby?.store(p) ?? null;
          if (store === null) unanswered.push(p);
          else out.push(...r.reader.read(store, p, narrow(access, p, where)));
        }
        remote = unanswered;
      }
      // a partition that moved here meanwhile (to this thread or another stream thread of the process)
      remote = await this.#threadRead(queryId, remote, access, out);
      const still: number[] = [];
      for (const p of remote) {
        const store = await runner.localStore(p, r.reader.storeName);
        if (store === undefined) still.push(p);
        else if (store !== null) out.push(...r.reader.read(store, p, narrow(access, p, where)));
      }
      remote = still;
    }
    return out;
  }

  /** Answers another process's request for partitions this process owns. */
  async serve(request: PartitionsRequest): Promise<PartitionsResponse> {
    const runner = this.engine.runner(request.queryId);
    const r = runner ? this.#reader(request.queryId, runner) : null;
    if (!runner || !r) return { records: [], notOwned: [...request.partitions] };
    const records: BrokerRecord[] = [];
    const notOwned: number[] = [];
    for (const p of request.partitions) {
      const store = await runner.localStore(p, r.reader.storeName);
      if (store === undefined) notOwned.push(p);
      else if (store !== null) records.push(...r.reader.read(store, p, request.access));
    }
    return { records, notOwned: await this.#threadRead(request.queryId, notOwned, request.access, records) };
  }

  /** Reads the partitions the process's worker stream threads own into `out`; returns the others. */
  async #threadRead(queryId: string, partitions: number[], access: PullAccess, out: BrokerRecord[]): Promise<number[]> {
    const threads = this.engine.threads;
    if (!threads || partitions.length === 0) return partitions;
    const r = await threads.read({ queryId, partitions, access });
    out.push(...r.records);
    return [...r.notOwned];
  }

  /** The codec text of PULL_PARTITIONS_PATH's request (one, or a batch: `{ batch: [...] }`), answered as codec text. */
  async serveText(body: string): Promise<string> {
    const decoded = decodeText<PartitionsRequest | { batch: PartitionsRequest[] }>(body);
    const valid = (r: PartitionsRequest | undefined): r is PartitionsRequest => typeof r?.queryId === 'string' && Array.isArray(r.partitions);
    if (decoded !== null && typeof decoded === 'object' && 'batch' in decoded && Array.isArray(decoded.batch)) {
      if (!decoded.batch.every(valid)) throw new KsqlError('Invalid pull partitions request.');
      return encodeText({ batch: await Promise.all(decoded.batch.map((r) => this.serve(r))) });
    }
    if (!valid(decoded as PartitionsRequest)) throw new KsqlError('Invalid pull partitions request.');
    return encodeText(await this.serve(decoded as PartitionsRequest));
  }

  /** Starts the standby copies of the running queries' tables, and stops those of queries gone or replaced. */
  async #keepStandbys(): Promise<void> {
    const running = new Set<string>();
    for (const q of this.engine.executor.metastore.queries()) {
      const runner = this.engine.runner(q.id);
      if (!runner || q.sink === null) continue;
      running.add(q.id);
      const r = this.#reader(q.id, runner);
      if (r) await this.#standbyOf(q.id, runner, r);
    }
    for (const [id, s] of this.#standbys) {
      if (running.has(id)) continue;
      this.#standbys.delete(id);
      void s.standby.then((x) => x?.close());
    }
  }

  /** The standby copy of a query's table store (started on first use; null when none is kept). */
  async #standbyOf(queryId: string, runner: QueryRunner, r: { readonly root: unknown; readonly reader: MaterializationReader }): Promise<StandbyStore | null> {
    if (standbyReplicas(this.engine.properties) === 0) return null;
    const kept = this.#standbys.get(queryId);
    if (kept && kept.root === runner.root) return kept.standby;
    // CREATE OR REPLACE: the store may be another one now
    if (kept) void kept.standby.then((x) => x?.close());
    const standby = StandbyStore.start({
      port: this.engine.port,
      serviceId: this.engine.serviceId,
      queryId,
      storeName: r.reader.storeName,
      storeKind: r.reader.storeKind,
      readCommitted: this.engine.guarantee === 'exactly_once_v2',
    }).catch((e: Error) => {
      // (e.g. its changelog not created yet) the next sweep tries again
      this.engine.logger.info({ err: e, query_id: queryId }, 'could not start keeping a standby copy of the table yet');
      if (this.#standbys.get(queryId)?.standby === standby) this.#standbys.delete(queryId);
      return null;
    });
    this.#standbys.set(queryId, { root: runner.root, standby });
    return standby;
  }

  get #self(): string {
    return this.engine.properties['ksql.advertised.listener'] ?? '';
  }

  #reader(queryId: string, runner: QueryRunner): { readonly root: unknown; readonly m: Materialization; readonly reader: MaterializationReader } | null {
    const cached = this.#readers.get(queryId);
    // a query id is reused only by the same statement, but CREATE OR REPLACE swaps the runner's dataflow
    if (cached !== undefined && (cached === null || cached.root === runner.root)) return cached;
    const m = findMaterialization(runner.root);
    const r = m ? { root: runner.root, m, reader: materializationReader(m, { functions: this.engine.functions, registry: this.engine.registry, properties: this.engine.properties, queryId }) } : null;
    this.#readers.set(queryId, r);
    return r;
  }

  async #ownersOf(queryId: string, runner: QueryRunner, refresh: boolean): Promise<ReadonlyMap<number, string>> {
    const cached = this.#owners.get(queryId);
    if (cached && !refresh && Date.now() - cached.at < OWNERS_TTL_MS) return cached.byPartition;
    const describe = this.engine.port.admin.describeGroup;
    const byPartition = new Map<number, string>();
    if (describe) {
      for (const m of await describe.call(this.engine.port.admin, runner.groupId)) for (const tp of m.assignment) byPartition.set(tp.partition, m.memberInfo);
    }
    this.#owners.set(queryId, { at: Date.now(), byPartition });
    return byPartition;
  }

  /**
   * Asks an owner. One request per owner (and credentials) is in flight at a
   * time; requests made meanwhile go together in the next one, as a batch: with
   * many lookups at once, the owner answers one HTTP request for several.
   */
  #forward(url: string, request: PartitionsRequest, authorization: string | undefined): Promise<PartitionsResponse> {
    const key = `${url}\n${authorization ?? ''}`;
    let lane = this.#lanes.get(key);
    if (!lane) this.#lanes.set(key, (lane = { busy: false, waiting: [] }));
    const l = lane;
    return new Promise<PartitionsResponse>((resolve, reject) => {
      l.waiting.push({ request, resolve, reject });
      if (!l.busy) void this.#drain(url, authorization, l, key);
    });
  }

  async #drain(url: string, authorization: string | undefined, lane: Lane, key: string): Promise<void> {
    lane.busy = true;
    try {
      while (lane.waiting.length > 0) {
        const asks = lane.waiting.splice(0, MAX_BATCH);
        try {
          if (asks.length === 1) {
            asks[0]!.resolve(await this.#post(url, asks[0]!.request, authorization));
            continue;
          }
          const { batch } = (await this.#post(url, { batch: asks.map((a) => a.request) }, authorization)) as { batch?: PartitionsResponse[] };
          if (!Array.isArray(batch) || batch.length !== asks.length) throw new Error(`${url} answered a batch of ${asks.length} with ${Array.isArray(batch) ? batch.length : 'no batch'}`);
          asks.forEach((a, i) => a.resolve(batch[i]!));
        } catch (e) {
          for (const a of asks) a.reject(e);
        }
      }
    } finally {
      lane.busy = false;
      if (lane.waiting.length === 0) this.#lanes.delete(key);
    }
  }

  async #post(url: string, body: unknown, authorization: string | undefined): Promise<PartitionsResponse> {
    const { status, text } = await postText(new URL(PULL_PARTITIONS_PATH, url), encodeText(body), authorization);
    if (status !== 200) throw new Error(`${url} answered ${status}: ${text.slice(0, 200)}`);
    return decodeText<PartitionsResponse>(text);
  }
}

/** Connections to the other processes stay open between pull queries (and send at once: no Nagle delay). */
const agent = new HttpAgent({ keepAlive: true, noDelay: true });

/** A POST over node's http client (a forwarded lookup costs a fraction of what fetch costs in CPU). */
function postText(url: URL, body: string, authorization: string | undefined): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
    if (authorization) headers['authorization'] = authorization;
    const req = httpRequest(url, { method: 'POST', agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    // an owner that stops answering fails the requests queued behind this one too: not forever
    req.setTimeout(FORWARD_TIMEOUT_MS, () => req.destroy(new Error(`no answer from ${url.origin} in ${FORWARD_TIMEOUT_MS} ms`)));
    req.end(body);
  });
}

/** The keys of an access that live in one partition (ranges and scans read every partition whole). */
function narrow(access: PullAccess, partition: number, where: GroupPartitioner): PullAccess {
  if (access.kind !== 'keys') return access;
  return { kind: 'keys', keys: access.keys.filter((k) => where.partitionOf(k) === partition) };
}
