import { describe, expect, it } from 'vitest';
import type { Expr } from './ast/expression.js';
import type { Query } from './ast/query.js';
import type { Statement } from './ast/statement.js';
import { parseExpression, parseStatements } from './parser.js';
import { ParseError } from './parse-error.js';

function one(sql: string): Statement {
  const all = parseStatements(sql);
  expect(all).toHaveLength(1);
  return all[0]!;
}

function queryOf(sql: string): Query {
  const st = one(sql);
  if (st.kind !== 'QueryStatement' && st.kind !== 'CreateAsSelect' && st.kind !== 'InsertInto') throw new Error(`not a query: ${st.kind}`);
  return st.query;
}

/** Renders an expression fully parenthesised, to check precedence compactly. */
function show(e: Expr): string {
  switch (e.kind) {
    case 'NumberLiteral':
      return e.text;
    case 'StringLiteral':
      return `'${e.value}'`;
    case 'BooleanLiteral':
      return String(e.value).toUpperCase();
    case 'NullLiteral':
      return 'NULL';
    case 'ColumnRef':
      return e.source === null ? e.name : `${e.source}.${e.name}`;
    case 'Dereference':
      return `${show(e.base)}->${e.field}`;
    case 'Subscript':
      return `${show(e.base)}[${show(e.index)}]`;
    case 'FunctionCall':
      return `${e.name}(${e.star ? '*' : e.args.map(show).join(', ')})`;
    case 'Lambda':
      return `(${e.params.join(', ')}) => ${show(e.body)}`;
    case 'Arithmetic':
    case 'Comparison':
    case 'Logical':
      return `(${show(e.left)} ${e.op} ${show(e.right)})`;
    case 'Negate':
      return `(-${show(e.operand)})`;
    case 'Not':
      return `(NOT ${show(e.operand)})`;
    case 'IsNull':
      return `(${show(e.operand)} IS${e.negated ? ' NOT' : ''} NULL)`;
    case 'Between':
      return `(${show(e.operand)}${e.negated ? ' NOT' : ''} BETWEEN ${show(e.low)} AND ${show(e.high)})`;
    case 'InList':
      return `(${show(e.operand)}${e.negated ? ' NOT' : ''} IN (${e.list.map(show).join(', ')}))`;
    case 'Like':
      return `(${show(e.operand)}${e.negated ? ' NOT' : ''} LIKE ${show(e.pattern)}${e.escape === null ? '' : ` ESCAPE '${e.escape}'`})`;
    case 'SearchedCase':
      return `CASE ${e.whens.map((w) => `WHEN ${show(w.when)} THEN ${show(w.then)}`).join(' ')}${e.else ? ` ELSE ${show(e.else)}` : ''} END`;
    case 'SimpleCase':
      return `CASE ${show(e.operand)} ${e.whens.map((w) => `WHEN ${show(w.when)} THEN ${show(w.then)}`).join(' ')}${e.else ? ` ELSE ${show(e.else)}` : ''} END`;
    case 'Cast':
      return `CAST(${show(e.operand)} AS ${e.type.kind === 'Primitive' ? e.type.name : e.type.kind})`;
    case 'ArrayConstructor':
      return `ARRAY[${e.items.map(show).join(', ')}]`;
    case 'MapConstructor':
      return `MAP(${e.entries.map((x) => `${show(x.key)} := ${show(x.value)}`).join(', ')})`;
    case 'StructConstructor':
      return `STRUCT(${e.fields.map((x) => `${x.name} := ${show(x.value)}`).join(', ')})`;
    case 'IntervalUnit':
      return e.unit;
    case 'Variable':
      return `\${${e.name}}`;
  }
}

const px = (s: string): string => show(parseExpression(s));

