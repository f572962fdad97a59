import { describe, expect, it } from 'vitest';
import { boxHeader, boxRow, cell, errorLines, formatEntity, renderBox, renderTable, schemaString, streamingWidths } from './format.js';

/** Golden files under testdata/; `npx vitest run -u engine/cli/shell` rewrites them for review. */
const golden = async (name: string, lines: readonly string[]): Promise<void> => {
  await expect(lines.join('\n') + '\n').toMatchFileSnapshot(`./testdata/${name}.txt`);
};

describe('table renderers', () => {
  it('renders ksqlDB-style entity tables', () => {
    expect(renderTable(['Name', 'Topic'], [['S', 'a-long-topic']])).toEqual([' Name | Topic        ', '---------------------', ' S    | a-long-topic ', '---------------------']);
    expect(renderTable(['Message'], [])).toEqual([' Message ', '---------', '---------']);
  });

  it('renders boxed query results, wrapping long cells', () => {
    expect(renderBox(['K', 'VALUE'], [['a', '1'], ['bb', 'null']])).toEqual(['+--+-----+', '|K |VALUE|', '+--+-----+', '|a |1    |', '|bb|null |', '+--+-----+']);
    expect(boxRow(['abcdefgh', 'x'], [5, 3])).toEqual(['|abcde|x  |', '|fgh  |   |']);
    expect(boxHeader(['A'], [3])).toEqual(['+---+', '|A  |', '+---+']);
  });

  it('gives push query columns a width from the terminal', () => {
    expect(streamingWidths(['K', 'V'], 81)).toEqual([39, 39]);
    expect(streamingWidths(['K', 'A_VERY_LONG_COLUMN_NAME'], 20)).toEqual([8, 23]);
  });

  it('prints values as the CLI does', () => {
    expect([cell('s'), cell(1), cell(null), cell({ A: [1, 'x'] }), cell(true)]).toEqual(['s', '1', 'null', '{"A":[1,"x"]}', 'true']);
    expect(schemaString({ type: 'STRUCT', fields: [{ name: 'A', schema: { type: 'ARRAY', memberSchema: { type: 'DECIMAL', parameters: { precision: 4, scale: 2 } } } }] })).toBe(
      'STRUCT<A ARRAY<DECIMAL(4, 2)>>',
    );
  });

  it('extracts the server message from errors', () => {
    expect(errorLines({ '@type': 'statement_error', message: 'boom\nmore', statementText: 'X;' }, 400)).toEqual(['boom', 'more', 'Statement: X;']);
    expect(errorLines({ '@type': 'generic_error', message: 'Unauthorized' }, 401)).toEqual(['Unauthorized']);
    expect(errorLines('', 502)).toEqual(['HTTP 502']);
  });
});

describe('entity goldens', () => {
  it('currentStatus', async () => {
    await golden('current-status', formatEntity({ '@type': 'currentStatus', commandStatus: { status: 'SUCCESS', message: 'Stream created' }, warnings: [{ message: 'careful' }] }));
  });

  it('streams and tables', async () => {
    const s = { type: 'STREAM', name: 'PAGEVIEWS', topic: 'pageviews', keyFormat: 'KAFKA', valueFormat: 'JSON', isWindowed: false };
    await golden('show-streams', formatEntity({ '@type': 'streams', streams: [s, { ...s, name: 'S', topic: 't', valueFormat: 'AVRO' }] }));
    await golden('show-tables', formatEntity({ '@type': 'tables', tables: [{ ...s, type: 'TABLE', name: 'COUNTS', isWindowed: true }] }));
  });

  it('queries, topics, properties, functions', async () => {
    await golden(
      'show-misc',
      [
        formatEntity({ '@type': 'queries', queries: [{ id: 'CSAS_S2_0', queryType: 'PERSISTENT', statusCount: { RUNNING: 1 }, sinks: ['S2'], sinkKafkaTopics: ['S2'], queryString: 'CREATE STREAM S2 AS\n  SELECT * FROM S EMIT CHANGES;' }] }),
        formatEntity({ '@type': 'kafka_topics', topics: [{ name: 't', replicaInfo: [1, 1] }] }),
        formatEntity({ '@type': 'properties', properties: [{ name: 'ksql.service.id', scope: 'KSQL', value: 'default_' }] }),
        formatEntity({ '@type': 'function_names', functions: [{ name: 'ABS', category: 'OTHER' }, { name: 'COUNT', category: 'AGGREGATE' }] }),
      ].flatMap((x) => [...x, '']),
    );
  });

  it('describe', async () => {
    const d = {
      name: 'S',
      type: 'STREAM',
      extended: false,
      fields: [
        { name: 'K', type: 'KEY', schema: { type: 'STRING' } },
        { name: 'V', schema: { type: 'INTEGER' } },
        { name: 'M', schema: { type: 'MAP', memberSchema: { type: 'BIGINT' } } },
      ],
    };
    await golden('describe', formatEntity({ '@type': 'sourceDescription', sourceDescription: d }));
    await golden(
      'describe-extended',
      formatEntity({
        '@type': 'sourceDescription',
        sourceDescription: { ...d, extended: true, keyFormat: 'KAFKA', valueFormat: 'JSON', topic: 't', partitions: 1, replication: 1, timestamp: '', statement: 'CREATE STREAM S (K STRING KEY) WITH (...);', readQueries: [{ id: 'CSAS_S2_0', state: 'RUNNING', queryString: 'CREATE STREAM S2 AS SELECT * FROM S;' }], writeQueries: [] },
      }),
    );
  });

  it('falls back to JSON for entities it does not know', () => {
    expect(formatEntity({ '@type': 'something_new', a: 1 })).toEqual(['{', '  "@type": "something_new",', '  "a": 1', '}']);
  });
});
