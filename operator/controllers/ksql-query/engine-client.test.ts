import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KsqlRestServer, MemoryRuntime, kafkaBackend } from 'ksetl/engine';
import { EngineClient, EngineUnavailableError } from './engine-client.js';

/** The operator's client against a real engine REST server with basic auth, as the operator runs engines. */
describe('EngineClient with engine credentials', () => {
  const credentials = { user: 'ksetl', password: 'pw-0c9d' };
  let rt: MemoryRuntime;
  let server: KsqlRestServer;
  let url: string;

  beforeAll(async () => {
    rt = await MemoryRuntime.start();
    await rt.execute(`CREATE STREAM orders (id VARCHAR KEY, amount DOUBLE) WITH (KAFKA_TOPIC='ec-orders', PARTITIONS=1, VALUE_FORMAT='JSON');`);
    server = new KsqlRestServer({ backend: kafkaBackend(rt.engine), auth: credentials });
    ({ url } = await server.listen(0));
  });

  afterAll(async () => {
    await server?.close();
    await rt?.close();
  });

  it('runs statements with the cluster\'s credentials', async () => {
    const entities = await new EngineClient([url], credentials).ksql('SHOW STREAMS;');
    expect(entities[0]?.['@type']).toBe('streams');
  });

  it('treats refused credentials as an engine not available yet (retried), not as a bad statement', async () => {
    await expect(new EngineClient([url], null).ksql('SHOW STREAMS;')).rejects.toBeInstanceOf(EngineUnavailableError);
    const wrong = new EngineClient([url], { user: 'ksetl', password: 'old' }).ksql('SHOW STREAMS;');
    await expect(wrong).rejects.toBeInstanceOf(EngineUnavailableError);
    await expect(new EngineClient([url], { user: 'ksetl', password: 'old' }).ksql('SHOW STREAMS;')).rejects.not.toThrow(/old/);
  });

  it('asks the engine for a dry run: topics read and written, or the refusal with its reason and position', async () => {
    const client = new EngineClient([url], credentials);
    const ok = await client.dryRun(`CREATE STREAM big WITH (KAFKA_TOPIC='team-a.big') AS SELECT * FROM orders WHERE amount > 100 EMIT CHANGES;`, {}, []);
    expect(ok).toEqual({ kind: 'Valid', topics: { reads: ['ec-orders'], writes: ['team-a.big'] } });
    const bad = await client.dryRun(`CREATE STREAM a AS SELECT * FROM orders EMIT CHANGES;\nCREATE STREAM b AS SELECT * FROM nowhere EMIT CHANGES;`, {}, []);
    expect(bad).toMatchObject({ kind: 'Invalid', problem: { reason: 'SqlReferenceNotFound', line: 2 } });
    expect(rt.source('BIG')).toBeUndefined();
    expect(rt.source('A')).toBeUndefined();
  });
});
