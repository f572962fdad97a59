import { afterEach, describe, expect, it } from 'vitest';
import { MemoryRuntime } from '../driver/memory-runtime.js';

/**
 * The statement executor's DDL/DML rules through the engine on the in-memory Kafka. Error
 * cases are a table (setup, statement, expected message substrings); cases the
 * engine gets wrong today are `knownBug` and run as expected failures, so a fix
 * turns them red and the marker gets removed.
 */
type Engine = MemoryRuntime;

const open: MemoryRuntime[] = [];
afterEach(async () => {
  for (const rt of open.splice(0)) await rt.close();
});

async function start(properties: Record<string, string>): Promise<Engine> {
  const e = await MemoryRuntime.start({ properties });
  open.push(e);
  return e;
}

const BASE = `
  CREATE STREAM S (ID STRING KEY, A INT, B STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON');
  CREATE TABLE T (ID STRING PRIMARY KEY, A INT) WITH (KAFKA_TOPIC='t', VALUE_FORMAT='JSON');`;

async function engine(sql = ''): Promise<Engine> {
  const e = await start({ 'ksql.streams.auto.offset.reset': 'earliest' });
  await e.execute(BASE + sql);
  return e;
}

async function errorOf(e: Engine, sql: string): Promise<string | null> {
  try {
    await e.execute(sql);
    return null;
  } catch (x) {
    return x instanceof Error ? x.message : String(x);
  }
}

function values(e: Engine, topic: string): { key: string | null; value: unknown; ts: number }[] {
  return e.read(topic).map((r) => ({
    key: r.key?.toString('utf8') ?? null,
    value: r.value === null ? null : (JSON.parse(r.value.toString('utf8')) as unknown),
    ts: r.timestamp,
  }));
}

interface ErrorCase {
  readonly name: string;
  readonly setup?: string;
  readonly sql: string;
  readonly error: readonly string[];
  readonly knownBug?: string;
}

