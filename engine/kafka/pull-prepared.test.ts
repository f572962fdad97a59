import { afterEach, describe, expect, it } from 'vitest';
import { MemoryRuntime } from '../driver/memory-runtime.js';
import { isExactKeyLookup, PreparedPullCache, pullShape } from '../exec/pull-cache.js';
import { runPullQuery, type PreparedTablePull } from '../exec/transient.js';
import { preparedPullsOf, pullSnapshot, runPull, transientDepsOf, type KsqlBackend } from '../server/backend.js';
import { parseScript } from '../sql/index.js';
import type { QueryStatement } from '../sql/ast/statement.js';
import { kafkaBackend } from './kafka-backend.js';

/** Pull queries over the Kafka runtime (on the in-memory port) through the REST server's path: prepared once per shape. */
describe('prepared pull queries', () => {
  let rt: MemoryRuntime | undefined;
  afterEach(async () => {
    await rt?.close();
    rt = undefined;
  });

  const query = (sql: string): QueryStatement => {
    const st = parseScript(sql)[0]!;
    if (st.kind !== 'QueryStatement') throw new Error(sql);
    return st;
  };

  async function table(): Promise<{ rt: MemoryRuntime; b: KsqlBackend }> {
    rt = await MemoryRuntime.start({ properties: { 'ksql.streams.auto.offset.reset': 'earliest' } });
    rt.createTopic('clicks', 2);
    await rt.execute(`CREATE STREAM CLICKS (ID STRING KEY, MS INT) WITH (KAFKA_TOPIC='clicks', VALUE_FORMAT='JSON');
      CREATE TABLE T AS SELECT ID, COUNT(*) AS N, SUM(MS) AS TOTAL FROM CLICKS GROUP BY ID;`);
    for (const [i, [id, ms]] of ([['a', 1], ['b', 2], ['a', 3], ['c', 4]] as const).entries()) {
      await rt.pipe('clicks', { key: Buffer.from(id), value: Buffer.from(JSON.stringify({ MS: ms })), timestamp: i });
    }
    return { rt, b: kafkaBackend(rt.engine) };
  }

  /** The whole path (validation, planning, the topology built for the request), as before any preparation. */
  async function unprepared(b: KsqlBackend, sql: string): Promise<readonly (readonly unknown[])[]> {
    const st = query(sql);
    return runPullQuery(transientDepsOf(b, undefined, { snapshot: await pullSnapshot(b, st.query, {}) }), st, {}).rows;
  }

  it('answers key lookups that differ only in their keys from one prepared entry, as the whole path answers them', async () => {
    const { b } = await table();
    const lookups = ["SELECT * FROM T WHERE ID = 'a';", "SELECT * FROM T WHERE ID = 'b';", "SELECT * FROM T WHERE 'c' = ID;", "SELECT * FROM T WHERE ID IN ('c', 'a', 'zz');", "SELECT * FROM T WHERE ID = 'a' OR ID = 'b';", "SELECT * FROM T WHERE T.ID = 'nope';"];
    const first = await runPull(b, query(lookups[0]!), {});
    expect(first.rows).toEqual([['a', 2n, 4]]);
    const cache = preparedPullsOf(b)!;
    expect([cache.size, cache.prepared, cache.hits]).toEqual([1, 1, 0]);
    for (const sql of lookups.slice(1)) {
      const r = await runPull(b, query(sql), {});
      expect(r.rows, sql).toEqual(await unprepared(b, sql));
      expect(r.columns).toEqual(first.columns);
    }
    expect([cache.size, cache.prepared, cache.hits]).toEqual([1, 1, lookups.length - 1]);
    expect((await runPull(b, query("SELECT * FROM T WHERE ID IN ('a', 'b', 'c');"), {})).rows).toEqual(await unprepared(b, "SELECT * FROM T WHERE ID IN ('a', 'b', 'c');"));
    // the result's query ids are the request's own
    const ids = new Set([(await runPull(b, query(lookups[1]!), {})).queryId, (await runPull(b, query(lookups[1]!), {})).queryId]);
    expect(ids.size).toBe(2);
  });

  it('prepares one entry per shape: projection, LIMIT and properties are part of it', async () => {
    const { b } = await table();
    expect((await runPull(b, query("SELECT TOTAL, ID FROM T WHERE ID = 'a';"), {})).rows).toEqual([[4, 'a']]);
    expect((await runPull(b, query("SELECT TOTAL, ID FROM T WHERE ID = 'b';"), {})).rows).toEqual([[2, 'b']]);
    expect((await runPull(b, query("SELECT N * 10 AS X FROM T WHERE ID = 'a';"), {})).rows).toEqual([[20n]]);
    expect((await runPull(b, query("SELECT * FROM T WHERE ID IN ('a', 'b') LIMIT 1;"), {})).rows).toHaveLength(1);
    expect((await runPull(b, query("SELECT * FROM T WHERE ID = 'a';"), { 'ksql.query.pull.table.scan.enabled': 'false' })).rows).toEqual([['a', 2n, 4]]);
    const cache = preparedPullsOf(b)!;
    expect([cache.size, cache.hits]).toEqual([4, 1]);
  });

  it('takes the whole path for WHERE clauses that select more than keys, with the same answers', async () => {
    const { b } = await table();
    for (const sql of ["SELECT * FROM T WHERE ID = 'a' AND N > 5;", "SELECT * FROM T WHERE ID = 'a' AND ID = 'b';", "SELECT * FROM T WHERE ID > 'a';", 'SELECT * FROM T;', "SELECT * FROM T WHERE ID = 'a' OR N = 1;"]) {
      expect((await runPull(b, query(sql), {})).rows, sql).toEqual(await unprepared(b, sql));
    }
    expect(preparedPullsOf(b)?.size ?? 0).toBe(0);
  });

  it('keeps ksqlDB refusals: errors are not cached and come back the same', async () => {
    const { b } = await table();
    await expect(runPull(b, query("SELECT * FROM T WHERE ID = 'a';"), {})).resolves.toBeDefined();
    await expect(runPull(b, query("SELECT *, ROWPARTITION FROM T WHERE ID = 'a';"), {})).rejects.toThrow("Pull queries don't support the following columns in SELECT clauses: `ROWPARTITION`");
    await expect(runPull(b, query("SELECT *, ROWPARTITION FROM T WHERE ID = 'b';"), {})).rejects.toThrow("Pull queries don't support the following columns in SELECT clauses: `ROWPARTITION`");
    await expect(runPull(b, query("SELECT * FROM NOPE WHERE ID = 'a';"), {})).rejects.toThrow('NOPE does not exist.');
  });

  it('forgets every prepared shape when the catalog changes: DROP and CREATE of the table answer with its new columns', async () => {
    const { rt, b } = await table();
    expect((await runPull(b, query("SELECT * FROM T WHERE ID = 'a';"), {})).rows).toEqual([['a', 2n, 4]]);
    const queryId = b.metastore.queries().find((q) => q.sink === 'T')!.id;
    await rt.execute(`TERMINATE ${queryId};`);
    await rt.execute('DROP TABLE T DELETE TOPIC;');
    await expect(runPull(b, query("SELECT * FROM T WHERE ID = 'a';"), {})).rejects.toThrow('T does not exist.');
    await rt.execute('CREATE TABLE T AS SELECT ID, MAX(MS) AS TOP FROM CLICKS GROUP BY ID;');
    const again = await runPull(b, query("SELECT * FROM T WHERE ID = 'a';"), {});
    expect(again.columns.map((c) => c.name)).toEqual(['ID', 'TOP']);
    expect(again.rows).toEqual([['a', 3]]);
    const cache = preparedPullsOf(b)!;
    expect([cache.size, cache.prepared]).toEqual([1, 2]);
    expect((await runPull(b, query("SELECT * FROM T WHERE ID = 'b';"), {})).rows).toEqual([['b', 2]]);
    expect(cache.hits).toBe(1);
  });
});

