import { describe, expect, it } from 'vitest';
import { engine, send, type Engine } from './memory-engine.test-support.js';

/** Aggregations through the engine on the in-memory Kafka (one record processed to completion at a time): JSON values, KAFKA string keys. */
interface Out {
  key: string | null;
  value: unknown;
  ts: number;
  window?: [number, number];
}

/** Output records; `window` decodes Kafka Streams' windowed key layouts (time: +start, session: +end+start). */
function read(e: Engine, topic: string, window: 'none' | 'time' | 'session' = 'none', sizeMs = 0): Out[] {
  return e.read(topic).map((r) => {
    const value = r.value === null ? null : (JSON.parse(r.value.toString('utf8')) as unknown);
    if (window === 'none' || r.key === null) return { key: r.key?.toString('utf8') ?? null, value, ts: r.timestamp };
    const suffix = window === 'session' ? 16 : 8;
    const n = r.key.length - suffix;
    const key = r.key.subarray(0, n).toString('utf8');
    const start = Number(r.key.readBigInt64BE(window === 'session' ? n + 8 : n));
    const end = window === 'session' ? Number(r.key.readBigInt64BE(n)) : start + sizeMs;
    return { key, value, ts: r.timestamp, window: [start, end] };
  });
}

const CLICKS = `CREATE STREAM CLICKS (USER_ID STRING KEY, PAGE STRING, MS INT) WITH (KAFKA_TOPIC='clicks', VALUE_FORMAT='JSON');`;

describe('tumbling windows', () => {
  it('assigns records to [start, start + size) windows; the output time is the latest record time in the window', async () => {
    const e = await engine(`${CLICKS}
      CREATE TABLE C AS SELECT PAGE, COUNT(*) AS N FROM CLICKS WINDOW TUMBLING (SIZE 10 SECONDS, GRACE PERIOD 5 SECONDS) GROUP BY PAGE;`);
    await send(e, 'clicks', 'u', { PAGE: 'a' }, 1000);
    await send(e, 'clicks', 'u', { PAGE: 'a' }, 9999);
    await send(e, 'clicks', 'u', { PAGE: 'a' }, 10000);
    await send(e, 'clicks', 'u', { PAGE: 'b' }, 2000);
    expect(read(e, 'C', 'time', 10000)).toEqual([
      { key: 'a', value: { N: 1 }, ts: 1000, window: [0, 10000] },
      { key: 'a', value: { N: 2 }, ts: 9999, window: [0, 10000] },
      { key: 'a', value: { N: 1 }, ts: 10000, window: [10000, 20000] },
      { key: 'b', value: { N: 1 }, ts: 2000, window: [0, 10000] },
    ]);
  });

  it('drops records for windows that closed (end + grace <= stream time), keeps the rest', async () => {
    const e = await engine(`${CLICKS}
      CREATE TABLE C AS SELECT PAGE, COUNT(*) AS N FROM CLICKS WINDOW TUMBLING (SIZE 10 SECONDS, GRACE PERIOD 5 SECONDS) GROUP BY PAGE;`);
    await send(e, 'clicks', 'u', { PAGE: 'a' }, 1000);
    await send(e, 'clicks', 'u', { PAGE: 'a' }, 14999); // stream time 14999: [0,10s) still open until 15000
    await send(e, 'clicks', 'u', { PAGE: 'a' }, 2000); // accepted: window end 10000 + grace 5000 > 14999
    await send(e, 'clicks', 'u', { PAGE: 'a' }, 25000); // stream time 25000
    await send(e, 'clicks', 'u', { PAGE: 'a' }, 3000); // [0,10s) closed at 15000: dropped
    await send(e, 'clicks', 'u', { PAGE: 'a' }, 16000); // [10s,20s) closes at exactly 25000: dropped
    await send(e, 'clicks', 'u', { PAGE: 'a' }, 21000); // [20s,30s) open
    expect(read(e, 'C', 'time', 10000).map((r) => [r.window, r.value])).toEqual([
      [[0, 10000], { N: 1 }],
      [[10000, 20000], { N: 1 }],
      [[0, 10000], { N: 2 }],
      [[20000, 30000], { N: 1 }],
      [[20000, 30000], { N: 2 }],
    ]);
  });

  it('EMIT FINAL emits one result per window once stream time passes end + grace', async () => {
    const e = await engine(`${CLICKS}
      CREATE TABLE C AS SELECT PAGE, COUNT(*) AS N FROM CLICKS WINDOW TUMBLING (SIZE 10 SECONDS, GRACE PERIOD 2 SECONDS) GROUP BY PAGE EMIT FINAL;`);
    await send(e, 'clicks', 'u', { PAGE: 'a' }, 1000);
    await send(e, 'clicks', 'u', { PAGE: 'a' }, 2000);
    await send(e, 'clicks', 'u', { PAGE: 'b' }, 3000);
    await send(e, 'clicks', 'u', { PAGE: 'a' }, 11000); // stream time 11000 < 12000: nothing final yet
    expect(read(e, 'C', 'time', 10000)).toEqual([]);
    await send(e, 'clicks', 'u', { PAGE: 'a' }, 9000); // still within grace
    await send(e, 'clicks', 'u', { PAGE: 'c' }, 12000); // closes [0,10s)
    expect(read(e, 'C', 'time', 10000)).toEqual([
      { key: 'a', value: { N: 3 }, ts: 9000, window: [0, 10000] },
      { key: 'b', value: { N: 1 }, ts: 3000, window: [0, 10000] },
    ]);
  });
});

