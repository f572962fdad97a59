import type { Metastore } from '../catalog/metastore.js';
import type { DataSource } from '../catalog/data-source.js';
import type { BrokerRecord, ProduceRecord, TopicInfo } from '../driver/broker.js';
import type { StatementResult } from '../engine.js';
import { KsqlError } from '../errors.js';
import { pullAccess, type PullAccess } from '../exec/pull-access.js';
import { isExactKeyLookup, PreparedPullCache, pullShape } from '../exec/pull-cache.js';
import { validatePull } from '../analyzer/pull-query.js';
import { prepareTablePull, runPullQuery, type PreparedTablePull, type PullResult, type TransientDeps } from '../exec/transient.js';
import type { Query } from '../sql/ast/query.js';
import type { FunctionRegistry } from '../functions/types.js';
import type { SchemaRegistry } from '../serde/types.js';
import type { QueryStatement, Statement } from '../sql/ast/statement.js';
import type { Step } from '../topology/topology.js';

/** Where another process of the service asks this one for rows of the partitions it owns (pull queries served from state). */
export const PULL_PARTITIONS_PATH = '/ksetl/pull-partitions';

/**
 * What the REST server needs from an engine: run one parsed statement, read
 * the catalog, and read / subscribe / write topics for transient queries and
 * inserts. The in-memory engine implements it below; the Kafka driver plugs in
 * the same way.
 */
export interface KsqlBackend {
  /** The Kafka backend answers once the statement went through the command log (a Promise). */
  executeStatement(st: Statement, properties: Readonly<Record<string, string>>): StatementResult | Promise<StatementResult>;
  readonly metastore: Metastore;
  readonly functions: FunctionRegistry;
  readonly registry: SchemaRegistry;
  /** engine properties (ksql.*) */
  readonly properties: Readonly<Record<string, string>>;
  topics(): readonly TopicInfo[];
  /**
   * Whether a topic exists, asking the cluster (`topics()` may lag a topic
   * created by another client): a CREATE STREAM / TABLE without PARTITIONS
   * needs its topic to exist. Backends without it answer from `topics()`.
   */
  topicExists?(name: string): Promise<boolean>;
  createTopic(name: string, partitions: number): void;
  readTopic(topic: string): readonly BrokerRecord[];
  /**
   * Backends that cannot read a topic synchronously (Kafka) read it here, from
   * its start to its current end: the server scans a pull query's source with
   * it, and push queries from earliest subscribe from the start instead.
   */
  scanTopic?(topic: string): Promise<readonly BrokerRecord[]>;
  /**
   * Backends that keep tables in state stores (Kafka) read a pull query's rows
   * there: the records of the table's topic the access selects (the latest row
   * per key), from this process's stores and the other processes'. Null: the
   * table is not served from state, and the server scans its topic instead.
   * `authorization` is the request's, for the requests to other processes;
   * `properties` the request's (e.g. `ksql.query.pull.enable.standby.reads`).
   */
  pullFromState?(source: DataSource, access: PullAccess, authorization?: string, properties?: Readonly<Record<string, string>>): Promise<readonly BrokerRecord[] | null>;
  /** Answers another process's pull request for partitions this one owns (`PULL_PARTITIONS_PATH`): codec text in and out. */
  servePullPartitions?(body: string): Promise<string>;
  /** `from` (default latest) is given only to backends with `scanTopic`. */
  subscribeTopic(topic: string, handler: (r: BrokerRecord) => void, from?: 'earliest' | 'latest'): () => void;
  produce(topic: string, rec: ProduceRecord): void;
  /**
   * What a persistent query's runtime says of it (SHOW QUERIES, EXPLAIN): its
   * state (RUNNING, PAUSED, ERROR) and latest errors. Backends without one
   * leave the metastore's state.
   */
  queryStatus?(queryId: string): QueryRuntimeStatus | undefined;
  /** The plan of a running persistent query (the console's query graph). */
  queryPlan?(queryId: string): Step | undefined;
  /** the Kafka cluster's id (GET /info); undefined: none (the in-memory broker) */
  kafkaClusterId?(): string | undefined;
  close(): void;
}

/** A query's state and latest errors as ksqlDB's REST API shows them (KsqlQueryStatus, QueryError). */
export interface QueryRuntimeStatus {
  readonly state: 'RUNNING' | 'PAUSED' | 'ERROR' | 'UNRESPONSIVE';
  readonly errors: readonly { readonly timestamp: number; readonly errorMessage: string; readonly type: 'USER' | 'SYSTEM' | 'UNKNOWN' }[];
}

/** A persistent query's state: the runtime's when the backend has one, else the metastore's. */
export function queryState(b: KsqlBackend, q: { readonly id: string; readonly state: string }): string {
  return b.queryStatus?.(q.id)?.state ?? q.state;
}


export interface TransientReads {
  /** topics already read (scanTopic) for a pull query */
  readonly snapshot?: ReadonlyMap<string, readonly BrokerRecord[]>;
  /** a push query from earliest over a backend with scanTopic: subscribe from the start, replay nothing */
  readonly earliest?: boolean;
}