describe('PreparedPullCache', () => {
  const entry = {} as PreparedTablePull;
  it('keeps entries of one catalog version, the least recently used out first', () => {
    const c = new PreparedPullCache(2);
    c.set('a', 1, entry);
    c.set('b', 1, entry);
    expect(c.get('a', 1)).toBe(entry);
    c.set('c', 1, entry);
    expect([c.get('a', 1), c.get('b', 1), c.get('c', 1)]).toEqual([entry, undefined, entry]);
    expect(c.get('a', 2)).toBeUndefined();
    c.set('d', 2, entry);
    expect([c.size, c.get('a', 2), c.get('d', 2)]).toEqual([1, undefined, entry]);
  });
});

describe('isExactKeyLookup and pullShape', () => {
  it('tells key lookups whose rows are exactly the keys named', async () => {
    const rt = await MemoryRuntime.start();
    try {
      await rt.execute(`CREATE TABLE S (ID STRING PRIMARY KEY, V INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
        CREATE TABLE N (ID BIGINT PRIMARY KEY, V INT) WITH (KAFKA_TOPIC='n', VALUE_FORMAT='JSON', PARTITIONS=1);`);
      const exact = (sql: string): boolean => {
        const q = (parseScript(sql)[0] as QueryStatement).query;
        return isExactKeyLookup(q, rt.source(q.from.kind === 'Source' ? q.from.name : '')!, rt.functions);
      };
      expect(["SELECT * FROM S WHERE ID = 'a';", "SELECT * FROM S x WHERE x.ID IN ('a', 'b');", "SELECT V FROM S WHERE ID = 'a' OR 'b' = ID;", 'SELECT * FROM N WHERE ID = 5;', 'SELECT * FROM N WHERE ID IN (5, 3000000000);'].map(exact)).toEqual([true, true, true, true, true]);
      expect(
        ["SELECT * FROM S WHERE ID = 'a' AND V = 1;", "SELECT * FROM S WHERE ID = 'a' AND ID = 'b';", 'SELECT * FROM S WHERE ID = 1;', "SELECT * FROM S WHERE ID > 'a';", 'SELECT * FROM S;', "SELECT * FROM N WHERE ID = '5';", 'SELECT * FROM N WHERE ID = 1.0;', 'SELECT * FROM N WHERE ID = -1;', "SELECT * FROM S WHERE ID NOT IN ('a');", "SELECT * FROM S WHERE y.ID = 'a';"].map(exact),
      ).toEqual([false, false, false, false, false, false, false, false, false, false]);
      const shape = (sql: string, props: Record<string, string> = {}): string => pullShape((parseScript(sql)[0] as QueryStatement).query, props);
      expect(shape("SELECT * FROM S WHERE ID = 'a';")).toBe(shape("SELECT *   FROM S\nWHERE ID IN ('b', 'c');"));
      expect(shape("SELECT * FROM S WHERE ID = 'a';")).not.toBe(shape("SELECT V FROM S WHERE ID = 'a';"));
      expect(shape("SELECT * FROM S WHERE ID = 'a';")).not.toBe(shape("SELECT * FROM S WHERE ID = 'a' LIMIT 1;"));
      expect(shape("SELECT * FROM S WHERE ID = 'a';")).not.toBe(shape("SELECT * FROM S WHERE ID = 'a';", { 'ksql.query.pull.table.scan.enabled': 'false' }));
    } finally {
      await rt.close();
    }
  });
});
