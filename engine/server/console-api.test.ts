import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryRuntime } from '../driver/memory-runtime.js';
import { kafkaBackend } from '../kafka/kafka-backend.js';
import { KsqlRestServer } from './app.js';
import { serveConsole } from './console-api.js';
import { assetPath, consoleAssets } from './console-assets.js';

/** A built console stand-in: the lookup serves whatever files the folder holds. */
function assetsDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ksetl-console-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>ksetl console</title>');
  writeFileSync(join(dir, 'app.js'), 'console.log("console")');
  writeFileSync(join(dir, 'app.css'), 'body{}');
  return dir;
}

const runtimes: MemoryRuntime[] = [];
afterEach(async () => {
  for (const rt of runtimes.splice(0)) await rt.close();
});

async function engineWithQuery(properties: Record<string, string> = {}): Promise<MemoryRuntime> {
  const rt = await MemoryRuntime.start({ properties: { 'ksql.streams.auto.offset.reset': 'earliest', ...properties } });
  runtimes.push(rt);
  await rt.execute("CREATE STREAM CLICKS (USER_ID STRING KEY, PAGE STRING) WITH (KAFKA_TOPIC='clicks', PARTITIONS=1, VALUE_FORMAT='JSON');");
  await rt.execute('CREATE TABLE VIEWS AS SELECT PAGE, COUNT(*) AS N FROM CLICKS GROUP BY PAGE EMIT CHANGES;');
  await rt.execute("INSERT INTO CLICKS (USER_ID, PAGE) VALUES ('u1', '/a');");
  await rt.execute("INSERT INTO CLICKS (USER_ID, PAGE) VALUES ('u2', '/b');");
  return rt;
}

describe('console assets', () => {
  it('maps request paths to files under /console and never out of it', () => {
    expect(assetPath('/console')).toBe('index.html');
    expect(assetPath('/console/')).toBe('index.html');
    expect(assetPath('/console/app.js')).toBe('app.js');
    expect(assetPath('/consoleX')).toBeNull();
    expect(assetPath('/metrics')).toBeNull();
    expect(assetPath('/console/../package.json')).toBeNull();
    expect(assetPath('/console/%2e%2e/package.json')).toBeNull();
    expect(assetPath('/console/a/%2e%2e/%2e%2e/x')).toBeNull();
    expect(assetPath('/console/%E0%A4%A')).toBeNull();
  });

  it('serves the files with their content types, and index.html for the views', () => {
    const lookup = consoleAssets(assetsDir());
    expect(lookup('/console/app.js')?.contentType).toBe('text/javascript; charset=utf-8');
    expect(lookup('/console/app.css')?.contentType).toBe('text/css; charset=utf-8');
    expect(lookup('/console')?.body.toString()).toContain('ksetl console');
    expect(lookup('/console/graph')?.contentType).toBe('text/html; charset=utf-8');
    expect(lookup('/console/missing.js')).toBeNull();
  });
});

describe('console API', () => {
  it('answers the config, a running query as a graph, a topic sample; 404 otherwise', async () => {
    const engine = await engineWithQuery();
    const serve = serveConsole(kafkaBackend(engine.engine), { assets: consoleAssets(assetsDir()) });
    const get = async (path: string, query: Record<string, string> = {}): Promise<{ status: number; json: unknown }> => {
      const r = await serve(path, query);
      if (!r) throw new Error(`not a console path: ${path}`);
      return { status: r.status, json: r.contentType === 'application/json' ? JSON.parse(String(r.body)) : null };
    };
    expect(serve('/ksql', {})).toBeNull();
    expect((await get('/console/api/config')).json).toEqual({ serviceId: 'default_', prometheus: false });

    const id = engine.engine.executor.metastore.queries()[0]!.id;
    const graph = (await get(`/console/api/topology/${id}`)).json as { nodes: { kind: string; label: string }[] };
    expect(graph.nodes.map((n) => n.kind)).toEqual(expect.arrayContaining(['topic', 'step', 'store', 'repartition', 'changelog']));
    expect((await get('/console/api/topology/NOPE')).status).toBe(404);

    const sample = (await get('/console/api/topics/clicks/sample', { limit: '1' })).json as { records: { key: string; value: string }[] };
    expect(sample.records).toEqual([expect.objectContaining({ key: 'u2', value: '{"PAGE":"/b"}' })]);
    expect((await get('/console/api/topics/nope/sample')).status).toBe(404);
    expect((await get('/console/api/prometheus/query_range', { query: 'up' })).status).toBe(404);
    expect((await get('/console/api/other')).status).toBe(404);
    expect((await get('/console/nothing.js')).status).toBe(404);
  });
});

describe('console behind the REST server', () => {
  let server: KsqlRestServer | null = null;
  afterEach(async () => {
    await server?.close();
    server = null;
    vi.unstubAllEnvs();
  });

  it('refuses every /console path without credentials and serves it with them', async () => {
    vi.stubEnv('KSETL_CONSOLE_DIR', assetsDir());
    server = new KsqlRestServer({ backend: kafkaBackend((await engineWithQuery()).engine), auth: { user: 'u', password: 'p' } });
    const { url } = await server.listen(0);
    for (const path of ['/console', '/console/', '/console/app.js', '/console/api/config', '/console/api/topology/CTAS_VIEWS_1', '/console/api/topics/clicks/sample', '/console/api/prometheus/query_range']) {
      const r = await fetch(url + path);
      expect(r.status, path).toBe(401);
    }
    const auth = { authorization: `Basic ${Buffer.from('u:p').toString('base64')}` };
    const page = await fetch(`${url}/console`, { headers: auth });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const js = await fetch(`${url}/console/app.js`, { headers: auth });
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toContain('text/javascript');
    expect((await fetch(`${url}/console/api/config`, { headers: auth })).status).toBe(200);
  });
});
