import { describe, expect, it } from 'vitest';
import { engine, send, read } from './memory-engine.test-support.js';

/** Joins through the engine on the in-memory Kafka (one record processed to completion at a time): JSON values, KAFKA string keys. */
const STREAMS = `
  CREATE STREAM L (ID STRING KEY, A STRING) WITH (KAFKA_TOPIC='l', VALUE_FORMAT='JSON');
  CREATE STREAM R (ID STRING KEY, B STRING) WITH (KAFKA_TOPIC='r', VALUE_FORMAT='JSON');`;
const TABLES = `
  CREATE TABLE LT (ID STRING PRIMARY KEY, A STRING) WITH (KAFKA_TOPIC='lt', VALUE_FORMAT='JSON');
  CREATE TABLE RT (ID STRING PRIMARY KEY, B STRING) WITH (KAFKA_TOPIC='rt', VALUE_FORMAT='JSON');`;

describe('stream-stream joins', () => {
  it('INNER joins records within the window, bounds inclusive, at the later timestamp', async () => {
    const e = await engine(`${STREAMS}
      CREATE STREAM J AS SELECT L.ID, A, B FROM L JOIN R WITHIN 10 SECONDS ON L.ID = R.ID;`);
    await send(e, 'l', 'k', { A: 'a0' }, 0);
    await send(e, 'r', 'k', { B: 'b5' }, 5000);
    await send(e, 'r', 'k', { B: 'b20' }, 20000); // 20s after a0: no match
    await send(e, 'l', 'k', { A: 'a10' }, 10000); // b5 (5s) and b20 (exactly 10s)
    await send(e, 'l', 'x', { A: 'ax' }, 10000); // other key
    expect(read(e, 'J')).toEqual([
      { key: 'k', value: { A: 'a0', B: 'b5' }, ts: 5000 },
      { key: 'k', value: { A: 'a10', B: 'b5' }, ts: 10000 },
      { key: 'k', value: { A: 'a10', B: 'b20' }, ts: 20000 },
    ]);
  });

  it('honours asymmetric bounds: WITHIN (before, after) relative to the left record', async () => {
    const e = await engine(`${STREAMS}
      CREATE STREAM J AS SELECT L.ID, A, B FROM L JOIN R WITHIN (1 SECOND, 5 SECONDS) ON L.ID = R.ID;`);
    await send(e, 'l', 'k', { A: 'a' }, 10000);
    await send(e, 'r', 'k', { B: 'before-2s' }, 8000); // outside: 2s before
    await send(e, 'r', 'k', { B: 'before-1s' }, 9000); // inside
    await send(e, 'r', 'k', { B: 'after-5s' }, 15000); // inside
    await send(e, 'r', 'k', { B: 'after-6s' }, 16000); // outside
    expect(read(e, 'J').map((r) => (r.value as { B: string }).B)).toEqual(['before-1s', 'after-5s']);
  });

  it('LEFT without a grace period emits the unmatched left row eagerly, then the match too', async () => {
    const e = await engine(`${STREAMS}
      CREATE STREAM J AS SELECT L.ID, A, B FROM L LEFT JOIN R WITHIN 10 SECONDS ON L.ID = R.ID;`);
    await send(e, 'l', 'k', { A: 'a' }, 1000);
    await send(e, 'r', 'k', { B: 'b' }, 2000);
    await send(e, 'r', 'z', { B: 'only-right' }, 3000); // a LEFT join never emits right-only rows
    expect(read(e, 'J')).toEqual([
      { key: 'k', value: { A: 'a', B: null }, ts: 1000 },
      { key: 'k', value: { A: 'a', B: 'b' }, ts: 2000 },
    ]);
  });

  it('LEFT with a grace period holds unmatched left rows until the window closes', async () => {
    const e = await engine(`${STREAMS}
      CREATE STREAM J AS SELECT L.ID, A, B FROM L LEFT JOIN R WITHIN 10 SECONDS GRACE PERIOD 0 SECONDS ON L.ID = R.ID;`);
    await send(e, 'l', 'k', { A: 'matched' }, 1000);
    await send(e, 'l', 'u', { A: 'unmatched' }, 1000);
    await send(e, 'r', 'k', { B: 'b' }, 3000);
    expect(read(e, 'J')).toEqual([{ key: 'k', value: { A: 'matched', B: 'b' }, ts: 3000 }]);
    await send(e, 'l', 'other', { A: 'tick' }, 11000); // u's window closes after 1000 + 10000
    expect(read(e, 'J')).toHaveLength(1);
    await send(e, 'l', 'other', { A: 'tick' }, 11001);
    expect(read(e, 'J').slice(1)).toEqual([{ key: 'u', value: { A: 'unmatched', B: null }, ts: 1000 }]);
  });

  it('FULL OUTER with a grace period emits unmatched rows of both sides once closed', async () => {
    const e = await engine(`${STREAMS}
      CREATE STREAM J AS SELECT ROWKEY AS ID, A, B FROM L FULL OUTER JOIN R WITHIN 5 SECONDS GRACE PERIOD 0 SECONDS ON L.ID = R.ID;`);
    await send(e, 'l', 'a', { A: 'left-only' }, 1000);
    await send(e, 'r', 'b', { B: 'right-only' }, 2000);
    await send(e, 'l', 'c', { A: 'tick' }, 20000);
    expect(read(e, 'J')).toEqual([
      { key: 'a', value: { A: 'left-only', B: null }, ts: 1000 },
      { key: 'b', value: { A: null, B: 'right-only' }, ts: 2000 },
    ]);
  });

  it('drops null-valued stream records', async () => {
    const e = await engine(`${STREAMS}
      CREATE STREAM J AS SELECT L.ID, A, B FROM L JOIN R WITHIN 10 SECONDS ON L.ID = R.ID;`);
    await send(e, 'r', 'k', { B: 'b' }, 0);
    await send(e, 'l', 'k', null, 1);
    expect(read(e, 'J')).toEqual([]);
  });
});

