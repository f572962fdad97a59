import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runRqtt } from './run-rqtt.js';

describe('runRqtt', () => {
  it('runs a case through the REST API and compares responses, outputs and errors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rqtt-'));
    const file = join(dir, 'sample.json');
    writeFileSync(
      file,
      JSON.stringify({
        tests: [
          {
            name: 'pull on stream',
            statements: ["CREATE STREAM S (K STRING KEY, V INT) WITH (kafka_topic='t', value_format='JSON');", 'SELECT * FROM S;'],
            inputs: [{ topic: 't', key: 'a', value: { V: 1 }, timestamp: 10 }],
            responses: [
              { admin: { '@type': 'currentStatus' } },
              { query: [{ header: { schema: '`K` STRING, `V` INTEGER' } }, { row: { columns: ['a', 1] } }, { finalMessage: 'Query Completed' }] },
            ],
          },
          {
            name: 'insert values',
            statements: ["CREATE STREAM S (K STRING KEY, V INT) WITH (kafka_topic='t', value_format='JSON');", "INSERT INTO S (ROWTIME, K, V) VALUES (5, 'k', 2);"],
            outputs: [{ topic: 't', key: 'k', value: { V: 2 }, timestamp: 5 }],
          },
          {
            name: 'error',
            statements: ["CREATE TABLE U (ID INT PRIMARY KEY, V INT) WITH (kafka_topic='u', value_format='JSON');", 'SELECT * FROM U;'],
            expectedError: { type: 'io.confluent.ksql.rest.entity.KsqlStatementErrorMessage', message: "The `U` table isn't queryable", status: 400 },
          },
          {
            name: 'wrong expectation',
            statements: ["CREATE STREAM S (K STRING KEY, V INT) WITH (kafka_topic='t', value_format='JSON');", 'SELECT * FROM S;'],
            responses: [{ admin: { '@type': 'currentStatus' } }, { query: [{ header: { schema: '`K` STRING KEY, `V` BIGINT' } }] }],
          },
        ],
      }),
    );
    const report = await runRqtt([file]);
    expect(report.cases.map((c) => [c.name, c.status])).toEqual([
      ['pull on stream', 'passed'],
      ['insert values', 'passed'],
      ['error', 'passed'],
      ['wrong expectation', 'failed'],
    ]);
    expect(report.passed).toBe(3);
    expect(report.failed).toBe(1);
  }, 20_000);
});