/** The transient-query ports of a backend. */
export function transientDepsOf(b: KsqlBackend, log?: TransientDeps['log'], reads: TransientReads = {}): TransientDeps {
  const fromStart = reads.earliest === true && b.scanTopic !== undefined;
  return {
    source: (name: string): DataSource | undefined => b.metastore.source(name),
    functions: b.functions,
    registry: b.registry,
    properties: b.properties,
    readTopic: (t) => reads.snapshot?.get(t) ?? (fromStart ? [] : b.readTopic(t)),
    subscribeTopic: (t, h) => (fromStart ? b.subscribeTopic(t, h, 'earliest') : b.subscribeTopic(t, h)),
    ...(log ? { log } : {}),
  };
}

/**
 * Reads the source of a pull query for a backend that reads asynchronously:
 * a table from state (`pullFromState`) when the backend serves it so, else
 * the source's topic through `scanTopic`.
 */
export async function pullSnapshot(b: KsqlBackend, query: Query, props: Readonly<Record<string, string>>, authorization?: string): Promise<Map<string, readonly BrokerRecord[]>> {
  const snapshot = new Map<string, readonly BrokerRecord[]>();
  const source = query.from.kind === 'Source' ? b.metastore.source(query.from.name) : undefined;
  if (!b.scanTopic || !source) return snapshot;
  if (!b.topics().some((t) => t.name === source.topic)) return snapshot;
  if (b.pullFromState && source.sourceType === 'TABLE') {
    // refused queries are refused before anything is read
    validatePull(query, transientDepsOf(b), { ...b.properties, ...props });
    const rows = await b.pullFromState(source, pullAccess(query.where, source, b.functions), authorization, props);
    if (rows !== null) {
      snapshot.set(source.topic, rows);
      return snapshot;
    }
  }
  snapshot.set(source.topic, await b.scanTopic(source.topic));
  return snapshot;
}

/**
 * A pull query's records read from Kafka or the state stores, refused past
 * `ksetl.server.request.max.memory.bytes` before the query runs over them
 * (the read itself is not cut short).
 */
function checkReadSize(records: readonly BrokerRecord[], maxBytes: number): void {
  if (maxBytes === Infinity) return;
  let size = 0;
  for (const r of records) {
    size += (r.key?.length ?? 0) + (r.value?.length ?? 0);
    if (size > maxBytes) throw new KsqlError(`The records the pull query reads are larger than ${maxBytes} bytes (ksetl.server.request.max.memory.bytes). Narrow it with a WHERE clause on the key.`);
  }
}

/** Each backend's prepared pull queries (see exec/pull-cache.ts). */
const preparedPulls = new WeakMap<KsqlBackend, PreparedPullCache>();

/** A backend's prepared pull queries, once it served one. */
export function preparedPullsOf(b: KsqlBackend): PreparedPullCache | undefined {
  return preparedPulls.get(b);
}

/**
 * Runs a pull query for the REST server. Over a backend that serves tables
 * from state, an exact key lookup whose shape was prepared before reads its
 * keys' rows and runs them through the prepared dataflow (no validation,
 * planning or compiling per request); any other query, or the first of its
 * shape, takes the whole path (pullSnapshot, runPullQuery) and prepares its
 * shape for the next ones.
 */
export async function runPull(b: KsqlBackend, st: QueryStatement, props: Readonly<Record<string, string>>, authorization?: string, maxReadBytes = Infinity): Promise<PullResult> {
  const query = st.query;
  const source = b.pullFromState && b.scanTopic && query.from.kind === 'Source' ? b.metastore.source(query.from.name) : undefined;
  const exact = source !== undefined && isExactKeyLookup(query, source, b.functions);
  let cache: PreparedPullCache | undefined;
  let shape = '';
  let prepared: PreparedTablePull | undefined;
  const version = b.metastore.version;
  if (exact) {
    cache = preparedPulls.get(b);
    if (!cache) preparedPulls.set(b, (cache = new PreparedPullCache()));
    shape = pullShape(query, { ...b.properties, ...props });
    prepared = cache.get(shape, version);
    if (prepared !== undefined && prepared.source === source) {
      const access = pullAccess(query.where, source, b.functions);
      const rows = access.kind === 'keys' ? await b.pullFromState!(source, access, authorization, props) : null;
      if (rows !== null) {
        checkReadSize(rows, maxReadBytes);
        return prepared.run(rows, query.limit);
      }
    }
  }
  const snapshot = await pullSnapshot(b, query, props, authorization);
  for (const records of snapshot.values()) checkReadSize(records, maxReadBytes);
  const deps = transientDepsOf(b, undefined, { snapshot });
  const result = runPullQuery(deps, st, props);
  // (a prepared shape whose table is not served from state, e.g. a source table, stays prepared)
  if (cache !== undefined && prepared === undefined && b.metastore.version === version) {
    try {
      cache.set(shape, version, prepareTablePull(transientDepsOf(b), query, props));
    } catch {
      // a shape that cannot be prepared takes the whole path each time
    }
  }
  return result;
}
