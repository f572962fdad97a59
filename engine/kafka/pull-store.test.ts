import { describe, expect, it } from 'vitest';
import type { BrokerRecord, ProduceRecord } from '../driver/broker.js';
import { StatementExecutor, type RuntimePort } from '../exec/executor.js';
import { pullAccess, type PullAccess } from '../exec/pull-access.js';
import { builtinRegistry } from '../functions/builtins.js';
import { buildTopology } from '../runtime/build.js';
import { MemoryProcessingLog } from '../runtime/processing-log.js';
import { InMemoryStoreFactory } from '../runtime/store.js';
import { InMemorySchemaRegistry } from '../serde/index.js';
import { parseScript } from '../sql/index.js';
import type { Step } from '../topology/topology.js';
import { findMaterialization, groupPartition, materializationReader } from './pull-store.js';

const functions = builtinRegistry();
const registry = new InMemorySchemaRegistry();

/** Plans the statements; returns the executor and the dataflow of the last persistent query. */
function plan(sql: string): { executor: StatementExecutor; root: Step } {
  let root: Step | null = null;
  const port: RuntimePort = { topicPartitions: () => 1, createTopic: () => {}, deleteTopic: () => {}, startQuery: (_id, r) => void (root = r), stopQuery: () => {}, produce: () => {} };
  const executor = new StatementExecutor(functions, registry, port, {});
  executor.execute(sql);
  return { executor, root: root! };
}

/**
 * Runs the query over the records in one task: returns its stores and what
 * the sink wrote last per key (the table as its topic holds it).
 */
function run(root: Step, input: readonly { key: string; value: unknown; ts: number }[]): { stores: InMemoryStoreFactory; table: Map<string, ProduceRecord> } {
  const stores = new InMemoryStoreFactory();
  const handlers = new Map<string, (r: BrokerRecord) => void>();
  const table = new Map<string, ProduceRecord>();
  buildTopology(root, {
    queryId: 'q',
    functions,
    registry,
    log: new MemoryProcessingLog(),
    stores,
    properties: {},
    subscribe: (topic, h) => void handlers.set(topic, h),
    produce: (_topic, rec) => {
      const k = rec.key!.toString('base64');
      if (rec.value === null) table.delete(k);
      else table.set(k, rec);
    },
  });
  const [[, h]] = [...handlers];
  input.forEach((r, i) => h!({ topic: 'in', partition: 0, offset: i, key: Buffer.from(r.key), value: Buffer.from(JSON.stringify(r.value)), timestamp: r.ts, headers: [] }));
  return { stores, table };
}

const rows = (records: readonly { key: Buffer | null; value: Buffer | null; timestamp: number }[]): [string, unknown, number][] =>
  records.map((r): [string, unknown, number] => [r.key!.toString('base64'), JSON.parse(r.value!.toString()), r.timestamp]).sort((a, b) => a[0].localeCompare(b[0]));

const CLICKS = `CREATE STREAM CLICKS (USER_ID STRING KEY, PAGE STRING, MS INT) WITH (KAFKA_TOPIC='in', VALUE_FORMAT='JSON');`;
const INPUT = [
  { key: 'u1', value: { PAGE: 'a', MS: 10 }, ts: 1000 },
  { key: 'u2', value: { PAGE: 'b', MS: 20 }, ts: 2000 },
  { key: 'u1', value: { PAGE: 'a', MS: 30 }, ts: 3000 },
  { key: 'u3', value: { PAGE: 'c', MS: 5 }, ts: 4000 },
  { key: 'u2', value: { PAGE: 'd', MS: 1 }, ts: 12_000 },
];

function where(executor: StatementExecutor, table: string, condition: string): PullAccess {
  const [st] = parseScript(`SELECT * FROM ${table} WHERE ${condition};`, new Map());
  if (st?.kind !== 'QueryStatement') throw new Error('not a query');
  return pullAccess(st.query.where, executor.metastore.source(table)!, functions);
}

describe('pull queries read an aggregation store as the sink wrote the table', () => {
  it('keys, a range and a scan give the rows the sink holds (projection and HAVING applied), at the groups\' timestamps', () => {
    const { executor, root } = plan(`${CLICKS}
      CREATE TABLE T AS SELECT USER_ID, COUNT(*) AS N, SUM(MS) * 2 AS DOUBLED FROM CLICKS GROUP BY USER_ID HAVING SUM(MS) > 6;`);
    const m = findMaterialization(root)!;
    expect(m.aggregate.kind).toBe('Aggregate');
    expect(m.transforms.map((t) => t.kind)).toEqual(['Filter', 'Project']);
    const { stores, table } = run(root, INPUT);
    const reader = materializationReader(m, { functions, registry, properties: {}, queryId: 'q' });
    const store = stores.stores.get(reader.storeName);
    expect(store?.size).toBe(3);

    // u3 (SUM 5) fails HAVING: not in the table, not read
    expect(rows(reader.read(store, 0, { kind: 'scan' }))).toEqual(rows([...table.values()]));
    expect(rows(reader.read(store, 0, { kind: 'scan' })).map((r) => r[1])).toEqual([{ N: 2, DOUBLED: 80 }, { N: 2, DOUBLED: 42 }]);
    expect(rows(reader.read(store, 0, where(executor, 'T', `USER_ID = 'u2'`)))).toEqual([[Buffer.from('u2').toString('base64'), { N: 2, DOUBLED: 42 }, 12_000]]);
    expect(reader.read(store, 0, where(executor, 'T', `USER_ID IN ('u3', 'nobody')`))).toEqual([]);
    expect(rows(reader.read(store, 0, where(executor, 'T', `USER_ID > 'u1'`))).map((r) => r[1])).toEqual([{ N: 2, DOUBLED: 42 }]);
    expect(rows(reader.read(store, 0, where(executor, 'T', `USER_ID <= 'u1'`))).map((r) => r[1])).toEqual([{ N: 2, DOUBLED: 80 }]);
  });

  it('reads the windows of time- and session-windowed aggregations', () => {
    for (const window of ['TUMBLING (SIZE 10 SECONDS)', 'SESSION (5 SECONDS)']) {
      const { executor, root } = plan(`${CLICKS}
        CREATE TABLE W AS SELECT USER_ID, COUNT(*) AS N FROM CLICKS WINDOW ${window} GROUP BY USER_ID;`);
      const m = findMaterialization(root)!;
      const { stores, table } = run(root, INPUT);
      const reader = materializationReader(m, { functions, registry, properties: {}, queryId: 'q' });
      const store = stores.stores.get(reader.storeName);
      expect(rows(reader.read(store, 0, { kind: 'scan' })), window).toEqual(rows([...table.values()]));
      const u1 = rows(reader.read(store, 0, where(executor, 'W', `USER_ID = 'u1'`)));
      expect(u1.map((r) => r[1]), window).toEqual([{ N: 2 }]);
    }
  });

  it('finds no materialization where the table is not an aggregation\'s', () => {
    const { root } = plan(`${CLICKS}
      CREATE TABLE SRC (ID STRING PRIMARY KEY, V INT) WITH (KAFKA_TOPIC='src', VALUE_FORMAT='JSON');
      CREATE TABLE COPY AS SELECT * FROM SRC;`);
    expect(findMaterialization(root)).toBeNull();
  });

  it('places a group in the partition its repartition record goes to', () => {
    expect(groupPartition(['u1'], 1)).toBe(0);
    const spread = new Set(Array.from({ length: 100 }, (_, i) => groupPartition([`k${i}`], 4)));
    expect([...spread].sort()).toEqual([0, 1, 2, 3]);
  });
});
