import { Decimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { decodeValue, encodeValue } from './codec.js';
import { changelogTopic, commandTopic, queryGroupId, repartitionTopic } from './names.js';
import { StatementExecutor, type RuntimePort } from '../exec/executor.js';
import { builtinRegistry } from '../functions/builtins.js';
import { InMemorySchemaRegistry } from '../serde/index.js';
import type { Step } from '../topology/topology.js';
import { planDistributed } from './task-topology.js';

describe('store codec', () => {
  it('round-trips SQL values and operator state', () => {
    const v = {
      key: ['a', 1n, null],
      accs: [new Decimal('12.340'), Buffer.from([1, 2]), new Map([['k', [1, 2]]]), new Set(['x']), NaN, -0, Infinity, undefined],
      struct: { $weird: 1, F: true },
      ts: 5,
    };
    const back = decodeValue<typeof v>(encodeValue(v));
    expect(back.key).toEqual(['a', 1n, null]);
    expect((back.accs[0] as Decimal).toString()).toBe('12.34');
    expect(back.accs.slice(1)).toEqual([Buffer.from([1, 2]), new Map([['k', [1, 2]]]), new Set(['x']), NaN, -0, Infinity, undefined]);
    expect(back.struct).toEqual({ $weird: 1, F: true });
  });
});

describe('names', () => {
  it('follows ksqlDB', () => {
    expect(queryGroupId('default_', 'CTAS_X_0')).toBe('_confluent-ksql-default_query_CTAS_X_0');
    expect(changelogTopic('default_', 'CTAS_X_0', 'Aggregate/Aggregate/Materialize')).toBe('_confluent-ksql-default_query_CTAS_X_0-Aggregate-Aggregate-Materialize-changelog');
    expect(repartitionTopic('s_', 'Q', 'Aggregate/GroupBy')).toBe('_confluent-ksql-s_query_Q-Aggregate-GroupBy-repartition');
    expect(commandTopic('default_')).toBe('_confluent-ksql-default__command_topic');
  });
});

describe('planDistributed', () => {
  const plan = (sql: string) => {
    const topics = new Map<string, number>();
    const roots = new Map<string, Step>();
    const port: RuntimePort = {
      topicPartitions: (n) => topics.get(n),
      createTopic: (n, p) => void topics.set(n, p),
      deleteTopic: (n) => void topics.delete(n),
      startQuery: (id, root) => void roots.set(id, root),
      stopQuery: () => {},
      produce: () => {},
    };
    const ex = new StatementExecutor(builtinRegistry(), new InMemorySchemaRegistry(), port);
    ex.execute(`CREATE STREAM S (ID STRING KEY, R STRING, V INT) WITH (KAFKA_TOPIC='s', PARTITIONS=3, VALUE_FORMAT='JSON');
                CREATE TABLE T (ID STRING PRIMARY KEY, X INT) WITH (KAFKA_TOPIC='t', PARTITIONS=3, VALUE_FORMAT='JSON');` + sql);
    return planDistributed([...roots.values()][0]!);
  };

  it('cuts before a GROUP BY', () => {
    expect(plan('CREATE TABLE C AS SELECT R, COUNT(*) FROM S GROUP BY R;')).toEqual({
      sourceTopics: ['s'],
      repartitions: [{ name: 'Aggregate/GroupBy', stepId: 'Aggregate/Aggregate', routing: 'key', partitionsLike: ['s'] }],
      copartitioned: [],
    });
  });

  it('groups a stream by its own key where it is (groupByKey): no repartition', () => {
    expect(plan('CREATE TABLE C AS SELECT ID, COUNT(*) FROM S GROUP BY ID;')).toEqual({ sourceTopics: ['s'], repartitions: [], copartitioned: [] });
  });

  it('co-partitions a join on the key, repartitions a stream joined on a value column', () => {
    expect(plan('CREATE STREAM J AS SELECT * FROM S JOIN T ON S.ID = T.ID;')).toMatchObject({ repartitions: [], copartitioned: [['s', 't']] });
    expect(plan('CREATE STREAM J AS SELECT * FROM S JOIN T ON S.R = T.ID;')).toMatchObject({
      repartitions: [{ name: 'Join', stepId: 'Join', partitionsLike: ['t'] }],
      copartitioned: [],
    });
  });
});
