import { describe, expect, it } from 'vitest';
import { StatementExecutor, type RuntimePort } from '../exec/executor.js';
import { builtinRegistry } from '../functions/builtins.js';
import { buildTopology } from '../runtime/build.js';
import { InMemoryStoreFactory } from '../runtime/store.js';
import { InMemorySchemaRegistry } from '../serde/index.js';
import { internalTopicSuffix, internalTopics, queryStores } from './internal-names.js';
import type { Step } from './topology.js';

const DDL = `
  CREATE STREAM CLICKS (ID STRING KEY, USERID STRING, URL STRING, MS INT) WITH (KAFKA_TOPIC='clicks', PARTITIONS=2, VALUE_FORMAT='JSON');
  CREATE STREAM VIEWS (ID STRING KEY, USERID STRING, PAGE STRING) WITH (KAFKA_TOPIC='views', PARTITIONS=2, VALUE_FORMAT='JSON');
  CREATE TABLE USERS (ID STRING PRIMARY KEY, NAME STRING, REGION STRING) WITH (KAFKA_TOPIC='users', PARTITIONS=2, VALUE_FORMAT='JSON');
  CREATE TABLE ACCOUNTS (ID STRING PRIMARY KEY, PLAN STRING) WITH (KAFKA_TOPIC='accounts', PARTITIONS=2, VALUE_FORMAT='JSON');
  CREATE TABLE LIMITS (ID STRING PRIMARY KEY, QUOTA INT) WITH (KAFKA_TOPIC='limits', PARTITIONS=2, VALUE_FORMAT='JSON');
`;

/** Plans `sql` (one persistent query) and returns its topology. */
function plan(sql: string): Step {
  const topics = new Map<string, number>();
  const roots: Step[] = [];
  const port: RuntimePort = {
    topicPartitions: (n) => topics.get(n),
    createTopic: (n, p) => void topics.set(n, p),
    deleteTopic: (n) => void topics.delete(n),
    startQuery: (_id, root) => void roots.push(root),
    stopQuery: () => {},
    produce: () => {},
  };
  new StatementExecutor(builtinRegistry(), new InMemorySchemaRegistry(), port).execute(DDL + sql);
  expect(roots).toHaveLength(1);
  return roots[0]!;
}

/** The internal topics as a Kafka runtime names them after the query's application id. */
function names(sql: string): string[] {
  return internalTopics(plan(sql)).map(internalTopicSuffix);
}

/** The stores the runtime's operators open when the topology is built. */
function storesOpened(root: Step): string[] {
  const stores = new InMemoryStoreFactory();
  buildTopology(root, {
    queryId: 'Q',
    functions: builtinRegistry(),
    registry: new InMemorySchemaRegistry(),
    log: { log: () => {} },
    stores,
    subscribe: () => {},
    produce: () => {},
    properties: {},
  });
  return [...stores.stores.keys()];
}

/**
 * Golden internal names. These names are a running query's state: changing
 * one makes a query lose its stores and changelogs on upgrade. A change here
 * must be deliberate (and comes with a migration).
 */
