/**
 * The operator end to end (issue 4's acceptance), on a real control plane,
 * a real broker and engine pods run by the pod runner:
 *
 * - CRDs and the RBAC of manifests/base applied; the operator runs as a
 *   process with its own ServiceAccount's token, so the least-privilege
 *   ClusterRole is what it really has;
 * - the HK01 example (bootstrap servers pointed at the test broker, topic
 *   names seeded per run) becomes Ready, records in → counts out;
 * - `kubectl get kq` shows the state columns;
 * - a syntax error and a missing stream end with SqlValid=False and a
 *   position while the good query keeps running;
 * - editing SQL follows the upgrade policy (ReplaceInPlace keeps the query
 *   id and a stateful query's counts, and an incompatible change is refused
 *   with ksqlDB's text; Refuse keeps the old SQL; Recreate makes a new query);
 * - deleting a query terminates it (sink topic deleted under
 *   deletionPolicy: Delete);
 * - the operator killed mid-reconcile and restarted converges with no
 *   duplicate queries; what an interrupted reconcile submitted is adopted
 *   (the deterministic form of the same case);
 * - deleting the cluster leaves no objects behind.
 *
 * Skipped while operator/main.ts does not exist. Logs (operator, pod
 * runner, engine pods) stay in the temp directory printed at the end.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { clusterObjectNames, LABEL } from '../../operator/names.js';
import { kubeBinaries } from '../infra/kube/control-plane.js';
import type { KubeObject, KubeRest } from '../infra/pod-runner/kube-rest.js';
import type { PodRunner } from '../infra/pod-runner/runner.js';
import {
  REPO,
  applyAll,
  condition,
  createTopics,
  engineCredentials,
  ksql,
  type EngineTarget,
  listTopics,
  operatorAvailable,
  pointAtBroker,
  produce,
  readDocs,
  readUntil,
  showQueries,
  startOperatorEnvironment,
  type OperatorEnvironment,
} from './harness.js';
import { waitFor } from '../infra/wait.js';

const run = promisify(execFile);
const kubeconfig = inject('kubeconfig');
const bootstrap = inject('kafkaBootstrap');

const KQ = (ns: string, name = '') => `/apis/ksetl.io/v1alpha1/namespaces/${ns}/ksqlqueries${name ? `/${name}` : ''}`;
const KC = (ns: string, name = '') => `/apis/ksetl.io/v1alpha1/namespaces/${ns}/ksqlclusters${name ? `/${name}` : ''}`;

interface QueryStatus {
  queries?: { id: string; state: string; sinks?: string[] }[];
  sinkTopics?: string[];
  lastError?: { message: string; line?: number; column?: number };
  lastAppliedSql?: string;
  observedGeneration?: number;
}

// Each step waits with its own deadline (waitFor, readUntil); a test holds several steps, so its
// bound is their sum on a loaded 2-core CI machine, not vitest's default.
describe.skipIf(!operatorAvailable || !kubeconfig || !bootstrap)('operator end to end', { timeout: 600_000 }, () => {
  const seed = randomBytes(3).toString('hex');
  const ns = `e2e-${seed}`;
  const dir = mkdtempSync(join(tmpdir(), 'ksetl-e2e-'));
  const topic = (t: string) => `${t}.${seed}`;
  let env: OperatorEnvironment;
  let api: KubeRest;
  let runner: PodRunner;

  const kq = (name: string) => api.find<KubeObject & { status?: QueryStatus; spec: { sql: string } }>(KQ(ns, name));
  /** What a timed-out wait shows: the object's status, the pod runner's log, the tails of the engine and operator logs. */
  const diagnostics = async (path?: string): Promise<string> => {
    const tail = (file: string, n = 15) => (existsSync(file) ? readFileSync(file, 'utf8').trimEnd().split('\n').slice(-n).join('\n') : '(none)');
    const logs = join(dir, 'pods', 'logs');
    const obj = path ? await api.find(path).catch(() => null) : null;
    return [
      ...(path ? [`--- ${path} status:`, JSON.stringify(obj?.['status'] ?? null)] : []),
      '--- pod runner:',
      env.runnerLog.slice(-15).join('\n'),
      ...(existsSync(logs) ? readdirSync(logs).flatMap((f) => [`--- ${f}:`, tail(join(logs, f))]) : []),
      '--- operator:',
      tail(join(dir, 'operator.log')),
    ].join('\n');
  };
  const waitKq = (name: string, what: string, ok: (q: KubeObject & { status?: QueryStatus }) => boolean, ms = 180_000) =>
    waitFor(`KsqlQuery ${name}: ${what}`, async () => {
      const q = await kq(name);
      return q && ok(q) ? q : undefined;
    }, { timeoutMs: ms, detail: () => diagnostics(KQ(ns, name)) });
  const ready = (o: KubeObject) => condition(o, 'Ready')?.status === 'True' && (o['status'] as QueryStatus | undefined)?.observedGeneration === o.metadata?.generation;
  /** the engine of cluster `hk01` (one pod): its REST endpoint at the pod IP */
  const engine = async (): Promise<EngineTarget> => {
    const pod = runner.pods().find((p) => p.namespace === ns && p.name.startsWith(clusterObjectNames('hk01').statefulSet));
    if (!pod) throw new Error('no hk01 engine pod');
    return { url: `http://${pod.ip}:8088`, auth: await engineCredentials(api, ns, 'hk01') };
  };
  const query = (name: string, sql: string, extra: Record<string, unknown> = {}): KubeObject => ({
    apiVersion: 'ksetl.io/v1alpha1',
    kind: 'KsqlQuery',
    metadata: { name, namespace: ns },
    spec: { clusterRef: { name: 'hk01' }, properties: { 'auto.offset.reset': 'earliest' }, sql, ...extra },
  });
  const signups = topic('hk01.user-signups');
  const hour = Date.UTC(2026, 0, 1, 10);

  beforeAll(async () => {
    env = await startOperatorEnvironment({ kubeconfig, namespace: ns, dir });
    ({ api, runner } = env);
    await createTopics(bootstrap, [signups]);
  });

  afterAll(async () => {
    await env?.stop();
  });

  it('runs the HK01 example: cluster and query Ready, new users counted in the sink topic', async () => {
    const docs = pointAtBroker(readDocs(join(REPO, 'manifests/examples/hk01-new-users.yaml')), bootstrap).map((d) =>
      d.kind === 'KsqlQuery' ? { ...d, spec: { ...(d['spec'] as object), sql: ((d['spec'] as { sql: string }).sql).replace(/KAFKA_TOPIC='([^']+)'/g, (_m, t: string) => `KAFKA_TOPIC='${topic(t)}'`) } } : d,
    );
    await applyAll(api, docs, ns);
    const kc = await waitFor('KsqlCluster hk01 Ready', async () => {
      const o = await api.find(KC(ns, 'hk01'));
      return o && condition(o, 'Ready')?.status === 'True' ? o : undefined;
    }, { timeoutMs: 300_000, detail: () => diagnostics(KC(ns, 'hk01')) });
    expect((kc['status'] as { readyReplicas?: number }).readyReplicas).toBe(1);
    // every engine serves the web console; the status says where (through the cluster's Service)
    expect((kc['status'] as { consoleUrl?: string }).consoleUrl).toBe(`http://hk01-ksetl.${ns}.svc:8088/console/`);
    const q = await waitKq('new-users-per-service', 'Ready', ready);
    expect(q.status?.queries).toHaveLength(1);
    expect(q.status?.queries?.[0]?.state).toBe('Running');
    expect(q.status?.sinkTopics).toContain(topic('hk01.new-users-per-service'));

    await produce(bootstrap, signups, [
      ...['u1', 'u2', 'u3'].map((u, i) => ({ key: u, value: { service: 'news', signup_time: hour + i * 1000 } })),
      ...['u4', 'u5'].map((u, i) => ({ key: u, value: { service: 'shop', signup_time: hour + i * 1000 } })),
    ]);
    const newUsers = (seen: readonly { key: string | null; value: unknown }[], service: string) =>
      seen.filter((r) => r.key?.startsWith(service)).map((r) => (r.value as { NEW_USERS: number }).NEW_USERS);
    await readUntil(bootstrap, topic('hk01.new-users-per-service'), (seen) => newUsers(seen, 'news').includes(3) && newUsers(seen, 'shop').includes(2));
  });

  it('shows state and columns in kubectl get kq', async () => {
    const built = (await kubeBinaries()).kubectl;
    const { stdout } = await run(existsSync(built) ? built : 'kubectl', ['--kubeconfig', kubeconfig, '-n', ns, 'get', 'kq', 'new-users-per-service']);
    const [header, row] = stdout.trim().split('\n');
    expect(header!.split(/\s+/)).toEqual(['NAME', 'CLUSTER', 'STATE', 'READY', 'SQLVALID', 'AGE']);
    expect(row!.split(/\s+/).slice(0, 5)).toEqual(['new-users-per-service', 'hk01', 'Running', 'True', 'True']);
  });

  it('marks a syntax error and a missing stream SqlValid=False with a position; the other query keeps running', async () => {
    await applyAll(api, [
      query('bad-syntax', `CREATE STREAM oops AS\n  SELEC * FROM user_signups EMIT CHANGES;`),
      query('missing-stream', `CREATE STREAM orphans AS SELECT * FROM no_such_stream EMIT CHANGES;`),
    ]);
    for (const name of ['bad-syntax', 'missing-stream']) {
      const q = await waitKq(name, 'SqlValid=False', (o) => condition(o, 'SqlValid')?.status === 'False');
      expect(q.status?.lastError?.line, name).toBeGreaterThanOrEqual(1);
      expect(q.status?.lastError?.column, name).toBeGreaterThanOrEqual(1);
      expect(q.status?.queries ?? []).toEqual([]);
    }
    expect((await kq('bad-syntax'))!.status!.lastError!.line).toBe(2);
    expect((await kq('missing-stream'))!.status!.lastError!.message).toMatch(/NO_SUCH_STREAM/i);
    // nothing reached the engine, and the good query still counts
    expect((await showQueries(await engine())).map((q) => q.sinks).flat()).not.toContain('ORPHANS');
    await produce(bootstrap, signups, [{ key: 'u6', value: { service: 'news', signup_time: hour + 5000 } }]);
    await readUntil(bootstrap, topic('hk01.new-users-per-service'), (seen) => seen.some((r) => r.key?.startsWith('news') && (r.value as { NEW_USERS: number }).NEW_USERS === 4));
    expect(ready((await kq('new-users-per-service'))!)).toBe(true);
    await api.delete(KQ(ns, 'bad-syntax'));
    await api.delete(KQ(ns, 'missing-stream'));
  });

  const projection = (cols: string, sink: string, src: string) =>
    `CREATE STREAM ${src} (user_id VARCHAR KEY, service VARCHAR, signup_time BIGINT) WITH (KAFKA_TOPIC='${signups}', VALUE_FORMAT='JSON');\n` +
    `CREATE STREAM ${sink} WITH (KAFKA_TOPIC='${topic(sink)}', VALUE_FORMAT='JSON') AS SELECT ${cols} FROM ${src} EMIT CHANGES;`;

  it('ReplaceInPlace: a compatible SQL change keeps the query id and applies the new SQL', async () => {
    await applyAll(api, [query('in-place', projection('user_id, service', 'by_service', 'src_in_place'), { upgradePolicy: 'ReplaceInPlace' })]);
    const before = await waitKq('in-place', 'Ready', ready);
    const id = before.status!.queries![0]!.id;
    const sql = projection('user_id, service, signup_time', 'by_service', 'src_in_place');
    await api.mergePatch(KQ(ns, 'in-place'), { spec: { sql } });
    const after = await waitKq('in-place', 'Ready on the new SQL', (o) => ready(o) && o.status?.lastAppliedSql === sql);
    expect(after.status!.queries!.map((q) => q.id)).toEqual([id]);
    await produce(bootstrap, signups, [{ key: 'u7', value: { service: 'shop', signup_time: hour + 7000 } }]);
    await readUntil(bootstrap, topic('by_service'), (seen) => seen.some((r) => r.key === 'u7' && (r.value as Record<string, unknown>)['SIGNUP_TIME'] === hour + 7000));
  });

  it('ReplaceInPlace keeps the counts of a stateful query; an incompatible change is refused with ksqlDB text', async () => {
    const clicks = topic('clicks-counting');
    await createTopics(bootstrap, [clicks]);
    const counting = (where: string, groupBy = 'service') =>
      `CREATE STREAM src_counting (user_id VARCHAR KEY, service VARCHAR) WITH (KAFKA_TOPIC='${clicks}', VALUE_FORMAT='JSON');\n` +
      `CREATE TABLE per_service WITH (KAFKA_TOPIC='${topic('per_service')}', VALUE_FORMAT='JSON') AS SELECT ${groupBy} AS service, COUNT(*) AS n FROM src_counting ${where}GROUP BY ${groupBy} EMIT CHANGES;`;
    const countOf = (n: number) => readUntil(bootstrap, topic('per_service'), (seen) => seen.some((r) => r.key === 'shop' && (r.value as Record<string, unknown>)['N'] === n));
    const clicksFor = (from: number, n: number) => produce(bootstrap, clicks, Array.from({ length: n }, (_, i) => ({ key: `u${from + i}`, value: { service: 'shop' } })));
    await applyAll(api, [query('counting', counting(''), { upgradePolicy: 'ReplaceInPlace' })]);
    const before = await waitKq('counting', 'Ready', ready);
    const id = before.status!.queries![0]!.id;
    await clicksFor(0, 5);
    await countOf(5);
    // a compatible change (a filter): CREATE OR REPLACE, the same query and its state
    const filtered = counting("WHERE service <> 'health' ");
    await api.mergePatch(KQ(ns, 'counting'), { spec: { sql: filtered } });
    const after = await waitKq('counting', 'Ready on the new SQL', (o) => ready(o) && o.status?.lastAppliedSql === filtered);
    expect(after.status!.queries!.map((q) => q.id)).toEqual([id]);
    await clicksFor(5, 1);
    await countOf(6);
    // grouping by something else cannot keep the state: refused, the old SQL keeps running
    await api.mergePatch(KQ(ns, 'counting'), { spec: { sql: counting('', 'user_id') } });
    const refused = await waitKq('counting', 'Degraded (UpgradeNotInPlace)', (o) => condition(o, 'Degraded')?.reason === 'UpgradeNotInPlace');
    expect(refused.status?.lastError?.message).toContain('Query is not upgradeable. Plan step of type StreamAggregate must have matching groupByExpressions.');
    expect(refused.status?.lastAppliedSql).toBe(filtered);
    expect(refused.status!.queries!.map((q) => q.id)).toEqual([id]);
  });

  it('Refuse keeps the old SQL; Recreate then replaces the query; deleting it terminates it and drops its topic', async () => {
    // (a projection needs a value column besides the key: `SELECT user_id` alone is refused as ksqlDB refuses it)
    const oldSql = projection('user_id, service', 'refused', 'src_refuse');
    await applyAll(api, [query('refuse', oldSql, { upgradePolicy: 'Refuse', deletionPolicy: 'Delete' })]);
    const before = await waitKq('refuse', 'Ready', ready);
    const id = before.status!.queries![0]!.id;
    const newSql = projection('user_id, service, signup_time', 'refused', 'src_refuse');
    await api.mergePatch(KQ(ns, 'refuse'), { spec: { sql: newSql } });
    const refused = await waitKq('refuse', 'Degraded (SqlChangeRefused)', (o) => condition(o, 'Degraded')?.reason === 'SqlChangeRefused');
    expect(refused.status?.lastAppliedSql).toBe(oldSql);
    expect(refused.status!.queries!.map((q) => q.id)).toEqual([id]);
    // each transition is a Kubernetes Event about the KsqlQuery
    await waitFor('a SqlChangeRefused Event about KsqlQuery refuse', async () => {
      const { items } = await api.get<{ items: { reason?: string; type?: string; regarding?: { kind?: string; name?: string } }[] }>(`/apis/events.k8s.io/v1/namespaces/${ns}/events`);
      return items.some((e) => e.regarding?.kind === 'KsqlQuery' && e.regarding.name === 'refuse' && e.reason === 'SqlChangeRefused' && e.type === 'Warning') ? true : undefined;
    }, 60_000);

    await api.mergePatch(KQ(ns, 'refuse'), { spec: { upgradePolicy: 'Recreate' } });
    const recreated = await waitKq('refuse', 'Ready on the new SQL', (o) => ready(o) && o.status?.lastAppliedSql === newSql);
    const newId = recreated.status!.queries![0]!.id;
    expect(newId).not.toBe(id);
    expect((await showQueries(await engine())).map((q) => q.id)).not.toContain(id);

    await api.delete(KQ(ns, 'refuse'));
    await waitFor('KsqlQuery refuse gone', async () => ((await kq('refuse')) === null ? true : undefined));
    expect((await showQueries(await engine())).map((q) => q.id)).not.toContain(newId);
    await waitFor('sink topic deleted', async () => (!(await listTopics(bootstrap)).includes(topic('refused')) ? true : undefined), 60_000);
  });

  it('converges with no duplicate queries when the operator is killed mid-reconcile', async () => {
    await applyAll(api, [query('restart', projection('user_id, service', 'restarted', 'src_restart'))]);
    // the operator took it up (finalizer set), and dies before it is done
    await waitFor('the operator picked up KsqlQuery restart', async () => ((await kq('restart'))?.metadata?.finalizers?.length ? true : undefined), { timeoutMs: 60_000, intervalMs: 50 });
    await env.operator.kill();
    env.restartOperator();
    const q = await waitKq('restart', 'Ready', ready);
    expect(q.status?.queries).toHaveLength(1);
    const sinks = (await showQueries(await engine())).flatMap((x) => x.sinks.map((s) => s.toUpperCase()));
    expect(sinks.filter((s) => s === 'RESTARTED')).toHaveLength(1);
    // every sink is written by one query only
    expect(new Set(sinks).size).toBe(sinks.length);
  });

  it('adopts what an interrupted reconcile already submitted (found by sink and statement) instead of running it twice', async () => {
    // what a reconcile killed after its submissions and before its status write leaves on the engine
    const sql = projection('user_id, service', 'adopted', 'src_adopt');
    await ksql(await engine(), sql, { 'auto.offset.reset': 'earliest' });
    const existing = (await showQueries(await engine())).filter((q) => q.sinks.map((s) => s.toUpperCase()).includes('ADOPTED'));
    expect(existing).toHaveLength(1);
    await applyAll(api, [query('adopt', sql)]);
    const q = await waitKq('adopt', 'Ready', ready);
    expect(q.status!.queries!.map((x) => x.id)).toEqual([existing[0]!.id]);
    const sinks = (await showQueries(await engine())).flatMap((x) => x.sinks.map((s) => s.toUpperCase()));
    expect(sinks.filter((s) => s === 'ADOPTED')).toHaveLength(1);
  });

  it('deletes the cluster with its queries and leaves no objects behind', async () => {
    await api.delete(KC(ns, 'hk01'));
    await waitFor('KsqlCluster and KsqlQueries gone', async () => {
      const [kcs, kqs] = await Promise.all([api.get<{ items: unknown[] }>(KC(ns)), api.get<{ items: unknown[] }>(KQ(ns))]);
      return kcs.items.length === 0 && kqs.items.length === 0 ? true : undefined;
    }, 180_000);
    const selector = encodeURIComponent(`${LABEL.cluster}=hk01`);
    const kinds = ['/apis/apps/v1/namespaces/NS/statefulsets', '/api/v1/namespaces/NS/services', '/api/v1/namespaces/NS/configmaps', '/api/v1/namespaces/NS/serviceaccounts', '/apis/policy/v1/namespaces/NS/poddisruptionbudgets', '/api/v1/namespaces/NS/pods', '/api/v1/namespaces/NS/persistentvolumeclaims'];
    await waitFor('no objects of cluster hk01', async () => {
      const left: string[] = [];
      for (const k of kinds) {
        const list = await api.get<{ items: KubeObject[] }>(`${k.replace('NS', ns)}?labelSelector=${selector}`);
        // a PVC may wait for kube's pvc-protection finalizer; deleted is what the operator and the garbage collector owe
        left.push(...list.items.filter((o) => !(k.endsWith('persistentvolumeclaims') && o.metadata?.deletionTimestamp)).map((o) => `${k.split('/').pop()}/${o.metadata?.name}`));
      }
      return left.length === 0 ? true : (console.log(`[e2e] left: ${left.join(', ')}`), undefined);
    }, { timeoutMs: 180_000, intervalMs: 2000 });
    expect(runner.pods().filter((p) => p.namespace === ns)).toEqual([]);
  });
});