const errorCases: readonly ErrorCase[] = [
  // DROP
  {
    name: 'DROP a source that a query reads',
    setup: 'CREATE STREAM O AS SELECT * FROM S;',
    sql: 'DROP STREAM S;',
    error: ['Cannot drop S.', 'The following queries read from this source: [CSAS_O_0]', 'terminate them'],
  },
  {
    name: 'DROP a sink that an INSERT INTO query writes',
    setup: 'CREATE STREAM O AS SELECT * FROM S; CREATE STREAM S2 (ID STRING KEY, A INT, B STRING) WITH (KAFKA_TOPIC=\'s2\', VALUE_FORMAT=\'JSON\', PARTITIONS=1); INSERT INTO O SELECT * FROM S2;',
    sql: 'DROP STREAM O;',
    error: ['Cannot drop O.', 'The following queries write into this source: [INSERTQUERY_1]'],
  },
  { name: 'DROP an unknown stream', sql: 'DROP STREAM NOPE;', error: ['Stream NOPE does not exist.'] },
  { name: 'DROP TABLE on a stream', sql: 'DROP TABLE S;', error: ['Incompatible data source type is STREAM, but statement was DROP TABLE'] },
  {
    name: 'DROP ... DELETE TOPIC on a read-only source',
    setup: "CREATE SOURCE STREAM RO (ID STRING KEY, A INT) WITH (KAFKA_TOPIC='ro', VALUE_FORMAT='JSON');",
    sql: 'DROP STREAM RO DELETE TOPIC;',
    error: ['Cannot delete topic for read-only source: RO'],
  },
  // CREATE / CREATE OR REPLACE
  {
    name: 'CREATE a stream whose name is taken',
    sql: "CREATE STREAM S (ID STRING KEY) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON');",
    error: ["Cannot add stream 'S': A stream with the same name already exists"],
  },
  {
    name: 'CREATE AS SELECT over a name taken by a table',
    sql: 'CREATE STREAM T AS SELECT * FROM S;',
    error: ["Cannot add stream 'T': A table with the same name already exists"],
  },
  {
    name: 'CREATE OR REPLACE a SOURCE stream',
    setup: "CREATE SOURCE STREAM RO (ID STRING KEY, A INT) WITH (KAFKA_TOPIC='ro', VALUE_FORMAT='JSON');",
    sql: "CREATE OR REPLACE SOURCE STREAM RO (ID STRING KEY, A INT, B INT) WITH (KAFKA_TOPIC='ro', VALUE_FORMAT='JSON');",
    error: ['CREATE OR REPLACE is not supported on source streams'],
  },
  {
    name: 'CREATE TABLE AS SELECT from a stream without GROUP BY',
    sql: 'CREATE TABLE X AS SELECT * FROM S;',
    error: ['Invalid result type. Your SELECT query produces a STREAM'],
  },
  {
    name: 'CREATE OR REPLACE turning a stream into a table',
    setup: 'CREATE STREAM O AS SELECT ID, A FROM S;',
    sql: 'CREATE OR REPLACE TABLE O AS SELECT ID, COUNT(*) AS N FROM S GROUP BY ID;',
    error: ["Cannot add table 'O': A stream with the same name already exists"],
  },
  {
    name: 'CREATE OR REPLACE dropping a value column',
    setup: 'CREATE STREAM O AS SELECT ID, A, B FROM S;',
    sql: 'CREATE OR REPLACE STREAM O AS SELECT ID, B FROM S;',
    error: ['not upgrade compatible'],
  },
  {
    name: 'CREATE OR REPLACE changing the key',
    setup: 'CREATE STREAM O AS SELECT ID, A, B FROM S;',
    sql: 'CREATE OR REPLACE STREAM O AS SELECT B, ID, A FROM S PARTITION BY B;',
    error: ['not upgrade compatible'],
  },
  {
    name: 'CREATE OR REPLACE changing the GROUP BY of an aggregation',
    setup: 'CREATE TABLE C AS SELECT ID, COUNT(*) AS N FROM S GROUP BY ID;',
    sql: 'CREATE OR REPLACE TABLE C AS SELECT B AS ID, COUNT(*) AS N FROM S GROUP BY B;',
    error: ['Query is not upgradeable. Plan step of type StreamAggregate must have matching groupByExpressions. Values differ: [S.ID] vs. [S.B]'],
  },
  {
    name: 'CREATE OR REPLACE changing an aggregation function',
    setup: 'CREATE TABLE C AS SELECT ID, COUNT(*) AS N FROM S GROUP BY ID;',
    sql: 'CREATE OR REPLACE TABLE C AS SELECT ID, COUNT(*) AS N, SUM(A) AS T FROM S GROUP BY ID;',
    error: ['Query is not upgradeable. Plan step of type StreamAggregate must have matching aggregationFunctions. Values differ: [COUNT()] vs. [COUNT(), SUM(S.A)]'],
  },
  {
    name: 'CREATE OR REPLACE adding a window',
    setup: 'CREATE TABLE C AS SELECT ID, COUNT(*) AS N FROM S GROUP BY ID;',
    sql: 'CREATE OR REPLACE TABLE C AS SELECT ID, COUNT(*) AS N FROM S WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY ID;',
    error: ['Query is not upgradeable. Plan step of type StreamAggregate must have matching type. Values differ: StreamAggregate vs. StreamWindowedAggregate'],
  },
  {
    name: 'CREATE OR REPLACE changing the source',
    setup: "CREATE STREAM S2 (ID STRING KEY, A INT, B STRING) WITH (KAFKA_TOPIC='s2', VALUE_FORMAT='JSON'); CREATE STREAM O AS SELECT ID, A FROM S;",
    sql: 'CREATE OR REPLACE STREAM O AS SELECT ID, A FROM S2;',
    error: ['Query is not upgradeable. Plan step of type StreamSource must have matching topicName. Values differ: s vs. s2'],
  },
  {
    name: 'CREATE OR REPLACE adding a join',
    setup: 'CREATE STREAM O AS SELECT ID, A FROM S;',
    sql: 'CREATE OR REPLACE STREAM O AS SELECT S.ID AS ID, S.A AS A, T.A AS TA FROM S JOIN T ON S.ID = T.ID;',
    error: ['Query is not upgradeable. Plan step of type StreamSource must have matching type. Values differ: StreamSource vs. StreamTableJoin'],
  },
  {
    name: 'CREATE OR REPLACE changing a join type',
    setup: 'CREATE STREAM O AS SELECT S.ID, S.A, T.A AS TA FROM S JOIN T ON S.ID = T.ID;',
    sql: 'CREATE OR REPLACE STREAM O AS SELECT S.ID, S.A, T.A AS TA FROM S LEFT JOIN T ON S.ID = T.ID;',
    error: ['Query is not upgradeable. Plan step of type StreamTableJoin must have matching joinType. Values differ: INNER vs. LEFT'],
  },
  // INSERT VALUES
  {
    name: 'INSERT VALUES with fewer values than columns',
    sql: "INSERT INTO S (ID, A) VALUES ('k');",
    error: ['Expected number columns and values to match'],
  },
  { name: 'INSERT VALUES into an unknown column', sql: "INSERT INTO S (ID, Z) VALUES ('k', 1);", error: ['Column name Z does not exist.'] },
  { name: 'INSERT VALUES into an unknown source', sql: "INSERT INTO NOPE (ID) VALUES ('k');", error: ['Cannot insert values into an unknown stream/table: NOPE'] },
  { name: 'INSERT VALUES with a value of the wrong type', sql: "INSERT INTO S (ID, A) VALUES ('k', 'abc');", error: ['Expected type INTEGER for field A'] },
  {
    name: 'INSERT VALUES into a read-only source',
    setup: "CREATE SOURCE STREAM RO (ID STRING KEY, A INT) WITH (KAFKA_TOPIC='ro', VALUE_FORMAT='JSON');",
    sql: "INSERT INTO RO (ID, A) VALUES ('k', 1);",
    error: ['Cannot insert values into read-only stream: RO'],
  },
  {
    name: 'INSERT VALUES into a table without its primary key',
    sql: 'INSERT INTO T (A) VALUES (1);',
    error: ['Value for primary key column(s) ID is required for tables'],
  },
  // INSERT INTO ... SELECT
  {
    name: 'INSERT INTO ... SELECT with a different schema',
    setup: "CREATE STREAM S2 (ID STRING KEY, A INT) WITH (KAFKA_TOPIC='s2', VALUE_FORMAT='JSON');",
    sql: 'INSERT INTO S2 SELECT * FROM S;',
    error: ['Incompatible schema between results and sink'],
  },
  {
    name: 'INSERT INTO ... SELECT a literal too wide for the DECIMAL column (no implicit cast)',
    setup: "CREATE STREAM D (ID STRING KEY, C DECIMAL(5, 2)) WITH (KAFKA_TOPIC='d', VALUE_FORMAT='JSON');",
    sql: 'INSERT INTO D SELECT ID, 1234.5 AS C FROM S;',
    error: ['Incompatible schema between results and sink', '`C` DECIMAL(5, 1)'],
  },
  { name: 'INSERT INTO ... SELECT into a table', sql: 'INSERT INTO T SELECT ID, COUNT(*) AS A FROM S GROUP BY ID;', error: ['INSERT INTO can only be used to insert into a stream'] },
  // others
  { name: 'TERMINATE an unknown query', sql: 'TERMINATE CSAS_NOPE_9;', error: ['Unknown queryId: CSAS_NOPE_9'] },
  { name: 'a stream DDL without KAFKA_TOPIC', sql: "CREATE STREAM X (A INT) WITH (VALUE_FORMAT='JSON');", error: ['Missing required property "KAFKA_TOPIC"'] },
  { name: 'a table without a PRIMARY KEY', sql: "CREATE TABLE X (A INT) WITH (KAFKA_TOPIC='x', VALUE_FORMAT='JSON');", error: ['Tables require a PRIMARY KEY'] },
  // ALTER
  { name: 'ALTER adds a column that exists', sql: 'ALTER STREAM S ADD COLUMN A INT;', error: ['Cannot add column `A` to schema. A column with the same name already exists.'] },
  { name: 'ALTER on a query sink', setup: 'CREATE STREAM O AS SELECT * FROM S;', sql: 'ALTER STREAM O ADD COLUMN C INT;', error: ['ALTER command is not supported for CREATE ... AS statements.'] },
  { name: 'ALTER TABLE on a stream', sql: 'ALTER TABLE S ADD COLUMN C INT;', error: ['Incompatible data source type is STREAM, but statement was ALTER TABLE'] },
  { name: 'ALTER an unknown source', sql: 'ALTER STREAM NOPE ADD COLUMN C INT;', error: ['Source NOPE does not exist.'] },
];