describe('EMIT FINAL', () => {
  const FINAL = (window: string, having = ''): string => `${CLICKS}
      CREATE TABLE C AS SELECT PAGE, COUNT(*) AS N FROM CLICKS WINDOW ${window} GROUP BY PAGE ${having} EMIT FINAL;`;

  it('loses a window whose close stream time jumps past: with the default retention (size + grace) it expired at its close', async () => {
    const e = await engine(FINAL('TUMBLING (SIZE 10 SECONDS, GRACE PERIOD 2 SECONDS)'));
    await send(e, 'clicks', 'u', { PAGE: 'a' }, 1000);
    await send(e, 'clicks', 'u', { PAGE: 'a' }, 11000);
    await send(e, 'clicks', 'u', { PAGE: 'a' }, 15000); // [0,10s) closed at 12000, expired by 15000
    await send(e, 'clicks', 'u', { PAGE: 'a' }, 22000); // [10s,20s) closes exactly now
    expect(read(e, 'C', 'time', 10000)).toEqual([{ key: 'a', value: { N: 2 }, ts: 15000, window: [10000, 20000] }]);
  });

  it('emits a window closed by a jump while RETENTION still keeps it', async () => {
    const e = await engine(FINAL('TUMBLING (SIZE 10 SECONDS, RETENTION 1 MINUTE, GRACE PERIOD 2 SECONDS)'));
    await send(e, 'clicks', 'u', { PAGE: 'a' }, 1000);
    await send(e, 'clicks', 'u', { PAGE: 'b' }, 2000);
    await send(e, 'clicks', 'u', { PAGE: 'a' }, 15000);
    expect(read(e, 'C', 'time', 10000)).toEqual([
      { key: 'a', value: { N: 1 }, ts: 1000, window: [0, 10000] },
      { key: 'b', value: { N: 1 }, ts: 2000, window: [0, 10000] },
    ]);
    await send(e, 'clicks', 'u', { PAGE: 'a' }, 80000); // [10s,20s) expired at 20000 + 60000 > 80000? no: start 10000 < 80000 - 60000
    expect(read(e, 'C', 'time', 10000)).toHaveLength(2);
  });

  it('hopping windows close one by one, in window order', async () => {
    const e = await engine(FINAL('HOPPING (SIZE 10 SECONDS, ADVANCE BY 5 SECONDS, GRACE PERIOD 0 SECONDS)'));
    await send(e, 'clicks', 'u', { PAGE: 'a' }, 1000);
    await send(e, 'clicks', 'u', { PAGE: 'a' }, 6000);
    await send(e, 'clicks', 'u', { PAGE: 'a' }, 10000); // closes [0,10s)
    await send(e, 'clicks', 'u', { PAGE: 'a' }, 15000); // closes [5s,15s)
    expect(read(e, 'C', 'time', 10000)).toEqual([
      { key: 'a', value: { N: 2 }, ts: 6000, window: [0, 10000] },
      { key: 'a', value: { N: 2 }, ts: 10000, window: [5000, 15000] },
    ]);
  });

  it('applies HAVING to final rows; a row HAVING filters out still advances stream time', async () => {
    const e = await engine(FINAL('TUMBLING (SIZE 10 SECONDS, GRACE PERIOD 0 SECONDS)', 'HAVING COUNT(*) > 1'));
    await send(e, 'clicks', 'u', { PAGE: 'a' }, 1000);
    await send(e, 'clicks', 'u', { PAGE: 'a' }, 2000);
    await send(e, 'clicks', 'u', { PAGE: 'b' }, 3000);
    await send(e, 'clicks', 'u', { PAGE: 'c' }, 10000); // count 1 for c: filtered, but closes [0,10s)
    expect(read(e, 'C', 'time', 10000)).toEqual([{ key: 'a', value: { N: 2 }, ts: 2000, window: [0, 10000] }]);
  });

  it('emits a session once stream time passes its end + gap + grace, not the sessions merged into it', async () => {
    const e = await engine(FINAL('SESSION (5 SECONDS, GRACE PERIOD 1 SECOND)'));
    await send(e, 'clicks', 'u', { PAGE: 'a' }, 0);
    await send(e, 'clicks', 'u', { PAGE: 'a' }, 4000);
    await send(e, 'clicks', 'u', { PAGE: 'b' }, 9000);
    await send(e, 'clicks', 'u', { PAGE: 'a' }, 8000); // extends [0, 4000]: it closes at 4000 + 5000 + 1000 + 1 > 9000
    expect(read(e, 'C', 'session')).toEqual([]);
    await send(e, 'clicks', 'u', { PAGE: 'c' }, 30000);
    expect(read(e, 'C', 'session')).toEqual([
      { key: 'a', value: { N: 3 }, ts: 8000, window: [0, 8000] },
      { key: 'b', value: { N: 1 }, ts: 9000, window: [9000, 9000] },
    ]);
  });

  it('a session past retention (gap + grace) is not extended: a record within its gap starts a new one', async () => {
    const e = await engine(`${CLICKS}
      CREATE TABLE S AS SELECT USER_ID, COUNT(*) AS N FROM CLICKS WINDOW SESSION (30 SECONDS, GRACE PERIOD 60 SECONDS) GROUP BY USER_ID;`);
    await send(e, 'clicks', 'u', { PAGE: 'a' }, 0);
    await send(e, 'clicks', 'v', { PAGE: 'a' }, 100010);
    await send(e, 'clicks', 'u', { PAGE: 'a' }, 10009); // late: 10009 + 30 s + 60 s < 100010
    await send(e, 'clicks', 'u', { PAGE: 'a' }, 10010); // not late, and [0, 0] expired: a session of its own
    expect(read(e, 'S', 'session')).toEqual([
      { key: 'u', value: { N: 1 }, ts: 0, window: [0, 0] },
      { key: 'v', value: { N: 1 }, ts: 100010, window: [100010, 100010] },
      { key: 'u', value: { N: 1 }, ts: 10010, window: [10010, 10010] },
    ]);
  });
});