describe('expressions', () => {
  it.each([
    ['1 + 2 * 3', '(1 + (2 * 3))'],
    ['1 * 2 + 3', '((1 * 2) + 3)'],
    ['1 - 2 - 3', '((1 - 2) - 3)'],
    ['a / b % c', '((A / B) % C)'],
    ['-a * b', '((-A) * B)'],
    ['- - 1', '(-(-1))'],
    ['+a', 'A'],
    ['a OR b AND c', '(A OR (B AND C))'],
    ['a AND b OR c', '((A AND B) OR C)'],
    ['NOT a AND b', '((NOT A) AND B)'],
    ['NOT a = b', '(NOT (A = B))'],
    ['a + 1 > b * 2', '((A + 1) > (B * 2))'],
    ['a <> b', '(A <> B)'],
    ['a != b', '(A <> B)'],
    ['a <= b OR a >= b', '((A <= B) OR (A >= B))'],
    ['a IS NULL', '(A IS NULL)'],
    ['a IS NOT NULL AND b', '((A IS NOT NULL) AND B)'],
    ['a IS DISTINCT FROM b', '(A IS DISTINCT FROM B)'],
    ['a IS NOT DISTINCT FROM b + 1', '(A IS NOT DISTINCT FROM (B + 1))'],
    ['a BETWEEN 1 AND 2 AND b', '((A BETWEEN 1 AND 2) AND B)'],
    ['a NOT BETWEEN b - 1 AND b + 1', '(A NOT BETWEEN (B - 1) AND (B + 1))'],
    ['a IN (1, 2, 3)', '(A IN (1, 2, 3))'],
    ['a NOT IN (1)', '(A NOT IN (1))'],
    ["a LIKE 'x%'", "(A LIKE 'x%')"],
    ["a NOT LIKE p ESCAPE '!'", "(A NOT LIKE P ESCAPE '!')"],
    ['a[1]', 'A[1]'],
    ["m['k']->f[2]", "M['k']->F[2]"],
    ['s->a->b', 'S->A->B'],
    ['t.s->`a`', 'T.S->a'],
    ['-a[1]', '(-A[1])'],
    ['f(a, b)', 'F(A, B)'],
    ['count(*)', 'COUNT(*)'],
    ['now()', 'NOW()'],
    ['TIMESTAMPADD(SECONDS, 5, ts)', 'TIMESTAMPADD(SECONDS, 5, TS)'],
    ['dateadd(day, 1, d)', 'DATEADD(DAYS, 1, D)'],
    ['abs(days)', 'ABS(DAYS)'],
    ['f(a, hours)', 'F(A, HOURS)'],
    ['transform(arr, x => x + 1)', 'TRANSFORM(ARR, (X) => (X + 1))'],
    ['reduce(m, 0, (s, k, v) => s + v)', 'REDUCE(M, 0, (S, K, V) => (S + V))'],
    ['CASE WHEN a THEN 1 WHEN b THEN 2 ELSE 3 END', 'CASE WHEN A THEN 1 WHEN B THEN 2 ELSE 3 END'],
    ["CASE x WHEN 1 THEN 'a' END", "CASE X WHEN 1 THEN 'a' END"],
    ['CAST(a AS BIGINT) + 1', '(CAST(A AS BIGINT) + 1)'],
    ['ARRAY[1, 2]', 'ARRAY[1, 2]'],
    ['ARRAY[]', 'ARRAY[]'],
    ["MAP('a' := 1, 'b' := 2)", "MAP('a' := 1, 'b' := 2)"],
    ['STRUCT(a := 1, `b` := x)', 'STRUCT(A := 1, b := X)'],
    ['(1 + 2) * 3', '((1 + 2) * 3)'],
    ["a || 'x'", "CONCAT(A, 'x')"],
    ['${v} + 1', '(${v} + 1)'],
    ['TRUE AND FALSE OR NULL', '((TRUE AND FALSE) OR NULL)'],
    ['key = value', '(KEY = VALUE)'],
    ['`Col`', 'Col'],
    ['"col"', 'col'],
  ])('%s', (input, expected) => {
    expect(px(input)).toBe(expected);
  });

  it('keeps number text and kind', () => {
    expect(parseExpression('1.50')).toMatchObject({ kind: 'NumberLiteral', text: '1.50' });
    expect(parseExpression('1e3')).toMatchObject({ kind: 'NumberLiteral', text: '1e3' });
    expect(parseExpression('12345678901')).toMatchObject({ kind: 'NumberLiteral', text: '12345678901' });
  });

  it('unescapes strings and identifiers', () => {
    expect(parseExpression("'it''s'")).toMatchObject({ kind: 'StringLiteral', value: "it's" });
    expect(parseExpression('`a``b`')).toMatchObject({ kind: 'ColumnRef', name: 'a`b' });
  });

  it('records locations', () => {
    const e = parseExpression('a +\n  b');
    // like ksqlDB, a compound expression is located at its first token
    expect(e).toMatchObject({ kind: 'Arithmetic', loc: { line: 1, column: 1 }, right: { loc: { line: 2, column: 3 } } });
    expect(parseExpression('  x[1]->f')).toMatchObject({ kind: 'Dereference', loc: { line: 1, column: 3 } });
  });

  it('rejects trailing input', () => {
    expect(() => parseExpression('a b')).toThrow(ParseError);
  });
});