describe('windowed stream-stream joins', () => {
  it('join records of the same window only: the window is part of the key', async () => {
    const e = await engine(`
      CREATE STREAM WL (ID STRING KEY, A INT) WITH (KAFKA_TOPIC='wl', VALUE_FORMAT='JSON', WINDOW_TYPE='SESSION');
      CREATE STREAM WR (ID STRING KEY, B INT) WITH (KAFKA_TOPIC='wr', VALUE_FORMAT='JSON', WINDOW_TYPE='SESSION');
      CREATE STREAM J AS SELECT WL.ID, A, B FROM WL JOIN WR WITHIN 1 MINUTE ON WL.ID = WR.ID;`);
    // a session-windowed KAFKA key: the key, then the window end and start (8 bytes each)
    const sessionKey = (k: string, start: number, end: number): Buffer => {
      const w = Buffer.alloc(16);
      w.writeBigInt64BE(BigInt(end), 0);
      w.writeBigInt64BE(BigInt(start), 8);
      return Buffer.concat([Buffer.from(k), w]);
    };
    const send = async (topic: string, start: number, end: number, value: object): Promise<void> => {
      await e.pipe(topic, { key: sessionKey('k', start, end), value: Buffer.from(JSON.stringify(value)), timestamp: end });
    };
    await send('wl', 234, 765, { A: 1 });
    await send('wr', 234, 567, { B: 2 }); // another session of the same key
    await send('wr', 234, 765, { B: 3 });
    expect(e.read('J').map((r) => JSON.parse(r.value!.toString('utf8')) as unknown)).toEqual([{ A: 1, B: 3 }]);
  });
});

