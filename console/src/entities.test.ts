import { describe, expect, it } from 'vitest';
import { entityViews } from './entities.js';

describe('entityViews', () => {
  it('shows a command status as a message and a description as a table of fields', () => {
    expect(entityViews({ '@type': 'currentStatus', statementText: 'CREATE ...', commandStatus: { status: 'SUCCESS', message: 'Created query with ID CTAS_X_1', queryId: 'CTAS_X_1' } })).toEqual([
      { kind: 'message', title: 'CREATE ...', text: 'SUCCESS: Created query with ID CTAS_X_1 (query CTAS_X_1)' },
    ]);
    const [fields] = entityViews({
      '@type': 'sourceDescription',
      sourceDescription: {
        name: 'S',
        type: 'STREAM',
        topic: 't',
        keyFormat: 'KAFKA',
        valueFormat: 'JSON',
        fields: [
          { name: 'ID', schema: { type: 'STRING' }, type: 'KEY' },
          { name: 'TAGS', schema: { type: 'ARRAY', memberSchema: { type: 'STRING' } } },
          { name: 'P', schema: { type: 'STRUCT', fields: [{ name: 'X', schema: { type: 'DECIMAL', parameters: { precision: 4, scale: 2 } } }] } },
        ],
        readQueries: [],
        writeQueries: [],
      },
    });
    expect(fields).toEqual({ kind: 'table', title: 'STREAM S (topic t, key KAFKA, value JSON)', columns: ['Field', 'Type'], rows: [['ID', 'STRING (key)'], ['TAGS', 'ARRAY<STRING>'], ['P', 'STRUCT<X DECIMAL(4, 2)>']] });
  });
});