describe('statements', () => {
  it('CREATE STREAM with columns and constraints', () => {
    const st = one(
      "CREATE OR REPLACE STREAM IF NOT EXISTS s (id INT KEY, `Name` STRING, h BYTES HEADER('k'), hs ARRAY<STRUCT<key STRING, value BYTES>> HEADERS, d DECIMAL(4, 2), m MAP<STRING, ARRAY<INT>>, t my_type) WITH (kafka_topic='t', partitions=2, wrap_single_value=false);",
    );
    expect(st).toMatchObject({
      kind: 'CreateSource',
      sourceType: 'STREAM',
      name: 'S',
      orReplace: true,
      ifNotExists: true,
      isSource: false,
      properties: { KAFKA_TOPIC: { value: 't' }, PARTITIONS: { value: 2 }, WRAP_SINGLE_VALUE: { value: false } },
    });
    if (st.kind !== 'CreateSource') return;
    expect(st.columns?.map((c) => [c.name, c.type.kind, c.constraint.kind])).toEqual([
      ['ID', 'Primitive', 'Key'],
      ['Name', 'Primitive', 'None'],
      ['H', 'Primitive', 'Headers'],
      ['HS', 'Array', 'Headers'],
      ['D', 'Decimal', 'None'],
      ['M', 'Map', 'None'],
      ['T', 'Named', 'None'],
    ]);
    expect(st.columns?.[2]?.constraint).toEqual({ kind: 'Headers', key: 'k' });
    expect(st.columns?.[4]?.type).toMatchObject({ precision: 4, scale: 2 });
  });

  it('CREATE SOURCE TABLE with PRIMARY KEY, and without columns', () => {
    expect(one("CREATE SOURCE TABLE t (k STRING PRIMARY KEY, v INT) WITH (kafka_topic='t');")).toMatchObject({
      kind: 'CreateSource',
      sourceType: 'TABLE',
      isSource: true,
      columns: [{ name: 'K', constraint: { kind: 'PrimaryKey' } }, { name: 'V' }],
    });
    expect(one("CREATE TABLE t WITH (kafka_topic='t', format='AVRO')")).toMatchObject({ kind: 'CreateSource', columns: null });
  });

  it('CREATE ... AS SELECT', () => {
    const st = one("CREATE TABLE out WITH (kafka_topic='o') AS SELECT k, COUNT(*) AS c FROM s WINDOW TUMBLING (SIZE 1 MINUTE, GRACE PERIOD 10 SECONDS) GROUP BY k HAVING COUNT(*) > 1 EMIT CHANGES;");
    expect(st).toMatchObject({ kind: 'CreateAsSelect', sourceType: 'TABLE', name: 'OUT', properties: { KAFKA_TOPIC: { value: 'o' } } });
    if (st.kind !== 'CreateAsSelect') return;
    expect(st.query.window).toMatchObject({ kind: 'Tumbling', size: { value: 1, unit: 'MINUTES', ms: 60000 }, grace: { ms: 10000 }, retention: null });
    expect(st.query.groupBy?.map(show)).toEqual(['K']);
    expect(st.query.emit).toBe('CHANGES');
    expect(st.query.select[1]).toMatchObject({ kind: 'SingleColumn', alias: 'C' });
  });

  it('query clauses', () => {
    const q = queryOf('SELECT *, s.*, a b, x->* FROM s WHERE a > 1 PARTITION BY a, b EMIT FINAL LIMIT 10;');
    expect(q.select.map((s) => s.kind)).toEqual(['AllColumns', 'AllColumns', 'SingleColumn', 'AllFields']);
    expect(q.select[1]).toMatchObject({ source: 'S' });
    expect(q.select[2]).toMatchObject({ alias: 'B' });
    expect(q.partitionBy?.map(show)).toEqual(['A', 'B']);
    expect(q).toMatchObject({ emit: 'FINAL', limit: 10, window: null, groupBy: null });
    expect(queryOf('SELECT * FROM s;').emit).toBeNull();
    // a signed LIMIT parses (a pull query refuses a negative one with its own message)
    expect(queryOf('SELECT * FROM s LIMIT -1;').limit).toBe(-1);
  });

  it('GROUP BY with a parenthesised list', () => {
    expect(queryOf('SELECT a FROM s GROUP BY (a, b);').groupBy?.map(show)).toEqual(['A', 'B']);
    expect(queryOf('SELECT a FROM s GROUP BY (a + 1), b;').groupBy?.map(show)).toEqual(['(A + 1)', 'B']);
  });

  it('windows', () => {
    expect(queryOf('SELECT a FROM s WINDOW HOPPING (SIZE 30 SECONDS, ADVANCE BY 10 SECONDS, RETENTION 2 DAYS) GROUP BY a;').window).toMatchObject({
      kind: 'Hopping',
      size: { ms: 30000 },
      advance: { ms: 10000 },
      retention: { unit: 'DAYS', ms: 172800000 },
    });
    expect(queryOf('SELECT a FROM s WINDOW SESSION (5 MILLISECONDS) GROUP BY a;').window).toMatchObject({ kind: 'Session', gap: { ms: 5 } });
    expect(queryOf('SELECT a FROM s WINDOW w TUMBLING (SIZE 1 HOUR) GROUP BY a;').window).toMatchObject({ kind: 'Tumbling', size: { ms: 3600000 } });
  });

  it('joins', () => {
    const q = queryOf('SELECT * FROM a x LEFT OUTER JOIN b AS y WITHIN (1 SECOND, 2 SECONDS) GRACE PERIOD 3 SECONDS ON x.id = y.id FULL JOIN c ON c.id = x.id JOIN d WITHIN 1 HOUR ON d.id = x.id;');
    expect(q.from).toMatchObject({
      kind: 'Join',
      type: 'INNER',
      right: { name: 'D' },
      within: { before: { ms: 3600000 }, after: { ms: 3600000 }, grace: null },
      left: {
        kind: 'Join',
        type: 'FULL',
        within: null,
        left: {
          kind: 'Join',
          type: 'LEFT',
          left: { kind: 'Source', name: 'A', alias: 'X' },
          right: { kind: 'Source', name: 'B', alias: 'Y' },
          within: { before: { ms: 1000 }, after: { ms: 2000 }, grace: { ms: 3000 } },
        },
      },
    });
  });

  it('INSERT INTO ... SELECT and INSERT VALUES', () => {
    expect(one("INSERT INTO out WITH (query_id='q') SELECT * FROM s;")).toMatchObject({ kind: 'InsertInto', target: 'OUT', properties: { QUERY_ID: { value: 'q' } } });
    expect(one('INSERT INTO out SELECT * FROM s;')).toMatchObject({ kind: 'InsertInto', properties: {} });
    const iv = one("INSERT INTO \"t\" (a, `b`) VALUES (1, 'x', -2.5);");
    expect(iv).toMatchObject({ kind: 'InsertValues', target: 't', columns: ['A', 'b'] });
    if (iv.kind === 'InsertValues') expect(iv.values.map(show)).toEqual(['1', "'x'", '(-2.5)']);
    expect(one('INSERT INTO t VALUES (NULL);')).toMatchObject({ kind: 'InsertValues', columns: null });
  });

  it('types', () => {
    expect(one('CREATE TYPE IF NOT EXISTS address AS STRUCT<street STRING, zip INT>;')).toMatchObject({
      kind: 'CreateType',
      name: 'ADDRESS',
      ifNotExists: true,
      type: { kind: 'Struct', fields: [{ name: 'STREET' }, { name: 'ZIP', type: { name: 'INTEGER' } }] },
    });
    expect(one('DROP TYPE IF EXISTS address;')).toMatchObject({ kind: 'DropType', name: 'ADDRESS', ifExists: true });
  });

  it('DROP', () => {
    expect(one('DROP STREAM IF EXISTS s DELETE TOPIC;')).toMatchObject({ kind: 'DropSource', sourceType: 'STREAM', ifExists: true, deleteTopic: true });
    expect(one('DROP TABLE t')).toMatchObject({ kind: 'DropSource', sourceType: 'TABLE', ifExists: false, deleteTopic: false });
  });

  it('ALTER', () => {
    expect(one('ALTER STREAM s ADD COLUMN c INT, ADD d STRING;')).toMatchObject({
      kind: 'AlterSource',
      sourceType: 'STREAM',
      name: 'S',
      addColumns: [{ name: 'C' }, { name: 'D' }],
    });
  });

  it('DESCRIBE', () => {
    expect(one('DESCRIBE s;')).toMatchObject({ kind: 'Describe', target: { kind: 'Source', name: 'S' }, extended: false });
    expect(one('DESCRIBE EXTENDED s;')).toMatchObject({ kind: 'Describe', target: { kind: 'Source', name: 'S' }, extended: true });
    expect(one('DESCRIBE STREAMS EXTENDED;')).toMatchObject({ kind: 'Describe', target: { kind: 'All', what: 'STREAMS' }, extended: true });
    expect(one('DESCRIBE TABLES;')).toMatchObject({ kind: 'Describe', target: { kind: 'All', what: 'TABLES' } });
    expect(one('DESCRIBE FUNCTION substring;')).toMatchObject({ kind: 'DescribeFunction', name: 'SUBSTRING' });
  });

  it('SHOW / LIST', () => {
    for (const what of ['STREAMS', 'TABLES', 'TOPICS', 'QUERIES', 'PROPERTIES', 'FUNCTIONS', 'TYPES', 'VARIABLES']) {
      expect(one(`SHOW ${what};`)).toMatchObject({ kind: 'Show', what, extended: false });
    }
    expect(one('list queries extended;')).toMatchObject({ kind: 'Show', what: 'QUERIES', extended: true });
    expect(one('SHOW ALL TOPICS;')).toMatchObject({ kind: 'Show', what: 'TOPICS' });
  });

  it('EXPLAIN', () => {
    const st = one('EXPLAIN SELECT * FROM s EMIT CHANGES;');
    expect(st).toMatchObject({ kind: 'Explain', target: { kind: 'Statement', statement: { kind: 'QueryStatement', text: 'SELECT * FROM s EMIT CHANGES;' } } });
    expect(one('EXPLAIN CSAS_OUT_0;')).toMatchObject({ kind: 'Explain', target: { kind: 'QueryId', queryId: 'CSAS_OUT_0' } });
  });

  it('TERMINATE, PAUSE, RESUME', () => {
    expect(one('TERMINATE CTAS_T_1;')).toMatchObject({ kind: 'Terminate', queryId: 'CTAS_T_1' });
    expect(one('TERMINATE ALL;')).toMatchObject({ kind: 'Terminate', queryId: null });
    expect(one('PAUSE q1;')).toMatchObject({ kind: 'PauseResume', action: 'PAUSE', queryId: 'Q1' });
    expect(one('RESUME ALL;')).toMatchObject({ kind: 'PauseResume', action: 'RESUME', queryId: null });
  });

  it('SET, UNSET, DEFINE, UNDEFINE', () => {
    expect(one("SET 'auto.offset.reset'='earliest';")).toMatchObject({ kind: 'SetProperty', name: 'auto.offset.reset', value: 'earliest' });
    expect(one("UNSET 'auto.offset.reset';")).toMatchObject({ kind: 'UnsetProperty', name: 'auto.offset.reset' });
    expect(one("DEFINE topic_name = 'orders';")).toMatchObject({ kind: 'DefineVariable', name: 'topic_name', value: 'orders' });
    expect(one('UNDEFINE topic_name;')).toMatchObject({ kind: 'UndefineVariable', name: 'topic_name' });
  });

  it('ASSERT', () => {
    expect(one("ASSERT TOPIC orders WITH (partitions=1) TIMEOUT 3 SECONDS;")).toMatchObject({
      kind: 'AssertStatement',
      what: 'TOPIC',
      exists: true,
      name: 'ORDERS',
      properties: { PARTITIONS: { value: 1 } },
      timeoutMs: 3000,
    });
    expect(one("ASSERT NOT EXISTS SCHEMA SUBJECT 'orders-value' ID 4;")).toMatchObject({
      kind: 'AssertStatement',
      what: 'SCHEMA',
      exists: false,
      subject: 'orders-value',
      id: 4,
      timeoutMs: null,
    });
  });

  it('non-reserved keywords as identifiers', () => {
    const q = queryOf('SELECT key, value, timestamp, date, time, size, topic, type, map, window_start FROM source;');
    expect(q.select.map((s) => (s.kind === 'SingleColumn' ? show(s.expr) : ''))).toEqual(['KEY', 'VALUE', 'TIMESTAMP', 'DATE', 'TIME', 'SIZE', 'TOPIC', 'TYPE', 'MAP', 'WINDOW_START']);
    expect(one('CREATE STREAM s (key STRING KEY, value INT, `SELECT` INT) WITH (kafka_topic=\'t\');')).toMatchObject({ columns: [{ name: 'KEY' }, { name: 'VALUE' }, { name: 'SELECT' }] });
  });
});