describe('executor error cases', () => {
  const check = async (c: ErrorCase): Promise<void> => {
    const e = await engine(c.setup ?? '');
    const msg = await errorOf(e, c.sql);
    expect(msg, `${c.sql} succeeded but should fail`).not.toBeNull();
    for (const sub of c.error) expect(msg).toContain(sub);
  };
  it.each(errorCases.filter((c) => !c.knownBug).map((c) => [c.name, c] as const))('%s', (_n, c) => check(c));
  it.fails.each(errorCases.filter((c) => c.knownBug).map((c) => [c.name, c] as const))('%s (known bug)', (_n, c) => check(c));
});

describe('ALTER', () => {
  it('adds value columns that later queries read', async () => {
    const e = await engine();
    expect((await e.execute('ALTER STREAM S ADD COLUMN C BIGINT, ADD COLUMN D STRING;'))[0]!.message).toBe('Stream S altered.');
    expect(e.source('S')!.columns.map((c) => c.name)).toEqual(['ID', 'A', 'B', 'C', 'D']);
    await e.execute('CREATE STREAM O AS SELECT ID, C, D FROM S;');
    await e.execute("INSERT INTO S (ID, A, C, D) VALUES ('k', 1, 7, 'x');");
    expect(values(e, 'O').map((r) => r.value)).toEqual([{ C: 7, D: 'x' }]);
  });
});