describe('stream-table joins', () => {
  const SQL = `${STREAMS}${TABLES}`;
  it('INNER looks the table up at the stream record; table changes alone emit nothing', async () => {
    const e = await engine(`${SQL}
      CREATE STREAM J AS SELECT L.ID, A, B FROM L JOIN RT ON L.ID = RT.ID;`);
    await send(e, 'l', 'k', { A: 'before-table' }, 1);
    await send(e, 'rt', 'k', { B: 'v1' }, 2);
    await send(e, 'l', 'k', { A: 'a1' }, 3);
    await send(e, 'rt', 'k', { B: 'v2' }, 4);
    await send(e, 'l', 'k', { A: 'a2' }, 5);
    await send(e, 'rt', 'k', null, 6);
    await send(e, 'l', 'k', { A: 'after-delete' }, 7);
    expect(read(e, 'J')).toEqual([
      { key: 'k', value: { A: 'a1', B: 'v1' }, ts: 3 },
      { key: 'k', value: { A: 'a2', B: 'v2' }, ts: 5 },
    ]);
  });

  it('LEFT emits stream records without a table row with nulls', async () => {
    const e = await engine(`${SQL}
      CREATE STREAM J AS SELECT L.ID, A, B FROM L LEFT JOIN RT ON L.ID = RT.ID;`);
    await send(e, 'l', 'k', { A: 'a0' }, 1);
    await send(e, 'rt', 'k', { B: 'v1' }, 2);
    await send(e, 'l', 'k', { A: 'a1' }, 3);
    expect(read(e, 'J')).toEqual([
      { key: 'k', value: { A: 'a0', B: null }, ts: 1 },
      { key: 'k', value: { A: 'a1', B: 'v1' }, ts: 3 },
    ]);
  });

  it("reads the table from the table's own store: the joined row has the table row's ROWTIME", async () => {
    const e = await engine(`${SQL}
      CREATE STREAM J AS SELECT L.ID, A, B, RT.ROWTIME AS RTS FROM L JOIN RT ON L.ID = RT.ID;`);
    await send(e, 'rt', 'k', { B: 'v1' }, 2);
    await send(e, 'l', 'k', { A: 'a1' }, 5);
    await send(e, 'rt', 'k', { B: 'v2' }, 7);
    await send(e, 'l', 'k', { A: 'a2' }, 9);
    expect(read(e, 'J')).toEqual([
      { key: 'k', value: { A: 'a1', B: 'v1', RTS: 2 }, ts: 5 },
      { key: 'k', value: { A: 'a2', B: 'v2', RTS: 7 }, ts: 9 },
    ]);
  });

  it('joins on a value column of the stream (rekeyed to the join expression)', async () => {
    const e = await engine(`${SQL}
      CREATE STREAM EV (EV_ID STRING KEY, USER_ID STRING) WITH (KAFKA_TOPIC='ev', VALUE_FORMAT='JSON');
      CREATE STREAM J AS SELECT EV.USER_ID, EV_ID, B FROM EV JOIN RT ON EV.USER_ID = RT.ID;`);
    await send(e, 'rt', 'u1', { B: 'gold' }, 1);
    await send(e, 'ev', 'e1', { USER_ID: 'u1' }, 2);
    await send(e, 'ev', 'e2', { USER_ID: 'u2' }, 3);
    expect(read(e, 'J')).toEqual([{ key: 'u1', value: { EV_ID: 'e1', B: 'gold' }, ts: 2 }]);
  });
});

describe('table-table joins', () => {
  it('INNER: a row appears when both sides exist and is deleted when either side goes', async () => {
    const e = await engine(`${TABLES}
      CREATE TABLE J AS SELECT LT.ID, A, B FROM LT JOIN RT ON LT.ID = RT.ID;`);
    await send(e, 'lt', 'k', { A: 'a1' }, 1);
    await send(e, 'rt', 'k', { B: 'b1' }, 2);
    await send(e, 'lt', 'k', { A: 'a2' }, 3);
    await send(e, 'rt', 'k', null, 4);
    expect(read(e, 'J')).toEqual([
      { key: 'k', value: { A: 'a1', B: 'b1' }, ts: 2 },
      { key: 'k', value: { A: 'a2', B: 'b1' }, ts: 3 },
      { key: 'k', value: null, ts: 4 },
    ]);
  });

  it('LEFT: left rows with or without a right row; deleting the left row deletes the result', async () => {
    const e = await engine(`${TABLES}
      CREATE TABLE J AS SELECT LT.ID, A, B FROM LT LEFT JOIN RT ON LT.ID = RT.ID;`);
    await send(e, 'lt', 'k', { A: 'a1' }, 1);
    await send(e, 'rt', 'k', { B: 'b1' }, 2);
    await send(e, 'rt', 'k', null, 3);
    await send(e, 'lt', 'k', null, 4);
    expect(read(e, 'J')).toEqual([
      { key: 'k', value: { A: 'a1', B: null }, ts: 1 },
      { key: 'k', value: { A: 'a1', B: 'b1' }, ts: 2 },
      { key: 'k', value: { A: 'a1', B: null }, ts: 3 },
      { key: 'k', value: null, ts: 4 },
    ]);
  });

  it('FULL OUTER: rows from either side; deleted when both sides are gone', async () => {
    const e = await engine(`${TABLES}
      CREATE TABLE J AS SELECT ROWKEY AS ID, A, B FROM LT FULL OUTER JOIN RT ON LT.ID = RT.ID;`);
    await send(e, 'rt', 'k', { B: 'b1' }, 1);
    await send(e, 'lt', 'k', { A: 'a1' }, 2);
    await send(e, 'rt', 'k', null, 3);
    await send(e, 'lt', 'k', null, 4);
    expect(read(e, 'J')).toEqual([
      { key: 'k', value: { A: null, B: 'b1' }, ts: 1 },
      { key: 'k', value: { A: 'a1', B: 'b1' }, ts: 2 },
      { key: 'k', value: { A: 'a1', B: null }, ts: 3 },
      { key: 'k', value: null, ts: 4 },
    ]);
  });
});

