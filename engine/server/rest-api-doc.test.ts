import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryRuntime } from '../driver/memory-runtime.js';
import { kafkaBackend } from '../kafka/kafka-backend.js';
import { KsqlRestServer } from './app.js';
import { DEFAULT_LIMITS, LIMIT_PROPERTIES } from './limits.js';

const DOC = join(import.meta.dirname, '../../docs/rest-api.md');

/** The rows of the markdown table under `## heading`. */
function table(doc: string, heading: string): string[][] {
  const section = doc.split(/^## /m).find((s) => s.startsWith(heading + '\n'));
  if (!section) throw new Error(`no section ${heading}`);
  return section
    .split('\n')
    .filter((l) => l.startsWith('|') && !/^\|[-| ]+\|$/.test(l))
    .slice(1)
    .map((l) =>
      l
        .slice(1, -1)
        .split('|')
        .map((c) => c.trim()),
    );
}

describe('docs/rest-api.md', () => {
  const doc = readFileSync(DOC, 'utf8');

  it('lists every route the server serves as same or differs, and no served route as missing', async () => {
    const runtime = await MemoryRuntime.start({});
    const server = new KsqlRestServer({ backend: kafkaBackend(runtime.engine) });
    await runtime.close();
    const rows = table(doc, 'Endpoints');
    const status = new Map(rows.map(([m, p, s]) => [`${m} ${p}`, s]));
    for (const r of server.routes) expect(status.get(`${r.method} ${r.path}`), `${r.method} ${r.path}`).toMatch(/^(same|differs)$/);
    const served = new Set(server.routes.map((r) => `${r.method} ${r.path}`));
    for (const [m, p, s] of rows) if (s !== 'missing') expect(served.has(`${m} ${p}`), `${m} ${p} is marked ${s}`).toBe(true);
  });

  it('lists every entity the server answers with', () => {
    const rows = table(doc, 'Entities');
    const status = new Map(rows.map(([t, s]) => [t, s]));
    const dir = import.meta.dirname;
    const files = [...readdirSync(dir), ...readdirSync(join(dir, 'routes')).map((f) => `routes/${f}`), ...readdirSync(join(dir, 'http')).map((f) => `http/${f}`)].filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
    const types = new Set<string>();
    for (const f of files) for (const m of readFileSync(join(dir, f), 'utf8').matchAll(/'@type': '([A-Za-z_]+)'/g)) types.add(m[1]!);
    expect(types.size).toBeGreaterThan(10);
    for (const t of types) expect(status.get(t), t).toMatch(/^(same|differs)$/);
  });

  it('lists every limit with its default', () => {
    const rows = table(doc, 'Limits');
    const defaults = new Map(rows.map(([p, d]) => [p, d]));
    for (const [k, p] of Object.entries(LIMIT_PROPERTIES)) expect(defaults.get(p), p).toBe(String(DEFAULT_LIMITS[k as keyof typeof DEFAULT_LIMITS]));
  });
});
