/**
 * manifests/examples/*.yaml: every document is a valid KsqlCluster or
 * KsqlQuery, every query names a cluster of its file, and every query's SQL
 * runs on the engine (in memory) — the examples cannot rot silently.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { MemoryRuntime } from 'ksetl/engine';
import { formatErrors, parseKsqlCluster, parseKsqlQuery, type KsqlCluster, type KsqlQuery } from './index.js';

const dir = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'manifests', 'examples');
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();

function load(file: string): { clusters: KsqlCluster[]; queries: KsqlQuery[] } {
  const clusters: KsqlCluster[] = [];
  const queries: KsqlQuery[] = [];
  for (const doc of parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
    const obj = doc.toJS() as { kind?: string };
    if (obj.kind === 'KsqlCluster') {
      const r = parseKsqlCluster(obj);
      if (!r.ok) throw new Error(`${file}: ${formatErrors(r.errors)}`);
      clusters.push(r.value);
    } else if (obj.kind === 'KsqlQuery') {
      const r = parseKsqlQuery(obj);
      if (!r.ok) throw new Error(`${file}: ${formatErrors(r.errors)}`);
      queries.push(r.value);
    } else {
      throw new Error(`${file}: unexpected kind ${String(obj.kind)}`);
    }
  }
  return { clusters, queries };
}

/** The engine people deploy, over an in-memory Kafka holding the topics the query's source DDL (statements without AS SELECT) reads. */
async function engineFor(sql: string): Promise<MemoryRuntime> {
  const engine = await MemoryRuntime.start();
  for (const stmt of sql.split(';').filter((s) => !/\bAS\s+SELECT\b/i.test(s))) {
    const topic = /KAFKA_TOPIC\s*=\s*'([^']+)'/i.exec(stmt)?.[1];
    if (topic && !engine.topic(topic)) engine.createTopic(topic, 1);
  }
  return engine;
}

describe('manifests/examples', () => {
  it('has the seeds\' use cases', () => {
    expect(files).toEqual(['fraud-detection.yaml', 'hk01-new-users.yaml', 'line-ab-test.yaml', 'lisa-ratings.yaml']);
  });

  for (const file of files) {
    it(`${file}: parses, references its cluster, and its SQL runs`, async () => {
      const { clusters, queries } = load(file);
      expect(clusters.length).toBeGreaterThan(0);
      expect(queries.length).toBeGreaterThan(0);
      for (const q of queries) {
        expect(clusters.map((c) => c.metadata.name)).toContain(q.spec.clusterRef.name);
        const engine = await engineFor(q.spec.sql);
        try {
          const results = await engine.execute(q.spec.sql, q.spec.properties);
          expect(results.filter((r) => r.queryId !== null).length).toBeGreaterThan(0);
        } finally {
          await engine.close();
        }
      }
    });
  }

  it('fraud-detection.yaml flags a card with four attempts in five seconds', async () => {
    const q = load('fraud-detection.yaml').queries[0]!;
    const engine = await engineFor(q.spec.sql);
    try {
      await engine.execute(q.spec.sql, { ...q.spec.properties, 'auto.offset.reset': 'earliest' });
      const t0 = 1_700_000_000_000;
      for (const [card, dt] of [['4111', 0], ['4111', 1000], ['5500', 1500], ['4111', 2000], ['4111', 3000]] as const) {
        await engine.pipe('authorization_attempts', {
          key: Buffer.from(card),
          value: Buffer.from(JSON.stringify({ MERCHANT: 'm', AMOUNT: 9.99, ATTEMPT_TIME: t0 + dt })),
          timestamp: t0 + dt,
        });
      }
      const out = engine.read('possible_fraud').map((r) => JSON.parse(r.value?.toString() ?? 'null') as Record<string, unknown>);
      expect(out).toContainEqual({ ATTEMPTS: 4 });
    } finally {
      await engine.close();
    }
  });
});