describe('DROP', () => {
  it('succeeds once the dependent query is terminated, and keeps the topic unless DELETE TOPIC', async () => {
    const e = await engine('CREATE STREAM O AS SELECT * FROM S;');
    await e.execute('TERMINATE CSAS_O_0;');
    expect((await e.execute('DROP STREAM O;'))[0]!.message).toBe('Source `O` (topic: O) was dropped.');
    expect(e.source('O')).toBeUndefined();
    expect(e.broker.topic('O')).toBeDefined();
    await e.execute('DROP STREAM S DELETE TOPIC;');
    expect(e.broker.topic('s')).toBeUndefined();
  });

  it('terminates the query that created the source, as current ksqlDB', async () => {
    const e = await engine('CREATE STREAM O AS SELECT * FROM S;');
    expect((await e.execute('DROP STREAM O;'))[0]!.message).toBe('Source `O` (topic: O) was dropped.');
    expect(e.engine.executor.metastore.query('CSAS_O_0')).toBeUndefined();
    await e.execute('DROP STREAM S;');
  });

  it('names the query of a quoted sink with what TERMINATE takes unquoted, in any case', async () => {
    const e = await engine('CREATE STREAM `my-out.x` AS SELECT * FROM S;');
    expect(e.engine.executor.metastore.query('CSAS_my_out_x_0')).toBeDefined();
    await e.execute('TERMINATE csas_my_out_x_0;');
    expect(e.engine.executor.metastore.queries()).toEqual([]);
  });

  it('IF EXISTS on an unknown source is not an error', async () => {
    expect((await (await engine()).execute('DROP TABLE IF EXISTS NOPE;'))[0]!.message).toBe('Table NOPE does not exist.');
  });

  it('a terminated query writes no more records', async () => {
    const e = await engine('CREATE STREAM O AS SELECT * FROM S;');
    await e.execute("INSERT INTO S (ID, A) VALUES ('k', 1);");
    await e.execute('TERMINATE CSAS_O_0;');
    await e.execute("INSERT INTO S (ID, A) VALUES ('k', 2);");
    expect(values(e, 'O').map((r) => r.value)).toEqual([{ A: 1, B: null }]);
  });
});

