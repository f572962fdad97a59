import { describe, expect, it } from 'vitest';
import { builtinRegistry } from '../functions/builtins.js';
import { InMemorySchemaRegistry } from '../serde/index.js';
import { parseScript } from '../sql/index.js';
import { StatementExecutor, type RuntimePort } from './executor.js';
import { inRange, pullAccess, type PullAccess } from './pull-access.js';

const functions = builtinRegistry();
const port: RuntimePort = { topicPartitions: () => 1, createTopic: () => {}, deleteTopic: () => {}, startQuery: () => {}, stopQuery: () => {}, produce: () => {} };
const executor = new StatementExecutor(functions, new InMemorySchemaRegistry(), port, {});
executor.execute(`CREATE TABLE S (ID STRING PRIMARY KEY, V INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON');
  CREATE TABLE N (ID BIGINT PRIMARY KEY, V INT) WITH (KAFKA_TOPIC='n', VALUE_FORMAT='JSON');
  CREATE TABLE I (ID INT PRIMARY KEY, V INT) WITH (KAFKA_TOPIC='i', VALUE_FORMAT='JSON');
  CREATE TABLE M (A STRING PRIMARY KEY, B INT PRIMARY KEY, V INT) WITH (KAFKA_TOPIC='m', KEY_FORMAT='JSON', VALUE_FORMAT='JSON');
  CREATE TABLE D (ID DECIMAL(4, 2) PRIMARY KEY, V INT) WITH (KAFKA_TOPIC='d', KEY_FORMAT='JSON', VALUE_FORMAT='JSON');`);

function access(table: string, condition: string | null): PullAccess {
  const [st] = parseScript(`SELECT * FROM ${table}${condition ? ` WHERE ${condition}` : ''};`, new Map());
  if (st?.kind !== 'QueryStatement') throw new Error('not a query');
  return pullAccess(st.query.where, executor.metastore.source(table)!, functions);
}

describe('pullAccess: what a pull query reads of a table, from its WHERE clause', () => {
  it('looks keys up when every disjunct pins the key with = or IN', () => {
    expect(access('S', `ID = 'a'`)).toEqual({ kind: 'keys', keys: [['a']] });
    expect(access('S', `'a' = ID AND V > 3`)).toEqual({ kind: 'keys', keys: [['a']] });
    expect(access('S', `ID IN ('a', 'b') OR ID = 'c' OR ID = 'a'`)).toEqual({ kind: 'keys', keys: [['a'], ['b'], ['c']] });
    expect(access('S', `ID = CONCAT('a', 'b')`)).toEqual({ kind: 'keys', keys: [['ab']] });
    expect(access('S', `ID = NULL`)).toEqual({ kind: 'keys', keys: [] });
  });

  it('casts literals to the key type where the value stays, and matches nothing where it cannot', () => {
    expect(access('N', `ID = 5`)).toEqual({ kind: 'keys', keys: [[5n]] });
    expect(access('I', `ID IN (1, 2147483648)`)).toEqual({ kind: 'keys', keys: [[1]] });
    // a DECIMAL literal reads the table (the WHERE clause decides)
    expect(access('I', `ID = 2.5`)).toEqual({ kind: 'scan' });
    expect(access('N', `ID = '5'`)).toEqual({ kind: 'scan' });
  });

  it('crosses the values of multi-column keys, and scans when one column is not pinned', () => {
    expect(access('M', `A IN ('x', 'y') AND B = 1`)).toEqual({ kind: 'keys', keys: [['x', 1], ['y', 1]] });
    expect(access('M', `A = 'x'`)).toEqual({ kind: 'scan' });
  });

  it('bounds a single key column, and scans what it cannot narrow', () => {
    expect(access('S', `ID >= 'b' AND ID < 'd'`)).toEqual({ kind: 'range', lower: { value: 'b', inclusive: true }, upper: { value: 'd', inclusive: false } });
    expect(access('N', `ID BETWEEN 1 AND 9`)).toEqual({ kind: 'range', lower: { value: 1n, inclusive: true }, upper: { value: 9n, inclusive: true } });
    expect(access('S', `'m' < ID`)).toEqual({ kind: 'range', lower: { value: 'm', inclusive: false }, upper: null });
    expect(access('I', `ID < 1.5`)).toEqual({ kind: 'scan' });
    expect(access('S', `ID > 'a' OR ID = 'b'`)).toEqual({ kind: 'scan' });
    expect(access('S', null)).toEqual({ kind: 'scan' });
    expect(access('S', `V = 1`)).toEqual({ kind: 'scan' });
    expect(access('S', `ID LIKE 'a%'`)).toEqual({ kind: 'scan' });
    expect(access('D', `ID = 1.5`)).toEqual({ kind: 'scan' });
  });

  it('inRange compares strings and numbers of one key type', () => {
    expect(inRange('b', { value: 'b', inclusive: true }, { value: 'd', inclusive: false })).toBe(true);
    expect(inRange('d', { value: 'b', inclusive: true }, { value: 'd', inclusive: false })).toBe(false);
    expect(inRange(10n, { value: 9n, inclusive: false }, null)).toBe(true);
    expect(inRange(null, null, null)).toBe(false);
  });
});