describe('aggregations over table joins', () => {
  it('table-table: an update retracts the row joined before it from its group', async () => {
    const e = await engine(`${TABLES}
      CREATE TABLE N AS SELECT B, COUNT(*) AS C FROM LT LEFT JOIN RT ON LT.ID = RT.ID GROUP BY B;`);
    await send(e, 'lt', 'k', { A: 'a1' }, 1); // group null: dropped
    await send(e, 'rt', 'k', { B: 'x' }, 2);
    await send(e, 'rt', 'k', { B: 'y' }, 3); // leaves x
    await send(e, 'lt', 'k', null, 4); // leaves y
    expect(read(e, 'N')).toEqual([
      { key: 'x', value: { C: 1 }, ts: 2 },
      { key: 'x', value: { C: 0 }, ts: 3 },
      { key: 'y', value: { C: 1 }, ts: 3 },
      { key: 'y', value: { C: 0 }, ts: 4 },
    ]);
  });

  it('foreign-key: left and right updates retract the row joined before them', async () => {
    const e = await engine(`
      CREATE TABLE ORDERS (ORDER_ID STRING PRIMARY KEY, CUSTOMER_ID STRING, TOTAL INT) WITH (KAFKA_TOPIC='orders', VALUE_FORMAT='JSON');
      CREATE TABLE CUSTOMERS (ID STRING PRIMARY KEY, REGION STRING) WITH (KAFKA_TOPIC='customers', VALUE_FORMAT='JSON');
      CREATE TABLE BY_REGION AS SELECT REGION, SUM(TOTAL) AS T FROM ORDERS O JOIN CUSTOMERS C ON O.CUSTOMER_ID = C.ID GROUP BY REGION;`);
    await send(e, 'customers', 'c1', { REGION: 'EU' }, 1);
    await send(e, 'orders', 'o1', { CUSTOMER_ID: 'c1', TOTAL: 10 }, 2);
    await send(e, 'orders', 'o1', { CUSTOMER_ID: 'c1', TOTAL: 15 }, 3);
    await send(e, 'customers', 'c1', { REGION: 'US' }, 4);
    expect(read(e, 'BY_REGION')).toEqual([
      { key: 'EU', value: { T: 10 }, ts: 2 },
      { key: 'EU', value: { T: 15 }, ts: 3 },
      { key: 'EU', value: { T: 0 }, ts: 4 },
      { key: 'US', value: { T: 15 }, ts: 4 },
    ]);
  });
});