describe('CREATE OR REPLACE', () => {
  it('replaces the query of a sink, which then writes the new projection', async () => {
    const e = await engine('CREATE STREAM O AS SELECT ID, A FROM S;');
    await e.execute('CREATE OR REPLACE STREAM O AS SELECT ID, A, B FROM S;');
    expect(e.engine.executor.metastore.queries().filter((q) => q.sink === 'O')).toHaveLength(1);
    await e.execute("INSERT INTO S (ID, A, B) VALUES ('k', 2, 'y');");
    expect(values(e, 'O').map((r) => r.value)).toEqual([{ A: 2, B: 'y' }]);
  });

  // ksqlDB keeps the query id, hence the consumer group and its committed
  // offsets: the upgraded query resumes where the old one stopped.
  it('the replacing query resumes after what the old one processed', async () => {
    const e = await engine('CREATE STREAM O AS SELECT ID, A FROM S;');
    await e.execute("INSERT INTO S (ID, A, B) VALUES ('k', 1, 'x');");
    await e.execute('CREATE OR REPLACE STREAM O AS SELECT ID, A, B FROM S;');
    await e.execute("INSERT INTO S (ID, A, B) VALUES ('k', 2, 'y');");
    expect(values(e, 'O').map((r) => r.value)).toEqual([{ A: 1 }, { A: 2, B: 'y' }]);
  });

  it('keeps the query id of the replaced query', async () => {
    const e = await engine('CREATE STREAM O AS SELECT ID, A FROM S;');
    const r = await e.execute('CREATE OR REPLACE STREAM O AS SELECT ID, A, B FROM S;');
    expect(r[0]!.queryId).toBe('CSAS_O_0');
  });

  // the query keeps its state stores: an aggregation goes on counting
  it('keeps the state of an aggregation replaced with the same or a compatible text', async () => {
    const e = await engine('CREATE TABLE C AS SELECT ID, COUNT(*) AS N FROM S GROUP BY ID;');
    for (let i = 0; i < 5; i++) await e.execute(`INSERT INTO S (ID, A, B) VALUES ('a', ${i}, 'x');`);
    await e.execute('CREATE OR REPLACE TABLE C AS SELECT ID, COUNT(*) AS N FROM S GROUP BY ID;');
    await e.execute("INSERT INTO S (ID, A, B) VALUES ('a', 5, 'x');");
    await e.execute("CREATE OR REPLACE TABLE C AS SELECT ID, COUNT(*) AS N FROM S WHERE A >= 0 GROUP BY ID HAVING COUNT(*) > 0;");
    await e.execute("INSERT INTO S (ID, A, B) VALUES ('a', 6, 'x');");
    expect(values(e, 'C').map((r) => r.value)).toEqual([1, 2, 3, 4, 5, 6, 7].map((n) => ({ N: n })));
  });

  it('changes filters and the projection of a stateless query in place', async () => {
    const e = await engine('CREATE STREAM O AS SELECT ID, A FROM S WHERE A > 1;');
    await e.execute("INSERT INTO S (ID, A, B) VALUES ('k', 1, 'x');");
    await e.execute('CREATE OR REPLACE STREAM O AS SELECT ID, A, B FROM S WHERE A > 0;');
    await e.execute("INSERT INTO S (ID, A, B) VALUES ('k', 1, 'y');");
    expect(values(e, 'O').map((r) => r.value)).toEqual([{ A: 1, B: 'y' }]);
  });

  it('IF NOT EXISTS leaves an existing source alone', async () => {
    const e = await engine();
    await e.execute("CREATE STREAM IF NOT EXISTS S (ID STRING KEY, Z INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON');");
    expect(e.source('S')!.columns.map((c) => c.name)).toEqual(['ID', 'A', 'B']);
  });

  it('a DDL stream may be replaced with an added column', async () => {
    const e = await engine();
    await e.execute("CREATE OR REPLACE STREAM S (ID STRING KEY, A INT, B STRING, C INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON');");
    expect(e.source('S')!.columns.map((c) => c.name)).toEqual(['ID', 'A', 'B', 'C']);
  });
});

