import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InMemoryEngine } from '../../../engine/driver/in-memory-engine.js';
import { KsqlRestServer } from '../../../engine/server/app.js';
import { inMemoryBackend } from '../../../engine/server/backend.js';
import { EngineClient, EngineUnavailableError } from './engine-client.js';

/** The operator's client against a real engine REST server with basic auth, as the operator runs engines. */
describe('EngineClient with engine credentials', () => {
  const credentials = { user: 'ksetl', password: 'pw-0c9d' };
  let server: KsqlRestServer;
  let url: string;

  beforeAll(async () => {
    server = new KsqlRestServer({ backend: inMemoryBackend(new InMemoryEngine()), auth: credentials });
    ({ url } = await server.listen(0));
  });

  afterAll(async () => {
    await server?.close();
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
});