describe('hopping windows', () => {
  it('adds a record to every window that contains it, in window-start order, none before time 0', async () => {
    const e = await engine(`${CLICKS}
      CREATE TABLE C AS SELECT PAGE, COUNT(*) AS N FROM CLICKS WINDOW HOPPING (SIZE 30 SECONDS, ADVANCE BY 10 SECONDS) GROUP BY PAGE;`);
    await send(e, 'clicks', 'u', { PAGE: 'a' }, 5000);
    await send(e, 'clicks', 'u', { PAGE: 'a' }, 25000);
    expect(read(e, 'C', 'time', 30000).map((r) => [r.window, r.value])).toEqual([
      [[0, 30000], { N: 1 }],
      [[0, 30000], { N: 2 }],
      [[10000, 40000], { N: 1 }],
      [[20000, 50000], { N: 1 }],
    ]);
  });
});

describe('session windows', () => {
  it('merges sessions bridged by a record and emits tombstones for the merged ones', async () => {
    const e = await engine(`${CLICKS}
      CREATE TABLE S AS SELECT USER_ID, COUNT(*) AS N FROM CLICKS WINDOW SESSION (5 SECONDS) GROUP BY USER_ID;`);
    await send(e, 'clicks', 'u', { PAGE: 'a' }, 0);
    await send(e, 'clicks', 'u', { PAGE: 'a' }, 10000);
    await send(e, 'clicks', 'v', { PAGE: 'a' }, 4000);
    await send(e, 'clicks', 'u', { PAGE: 'a' }, 5000); // within the gap of both u sessions
    expect(read(e, 'S', 'session')).toEqual([
      { key: 'u', value: { N: 1 }, ts: 0, window: [0, 0] },
      { key: 'u', value: { N: 1 }, ts: 10000, window: [10000, 10000] },
      { key: 'v', value: { N: 1 }, ts: 4000, window: [4000, 4000] },
      { key: 'u', value: null, ts: 0, window: [0, 0] },
      { key: 'u', value: null, ts: 10000, window: [10000, 10000] },
      { key: 'u', value: { N: 3 }, ts: 10000, window: [0, 10000] },
    ]);
  });

  it('extends a session within the gap and drops records for sessions closed beyond grace', async () => {
    const e = await engine(`${CLICKS}
      CREATE TABLE S AS SELECT USER_ID, COUNT(*) AS N FROM CLICKS WINDOW SESSION (5 SECONDS, GRACE PERIOD 1 SECOND) GROUP BY USER_ID;`);
    await send(e, 'clicks', 'u', { PAGE: 'a' }, 1000);
    await send(e, 'clicks', 'u', { PAGE: 'a' }, 4000);
    await send(e, 'clicks', 'w', { PAGE: 'a' }, 30000); // stream time 30000
    await send(e, 'clicks', 'u', { PAGE: 'a' }, 2000); // its session [1000,4000] ended long before 30000 - 1000
    expect(read(e, 'S', 'session')).toEqual([
      { key: 'u', value: { N: 1 }, ts: 1000, window: [1000, 1000] },
      { key: 'u', value: null, ts: 1000, window: [1000, 1000] },
      { key: 'u', value: { N: 2 }, ts: 4000, window: [1000, 4000] },
      { key: 'w', value: { N: 1 }, ts: 30000, window: [30000, 30000] },
    ]);
  });
});

