import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryRuntime } from '../driver/memory-runtime.js';
import { kafkaBackend } from '../kafka/kafka-backend.js';
import { KsqlRestServer } from './app.js';
import { DRY_RUN_PATH, dryRun } from './dry-run.js';

/** The dry run over the engine people deploy (KafkaEngine on the in-memory Kafka): verdicts, and nothing changed. */
describe('dry run', () => {
  let rt: MemoryRuntime;
  const CATALOG = `
    CREATE TYPE ADDRESS AS STRUCT<city VARCHAR>;
    CREATE STREAM orders (id VARCHAR KEY, amount DOUBLE, addr ADDRESS) WITH (KAFKA_TOPIC='dr-orders', PARTITIONS=2, VALUE_FORMAT='JSON');
    CREATE TABLE totals AS SELECT id, SUM(amount) AS total FROM orders GROUP BY id EMIT CHANGES;`;

  beforeAll(async () => {
    rt = await MemoryRuntime.start();
    await rt.execute(CATALOG);
  });
  afterAll(async () => {
    await rt?.close();
  });

  const catalog = () => ({
    sources: rt.sources().map((s) => s.name).sort(),
    queries: rt.engine.executor.metastore.queries().map((q) => q.id).sort(),
    topics: rt.topics().map((t) => t.name).sort(),
  });

  it('accepts a valid script, with the topics each statement reads and writes, and changes nothing', () => {
    const before = catalog();
    const r = dryRun(kafkaBackend(rt.engine), {
      ksql: `CREATE STREAM big WITH (KAFKA_TOPIC='team-a.big', VALUE_FORMAT='JSON') AS SELECT id, amount, addr FROM orders WHERE amount > 100 EMIT CHANGES;
             CREATE STREAM big_cities AS SELECT id, addr->city AS city FROM big EMIT CHANGES;`,
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.statements.map((s) => [s.kind, s.reads, s.writes])).toEqual([
      ['CreateAsSelect', ['dr-orders'], ['team-a.big']],
      ['CreateAsSelect', ['team-a.big'], ['BIG_CITIES']],
    ]);
    expect(r.createdTopics).toEqual(['team-a.big', 'BIG_CITIES']);
    expect(catalog()).toEqual(before);
  });

  it('refuses with the engine\'s message, its reason and the position in the script; the statements before it are not applied', () => {
    const before = catalog();
    const r = dryRun(kafkaBackend(rt.engine), {
      ksql: `CREATE STREAM fine AS SELECT id, amount FROM orders EMIT CHANGES;\nCREATE STREAM bad AS SELECT id, nope FROM orders EMIT CHANGES;`,
    });
    expect(r).toMatchObject({ ok: false, line: 2, statementText: expect.stringContaining('bad') });
    if (r.ok) return;
    expect(r.message).toMatch(/NOPE/);
    expect(dryRun(kafkaBackend(rt.engine), { ksql: 'CREATE STREAM x AS SELECT * FROM missing EMIT CHANGES;' })).toMatchObject({ ok: false, reason: 'NotFound' });
    expect(dryRun(kafkaBackend(rt.engine), { ksql: 'CREATE STREAM x AS SELEC * FROM orders;' })).toMatchObject({ ok: false, reason: 'ParseError', line: 1 });
    expect(catalog()).toEqual(before);
  });

  it('runs without the sources and types named in `without` (a script creating them again)', () => {
    const again = `CREATE TYPE ADDRESS AS STRUCT<city VARCHAR>;\nCREATE TABLE totals AS SELECT id, SUM(amount) AS total FROM orders GROUP BY id EMIT CHANGES;`;
    expect(dryRun(kafkaBackend(rt.engine), { ksql: again })).toMatchObject({ ok: false, reason: 'StatementError' });
    expect(dryRun(kafkaBackend(rt.engine), { ksql: again, without: ['TOTALS', 'ADDRESS'] })).toMatchObject({ ok: true });
  });

  it('is served at POST /ksetl/dry-run behind the server\'s authentication', async () => {
    const server = new KsqlRestServer({ backend: kafkaBackend(rt.engine), auth: { user: 'u', password: 'p' } });
    const { url } = await server.listen(0);
    try {
      const post = (body: unknown, auth = true) =>
        fetch(`${url}${DRY_RUN_PATH}`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...(auth ? { Authorization: `Basic ${Buffer.from('u:p').toString('base64')}` } : {}) }, body: JSON.stringify(body) });
      expect((await post({ ksql: 'CREATE STREAM s2 AS SELECT * FROM orders EMIT CHANGES;' }, false)).status).toBe(401);
      const ok = await post({ ksql: 'CREATE STREAM s2 AS SELECT * FROM orders EMIT CHANGES;' });
      expect(ok.status).toBe(200);
      expect(await ok.json()).toMatchObject({ '@type': 'dry_run', statements: [{ kind: 'CreateAsSelect', reads: ['dr-orders'], writes: ['S2'] }] });
      const bad = await post({ ksql: 'CREATE STREAM s3 AS SELECT nope FROM orders EMIT CHANGES;' });
      expect(bad.status).toBe(400);
      expect(await bad.json()).toMatchObject({ '@type': 'statement_error', line: 1 });
      expect(rt.source('S2')).toBeUndefined();
    } finally {
      await server.close();
    }
  });
});