describe('INSERT VALUES', () => {
  it('writes key and value, ROWTIME as the record time, missing columns as null', async () => {
    const e = await engine();
    await e.execute("INSERT INTO S (ROWTIME, ID, A, B) VALUES (1234, 'k', 1, 'x');");
    await e.execute("INSERT INTO S (ROWTIME, ID, B) VALUES (1235, 'k2', 'y');");
    await e.execute('INSERT INTO S (ROWTIME, A) VALUES (1236, 3);');
    expect(values(e, 's')).toEqual([
      { key: 'k', value: { A: 1, B: 'x' }, ts: 1234 },
      { key: 'k2', value: { A: null, B: 'y' }, ts: 1235 },
      { key: null, value: { A: 3, B: null }, ts: 1236 },
    ]);
  });

  it('without a column list takes values for every column in order', async () => {
    const e = await engine();
    await e.execute("INSERT INTO S VALUES ('k', 1, 'x');");
    expect(values(e, 's').map((r) => [r.key, r.value])).toEqual([['k', { A: 1, B: 'x' }]]);
  });

  it('into a table upserts by primary key; queries see it', async () => {
    const e = await engine('CREATE TABLE T2 AS SELECT * FROM T;');
    await e.execute("INSERT INTO T (ID, A) VALUES ('x', 1);");
    await e.execute("INSERT INTO T (ID, A) VALUES ('x', 2);");
    expect(values(e, 'T2').map((r) => [r.key, r.value])).toEqual([
      ['x', { A: 1 }],
      ['x', { A: 2 }],
    ]);
  });

  it('coerces an INT literal into a BIGINT/DOUBLE column', async () => {
    const e = await engine("CREATE STREAM N (ID STRING KEY, L BIGINT, D DOUBLE) WITH (KAFKA_TOPIC='n', VALUE_FORMAT='JSON');");
    await e.execute("INSERT INTO N (ID, L, D) VALUES ('k', 1, 2);");
    expect(values(e, 'n').map((r) => r.value)).toEqual([{ L: 1, D: 2 }]);
  });
});

describe('default key format', () => {
  const KEYLESS = `CREATE STREAM K0 (A INT, B STRING) WITH (KAFKA_TOPIC='k0', KEY_FORMAT='NONE', VALUE_FORMAT='JSON');`;

  it('gives a keyless source grouped by a column the configured key format', async () => {
    const e = await start({ 'ksql.persistence.default.format.key': 'json' });
    await e.execute(`${KEYLESS} CREATE TABLE C AS SELECT B, COUNT(*) AS N FROM K0 GROUP BY B;`);
    await e.execute(`INSERT INTO K0 (A, B) VALUES (1, 'x');`);
    expect(e.read('C').map((r) => r.key?.toString('utf8'))).toEqual(['"x"']);
  });

  it('refuses an unknown configured key format with a position', async () => {
    const e = await start({});
    await e.execute(KEYLESS);
    // SET holds for the rest of its request (as in ksqlDB's REST API)
    expect(await errorOf(e, `SET 'ksql.persistence.default.format.key'='bogus'; CREATE TABLE C AS SELECT B, COUNT(*) AS N FROM K0 GROUP BY B;`)).toMatch(/Unknown format: BOGUS/);
  });
});