const GOLDEN: Record<string, { sql: string; names: string[] }> = {
  aggregate: {
    sql: 'CREATE TABLE PER_USER AS SELECT USERID, COUNT(*) AS N FROM CLICKS GROUP BY USERID;',
    names: ['Aggregate-GroupBy-repartition', 'Aggregate-Aggregate-Materialize-changelog'],
  },
  'windowed aggregate': {
    sql: 'CREATE TABLE PER_MINUTE AS SELECT USERID, COUNT(*) AS N FROM CLICKS WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY USERID;',
    names: ['Aggregate-GroupBy-repartition', 'Aggregate-Aggregate-Materialize-changelog'],
  },
  'session aggregate': {
    sql: 'CREATE TABLE SESSIONS AS SELECT USERID, COUNT(*) AS N FROM CLICKS WINDOW SESSION (5 MINUTES) GROUP BY USERID;',
    names: ['Aggregate-GroupBy-repartition', 'Aggregate-Aggregate-Materialize-changelog'],
  },
  'table aggregate': {
    sql: 'CREATE TABLE PER_REGION AS SELECT REGION, COUNT(*) AS N FROM USERS GROUP BY REGION;',
    names: ['Aggregate-GroupBy-repartition', 'KsqlTopic-Reduce-changelog', 'Aggregate-Aggregate-Materialize-changelog'],
  },
  having: {
    sql: 'CREATE TABLE BUSY AS SELECT USERID, COUNT(*) AS N FROM CLICKS GROUP BY USERID HAVING COUNT(*) > 3;',
    names: ['Aggregate-GroupBy-repartition', 'Aggregate-Aggregate-Materialize-changelog'],
  },
  suppress: {
    sql: 'CREATE TABLE FINAL AS SELECT USERID, COUNT(*) AS N FROM CLICKS WINDOW TUMBLING (SIZE 1 MINUTE, GRACE PERIOD 0 SECONDS) GROUP BY USERID EMIT FINAL;',
    names: ['Aggregate-GroupBy-repartition', 'Aggregate-Aggregate-Materialize-changelog', 'Suppress-store-changelog'],
  },
  'suppress with having': {
    sql: 'CREATE TABLE FINAL_BUSY AS SELECT USERID, COUNT(*) AS N FROM CLICKS WINDOW TUMBLING (SIZE 1 MINUTE, GRACE PERIOD 0 SECONDS) GROUP BY USERID HAVING COUNT(*) > 3 EMIT FINAL;',
    names: ['Aggregate-GroupBy-repartition', 'Aggregate-Aggregate-Materialize-changelog', 'Suppress-store-changelog', 'Aggregate-HavingFilter-Present-changelog'],
  },
  'stream-table join on the key': {
    sql: 'CREATE STREAM ENRICHED AS SELECT C.ID, C.URL, U.NAME FROM CLICKS C JOIN USERS U ON C.ID = U.ID;',
    names: ['KafkaTopic_Right-Reduce-changelog'],
  },
  'stream-table join with a repartition': {
    sql: 'CREATE STREAM ENRICHED AS SELECT C.USERID, C.URL, U.NAME FROM CLICKS C JOIN USERS U ON C.USERID = U.ID;',
    names: ['Join-repartition', 'KafkaTopic_Right-Reduce-changelog'],
  },
  'stream-stream join with repartitions': {
    sql: 'CREATE STREAM BOTH AS SELECT C.USERID, C.URL, V.PAGE FROM CLICKS C LEFT JOIN VIEWS V WITHIN 1 MINUTE ON C.USERID = V.USERID;',
    names: ['Join-left-repartition', 'Join-right-repartition', 'Join-this-join-store-changelog', 'Join-outer-other-join-store-changelog'],
  },
  'table-table join': {
    sql: 'CREATE TABLE USER_PLANS AS SELECT U.ID, U.NAME, A.PLAN FROM USERS U JOIN ACCOUNTS A ON U.ID = A.ID;',
    names: ['KafkaTopic_Left-Reduce-changelog', 'KafkaTopic_Right-Reduce-changelog'],
  },
  'n-way table-table join': {
    // the outer join keeps its left side (a join's result, stored nowhere else) and reads its right table's store
    sql: 'CREATE TABLE USER_LIMITS AS SELECT U.ID, U.NAME, A.PLAN, L.QUOTA FROM USERS U JOIN ACCOUNTS A ON U.ID = A.ID JOIN LIMITS L ON U.ID = L.ID;',
    names: ['L_KafkaTopic_Left-Reduce-changelog', 'L_KafkaTopic_Right-Reduce-changelog', 'KafkaTopic_Right-Reduce-changelog', 'Join-Left-changelog'],
  },
  'n-way join': {
    sql: 'CREATE STREAM ALL3 AS SELECT C.ID, C.URL, V.PAGE, U.NAME FROM CLICKS C JOIN VIEWS V WITHIN 1 MINUTE ON C.ID = V.ID JOIN USERS U ON C.ID = U.ID;',
    names: ['L_Join-this-join-store-changelog', 'L_Join-other-join-store-changelog', 'KafkaTopic_Right-Reduce-changelog'],
  },
  'partition by': {
    sql: 'CREATE STREAM BY_USER AS SELECT USERID, URL FROM CLICKS PARTITION BY USERID;',
    names: [],
  },
  'filter, then aggregate': {
    sql: 'CREATE TABLE BY_URL AS SELECT URL, COUNT(*) AS N FROM CLICKS WHERE MS > 0 GROUP BY URL;',
    names: ['Aggregate-GroupBy-repartition', 'Aggregate-Aggregate-Materialize-changelog'],
  },
};

describe('internal names (golden)', () => {
  it.each(Object.entries(GOLDEN))('%s', (_, { sql, names: expected }) => {
    expect(names(sql)).toEqual(expected);
  });

  it('declares exactly the stores the operators open', () => {
    for (const { sql } of Object.values(GOLDEN)) {
      const root = plan(sql);
      expect(storesOpened(root).sort(), sql).toEqual(queryStores(root).map((s) => s.name).sort());
    }
  });

  it('renames nothing when a query changes in ways that keep its state (filters, projections)', () => {
    const base = names('CREATE TABLE PER_USER AS SELECT USERID, COUNT(*) AS N FROM CLICKS GROUP BY USERID;');
    for (const variant of [
      'CREATE TABLE PER_USER AS SELECT USERID, COUNT(*) AS N, COUNT(*) * 2 AS N2 FROM CLICKS GROUP BY USERID;',
      "CREATE TABLE PER_USER AS SELECT USERID, COUNT(*) AS N FROM CLICKS WHERE URL <> '/health' GROUP BY USERID;",
      'CREATE TABLE PER_USER AS SELECT X.USERID, COUNT(*) AS N FROM CLICKS X WHERE X.URL IS NOT NULL GROUP BY X.USERID;',
    ]) {
      expect(names(variant), variant).toEqual(base);
    }
    const join = names('CREATE STREAM ENRICHED AS SELECT C.USERID, C.URL, U.NAME FROM CLICKS C JOIN USERS U ON C.USERID = U.ID;');
    expect(names('CREATE STREAM ENRICHED AS SELECT C.USERID, U.NAME, U.REGION FROM CLICKS C JOIN USERS U ON C.USERID = U.ID WHERE C.MS > 10;')).toEqual(join);
  });

  it('names the same query the same however often it is planned', () => {
    const sql = GOLDEN['n-way join']!.sql;
    expect(names(sql)).toEqual(names(sql));
  });
});
