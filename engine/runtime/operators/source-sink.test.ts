import { describe, expect, it } from 'vitest';
import { engine, sendRaw, read } from './memory-engine.test-support.js';

/** Sources and sinks through the engine on the in-memory Kafka (one record processed to completion at a time): deserialization errors, event time. */
describe('deserialization errors', () => {
  it('decodes only the columns a query reads, yet a bad value in another column still fails the record', async () => {
    const e = await engine(`
      CREATE STREAM S (ID STRING KEY, A INT, B BIGINT, C STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON');
      CREATE STREAM O AS SELECT ID, A FROM S WHERE C IS NULL OR C <> 'skip';`);
    await sendRaw(e, 's', 'k1', '{"A": 1, "B": 10, "C": "x"}', 1);
    await sendRaw(e, 's', 'k2', '{"A": 2, "B": "not a number", "C": "x"}', 2);
    await sendRaw(e, 's', 'k3', '{"A": 3, "B": 30, "C": "skip"}', 3);
    await sendRaw(e, 's', 'k4', '{"A": 4}', 4);
    expect(read(e, 'O')).toEqual([
      { key: 'k1', value: { A: 1 }, ts: 1 },
      { key: 'k4', value: { A: 4 }, ts: 4 },
    ]);
    expect(e.processingLog.entries.map((x) => x.type)).toEqual(['DESERIALIZATION_ERROR']);
  });

  it('logs malformed JSON to the processing log and keeps processing later records', async () => {
    const e = await engine(`
      CREATE STREAM S (ID STRING KEY, A INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON');
      CREATE STREAM O AS SELECT * FROM S;`);
    await sendRaw(e, 's', 'k1', '{"A": 1}', 1);
    await sendRaw(e, 's', 'k2', '{"A": ', 2);
    await sendRaw(e, 's', 'k3', '{"A": "not a number"}', 3);
    await sendRaw(e, 's', 'k4', '{"A": 4}', 4);
    expect(read(e, 'O')).toEqual([
      { key: 'k1', value: { A: 1 }, ts: 1 },
      { key: 'k4', value: { A: 4 }, ts: 4 },
    ]);
    const errors = e.processingLog.entries;
    expect(errors).toHaveLength(2);
    for (const entry of errors) {
      expect(entry).toMatchObject({ level: 'ERROR', type: 'DESERIALIZATION_ERROR', topic: 's' });
      expect(entry.message).toContain('Failed to deserialize value from topic: s');
      expect(entry.logger.startsWith('CSAS_O_')).toBe(true);
    }
    // the position, not the bytes (ksql.logging.processing.rows.include is off by default, as in ksqlDB)
    expect(JSON.parse(errors[0]!.record!)).toEqual({ topic: 's', partition: 0, offset: 1 });
  });

  it('carries the record\'s bytes in the processing log only with ksql.logging.processing.rows.include', async () => {
    const e = await engine(
      `
      CREATE STREAM S (ID STRING KEY, A INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON');
      CREATE STREAM O AS SELECT * FROM S;`,
      { 'ksql.logging.processing.rows.include': 'true' },
    );
    await sendRaw(e, 's', 'k2', '{"A": ', 2);
    const [entry] = e.processingLog.entries;
    expect(JSON.parse(entry!.record!)).toEqual({ topic: 's', partition: 0, offset: 0, key: Buffer.from('k2').toString('base64'), value: Buffer.from('{"A": ').toString('base64') });
  });

  it('logs a malformed key for a JSON key format', async () => {
    const e = await engine(`
      CREATE STREAM S (ID INT KEY, A INT) WITH (KAFKA_TOPIC='s', FORMAT='JSON');
      CREATE STREAM O AS SELECT * FROM S;`);
    await sendRaw(e, 's', '{oops', '{"A": 1}', 1);
    await sendRaw(e, 's', '7', '{"A": 2}', 2);
    expect(read(e, 'O')).toEqual([{ key: '7', value: { A: 2 }, ts: 2 }]);
    expect(e.processingLog.entries.map((x) => x.message)).toEqual([expect.stringContaining('Failed to deserialize key from topic: s')]);
  });
});

