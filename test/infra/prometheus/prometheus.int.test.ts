import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import client from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPrometheus, type RunningPrometheus } from './prometheus.js';

const rulesFile = fileURLToPath(new URL('../../../dashboards/generated/ksetl-alerts.rules.yaml', import.meta.url));

async function until<T>(what: string, f: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('startPrometheus', () => {
  let prom: RunningPrometheus;
  let server: Server;
  const registry = new client.Registry();
  const counter = new client.Counter({ name: 'ksetl_test_things_total', help: 'things', labelNames: ['kind'], registers: [registry] });

  beforeAll(async () => {
    counter.inc({ kind: 'a' }, 3);
    server = createServer((_req, res) => {
      void registry.metrics().then((body) => {
        res.setHeader('content-type', registry.contentType);
        res.end(body);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const addr = server.address();
    const port = typeof addr === 'object' && addr ? addr.port : 0;
    const started = Date.now();
    prom = await startPrometheus({ targets: [`127.0.0.1:${port}`], ruleFiles: [rulesFile] });
    console.log(`[prometheus] ${prom.version} at ${prom.url} ready in ${Date.now() - started} ms`);
  });

  afterAll(async () => {
    await prom?.stop();
    await new Promise<void>((r) => server?.close(() => r()));
  });

  it('scrapes the given targets every second', async () => {
    const samples = await until('a scrape', async () => {
      const s = await prom.query('ksetl_test_things_total');
      return s.length > 0 ? s : undefined;
    });
    expect(samples[0]!.metric).toMatchObject({ __name__: 'ksetl_test_things_total', job: 'ksetl', kind: 'a' });
    expect(samples[0]!.value[1]).toBe('3');
  });

  it('loads and evaluates the generated alert rules without errors', async () => {
    type Rules = { groups: { name: string; rules: { name: string; health: string; lastError?: string; lastEvaluation: string }[] }[] };
    const rules = await until('a rule evaluation', async () => {
      const r = await prom.api<Rules>('rules');
      const all = r.groups.flatMap((g) => g.rules);
      return all.length > 0 && all.every((x) => x.health !== 'unknown') ? r : undefined;
    });
    const bad = rules.groups.flatMap((g) => g.rules).filter((r) => r.health !== 'ok');
    expect(bad).toEqual([]);
    expect(rules.groups.map((g) => g.name)).toEqual(['ksetl-engine', 'ksetl-operator']);
  });

  it('reports PromQL errors', async () => {
    await expect(prom.query('sum(')).rejects.toThrow(/bad_data/);
  });
});
