import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO, pointAtBroker, readDocs, sourceTopics } from './harness.js';

describe('e2e harness', () => {
  it('finds the source topics of every example (the ones to create before the queries)', () => {
    const sql = (f: string) =>
      readDocs(join(REPO, 'manifests/examples', f))
        .filter((d) => d.kind === 'KsqlQuery')
        .map((d) => (d['spec'] as { sql: string }).sql)
        .join('\n');
    expect(sourceTopics(sql('hk01-new-users.yaml'))).toEqual(['hk01.user-signups']);
    expect(sourceTopics(sql('line-ab-test.yaml'))).toEqual(['line.request-log', 'line.client-events']);
    expect(sourceTopics(sql('fraud-detection.yaml'))).toEqual(['authorization_attempts']);
    for (const f of readdirSync(join(REPO, 'manifests/examples'))) expect(sourceTopics(sql(f)).length, f).toBeGreaterThan(0);
    expect(readFileSync(join(REPO, 'manifests/examples/hk01-new-users.yaml'), 'utf8')).toContain('kafka.kafka.svc:9092');
  });

  it('points the examples at a broker', () => {
    const docs = pointAtBroker(readDocs(join(REPO, 'manifests/examples/hk01-new-users.yaml')), '127.0.0.1:9092');
    const kc = docs.find((d) => d.kind === 'KsqlCluster')!;
    expect((kc['spec'] as { kafka: { bootstrapServers: string[] } }).kafka.bootstrapServers).toEqual(['127.0.0.1:9092']);
  });
});
