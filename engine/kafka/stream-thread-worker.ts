import { parentPort, workerData } from 'node:worker_threads';
import type { BrokerRecord, TopicInfo } from '../driver/broker.js';
import { StatementExecutor, type RuntimePort } from '../exec/executor.js';
import { builtinRegistry } from '../functions/builtins.js';
import { MemoryProcessingLog } from '../runtime/processing-log.js';
import { InMemorySchemaRegistry } from '../serde/index.js';
import { engineLogger } from '../server/logger.js';
import { EngineMetrics } from '../server/metrics.js';
import { parseScript } from '../sql/index.js';
import type { Step } from '../topology/topology.js';
import { decodeText, encodeText } from './codec.js';
import { kafkaPort } from './kafka-client.js';
import type { KafkaProducer } from './port.js';
import type { PartitionsRequest, PartitionsResponse } from './pull-service.js';
import { findMaterialization, materializationReader, type MaterializationReader } from './pull-store.js';
import { QueryRunner, type QueryStatus } from './query-runner.js';
import { perQueryTuning, processingLogHeaders, type StreamThreadData, type ToThread, type FromThread } from './stream-threads.js';

/**
 * One stream thread of an engine process (`num.stream.threads` > 1; see
 * stream-threads.ts): a worker_thread with its own Kafka clients that runs a
 * QueryRunner for each persistent query of the service, as one more member
 * of the query's consumer group (Kafka Streams' StreamThread: its own
 * consumer, its own tasks). It keeps no catalog of its own making: the main
 * thread sends it every command it applied from the command log, in order,
 * with the topics it knew before applying it, and the thread executes them
 * on a StatementExecutor whose runtime only starts and stops runners (topics
 * are created and deleted by the main thread), so it derives the same query
 * ids and plans.
 */
const data = workerData as StreamThreadData;
const port = parentPort!;
const logger = engineLogger({ serviceId: data.serviceId, level: data.logLevel, namespace: data.identity?.namespace ?? '', cluster: data.identity?.cluster ?? '' }).child({ stream_thread: data.thread });
const metrics = new EngineMetrics({ serviceId: data.serviceId, namespace: data.identity?.namespace ?? '', cluster: data.identity?.cluster ?? '', defaultMetrics: false });
const kafka = kafkaPort(data.client, { ...data.portOptions, clientId: `${data.portOptions.clientId ?? 'ksetl'}-StreamThread-${data.thread}`, logger, logLevel: 'error' });
const functions = builtinRegistry();
const registry = new InMemorySchemaRegistry();
const processingLog = new MemoryProcessingLog();
const topics = new Map<string, TopicInfo>();
const runners = new Map<string, QueryRunner>();
// the entries of this thread's stores; the main thread's /metrics sums them with its own (query state and counts are the main thread's)
metrics.onCollect('ksetl_state_store_entries', () => {
  const g = metrics.get('ksetl_state_store_entries');
  for (const [id, r] of runners) for (const [store, n] of r.storeEntries()) g.set({ query_id: id, store }, n);
});
const readers = new Map<string, { readonly root: Step; readonly reader: MaterializationReader } | null>();
/** stops of runners still running (a replaced query's new runner starts after them) */
let stopping: Promise<unknown>[] = [];
let replaying = true;
let closed = false;
let producer: Promise<KafkaProducer> | null = null;

const runtime: RuntimePort = {
  topicPartitions: (name) => topics.get(name)?.partitions,
  // the main thread creates and deletes topics; this thread only follows its catalog
  createTopic: (name, partitions, config) => void topics.set(name, { name, partitions, config: config ?? {} }),
  deleteTopic: (name) => void topics.delete(name),
  startQuery: (queryId, root, opts) => startQuery(queryId, root, opts.earliest, opts.properties ?? {}),
  stopQuery: (queryId) => {
    const r = runners.get(queryId);
    if (!r) return;
    runners.delete(queryId);
    stopping.push(r.stop().catch(() => {}));
  },
  // INSERT VALUES is written by the main thread
  produce: () => {},
};
const executor = new StatementExecutor(functions, registry, runtime, data.properties);

function startQuery(queryId: string, root: Step, earliest: boolean, statementProperties: Readonly<Record<string, string>>): void {
  const runner = new QueryRunner({
    port: kafka,
    serviceId: data.serviceId,
    queryId,
    root,
    functions,
    registry,
    properties: { ...executor.properties, ...perQueryTuning(statementProperties) },
    log: processingLog,
    processingLogTopic: data.processingLogTopic,
    processingLogHeaders: processingLogHeaders(data.serviceId, data.identity, queryId),
    guarantee: data.guarantee,
    earliest,
    precreatedInternalTopics: data.precreated,
    sharedProducer: () => (producer ??= kafka.producer()),
    metrics,
    logger: logger.child({ query_id: queryId }),
  });
  runners.set(queryId, runner);
  if (!replaying) launch(queryId, runner);
}

function launch(queryId: string, runner: QueryRunner): void {
  const before = stopping;
  void Promise.allSettled(before)
    .then(() => (closed || runners.get(queryId) !== runner ? undefined : runner.start()))
    .catch((e: Error) => logger.warn({ err: e, query_id: queryId }, 'query failed to start on this stream thread'));
}

function syncPaused(): void {
  for (const [id, r] of runners) {
    if (executor.metastore.query(id)?.state === 'PAUSED') r.pause();
    else r.resume();
  }
}