describe('table aggregation', () => {
  const USERS = `CREATE TABLE USERS (ID STRING PRIMARY KEY, REGION STRING, AGE INT) WITH (KAFKA_TOPIC='users', VALUE_FORMAT='JSON');`;

  it('retracts the old row from its group when a row moves or is deleted', async () => {
    const e = await engine(`${USERS}
      CREATE TABLE R AS SELECT REGION, COUNT(*) AS N, SUM(AGE) AS AGES FROM USERS GROUP BY REGION;`);
    await send(e, 'users', 'u1', { REGION: 'EU', AGE: 30 }, 1);
    await send(e, 'users', 'u2', { REGION: 'EU', AGE: 40 }, 2);
    await send(e, 'users', 'u1', { REGION: 'US', AGE: 31 }, 3); // EU loses u1 (first), US gains it
    await send(e, 'users', 'u2', null, 4); // delete: EU loses u2
    await send(e, 'users', 'u9', null, 5); // delete of an unknown key: nothing
    expect(read(e, 'R')).toEqual([
      { key: 'EU', value: { N: 1, AGES: 30 }, ts: 1 },
      { key: 'EU', value: { N: 2, AGES: 70 }, ts: 2 },
      { key: 'EU', value: { N: 1, AGES: 40 }, ts: 3 },
      { key: 'US', value: { N: 1, AGES: 31 }, ts: 3 },
      { key: 'EU', value: { N: 0, AGES: 0 }, ts: 4 },
    ]);
  });

  it('drops rows whose grouping expression is null', async () => {
    const e = await engine(`${USERS}
      CREATE TABLE R AS SELECT REGION, COUNT(*) AS N FROM USERS GROUP BY REGION;`);
    await send(e, 'users', 'u1', { AGE: 30 }, 1);
    await send(e, 'users', 'u2', { REGION: 'EU', AGE: 30 }, 2);
    expect(read(e, 'R')).toEqual([{ key: 'EU', value: { N: 1 }, ts: 2 }]);
  });
});

describe('record headers', () => {
  it('an aggregation result carries the headers of the record that changed it', async () => {
    const e = await engine(`${CLICKS}
      CREATE TABLE C AS SELECT PAGE, COUNT(*) AS N FROM CLICKS GROUP BY PAGE;`);
    const click = async (trace: string, ts: number): Promise<void> => {
      await e.pipe('clicks', { key: Buffer.from('u'), value: Buffer.from(JSON.stringify({ PAGE: 'a' })), timestamp: ts, headers: [{ key: 'trace', value: Buffer.from(trace) }] });
    };
    await click('t1', 1);
    await click('t2', 2);
    expect(e.read('C').map((r) => r.headers.map((h) => `${h.key}=${h.value?.toString('utf8') ?? ''}`))).toEqual([['trace=t1'], ['trace=t2']]);
  });
});

