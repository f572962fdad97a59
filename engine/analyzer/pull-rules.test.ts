import { describe, expect, it } from 'vitest';
import { StatementExecutor, type RuntimePort } from '../exec/executor.js';
import { builtinRegistry } from '../functions/builtins.js';
import { InMemorySchemaRegistry } from '../serde/index.js';
import { parseScript } from '../sql/index.js';
import type { Query } from '../sql/ast/query.js';
import { checkPullBetween, checkPullLimitEnabled, checkPullQueriesEnabled, checkPushWhere, checkSourcesExist, windowedJoinAliases } from './pull-rules.js';

const functions = builtinRegistry();
const port: RuntimePort = { topicPartitions: () => 1, createTopic: () => {}, deleteTopic: () => {}, startQuery: () => {}, stopQuery: () => {}, produce: () => {} };
const executor = new StatementExecutor(functions, new InMemorySchemaRegistry(), port, {});
executor.execute(`CREATE TABLE T (ID INT PRIMARY KEY, V STRING) WITH (KAFKA_TOPIC='t', VALUE_FORMAT='JSON');
  CREATE STREAM S (K INT KEY, V INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON');
  CREATE STREAM W (K INT KEY, V INT) WITH (KAFKA_TOPIC='w', VALUE_FORMAT='JSON', WINDOW_TYPE='TUMBLING', WINDOW_SIZE='1 SECOND');`);
const source = (name: string) => executor.metastore.source(name);

function query(sql: string): Query {
  const [st] = parseScript(sql, new Map());
  if (st?.kind !== 'QueryStatement') throw new Error('not a query');
  return st.query;
}

describe('pull-query rules', () => {
  it('ksql.pull.queries.enable=false refuses pull queries, with ksqlDB text', () => {
    const q = query('SELECT * FROM T;');
    expect(() => checkPullQueriesEnabled({}, q)).not.toThrow();
    expect(() => checkPullQueriesEnabled({ 'ksql.pull.queries.enable': 'true' }, q)).not.toThrow();
    expect(() => checkPullQueriesEnabled({ 'ksql.pull.queries.enable': 'false' }, q)).toThrow(
      'Pull queries are disabled. See https://cnfl.io/queries for more info.\nAdd EMIT CHANGES if you intended to issue a push query.\nPlease set ksql.pull.queries.enable=true to enable this feature.',
    );
  });

  it('ksql.query.pull.limit.clause.enabled=false refuses a pull query with LIMIT only', () => {
    const off = { 'ksql.query.pull.limit.clause.enabled': 'false' };
    expect(() => checkPullLimitEnabled(off, query('SELECT * FROM T;'))).not.toThrow();
    expect(() => checkPullLimitEnabled({}, query('SELECT * FROM T LIMIT 2;'))).not.toThrow();
    expect(() => checkPullLimitEnabled(off, query('SELECT * FROM T LIMIT 2;'))).toThrow('set ksql.query.pull.limit.clause.enabled=true');
  });

  it('reads BETWEEN as >= and <= and names the comparison that does not type', () => {
    const t = source('T')!;
    expect(() => checkPullBetween(query(`SELECT * FROM T WHERE V BETWEEN 'a' AND 'b';`), t, functions)).not.toThrow();
    expect(() => checkPullBetween(query(`SELECT * FROM T WHERE V BETWEEN 10 AND 'b';`), t, functions)).toThrow(
      'Invalid expression: Cannot compare V (STRING) to 10 (INTEGER) with GREATER_THAN_OR_EQUAL',
    );
    expect(() => checkPullBetween(query(`SELECT * FROM T WHERE ID BETWEEN 1 AND 'b';`), t, functions)).toThrow(
      "Invalid expression: Cannot compare ID (INTEGER) to 'b' (STRING) with LESS_THAN_OR_EQUAL",
    );
  });

  it('reports a missing source before anything else, in joins too', () => {
    expect(() => checkSourcesExist(query('SELECT * FROM T;').from, source)).not.toThrow();
    expect(() => checkSourcesExist(query('SELECT * FROM T JOIN NOPE ON T.ID = NOPE.ID;').from, source)).toThrow('NOPE does not exist.');
  });
});

describe('push-query rules', () => {
  it('window bounds in the WHERE of an unwindowed source are unknown columns', () => {
    expect(() => checkPushWhere(query('SELECT K, COUNT(1) FROM S WINDOW TUMBLING (SIZE 1 SECOND) WHERE WINDOWEND > 0 GROUP BY K EMIT CHANGES;'), source, functions)).toThrow(
      'Error in WHERE expression: Unknown column WINDOWEND.',
    );
    expect(() => checkPushWhere(query('SELECT * FROM W WHERE WINDOWSTART > 0 EMIT CHANGES;'), source, functions)).not.toThrow();
  });

  it('a comparison with an untyped NULL is refused, naming both sides', () => {
    expect(() => checkPushWhere(query('SELECT * FROM S WHERE V = NULL EMIT CHANGES;'), source, functions)).toThrow(
      "Error in WHERE expression: Comparison with NULL not supported: INTEGER = NULL\nUse 'IS NULL' or 'IS NOT NULL' instead.",
    );
    expect(() => checkPushWhere(query('SELECT * FROM S WHERE NULL <> K + 1 EMIT CHANGES;'), source, functions)).toThrow('Comparison with NULL not supported: NULL <> INTEGER');
    expect(() => checkPushWhere(query('SELECT * FROM S WHERE V IS NULL OR V IS DISTINCT FROM NULL EMIT CHANGES;'), source, functions)).not.toThrow();
  });

  it('knows the windowed sources of a join by alias', () => {
    expect([...windowedJoinAliases(query('SELECT * FROM W A JOIN W B WITHIN 1 MINUTE ON A.K = B.K EMIT CHANGES;').from, source)]).toEqual(['A', 'B']);
    expect([...windowedJoinAliases(query('SELECT * FROM S JOIN T ON S.K = T.ID EMIT CHANGES;').from, source)]).toEqual([]);
    expect([...windowedJoinAliases(query('SELECT * FROM W EMIT CHANGES;').from, source)]).toEqual([]);
  });
});
