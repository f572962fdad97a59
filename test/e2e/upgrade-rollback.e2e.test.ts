/**
 * A failed upgrade rolled back (issue 15), on a real control plane, broker
 * and engine pod: a KsqlQuery with `onUpgradeFailure: Rollback` is Ready
 * (status.lastStableSpec), then edited so that its first statement is
 * replaced in place and its second is refused by the engine (a different
 * GROUP BY is not upgradeable). The controller goes back to the stable SQL
 * (in place first, which the engine refuses too as it drops the new column,
 * then by terminating and recreating):
 * Degraded=True with reason UpgradeRolledBack, an UpgradeRolledBack event,
 * status.rollback with the generation, status.lastAppliedSql the stable
 * SQL, and records flow through the stable SQL again.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { KubeObject, KubeRest } from '../infra/pod-runner/kube-rest.js';
import { waitFor } from '../infra/wait.js';
import { applyAll, condition, createTopics, operatorAvailable, produce, readUntil, startOperatorEnvironment, type OperatorEnvironment } from './harness.js';

const kubeconfig = inject('kubeconfig');
const bootstrap = inject('kafkaBootstrap');

const KQ = (ns: string, name = '') => `/apis/ksetl.io/v1alpha1/namespaces/${ns}/ksqlqueries${name ? `/${name}` : ''}`;
const KC = (ns: string, name = '') => `/apis/ksetl.io/v1alpha1/namespaces/${ns}/ksqlclusters${name ? `/${name}` : ''}`;

interface Status {
  lastAppliedSql?: string;
  lastStableSpec?: { sql: string; generation?: number };
  rollback?: { generation: number; reason: string; message: string };
  observedGeneration?: number;
  queries?: { id: string; state: string }[];
}

describe.skipIf(!operatorAvailable || !kubeconfig || !bootstrap)('a failed upgrade rolled back to lastStableSpec', { timeout: 600_000 }, () => {
  const seed = randomBytes(3).toString('hex');
  const ns = `rb-${seed}`;
  const dir = mkdtempSync(join(tmpdir(), 'ksetl-e2e-rollback-'));
  const clicks = `clicks.${seed}`;
  const counts = `per-service.${seed}`;
  let env: OperatorEnvironment;
  let api: KubeRest;

  const diagnostics = async (path: string): Promise<string> => {
    const tail = (file: string, n = 12) => (existsSync(file) ? readFileSync(file, 'utf8').trimEnd().split('\n').slice(-n).join('\n') : '(none)');
    const logs = join(dir, 'pods', 'logs');
    const obj = await api.find(path).catch(() => null);
    return [`--- ${path} status:`, JSON.stringify(obj?.['status'] ?? null), ...(existsSync(logs) ? readdirSync(logs).flatMap((f) => [`--- ${f}:`, tail(join(logs, f))]) : []), '--- operator:', tail(join(dir, 'operator.log'))].join('\n');
  };
  const waitObj = (path: string, what: string, ok: (o: KubeObject & { status?: Status }) => boolean, ms = 240_000) =>
    waitFor(`${path}: ${what}`, async () => {
      const o = (await api.find(path)) as (KubeObject & { status?: Status }) | null;
      return o && ok(o) ? o : undefined;
    }, { timeoutMs: ms, intervalMs: 1000, detail: () => diagnostics(path) });

  const sql = (projection: string, groupBy: string) =>
    `CREATE STREAM clicks (user_id VARCHAR KEY, service VARCHAR) WITH (KAFKA_TOPIC='${clicks}', VALUE_FORMAT='JSON');\n` +
    `CREATE STREAM projected WITH (KAFKA_TOPIC='projected.${seed}', VALUE_FORMAT='JSON') AS SELECT ${projection} FROM clicks EMIT CHANGES;\n` +
    `CREATE TABLE per_service WITH (KAFKA_TOPIC='${counts}', VALUE_FORMAT='JSON') AS SELECT ${groupBy} AS k, COUNT(*) AS n FROM clicks GROUP BY ${groupBy} EMIT CHANGES;`;
  const stable = sql('user_id, service', 'service');
  const countOf = (n: number) => readUntil(bootstrap, counts, (seen) => seen.some((r) => r.key === 'shop' && (r.value as Record<string, unknown>)['N'] === n));
  const click = (from: number, n: number) => produce(bootstrap, clicks, Array.from({ length: n }, (_, i) => ({ key: `u${from + i}`, value: { service: 'shop' } })));

  beforeAll(async () => {
    env = await startOperatorEnvironment({ kubeconfig, namespace: ns, dir });
    api = env.api;
    await createTopics(bootstrap, [clicks]);
  });

  afterAll(async () => {
    await env?.stop();
  });

  it('goes back to the stable SQL: UpgradeRolledBack (condition, event, status.rollback) and records flow again', async () => {
    await applyAll(api, [
      { apiVersion: 'ksetl.io/v1alpha1', kind: 'KsqlCluster', metadata: { name: 'rb', namespace: ns }, spec: { replicas: 1, kafka: { bootstrapServers: [bootstrap] } } },
      {
        apiVersion: 'ksetl.io/v1alpha1',
        kind: 'KsqlQuery',
        metadata: { name: 'counting', namespace: ns },
        spec: { clusterRef: { name: 'rb' }, properties: { 'auto.offset.reset': 'earliest' }, upgradePolicy: 'ReplaceInPlace', onUpgradeFailure: 'Rollback', sql: stable },
      },
    ], ns);
    await waitObj(KC(ns, 'rb'), 'Ready', (o) => condition(o, 'Ready')?.status === 'True', 300_000);
    const ready = await waitObj(KQ(ns, 'counting'), 'Ready with lastStableSpec', (o) => condition(o, 'Ready')?.status === 'True' && o.status?.lastStableSpec?.sql === stable);
    expect(ready.status?.lastStableSpec?.generation).toBe(1);
    await click(0, 3);
    await countOf(3);

    // the projection is replaced in place, then the engine refuses the new GROUP BY
    await api.mergePatch(KQ(ns, 'counting'), { spec: { sql: sql('user_id, service, UCASE(service) AS su', 'user_id') } });
    const rolled = await waitObj(KQ(ns, 'counting'), 'rolled back', (o) => condition(o, 'Degraded')?.reason === 'UpgradeRolledBack' && o.status?.observedGeneration === 2);
    expect(condition(rolled, 'Degraded')?.status).toBe('True');
    expect(rolled.status?.rollback).toMatchObject({ generation: 2, reason: 'EngineRejected' });
    expect(rolled.status?.rollback?.message).toContain('Query is not upgradeable');
    expect(rolled.status?.lastAppliedSql).toBe(stable);
    expect(rolled.status?.lastStableSpec?.sql).toBe(stable);
    await waitFor('an UpgradeRolledBack Event about KsqlQuery counting', async () => {
      const { items } = await api.get<{ items: { reason?: string; type?: string; regarding?: { kind?: string; name?: string } }[] }>(`/apis/events.k8s.io/v1/namespaces/${ns}/events`);
      return items.some((e) => e.regarding?.kind === 'KsqlQuery' && e.regarding.name === 'counting' && e.reason === 'UpgradeRolledBack' && e.type === 'Warning') ? true : undefined;
    }, 60_000);

    // the stable SQL runs: Ready, counts go on by service, the projection has no SU column
    const back = await waitObj(KQ(ns, 'counting'), 'Ready on the stable SQL', (o) => condition(o, 'Ready')?.status === 'True' && (o.status?.queries ?? []).length === 2);
    expect(back.status?.queries?.map((q) => q.state)).toEqual(['Running', 'Running']);
    await click(3, 1);
    await countOf(4);
    const projected = await readUntil(bootstrap, `projected.${seed}`, (seen) => seen.some((r) => r.key === 'u3'));
    expect(Object.keys(projected.find((r) => r.key === 'u3')!.value as object)).toEqual(['SERVICE']);
    // and the failed generation is not tried again
    expect(condition((await api.find(KQ(ns, 'counting')))!, 'Degraded')?.reason).toBe('UpgradeRolledBack');
  });
});