describe('event time', () => {
  it('takes ROWTIME from a BIGINT TIMESTAMP column; a null timestamp is logged and skipped', async () => {
    const e = await engine(`
      CREATE STREAM S (ID STRING KEY, EVENT_TS BIGINT, A INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', TIMESTAMP='EVENT_TS');
      CREATE STREAM O AS SELECT ID, A, ROWTIME AS RT FROM S;`);
    await sendRaw(e, 's', 'k', '{"EVENT_TS": 5000, "A": 1}', 1);
    await sendRaw(e, 's', 'k', '{"A": 2}', 2);
    await sendRaw(e, 's', 'k', '{"EVENT_TS": 6000, "A": 3}', 3);
    expect(read(e, 'O')).toEqual([
      { key: 'k', value: { A: 1, RT: 5000 }, ts: 5000 },
      { key: 'k', value: { A: 3, RT: 6000 }, ts: 6000 },
    ]);
    expect(e.processingLog.entries).toHaveLength(1);
    expect(e.processingLog.entries[0]!.message).toContain('Failed to extract timestamp');
  });

  it('parses a STRING TIMESTAMP column with TIMESTAMP_FORMAT', async () => {
    const e = await engine(`
      CREATE STREAM S (ID STRING KEY, WHEN_TS STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', TIMESTAMP='WHEN_TS', TIMESTAMP_FORMAT='yyyy-MM-dd''T''HH:mm:ssX');
      CREATE STREAM O AS SELECT * FROM S;`);
    await sendRaw(e, 's', 'k', '{"WHEN_TS": "2021-11-10T00:00:01Z"}', 1);
    expect(read(e, 'O').map((r) => r.ts)).toEqual([Date.UTC(2021, 10, 10, 0, 0, 1)]);
  });

  it('windows by the extracted event time, not the record time', async () => {
    const e = await engine(`
      CREATE STREAM S (ID STRING KEY, EVENT_TS BIGINT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', TIMESTAMP='EVENT_TS');
      CREATE TABLE C AS SELECT ID, COUNT(*) AS N FROM S WINDOW TUMBLING (SIZE 1 SECOND) GROUP BY ID;`);
    await sendRaw(e, 's', 'k', '{"EVENT_TS": 1500}', 999999);
    const [rec] = e.read('C');
    expect(rec!.timestamp).toBe(1500);
    expect(Number(rec!.key!.readBigInt64BE(rec!.key!.length - 8))).toBe(1000);
  });

  it('sets the sink record time from the sink TIMESTAMP column', async () => {
    const e = await engine(`
      CREATE STREAM S (ID STRING KEY, T2 BIGINT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON');
      CREATE STREAM O WITH (TIMESTAMP='T2') AS SELECT * FROM S;`);
    await sendRaw(e, 's', 'k', '{"T2": 777}', 1);
    expect(read(e, 'O')).toEqual([{ key: 'k', value: { T2: 777 }, ts: 777 }]);
  });

  it('parses a STRING sink TIMESTAMP column with its TIMESTAMP_FORMAT; a row that does not parse is logged and skipped', async () => {
    const e = await engine(`
      CREATE STREAM S (ID STRING KEY, T STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON');
      CREATE STREAM O WITH (TIMESTAMP='T', TIMESTAMP_FORMAT='yyyy-MM-dd''T''HH:mm:ssX') AS SELECT * FROM S;`);
    await sendRaw(e, 's', 'a', '{"T": "2018-05-11T21:58:33Z"}', 1);
    await sendRaw(e, 's', 'b', '{"T": "not a timestamp"}', 2);
    expect(read(e, 'O')).toEqual([{ key: 'a', value: { T: '2018-05-11T21:58:33Z' }, ts: 1526075913000 }]);
    expect(e.processingLog.entries.map((x) => x.message)).toEqual([expect.stringContaining('Failed to extract timestamp from row')]);
  });

  it('drops records with a negative timestamp', async () => {
    const e = await engine(`
      CREATE STREAM S (ID STRING KEY, EVENT_TS BIGINT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', TIMESTAMP='EVENT_TS');
      CREATE STREAM O AS SELECT * FROM S;`);
    await sendRaw(e, 's', 'k', '{"EVENT_TS": -5}', 1);
    await sendRaw(e, 's', 'k', '{"EVENT_TS": 5}', 1);
    expect(read(e, 'O').map((r) => r.ts)).toEqual([5]);
  });
});

describe('sinks', () => {
  it('writes a table tombstone as a null value', async () => {
    const e = await engine(`
      CREATE TABLE T (ID STRING PRIMARY KEY, A INT) WITH (KAFKA_TOPIC='t', VALUE_FORMAT='JSON');
      CREATE TABLE O AS SELECT * FROM T;`);
    await sendRaw(e, 't', 'k', '{"A": 1}', 1);
    await sendRaw(e, 't', 'k', null, 2);
    expect(read(e, 'O')).toEqual([
      { key: 'k', value: { A: 1 }, ts: 1 },
      { key: 'k', value: null, ts: 2 },
    ]);
  });

  it('writes in the sink formats given in WITH', async () => {
    const e = await engine(`
      CREATE STREAM S (ID STRING KEY, A INT, B STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON');
      CREATE STREAM O WITH (VALUE_FORMAT='DELIMITED') AS SELECT * FROM S;`);
    await sendRaw(e, 's', 'k', '{"A": 1, "B": "x"}', 1);
    expect(e.read('O').map((r) => r.value?.toString('utf8'))).toEqual(['1,x']);
  });
});