function apply(statement: string, streamsProperties: Readonly<Record<string, string>>, known: readonly TopicInfo[] | undefined): void {
  if (known) {
    topics.clear();
    for (const t of known) topics.set(t.name, t);
  }
  try {
    const parsed = parseScript(statement, new Map());
    if (parsed.length !== 1) return;
    const st = parsed[0]!;
    executor.executeStatement(st, streamsProperties);
    if (st.kind === 'PauseResume') syncPaused();
  } catch {
    // the main thread refused it too (the same statement on the same catalog), and told the caller
  }
  stopping = stopping.length > 64 ? [] : stopping;
}

function statuses(): Record<string, QueryStatus> {
  const out: Record<string, QueryStatus> = {};
  for (const [id, r] of runners) out[id] = r.status;
  return out;
}

function readerOf(queryId: string, runner: QueryRunner): MaterializationReader | null {
  const cached = readers.get(queryId);
  if (cached !== undefined && (cached === null || cached.root === runner.root)) return cached?.reader ?? null;
  const m = findMaterialization(runner.root);
  const r = m ? { root: runner.root, reader: materializationReader(m, { functions, registry, properties: executor.properties, queryId }) } : null;
  readers.set(queryId, r);
  return r?.reader ?? null;
}

/** A pull request for partitions: those this thread's tasks own are read from their stores. */
async function serve(request: PartitionsRequest): Promise<PartitionsResponse> {
  const runner = runners.get(request.queryId);
  const reader = runner ? readerOf(request.queryId, runner) : null;
  if (!runner || !reader) return { records: [], notOwned: [...request.partitions] };
  const records: BrokerRecord[] = [];
  const notOwned: number[] = [];
  for (const p of request.partitions) {
    const store = await runner.localStore(p, reader.storeName);
    if (store === undefined) notOwned.push(p);
    else if (store !== null) records.push(...reader.read(store, p, request.access));
  }
  return { records, notOwned };
}

function send(m: FromThread): void {
  port.postMessage(m);
}

/** Commands are applied one after another, in the order the main thread applied them. */
let queue: Promise<void> = Promise.resolve();

port.on('message', (m: ToThread) => {
  switch (m.type) {
    case 'command':
      queue = queue.then(() => {
        apply(m.statement, m.streamsProperties, m.topics);
        send({ type: 'status', statuses: statuses() });
      });
      return;
    case 'endReplay':
      queue = queue.then(() => {
        if (m.topics) {
          topics.clear();
          for (const t of m.topics) topics.set(t.name, t);
        }
        replaying = false;
        syncPaused();
        for (const [id, r] of runners) launch(id, r);
      });
      return;
    case 'stop':
      queue = queue.then(async () => {
        const r = runners.get(m.queryId);
        runners.delete(m.queryId);
        if (r) await r.stop().catch(() => {});
        if (!m.keepState) metrics.removeQuery(m.queryId);
        send({ type: 'status', statuses: statuses() });
        send({ type: 'reply', id: m.id, text: '' });
      });
      return;
    case 'sync':
      queue = queue.then(() => send({ type: 'reply', id: m.id, text: '' }));
      return;
    case 'read':
      void serve(decodeText<PartitionsRequest>(m.request)).then(
        (r) => send({ type: 'reply', id: m.id, text: encodeText(r) }),
        (e: Error) => send({ type: 'reply', id: m.id, error: e.message }),
      );
      return;
    case 'metrics':
      void metrics.registry.getMetricsAsJSON().then(
        (json) => send({ type: 'reply', id: m.id, text: JSON.stringify(json) }),
        (e: Error) => send({ type: 'reply', id: m.id, error: e.message }),
      );
      return;
    case 'close':
      closed = true;
      void queue
        .then(async () => {
          await Promise.allSettled([...runners.values()].map((r) => r.stop()));
          await Promise.allSettled(stopping);
          const p = producer;
          if (p) await (await p).close().catch(() => {});
          await kafka.close().catch(() => {});
        })
        .finally(() => {
          clearInterval(timer);
          if (lagTimer) clearInterval(lagTimer);
          send({ type: 'reply', id: m.id, text: '' });
          port.close();
        });
      return;
    default: {
      const never: never = m;
      throw new Error(`unknown message ${JSON.stringify(never)}`);
    }
  }
});

// consumer lag of this thread's partitions (and missing sources), as the main thread refreshes its own (KafkaEngine.refreshLag)
const lagEvery = Number(data.properties['ksetl.metrics.lag.refresh.ms'] ?? 10_000);
let refreshing = false;
const lagTimer =
  lagEvery > 0
    ? setInterval(() => {
        if (refreshing || closed || runners.size === 0) return;
        refreshing = true;
        const listing = kafka.admin.listTopics().then((t): ReadonlySet<string> => new Set(t));
        listing.catch(() => {});
        void Promise.all([...runners.values()].map((r) => r.refreshLag(listing).catch((e: Error) => logger.debug({ err: e }, 'lag refresh failed')))).finally(() => (refreshing = false));
      }, lagEvery)
    : null;
lagTimer?.unref();

// the main thread answers status questions from the latest snapshot (synchronously, as for its own runners)
const timer = setInterval(() => send({ type: 'status', statuses: statuses() }), 500);
timer.unref();
send({ type: 'status', statuses: {} });