describe('scripts', () => {
  it('splits statements, keeping each text and location', () => {
    const script = "-- leading comment\nCREATE STREAM s (a INT) WITH (kafka_topic='x;y');\n\n  /* c */ SELECT * FROM s;\nSHOW STREAMS";
    const sts = parseStatements(script);
    expect(sts.map((s) => s.kind)).toEqual(['CreateSource', 'QueryStatement', 'Show']);
    expect(sts.map((s) => s.text)).toEqual(["CREATE STREAM s (a INT) WITH (kafka_topic='x;y');", 'SELECT * FROM s;', 'SHOW STREAMS']);
    expect(sts.map((s) => s.loc)).toEqual([
      { line: 2, column: 1 },
      { line: 4, column: 11 },
      { line: 5, column: 1 },
    ]);
  });

  it('skips empty statements', () => {
    expect(parseStatements(';; SHOW TOPICS;;')).toHaveLength(1);
    expect(parseStatements('  -- nothing\n')).toEqual([]);
  });

  it('reports errors with script-relative positions and the statement text', () => {
    try {
      parseStatements('SHOW TOPICS;\nSELECT * FROM s WHERE;');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ParseError);
      const pe = e as ParseError;
      expect(pe.loc).toEqual({ line: 2, column: 22 });
      expect(pe.reason).toBe('ParseError');
      expect(pe.message).toBe("line 2:22: Syntax Error\nSyntax error at or near ';' at line 2:22\nStatement: SELECT * FROM s WHERE;");
    }
  });
});
