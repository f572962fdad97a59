import type { BrokerRecord, ProduceRecord } from '../driver/broker.js';
import { inRange, type PullAccess } from '../exec/pull-access.js';
import type { FunctionRegistry } from '../functions/types.js';
import type { RuntimeContext } from '../runtime/context.js';
import { keyString } from '../runtime/key-string.js';
import { aggregateStore, type AggState, type SessionState } from '../runtime/operators/aggregate.js';
import { sinkOperator } from '../runtime/operators/source-sink.js';
import { filterOperator, projectOperator } from '../runtime/operators/stateless.js';
import { MemoryProcessingLog } from '../runtime/processing-log.js';
import type { Emit, Rec } from '../runtime/record.js';
import { InMemoryStoreFactory, type KeyValueStore, type WindowStore } from '../runtime/store.js';
import type { SchemaRegistry } from '../serde/types.js';
import type { AggregateStep, FilterStep, ProjectStep, SinkStep, Step } from '../topology/topology.js';

/**
 * Where a persistent query keeps the table it writes, as ksqlDB's
 * materialization: the aggregation's store, and the steps between it and
 * the sink (the projection, HAVING) applied to a stored group when read.
 * A table the runtime keeps elsewhere (a join's result, a table copied
 * from another) has none here: pull queries read its topic.
 */
export interface Materialization {
  readonly sink: SinkStep;
  readonly aggregate: AggregateStep;
  /** from the aggregation up to the sink */
  readonly transforms: readonly (ProjectStep | FilterStep)[];
}

export function findMaterialization(root: Step): Materialization | null {
  if (root.kind !== 'Sink') return null;
  const transforms: (ProjectStep | FilterStep)[] = [];
  let s: Step = root.input;
  while (s.kind === 'Project' || s.kind === 'Filter') {
    transforms.unshift(s);
    s = s.input;
  }
  if (s.kind !== 'Aggregate') return null;
  // the sink's key is the group key (a projection computes values; the key passes through, renamed)
  if (transforms.some((t) => t.schema.key.length !== t.input.schema.key.length)) return null;
  return { sink: root, aggregate: s, transforms };
}

export { groupPartition } from './task-topology.js';

export interface MaterializationReader {
  /** the store's name in a task */
  readonly storeName: string;
  /** its kind in a task's store factory (session stores are key-value stores) */
  readonly storeKind: 'keyValue' | 'window';
  /**
   * The records the sink would have written for the stored groups the access
   * selects in one task's store (the table's latest rows): key and value in
   * the sink's formats, the group's timestamp.
   */
  read(store: unknown, partition: number, access: PullAccess): BrokerRecord[];
}

/** Reads a materialization's store through its transforms and the sink's serializers. */
export function materializationReader(m: Materialization, deps: { functions: FunctionRegistry; registry: SchemaRegistry; properties: Readonly<Record<string, string>>; queryId: string }): MaterializationReader {
  const { name, kind, results } = aggregateStore(m.aggregate, deps.functions);
  let captured: ProduceRecord[] = [];
  const ctx: RuntimeContext = {
    queryId: deps.queryId,
    functions: deps.functions,
    registry: deps.registry,
    // expression errors while reading go nowhere: the query logged them when it computed the row
    log: new MemoryProcessingLog(),
    stores: new InMemoryStoreFactory(),
    properties: deps.properties,
    subscribe: () => {},
    produce: (_topic, rec) => void captured.push(rec),
  };
  const write = sinkOperator(m.sink, ctx);
  let emit: Emit = (rec) => {
    if (rec.value !== null) write(rec);
  };
  for (const t of [...m.transforms].reverse()) emit = t.kind === 'Project' ? projectOperator(t, ctx, emit, false) : filterOperator(t, ctx, emit, false);
  const topic = m.sink.topic;

  const toRecord = (key: readonly unknown[], accs: readonly unknown[], ts: number, partition: number, window: Rec['window']): void => {
    emit({ key, value: results(accs), old: undefined, ts, partition, offset: 0, window, headers: [], nullKey: undefined });
  };
  const wanted = (access: PullAccess): ((key: readonly unknown[]) => boolean) => {
    switch (access.kind) {
      case 'scan':
        return () => true;
      case 'range':
        return (key) => inRange(key[0], access.lower, access.upper);
      case 'keys': {
        const set = new Set(access.keys.map(keyString));
        return (key) => set.has(keyString(key));
      }
    }
  };

  return {
    storeName: name,
    storeKind: kind === 'window' ? 'window' : 'keyValue',
    read(store, partition, access) {
      captured = [];
      const want = wanted(access);
      if (kind === 'keyValue') {
        const kv = store as KeyValueStore<AggState>;
        if (access.kind === 'keys') {
          for (const k of access.keys) {
            const s = kv.get(keyString(k));
            if (s) toRecord(s.key, s.accs, s.ts, partition, null);
          }
        } else {
          for (const [, s] of kv.entries()) if (want(s.key)) toRecord(s.key, s.accs, s.ts, partition, null);
        }
      } else if (kind === 'window') {
        const size = m.aggregate.window!.sizeMs;
        for (const [, start, s] of (store as WindowStore<AggState>).entries()) if (want(s.key)) toRecord(s.key, s.accs, s.ts, partition, { start, end: start + size });
      } else {
        const ss = store as KeyValueStore<SessionState>;
        const states = access.kind === 'keys' ? access.keys.map((k) => ss.get(keyString(k))).filter((s) => s !== undefined) : [...ss.entries()].map(([, s]) => s).filter((s) => want(s.key));
        for (const s of states) for (const x of s.sessions) toRecord(s.key, x.accs, x.ts, partition, { start: x.start, end: x.end });
      }
      const out = captured.map((r): BrokerRecord => ({ topic, partition, offset: 0, key: r.key, value: r.value, timestamp: r.timestamp ?? 0, headers: [] }));
      captured = [];
      return out;
    },
  };
}
