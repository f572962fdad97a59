import { describe, expect, it } from 'vitest';
import { engine, send, read } from './memory-engine.test-support.js';

/** Filter, project, flat-map and PARTITION BY through the engine on the in-memory Kafka (one record processed to completion at a time) (JSON values). */
const USERS = `CREATE TABLE USERS (ID STRING PRIMARY KEY, LEVEL STRING, NAME STRING) WITH (KAFKA_TOPIC='users', VALUE_FORMAT='JSON');`;
const VIEWS = `CREATE STREAM VIEWS (USER_ID STRING KEY, PAGE STRING, MS INT, TAGS ARRAY<STRING>) WITH (KAFKA_TOPIC='views', VALUE_FORMAT='JSON');`;

describe('table filter', () => {
  it('emits a delete when a row stops matching, and for deletes of matching rows only', async () => {
    const e = await engine(`${USERS}
      CREATE TABLE PLATINUM AS SELECT ID, NAME FROM USERS WHERE LEVEL = 'Platinum';`);
    await send(e, 'users', 'a', { LEVEL: 'Gold', NAME: 'Ann' }, 1); // never matched: nothing
    await send(e, 'users', 'a', { LEVEL: 'Platinum', NAME: 'Ann' }, 2);
    await send(e, 'users', 'a', { LEVEL: 'Platinum', NAME: 'Anne' }, 3);
    await send(e, 'users', 'a', { LEVEL: 'Gold', NAME: 'Anne' }, 4); // stops matching: delete
    await send(e, 'users', 'b', { LEVEL: 'Platinum', NAME: 'Bob' }, 5);
    await send(e, 'users', 'b', null, 6); // delete of a matching row
    await send(e, 'users', 'c', null, 7); // delete of an unknown row: nothing
    expect(read(e, 'PLATINUM')).toEqual([
      { key: 'a', value: { NAME: 'Ann' }, ts: 2 },
      { key: 'a', value: { NAME: 'Anne' }, ts: 3 },
      { key: 'a', value: null, ts: 4 },
      { key: 'b', value: { NAME: 'Bob' }, ts: 5 },
      { key: 'b', value: null, ts: 6 },
    ]);
  });
});

describe('stream filter and projection', () => {
  it('projects expressions and ROWTIME; filters out null values and non-matching rows', async () => {
    const e = await engine(`${VIEWS}
      CREATE STREAM LONG AS SELECT USER_ID, UCASE(PAGE) AS PAGE, MS / 1000 AS SECS, ROWTIME AS T FROM VIEWS WHERE MS >= 1000;`);
    await send(e, 'views', 'u', { PAGE: 'home', MS: 2500 }, 10);
    await send(e, 'views', 'u', { PAGE: 'short', MS: 10 }, 11);
    await send(e, 'views', 'u', null, 12); // a null stream value: no row to filter
    await send(e, 'views', 'u', { PAGE: 'nomillis' }, 13); // MS null: predicate is not true
    expect(read(e, 'LONG')).toEqual([{ key: 'u', value: { PAGE: 'HOME', SECS: 2, T: 10 }, ts: 10 }]);
  });

  it('passes a null stream value through a projection-only query as a null value', async () => {
    const e = await engine(`${VIEWS}
      CREATE STREAM COPY AS SELECT * FROM VIEWS;`);
    await send(e, 'views', 'u', null, 5);
    await send(e, 'views', 'u', { PAGE: 'p' }, 6);
    expect(read(e, 'COPY')).toEqual([
      { key: 'u', value: null, ts: 5 },
      { key: 'u', value: { PAGE: 'p', MS: null, TAGS: null }, ts: 6 },
    ]);
  });

  it('logs an expression error to the processing log, writes null for that column and carries on', async () => {
    const e = await engine(`${VIEWS}
      CREATE STREAM P AS SELECT USER_ID, PAGE, 100 / MS AS INV FROM VIEWS;`);
    await send(e, 'views', 'u', { PAGE: 'zero', MS: 0 }, 1);
    await send(e, 'views', 'u', { PAGE: 'two', MS: 50 }, 2);
    const out = read(e, 'P');
    expect(out).toHaveLength(2);
    expect(out[1]).toEqual({ key: 'u', value: { PAGE: 'two', INV: 2 }, ts: 2 });
  });
});

describe('PARTITION BY', () => {
  it('rekeys by a value column, keeping the old key as a value column', async () => {
    const e = await engine(`${VIEWS}
      CREATE STREAM BY_PAGE AS SELECT PAGE, USER_ID, MS FROM VIEWS PARTITION BY PAGE;`);
    await send(e, 'views', 'u1', { PAGE: 'home', MS: 1 }, 1);
    await send(e, 'views', 'u2', { PAGE: 'cart', MS: 2 }, 2);
    await send(e, 'views', 'u3', { MS: 3 }, 3); // null PAGE: a null key
    expect(read(e, 'BY_PAGE')).toEqual([
      { key: 'home', value: { USER_ID: 'u1', MS: 1 }, ts: 1 },
      { key: 'cart', value: { USER_ID: 'u2', MS: 2 }, ts: 2 },
      { key: null, value: { USER_ID: 'u3', MS: 3 }, ts: 3 },
    ]);
  });

  it('PARTITION BY null drops the key', async () => {
    const e = await engine(`${VIEWS}
      CREATE STREAM UNKEYED AS SELECT * FROM VIEWS PARTITION BY null;`);
    await send(e, 'views', 'u1', { PAGE: 'home', MS: 1 }, 1);
    expect(read(e, 'UNKEYED')).toEqual([{ key: null, value: { USER_ID: 'u1', PAGE: 'home', MS: 1, TAGS: null }, ts: 1 }]);
  });

  it('PARTITION BY an expression', async () => {
    const e = await engine(`${VIEWS}
      CREATE STREAM P AS SELECT LCASE(PAGE) AS LP, MS FROM VIEWS PARTITION BY LCASE(PAGE);`);
    await send(e, 'views', 'u1', { PAGE: 'HOME', MS: 1 }, 1);
    expect(read(e, 'P')).toEqual([{ key: 'home', value: { MS: 1 }, ts: 1 }]);
  });
});

describe('table functions', () => {
  it('EXPLODE emits one row per element, none for an empty or null array', async () => {
    const e = await engine(`${VIEWS}
      CREATE STREAM T AS SELECT USER_ID, EXPLODE(TAGS) AS TAG FROM VIEWS;`);
    await send(e, 'views', 'u', { TAGS: ['a', 'b'] }, 1);
    await send(e, 'views', 'u', { TAGS: [] }, 2);
    await send(e, 'views', 'u', { TAGS: null }, 3);
    await send(e, 'views', 'v', { TAGS: ['c'] }, 4);
    expect(read(e, 'T')).toEqual([
      { key: 'u', value: { TAG: 'a' }, ts: 1 },
      { key: 'u', value: { TAG: 'b' }, ts: 1 },
      { key: 'v', value: { TAG: 'c' }, ts: 4 },
    ]);
  });
});
