import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderCrds, StructuralSchemaError, toStructural, type JsonSchema } from '../../scripts/generators/crds.js';
import { parseKsqlCluster, parseKsqlQuery } from './parse.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const crds = renderCrds();
const schemaOf = (plural: string): JsonSchema => {
  const f = crds.find((c) => c.path === `crds/${plural}.ksetl.io.yaml`);
  if (!f) throw new Error(`no CRD ${plural}`);
  return (parse(f.content) as { spec: { versions: { schema: { openAPIV3Schema: JsonSchema } }[] } }).spec.versions[0]!.schema.openAPIV3Schema;
};

/**
 * What the API server's OpenAPI validation and pruning would say about an
 * object (types, enums, required, bounds, patterns; unknown fields listed as
 * pruned). CEL rules are left to the e2e tests against a real API server.
 */
function check(schema: JsonSchema, value: unknown, path = ''): string[] {
  const errs: string[] = [];
  const p = path || '(root)';
  if (schema['x-kubernetes-int-or-string'] === true) {
    if (typeof value !== 'string' && !Number.isInteger(value)) errs.push(`${p}: not int-or-string`);
    return errs;
  }
  const type = schema['type'];
  if (type === 'object') {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${p}: not an object`];
    // metadata is ObjectMeta, validated by the API server itself
    if (path === 'metadata' || (schema['x-kubernetes-preserve-unknown-fields'] === true && !schema['properties'])) return errs;
    const props = (schema['properties'] ?? {}) as Record<string, JsonSchema>;
    const extra = schema['additionalProperties'] as JsonSchema | undefined;
    for (const r of (schema['required'] ?? []) as string[]) if (!(r in value)) errs.push(`${p}: missing ${r}`);
    for (const [k, v] of Object.entries(value)) {
      const sub = props[k] ?? extra;
      if (!sub) errs.push(`${path ? path + '.' : ''}${k}: would be pruned`);
      else errs.push(...check(sub, v, path ? `${path}.${k}` : k));
    }
  } else if (type === 'array') {
    if (!Array.isArray(value)) return [`${p}: not an array`];
    if (typeof schema['minItems'] === 'number' && value.length < schema['minItems']) errs.push(`${p}: too few items`);
    value.forEach((v, i) => errs.push(...check(schema['items'] as JsonSchema, v, `${path}.${i}`)));
  } else if (type === 'string') {
    if (typeof value !== 'string') return [`${p}: not a string`];
    if (typeof schema['pattern'] === 'string' && !new RegExp(schema['pattern']).test(value)) errs.push(`${p}: does not match ${schema['pattern']}`);
    if (typeof schema['minLength'] === 'number' && value.length < schema['minLength']) errs.push(`${p}: too short`);
    if (typeof schema['maxLength'] === 'number' && value.length > schema['maxLength']) errs.push(`${p}: too long`);
  } else if (type === 'integer' || type === 'number') {
    if (typeof value !== 'number' || (type === 'integer' && !Number.isInteger(value))) return [`${p}: not ${type}`];
    if (typeof schema['minimum'] === 'number' && value < schema['minimum']) errs.push(`${p}: below minimum`);
    if (typeof schema['maximum'] === 'number' && value > schema['maximum']) errs.push(`${p}: above maximum`);
  } else if (type === 'boolean') {
    if (typeof value !== 'boolean') return [`${p}: not a boolean`];
  }
  if (Array.isArray(schema['enum']) && !schema['enum'].includes(value)) errs.push(`${p}: not one of ${schema['enum'].join(', ')}`);
  return errs;
}

/** Every node typed (or int-or-string / preserve-unknown), no unions, no $ref. */
function assertStructural(s: JsonSchema, path = ''): void {
  for (const k of ['$ref', 'anyOf', 'oneOf', 'allOf', 'not', 'definitions']) expect(s, `${path}: ${k}`).not.toHaveProperty(k);
  if (s['x-kubernetes-int-or-string'] !== true) expect(s['type'], `${path}: type`).toBeTypeOf('string');
  for (const [k, v] of Object.entries((s['properties'] ?? {}) as Record<string, JsonSchema>)) assertStructural(v, `${path}.${k}`);
  if (s['items']) assertStructural(s['items'] as JsonSchema, `${path}[]`);
  if (typeof s['additionalProperties'] === 'object') assertStructural(s['additionalProperties'] as JsonSchema, `${path}.*`);
  if (s['additionalProperties'] !== undefined) expect(s['properties'], `${path}: properties beside additionalProperties`).toBeUndefined();
}

const cluster = {
  apiVersion: 'ksetl.io/v1alpha1',
  kind: 'KsqlCluster',
  metadata: { name: 'ads', namespace: 'team-ads' },
  spec: {
    replicas: 3,
    resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: 2147483648 } },
    kafka: {
      bootstrapServers: ['kafka-0.kafka:9093', 'kafka-1.kafka:9093'],
      sasl: { mechanism: 'SCRAM-SHA-512', secretRef: { name: 'ads-kafka' } },
      tls: { secretRef: { name: 'ads-kafka-tls' }, caKey: 'ca.crt' },
    },
    processingGuarantee: 'exactly_once_v2',
    storage: { size: '20Gi', storageClassName: 'fast' },
    config: { 'ksql.sink.partitions': '4' },
    podTemplate: { spec: { nodeSelector: { pool: 'streaming' }, tolerations: [{ key: 'dedicated', operator: 'Exists' }] } },
    monitoring: { scrape: { mode: 'ServiceMonitor', labels: { release: 'prom' } }, grafanaDashboards: { folder: 'Ads' } },
    logging: { kafkaTopic: { enabled: true }, sidecar: { type: 'vector', loki: { url: 'http://loki.logging.svc:3100', tenant: 'ads' } } },
  },
  status: {
    observedGeneration: 2,
    conditions: [{ type: 'Ready', status: 'True', reason: 'ReplicasReady', message: '', lastTransitionTime: '2024-05-01T10:00:00Z' }],
    readyReplicas: 3,
    restEndpoint: 'http://ads-ksetl.team-ads.svc:8088',
  },
};

const query = {
  apiVersion: 'ksetl.io/v1alpha1',
  kind: 'KsqlQuery',
  metadata: { name: 'possible-fraud', namespace: 'team-ads' },
  spec: { clusterRef: { name: 'ads' }, sql: 'CREATE TABLE x AS SELECT 1 FROM y;', properties: { 'auto.offset.reset': 'earliest' } },
  status: {
    conditions: [{ type: 'SqlValid', status: 'False', reason: 'SqlInvalid', message: 'line 1:8', lastTransitionTime: '2024-05-01T10:00:00Z' }],
    queries: [{ id: 'CTAS_X_1', state: 'Running', sinks: ['X'] }],
    lastError: { message: "mismatched input 'TABLEX'", line: 1, column: 8 },
    stats: { messagesInPerSecond: 12.5, consumerLag: 0 },
  },
};

describe('generated CRDs', () => {
  it('match the committed crds/ (run npm run gen)', () => {
    for (const f of crds) expect(readFileSync(join(root, f.path), 'utf8'), f.path).toBe(f.content);
  });

  it('are structural', () => {
    assertStructural(schemaOf('ksqlclusters'));
    assertStructural(schemaOf('ksqlqueries'));
  });

  it('carry subresources, printer columns, names and CEL rules', () => {
    const [kc, kq] = crds.map((c) => parse(c.content) as { spec: { names: { shortNames: string[]; categories: string[] }; versions: Record<string, unknown>[] } });
    expect(kc!.spec.names.shortNames).toEqual(['kc']);
    expect(kq!.spec.names.categories).toEqual(['ksetl']);
    expect(kc!.spec.versions[0]!['subresources']).toEqual({
      status: {},
      scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.readyReplicas', labelSelectorPath: '.status.selector' },
    });
    expect(kq!.spec.versions[0]!['subresources']).toEqual({ status: {} });
    const kqSpec = (schemaOf('ksqlqueries')['properties'] as Record<string, JsonSchema>)['spec']!;
    expect(kqSpec['x-kubernetes-validations']).toContainEqual(expect.objectContaining({ rule: 'self.clusterRef == oldSelf.clusterRef' }));
  });

  it('accept what the zod schemas accept, and prune nothing of it', () => {
    const c = parseKsqlCluster(cluster);
    const q = parseKsqlQuery(query);
    expect(c.ok && q.ok).toBe(true);
    expect(check(schemaOf('ksqlclusters'), cluster)).toEqual([]);
    expect(check(schemaOf('ksqlqueries'), query)).toEqual([]);
    // with defaults filled in too (what the API server stores)
    if (c.ok) expect(check(schemaOf('ksqlclusters'), c.value)).toEqual([]);
    if (q.ok) expect(check(schemaOf('ksqlqueries'), q.value)).toEqual([]);
  });

  it('reject what the zod schemas reject', () => {
    const bad = { ...cluster, spec: { ...cluster.spec, replicas: -1, processingGuarantee: 'exactly_once', extra: 1 } };
    const r = parseKsqlCluster(bad);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.map((e) => e.path).sort()).toEqual(['spec', 'spec.processingGuarantee', 'spec.replicas']);
    expect(check(schemaOf('ksqlclusters'), bad)).toEqual([
      'spec.replicas: below minimum',
      'spec.processingGuarantee: not one of at_least_once, exactly_once_v2',
      'spec.extra: would be pruned',
    ]);
  });
});

describe('toStructural', () => {
  it('refuses unions other than int-or-string, naming the path', () => {
    expect(() => toStructural({ type: 'object', properties: { a: { anyOf: [{ type: 'string' }, { type: 'boolean' }] } } })).toThrow(
      new StructuralSchemaError('a', 'a union other than int-or-string or a union of literals; model it as optional fields plus a CEL rule'),
    );
  });
  it('turns free-form objects into preserve-unknown-fields and drops additionalProperties: false', () => {
    expect(toStructural({ type: 'object', properties: {}, additionalProperties: true })).toEqual({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true });
    expect(toStructural({ type: 'object', properties: { a: { type: 'string' } }, additionalProperties: false })).toEqual({ type: 'object', properties: { a: { type: 'string' } } });
  });
});
