import { describe, expect, it } from 'vitest';
import { BIGINT, INTEGER, STRING } from '../../types/sql-type.js';
import { col, fakeDeps, source } from './fake-engine.test-support.js';
import { parseLossless } from './load.js';
import { InMemorySchemaRegistry, referencedSchemas } from '../../serde/schema-registry.js';
import { isStateful, orderInsensitive, registerTopicSchemas, runCase, topicsToCreate } from './run-case.js';
import type { QttCase, QttRecord, QttTest } from './types.js';

const INPUT = source('INPUT', 'input', [col('K', STRING, 'KEY'), col('V', INTEGER)]);
const OUTPUT = source('OUTPUT', 'OUTPUT', [col('K', STRING, 'KEY'), col('V', INTEGER)], { isSink: true });
const AVRO_IN = source('AIN', 'ain', [col('ID', BIGINT, 'KEY'), col('V', BIGINT)], { keyFormat: { format: 'AVRO', properties: {} }, valueFormat: { format: 'AVRO', properties: {} } });
const AVRO_OUT = source('AOUT', 'aout', [col('ID', BIGINT, 'KEY'), col('V', BIGINT)], { keyFormat: { format: 'AVRO', properties: {} }, valueFormat: { format: 'AVRO', properties: {} } });
const WIN_OUT = source('WOUT', 'wout', [col('K', STRING, 'KEY'), col('V', INTEGER)], { window: { kind: 'SESSION', sizeMs: null }, sourceType: 'TABLE' });
const deps = fakeDeps([INPUT, OUTPUT, AVRO_IN, AVRO_OUT, WIN_OUT]);

function kase(test: Record<string, unknown> | string): QttCase {
  const text = typeof test === 'string' ? test : JSON.stringify({ name: 't', ...test });
  return { file: 'f.json', name: 't', format: null, test: parseLossless(text) as QttTest };
}

const pipe = ['SOURCE INPUT', 'SOURCE OUTPUT', 'PIPE input OUTPUT'];

