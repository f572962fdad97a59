import { afterEach, describe, expect, it } from 'vitest';
import { MemoryRuntime } from '../driver/memory-runtime.js';
import type { QueryStatement } from '../sql/ast/statement.js';
import { parseStatements } from '../sql/index.js';
import { runPullQuery, startPushQuery, type PushRow, type TransientDeps } from './transient.js';

const open: MemoryRuntime[] = [];
afterEach(async () => {
  for (const rt of open.splice(0)) await rt.close();
});

/** Transient queries over the engine on the in-memory Kafka: topics read as a read_committed consumer sees them, followed from their end. */
async function setup(sql: string): Promise<{ engine: MemoryRuntime; deps: TransientDeps }> {
  const engine = await MemoryRuntime.start({ properties: { 'ksql.streams.auto.offset.reset': 'earliest' } });
  open.push(engine);
  await engine.execute(sql);
  const deps: TransientDeps = {
    source: (n) => engine.source(n),
    functions: engine.functions,
    registry: engine.registry,
    properties: engine.engine.properties,
    readTopic: (t) => engine.read(t),
    subscribeTopic: (t, h) => engine.engine.subscribeTopic(t, h),
  };
  return { engine, deps };
}

const q = (sql: string): QueryStatement => parseStatements(sql)[0] as QueryStatement;

describe('pull queries', () => {
  it('scan a stream, with LIMIT', async () => {
    const { deps } = await setup(
      "CREATE STREAM S (K STRING KEY, V INT) WITH (kafka_topic='s', value_format='JSON', partitions=1); INSERT INTO S (K, V) VALUES ('a', 1); INSERT INTO S (K, V) VALUES ('b', 2);",
    );
    const all = runPullQuery(deps, q('SELECT V, K FROM S;'));
    expect(all.columns.map((c) => [c.name, c.key])).toEqual([
      ['V', false],
      ['K', false],
    ]);
    expect(all.rows).toEqual([
      [1, 'a'],
      [2, 'b'],
    ]);
    expect(all.finalMessage).toBe('Query Completed');
    const one = runPullQuery(deps, q('SELECT * FROM S LIMIT 1;'));
    expect(one.rows).toEqual([['a', 1]]);
    expect(one.finalMessage).toBe('Limit Reached');
  });

  it('look up the latest row per key of a materialized table', async () => {
    const { deps } = await setup(
      "CREATE STREAM S (K STRING KEY, V INT) WITH (kafka_topic='s', value_format='JSON', partitions=1); CREATE TABLE T AS SELECT K, COUNT(*) AS C FROM S GROUP BY K;" +
        "INSERT INTO S (K, V) VALUES ('a', 1); INSERT INTO S (K, V) VALUES ('a', 2); INSERT INTO S (K, V) VALUES ('b', 3);",
    );
    expect(runPullQuery(deps, q("SELECT * FROM T WHERE K = 'a';")).rows).toEqual([['a', 2n]]);
    expect(runPullQuery(deps, q('SELECT C FROM T;')).rows).toEqual([[2n], [1n]]);
    expect(runPullQuery(deps, q('SELECT * FROM T;')).finalMessage).toBeNull();
  });

  it('refuse what ksqlDB refuses', async () => {
    const { deps } = await setup("CREATE TABLE U (ID BIGINT PRIMARY KEY, V INT) WITH (kafka_topic='u', value_format='JSON', partitions=1);");
    expect(() => runPullQuery(deps, q('SELECT * FROM U;'))).toThrow("The `U` table isn't queryable");
    expect(() => runPullQuery(deps, q('SELECT *, ROWPARTITION FROM U;'))).toThrow("Pull queries don't support the following columns in SELECT clauses: `ROWPARTITION`");
  });
});

describe('push queries', () => {
  it('stream new rows until the LIMIT', async () => {
    const { engine, deps } = await setup("CREATE STREAM S (K STRING KEY, V INT) WITH (kafka_topic='s', value_format='JSON', partitions=1); INSERT INTO S (K, V) VALUES ('old', 0);");
    const rows: PushRow[] = [];
    let final: string | null = null;
    const h = startPushQuery(deps, q('SELECT ROWTIME AS T, V FROM S WHERE V > 1 EMIT CHANGES LIMIT 1;'), (r) => rows.push(r), { earliest: false, onComplete: (m) => (final = m) });
    expect(h.columns.map((c) => c.name)).toEqual(['T', 'V']);
    await engine.settle(); // the push query's consumer has joined
    await engine.execute("INSERT INTO S (ROWTIME, K, V) VALUES (5, 'x', 1); INSERT INTO S (ROWTIME, K, V) VALUES (6, 'y', 2); INSERT INTO S (ROWTIME, K, V) VALUES (7, 'z', 3);");
    expect(rows).toEqual([{ columns: [6n, 2], tombstone: false }]);
    expect(final).toBe('Limit Reached');
    expect(h.closed).toBe(true);
  });
});
