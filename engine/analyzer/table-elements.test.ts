import { describe, expect, it } from 'vitest';
import { parseStatements } from '../sql/index.js';
import type { CreateSource } from '../sql/ast/statement.js';
import { analyzeTableElements, checkSourceSchema } from './table-elements.js';

function elements(sql: string): ReturnType<typeof analyzeTableElements> {
  const st = parseStatements(sql)[0] as CreateSource;
  return analyzeTableElements(st.sourceType, st.columns ?? [], () => undefined, st.loc);
}

describe('CREATE STREAM/TABLE elements', () => {
  it('take HEADERS as ARRAY<STRUCT<KEY STRING, VALUE BYTES>> and HEADER(k) as BYTES', () => {
    const cols = elements("CREATE STREAM S (K STRING KEY, H ARRAY<STRUCT<key STRING, value BYTES>> HEADERS, A BYTES HEADER('a'), V INT) WITH (kafka_topic='s', value_format='JSON');");
    expect(cols.map((c) => [c.name, c.namespace])).toEqual([
      ['K', 'KEY'],
      ['H', 'HEADERS'],
      ['A', 'HEADERS'],
      ['V', 'VALUE'],
    ]);
  });

  it('refuse other header types and a second HEADERS column', () => {
    expect(() => elements("CREATE STREAM S (H STRING HEADERS) WITH (kafka_topic='s', value_format='JSON');")).toThrow(
      'Invalid type for HEADERS column: expected ARRAY<STRUCT<`KEY` STRING, `VALUE` BYTES>>, got STRING',
    );
    expect(() => elements("CREATE STREAM S (H INT HEADER('x')) WITH (kafka_topic='s', value_format='JSON');")).toThrow("Invalid type for HEADER('x') column: expected BYTES, got INTEGER");
    expect(() =>
      elements("CREATE STREAM S (H ARRAY<STRUCT<key STRING, value BYTES>> HEADERS, G ARRAY<STRUCT<key STRING, value BYTES>> HEADERS) WITH (kafka_topic='s', value_format='JSON');"),
    ).toThrow('Schema already contains a HEADERS column.');
  });

  it('need columns, and a PRIMARY KEY for a table', () => {
    expect(() => checkSourceSchema('STREAM', [], null)).toThrow('The statement does not define any columns.');
    expect(() => checkSourceSchema('TABLE', [{ name: 'V', type: { kind: 'INTEGER' }, namespace: 'VALUE' }], null)).toThrow('Tables require a PRIMARY KEY.');
  });
});