describe('runCase', async () => {
  it('passes when outputs match, comparing key, value, timestamp and headers', async () => {
    const r = (await runCase(
      kase({
        statements: pipe,
        inputs: [{ topic: 'input', key: 'a', value: { V: 1 }, timestamp: 5, headers: [{ KEY: 'h', VALUE: 'IQ==' }] }],
        outputs: [{ topic: 'OUTPUT', key: 'a', value: { V: 1 }, timestamp: 6, headers: [{ KEY: 'h', VALUE: 'IQ==' }] }],
        post: { sources: [{ name: 'OUTPUT', type: 'stream', schema: 'K STRING KEY, V INT', keyFormat: { format: 'KAFKA' }, valueFormat: 'JSON' }] },
      }),
      deps,
    ));
    expect(r).toMatchObject({ status: 'passed', message: '' });
  });

  it('reports the first difference', async () => {
    const r = (await runCase(
      kase({
        statements: pipe,
        inputs: [
          { topic: 'input', key: 'a', value: { V: 1 } },
          { topic: 'input', key: 'b', value: { V: 2 } },
        ],
        outputs: [
          { topic: 'OUTPUT', key: 'a', value: { V: 1 } },
          { topic: 'OUTPUT', key: 'b', value: { V: 3 } },
        ],
      }),
      deps,
    ));
    expect(r.status).toBe('failed');
    expect(r.message).toMatch(/^topic OUTPUT, record #1: value.V: expected 3, got 2/);
  });

  it('fails on a record count mismatch and on a timestamp mismatch', async () => {
    const base = { statements: pipe, inputs: [{ topic: 'input', key: 'a', value: { V: 1 } }] };
    expect((await runCase(kase({ ...base, outputs: [] }), deps)).status).toBe('passed'); // topics without expectations are not checked
    expect((await runCase(kase({ ...base, outputs: [{ topic: 'OUTPUT', key: 'a', value: { V: 1 } }, { topic: 'OUTPUT', key: 'b', value: null }] }), deps)).message).toMatch(
      /expected 2 records, got 1; first missing/,
    );
    expect((await runCase(kase({ ...base, outputs: [{ topic: 'OUTPUT', key: 'a', value: { V: 1 }, timestamp: 0 }] }), deps)).message).toMatch(/timestamp: expected 0, got 1/);
  });

  it('checks post.sources', async () => {
    const r = (await runCase(kase({ statements: pipe, post: { sources: [{ name: 'OUTPUT', type: 'table', schema: 'K STRING KEY, V INT' }] } }), deps));
    expect(r.message).toBe('post: source OUTPUT: expected type TABLE, got STREAM');
    const s = (await runCase(kase({ statements: pipe, post: { sources: [{ name: 'OUTPUT', type: 'stream', schema: 'K STRING KEY, V BIGINT' }] } }), deps));
    expect(s.message).toBe('post: source OUTPUT: expected schema K STRING KEY, V BIGINT, got K STRING KEY, V INTEGER');
    expect((await runCase(kase({ statements: pipe, post: { sources: [{ name: 'NOPE', type: 'stream' }] } }), deps)).message).toMatch(/does not exist/);
  });

  it('handles expected exceptions strictly and leniently', async () => {
    const ok = (await runCase(kase({ statements: ['SOURCE INPUT', 'BAD'], expectedException: { message: "at or near 'BAD'" } }), deps));
    expect(ok).toMatchObject({ status: 'passed', lenientPassed: true, expectsException: true });
    const wrong = (await runCase(kase({ statements: ['BAD'], expectedException: { message: 'something else' } }), deps));
    expect(wrong).toMatchObject({ status: 'failed', lenientPassed: true });
    expect(wrong.message).toMatch(/expected exception containing "something else", got: Syntax error/);
    const none = (await runCase(kase({ statements: ['SOURCE INPUT'], expectedException: { message: 'x' } }), deps));
    expect(none).toMatchObject({ status: 'failed', lenientPassed: false });
  });

  it('fails (never crashes) on a failing statement and stops runaway cases', async () => {
    expect((await runCase(kase({ statements: ['BAD'] }), deps)).message).toMatch(/^statement #0 failed: Syntax error/);
    const loop = (await runCase(kase({ statements: ['SOURCE INPUT', 'LOOP input'], inputs: [{ topic: 'input', key: 'a', value: { V: 1 } }] }), deps, { maxRecords: 1000, timeoutMs: 5000 }));
    expect(loop.status).toBe('failed');
    expect(loop.message).toMatch(/more than 1000 records/);
  });

  it('serializes schema formats through the serde and compares 64-bit values exactly', async () => {
    const r = (await runCase(
      kase(`{"name": "t", "statements": ["SOURCE AIN", "SOURCE AOUT", "PIPE ain aout"],
        "inputs": [{"topic": "ain", "key": 9223372036854775807, "value": {"v": 9223372036854775806}}],
        "outputs": [{"topic": "aout", "key": 9223372036854775807, "value": {"V": 9223372036854775806}}]}`),
      deps,
    ));
    expect(r.message).toBe('');
    expect(r).toMatchObject({ status: 'passed' });
  });

  it('compares windows of windowed keys', async () => {
    const mk = (end: number): QttCase =>
      kase({
        statements: ['SOURCE WOUT', 'PIPE win wout'],
        inputs: [{ topic: 'win', key: 'a', value: 'x' }],
        outputs: [{ topic: 'wout', key: 'a', value: null, window: { start: 0, end, type: 'session' } }],
      });
    // the raw input is "a" with no window bytes: the fake session serde reads garbage, so only check it does not crash
    expect(['passed', 'failed']).toContain((await runCase(mk(0), deps)).status);
  });

  it('registers topic schemas and skips what it cannot express', async () => {
    const skip = (await runCase(kase({ statements: [], topics: [{ name: 't', valueFormat: 'PROTOBUF', valueSchema: 'x', valueSchemaReferences: [{ name: 'a' }] }] }), deps));
    expect(skip).toMatchObject({ status: 'skipped' });
    expect(skip.message).toMatch(/schema references/);
  });

  it('registers schema references under their names, after the schema that imports them', () => {
    const registry = new InMemorySchemaRegistry();
    const ids = registerTopicSchemas(registry, {
      name: 't',
      valueFormat: 'PROTOBUF',
      valueSchema: 'syntax = "proto3"; import "e.proto"; message L { E e = 1; }',
      valueSchemaReferences: [{ name: 'e.proto', format: 'PROTOBUF', schema: 'syntax = "proto3"; message E { int64 ts = 1; }' }],
    });
    expect(ids.get('t-value')).toBe(1);
    const main = registry.byId(1)!;
    expect(main.references).toEqual([{ name: 'e.proto', subject: 'e.proto', version: 1 }]);
    expect(referencedSchemas(registry, main)).toEqual(['syntax = "proto3"; message E { int64 ts = 1; }']);
  });

  it('pre-creates undeclared topics with 4 partitions, declared ones as declared, none for PARTITIONS=', async () => {
    const t = kase({
      statements: [
        "CREATE STREAM A (K STRING KEY, V INT) WITH (KAFKA_TOPIC='a', VALUE_FORMAT='JSON');",
        "CREATE STREAM B (K STRING KEY, V INT) WITH (KAFKA_TOPIC='b', VALUE_FORMAT='JSON', PARTITIONS=2);",
        "CREATE STREAM C AS SELECT * FROM A;",
      ],
      topics: [{ name: 'declared', partitions: 3 }],
      inputs: [{ topic: 'in', key: 'k', value: 1 }],
    }).test;
    expect([...topicsToCreate(t)]).toEqual([
      ['declared', 3],
      ['in', 4],
      ['a', 4],
    ]);
  });
});

describe('inputs on an engine that settles on its own', () => {
  const rec = (topic: string, timestamp: number): QttRecord => ({ topic, key: null, value: null, timestamp });
  it('go all at once only to one partition of one topic', () => {
    expect(orderInsensitive([rec('a', 2), rec('a', 1)], () => 1)).toBe(true);
    expect(orderInsensitive([rec('a', 1), rec('b', 2)], () => 1)).toBe(false);
    expect(orderInsensitive([rec('a', 1)], () => 2)).toBe(false);
    expect(orderInsensitive([], () => 1)).toBe(true);
  });
  it('restart midway in stateful cases', () => {
    expect(isStateful({ statements: ['CREATE TABLE t AS SELECT k, COUNT(*) FROM s GROUP BY k;'] })).toBe(true);
    expect(isStateful({ statements: ['CREATE STREAM x AS SELECT * FROM a JOIN b WITHIN 1 SECOND ON a.k = b.k;'] })).toBe(true);
    expect(isStateful({ statements: ['CREATE STREAM x AS SELECT * FROM s WHERE v > 1;'] })).toBe(false);
  });
});