describe('foreign-key joins', () => {
  const FK = `
    CREATE TABLE ORDERS (ORDER_ID STRING PRIMARY KEY, CUSTOMER_ID STRING, TOTAL INT) WITH (KAFKA_TOPIC='orders', VALUE_FORMAT='JSON');
    CREATE TABLE CUSTOMERS (ID STRING PRIMARY KEY, NAME STRING) WITH (KAFKA_TOPIC='customers', VALUE_FORMAT='JSON');`;

  it('INNER: keyed by the left primary key; follows customer updates, FK changes and deletes', async () => {
    const e = await engine(`${FK}
      CREATE TABLE J AS SELECT O.ORDER_ID, TOTAL, NAME FROM ORDERS O JOIN CUSTOMERS C ON O.CUSTOMER_ID = C.ID;`);
    await send(e, 'orders', 'o1', { CUSTOMER_ID: 'c1', TOTAL: 10 }, 1); // no customer yet
    await send(e, 'customers', 'c1', { NAME: 'Ann' }, 2);
    await send(e, 'customers', 'c1', { NAME: 'Anne' }, 3);
    await send(e, 'customers', 'c2', { NAME: 'Bob' }, 4);
    await send(e, 'orders', 'o1', { CUSTOMER_ID: 'c2', TOTAL: 11 }, 5);
    await send(e, 'customers', 'c1', { NAME: 'Ann again' }, 6); // o1 no longer points at c1
    await send(e, 'customers', 'c2', null, 7);
    expect(read(e, 'J')).toEqual([
      { key: 'o1', value: { TOTAL: 10, NAME: 'Ann' }, ts: 2 },
      { key: 'o1', value: { TOTAL: 10, NAME: 'Anne' }, ts: 3 },
      { key: 'o1', value: { TOTAL: 11, NAME: 'Bob' }, ts: 5 },
      { key: 'o1', value: null, ts: 7 },
    ]);
  });

  it('LEFT: orders without a customer join with nulls; a deleted order is deleted', async () => {
    const e = await engine(`${FK}
      CREATE TABLE J AS SELECT O.ORDER_ID, TOTAL, NAME FROM ORDERS O LEFT JOIN CUSTOMERS C ON O.CUSTOMER_ID = C.ID;`);
    await send(e, 'orders', 'o1', { CUSTOMER_ID: 'c1', TOTAL: 10 }, 1);
    await send(e, 'customers', 'c1', { NAME: 'Ann' }, 2);
    await send(e, 'customers', 'c1', null, 3);
    await send(e, 'orders', 'o1', null, 4);
    expect(read(e, 'J')).toEqual([
      { key: 'o1', value: { TOTAL: 10, NAME: null }, ts: 1 },
      { key: 'o1', value: { TOTAL: 10, NAME: 'Ann' }, ts: 2 },
      { key: 'o1', value: { TOTAL: 10, NAME: null }, ts: 3 },
      { key: 'o1', value: null, ts: 4 },
    ]);
  });
});

describe('stream-stream join state', () => {
  it('sweeps buffered records past the window and grace out of the store, also for keys that never come again', async () => {
    const e = await engine(`${STREAMS}
      CREATE STREAM J AS SELECT L.ID, A, B FROM L JOIN R WITHIN 1 SECOND GRACE PERIOD 1 SECOND ON L.ID = R.ID;`);
    const id = e.engine.executor.metastore.queries()[0]!.id;
    const buffered = (): number => [...e.storeEntries(id)].filter(([name]) => /-join-store$/.test(name)).reduce((n, [, size]) => n + size, 0);
    for (let i = 0; i < 50; i++) await send(e, 'l', `once-${i}`, { A: `a${i}` }, i);
    await send(e, 'r', 'once-0', { B: 'b' }, 100);
    expect(buffered()).toBe(51);
    // stream time moves on far beyond window + grace; only the recent key stays
    for (let t = 10_000; t <= 20_000; t += 1000) await send(e, 'l', 'recent', { A: 'r' }, t);
    // each side expires by its own stream time (a late record of the other side may still join): the right one stood still at 100
    expect(buffered()).toBe(2);
    await send(e, 'r', 'other', { B: 'x' }, 22_000);
    expect(buffered()).toBe(2); // recent@20000 and other@22000
    expect(read(e, 'J')).toEqual([{ key: 'once-0', value: { A: 'a0', B: 'b' }, ts: 100 }]);
  });

  it('a late record joins what the other side still retains; an unmatched one whose window stream time passed is emitted at once', async () => {
    const e = await engine(`${STREAMS}
      CREATE STREAM J AS SELECT R.ID, A, B FROM L RIGHT JOIN R WITHIN 1 MINUTE GRACE PERIOD 1 MINUTE ON L.ID = R.ID;`);
    await send(e, 'l', 'k0', { A: 'A' }, 0);
    await send(e, 'r', 'k0', { B: 'a' }, 60_000);
    await send(e, 'l', 'k1', { A: 'B' }, 330_000); // stream time (and the left side's) 330 s
    await send(e, 'l', 'k2', { A: 'C' }, 90_000); // older than the left side retains (330 s - 180 s): not kept
    await send(e, 'r', 'k2', { B: 'c' }, 90_000); // C is gone: unmatched, and its window ended before 330 s
    await send(e, 'r', 'k3', { B: 'd' }, 60_000); // the right side (at 90 s) keeps it
    await send(e, 'l', 'k3', { A: 'D' }, 90_000);
    expect(read(e, 'J')).toEqual([
      { key: 'k0', value: { A: 'A', B: 'a' }, ts: 60_000 },
      { key: 'k2', value: { A: null, B: 'c' }, ts: 90_000 },
      { key: 'k3', value: { A: null, B: 'd' }, ts: 60_000 },
      { key: 'k3', value: { A: 'D', B: 'd' }, ts: 90_000 },
    ]);
  });
});