describe('stream aggregation with HAVING', () => {
  it('emits rows that pass HAVING; a group that never passed sends nothing', async () => {
    const e = await engine(`${CLICKS}
      CREATE TABLE BUSY AS SELECT PAGE, COUNT(*) AS N FROM CLICKS GROUP BY PAGE HAVING COUNT(*) > 1;`);
    await send(e, 'clicks', 'u', { PAGE: 'a' }, 1);
    await send(e, 'clicks', 'u', { PAGE: 'b' }, 2);
    await send(e, 'clicks', 'u', { PAGE: 'a' }, 3);
    await send(e, 'clicks', 'u', { PAGE: 'a' }, 4);
    expect(read(e, 'BUSY')).toEqual([
      { key: 'a', value: { N: 2 }, ts: 3 },
      { key: 'a', value: { N: 3 }, ts: 4 },
    ]);
  });

  it('takes the previous result from the aggregation: a windowed HAVING deletes a row that stops passing and keeps no store of its own', async () => {
    const e = await engine(`${CLICKS}
      CREATE TABLE LOW AS SELECT USER_ID, COUNT(*) AS N FROM CLICKS
        WINDOW TUMBLING (SIZE 1 SECOND) GROUP BY USER_ID HAVING COUNT(*) < 2;`);
    await send(e, 'clicks', 'u', { PAGE: 'a' }, 1);
    await send(e, 'clicks', 'u', { PAGE: 'a' }, 2);
    await send(e, 'clicks', 'u', { PAGE: 'a' }, 3);
    await send(e, 'clicks', 'u', { PAGE: 'a' }, 1001);
    expect(read(e, 'LOW', 'time', 1000)).toEqual([
      { key: 'u', value: { N: 1 }, ts: 1, window: [0, 1000] },
      { key: 'u', value: null, ts: 2, window: [0, 1000] },
      { key: 'u', value: { N: 1 }, ts: 1001, window: [1000, 2000] },
    ]);
    const id = e.engine.executor.metastore.queries()[0]!.id;
    expect([...e.storeEntries(id).keys()]).toEqual(['Aggregate/Aggregate/Materialize']);
  });
});

describe('window retention', () => {
  const entries = (e: Engine): number => {
    const id = e.engine.executor.metastore.queries()[0]!.id;
    return [...e.storeEntries(id)].reduce((n, [, size]) => n + size, 0);
  };

  it('drops windows that start before stream time - RETENTION from the store', async () => {
    const e = await engine(`${CLICKS}
      CREATE TABLE C AS SELECT USER_ID, COUNT(*) AS N FROM CLICKS
        WINDOW TUMBLING (SIZE 1 SECOND, RETENTION 10 SECONDS, GRACE PERIOD 0 SECONDS) GROUP BY USER_ID;`);
    for (let i = 0; i < 20; i++) await send(e, 'clicks', `u${i}`, { PAGE: 'p', MS: 1 }, i * 100);
    expect(entries(e)).toBe(20);
    for (let t = 30_000; t <= 40_000; t += 1000) await send(e, 'clicks', 'late-user', { PAGE: 'p', MS: 1 }, t);
    // only windows starting after 40 s - 10 s remain
    expect(entries(e)).toBeLessThanOrEqual(10);
    expect(read(e, 'C', 'time', 1000)).toHaveLength(31);
  });

  it('keeps session windows until their end passes the retention', async () => {
    const e = await engine(`${CLICKS}
      CREATE TABLE S AS SELECT USER_ID, COUNT(*) AS N FROM CLICKS
        WINDOW SESSION (5 SECONDS, GRACE PERIOD 0 SECONDS) GROUP BY USER_ID;`);
    await send(e, 'clicks', 'a', { PAGE: 'p', MS: 1 }, 0);
    await send(e, 'clicks', 'a', { PAGE: 'p', MS: 1 }, 3000);
    expect(entries(e)).toBe(1);
    // retention = gap + grace = 5 s: the session [0, 3000] goes once stream time passes 8 s
    for (let t = 20_000; t <= 30_000; t += 1000) await send(e, 'clicks', 'b', { PAGE: 'p', MS: 1 }, t);
    expect(entries(e)).toBe(1);
  });
});
