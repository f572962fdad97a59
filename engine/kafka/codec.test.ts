import { Decimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { decodeText, decodeValue, encodeText, encodeValue, isBinary, textOf } from './codec.js';
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

  it('writes the binary version, tagged by its first byte', () => {
    const v = [12345, 1234.5, 'abc', 12n];
    const bytes = encodeValue(v);
    expect(isBinary(bytes)).toBe(true);
    expect(bytes.length).toBeLessThan(Buffer.byteLength(encodeText(v)));
  });

  it('round-trips the edges of its number, bigint and string encodings', () => {
    const values: unknown[] = [
      0, 1, -1, 63, 64, -64, -65, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, -(2 ** 31) - 1, 2 ** 53, 0.1, -1.5e300, NaN, -Infinity,
      0n, -1n, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 63n, -(2n ** 64n) - 7n,
      '', 'a', 'é€😀', 'x'.repeat(42), '€'.repeat(42), 'y'.repeat(43), '€'.repeat(1000), 'z'.repeat(70_000),
      new Date(1_700_000_000_123), Buffer.alloc(0), Buffer.alloc(300, 7), [[], {}, new Map(), new Set()],
    ];
    const back = decodeValue<unknown[]>(encodeValue(values));
    expect(back).toEqual(values);
    for (const v of values) expect(decodeValue(encodeValue(v))).toEqual(v);
    expect(Object.is(decodeValue(encodeValue(-0)), -0)).toBe(true);
  });

  it('decodes values written in the JSON encoding of earlier versions (changelogs, repartition topics)', () => {
    const json = Buffer.from('{"key":["a",{"$n":"12"}],"d":{"$d":"1.50"},"b":{"$b":"AQI="},"o":{"$o":{"$x":1}},"m":{"$m":[["k",{"$s":[1]}]]},"u":{"$u":1},"f":{"$f":"NaN"}}');
    expect(isBinary(json)).toBe(false);
    const back = decodeValue<Record<string, unknown>>(json);
    expect(back).toEqual({ key: ['a', 12n], d: new Decimal('1.50'), b: Buffer.from([1, 2]), o: { $x: 1 }, m: new Map([['k', new Set([1])]]), u: undefined, f: NaN });
  });

  it('checkpoints a binary value as text without decoding it, and reads JSON text as before', () => {
    const v = { n: 5n, s: 'line\nbreak' };
    const text = textOf(encodeValue(v));
    expect(text).not.toContain('\n');
    expect(decodeText(text)).toEqual(v);
    expect(decodeText(encodeText(v))).toEqual(v);
    expect(textOf(Buffer.from(encodeText(v)))).toBe(encodeText(v));
  });

  it('fails clearly on corrupt bytes', () => {
    expect(() => decodeValue(Buffer.from([0xb1, 99]))).toThrow(/corrupt state value: unknown tag 99/);
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
