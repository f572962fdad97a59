/**
 * Issue 15's acceptance on a real control plane, broker and engine pods:
 *
 * - an unreachable bootstrap: Degraded=True and KafkaReachable=False with
 *   the DNS error from the crash-looping engine's termination message;
 * - team isolation: a query writing outside spec.topics is refused
 *   (SqlValid=False, TopicNotAllowed); a sink without KAFKA_TOPIC lands
 *   under the team's prefix and records flow;
 * - a query with input and no progress goes Stalled within its
 *   progressDeadlineSeconds (STATE column, condition);
 * - deleting a cluster with deletionPolicy: Delete leaves no topic or
 *   consumer group of its service id on Kafka;
 * - `kubectl explain ksqlquery.spec.upgradePolicy` prints a description.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { clusterObjectNames } from '../../operator/names.js';
import { kubeBinaries } from '../infra/kube/control-plane.js';
import type { KubeObject, KubeRest } from '../infra/pod-runner/kube-rest.js';
import { waitFor } from '../infra/wait.js';
import { applyAll, condition, createTopics, kafka, listTopics, operatorAvailable, produce, readUntil, startOperatorEnvironment, type OperatorEnvironment } from './harness.js';

const run = promisify(execFile);
const kubeconfig = inject('kubeconfig');
const bootstrap = inject('kafkaBootstrap');

const KQ = (ns: string, name = '') => `/apis/ksetl.io/v1alpha1/namespaces/${ns}/ksqlqueries${name ? `/${name}` : ''}`;
const KC = (ns: string, name = '') => `/apis/ksetl.io/v1alpha1/namespaces/${ns}/ksqlclusters${name ? `/${name}` : ''}`;

describe.skipIf(!operatorAvailable || !kubeconfig || !bootstrap)('platform: true status, clean deletes, team isolation', { timeout: 600_000 }, () => {
  const seed = randomBytes(3).toString('hex');
  const ns = `plat-${seed}`;
  const dir = mkdtempSync(join(tmpdir(), 'ksetl-e2e-platform-'));
  const shared = `shared-${seed}.`;
  const team = `team-a-${seed}.`;
  let env: OperatorEnvironment;
  let api: KubeRest;

  const diagnostics = async (path: string): Promise<string> => {
    const tail = (file: string, n = 12) => (existsSync(file) ? readFileSync(file, 'utf8').trimEnd().split('\n').slice(-n).join('\n') : '(none)');
    const logs = join(dir, 'pods', 'logs');
    const obj = await api.find(path).catch(() => null);
    return [`--- ${path} status:`, JSON.stringify(obj?.['status'] ?? null), ...(existsSync(logs) ? readdirSync(logs).flatMap((f) => [`--- ${f}:`, tail(join(logs, f))]) : []), '--- operator:', tail(join(dir, 'operator.log'))].join('\n');
  };
  const waitObj = (path: string, what: string, ok: (o: KubeObject) => boolean, ms = 240_000) =>
    waitFor(`${path}: ${what}`, async () => {
      const o = await api.find(path);
      return o && ok(o) ? o : undefined;
    }, { timeoutMs: ms, intervalMs: 1000, detail: () => diagnostics(path) });
  const cluster = (name: string, spec: Record<string, unknown>): KubeObject => ({
    apiVersion: 'ksetl.io/v1alpha1',
    kind: 'KsqlCluster',
    metadata: { name, namespace: ns },
    spec: { replicas: 1, kafka: { bootstrapServers: [bootstrap] }, ...spec },
  });
  const query = (name: string, clusterName: string, sql: string, extra: Record<string, unknown> = {}): KubeObject => ({
    apiVersion: 'ksetl.io/v1alpha1',
    kind: 'KsqlQuery',
    metadata: { name, namespace: ns },
    spec: { clusterRef: { name: clusterName }, properties: { 'auto.offset.reset': 'earliest' }, sql, ...extra },
  });

  beforeAll(async () => {
    env = await startOperatorEnvironment({ kubeconfig, namespace: ns, dir });
    api = env.api;
    await createTopics(bootstrap, [`${shared}orders`, `${shared}left`, `${shared}right`]);
  });

  afterAll(async () => {
    await env?.stop();
  });

  it('kubectl explain prints the upgrade policy\'s description', async () => {
    const built = (await kubeBinaries()).kubectl;
    const { stdout } = await run(existsSync(built) ? built : 'kubectl', ['--kubeconfig', kubeconfig, 'explain', 'ksqlquery.spec.upgradePolicy']);
    expect(stdout.replace(/\s+/g, ' ')).toContain('ReplaceInPlace: CREATE OR REPLACE when the change is compatible');
  });

  it('an unreachable bootstrap: Degraded and KafkaReachable=False with the DNS error', async () => {
    await applyAll(api, [cluster('nokafka', { kafka: { bootstrapServers: ['no-such-kafka.invalid:9092'] } })], ns);
    const kc = await waitObj(KC(ns, 'nokafka'), 'Degraded with the DNS error', (o) => condition(o, 'Degraded')?.status === 'True' && /ENOTFOUND no-such-kafka\.invalid/.test(condition(o, 'Degraded')?.message ?? ''));
    expect(condition(kc, 'Degraded')?.reason).toBe('KafkaUnreachable');
    expect(condition(kc, 'KafkaReachable')).toMatchObject({ status: 'False', reason: 'KafkaUnreachable' });
    expect(condition(kc, 'Ready')?.status).toBe('False');
    await api.delete(KC(ns, 'nokafka'));
  });

  it('team isolation: a sink outside the write prefixes is refused; a default sink name lands under the team prefix and records flow', async () => {
    await applyAll(api, [cluster('tenant', { deletionPolicy: 'Delete', topics: { read: [shared], write: [team] } })], ns);
    await waitObj(KC(ns, 'tenant'), 'Ready', (o) => condition(o, 'Ready')?.status === 'True');
    const src = `CREATE STREAM orders (id VARCHAR KEY, amount DOUBLE) WITH (KAFKA_TOPIC='${shared}orders', VALUE_FORMAT='JSON');`;
    await applyAll(api, [query('outside', 'tenant', `${src}\nCREATE STREAM leak WITH (KAFKA_TOPIC='team-b-${seed}.leak') AS SELECT * FROM orders EMIT CHANGES;`)], ns);
    const refused = await waitObj(KQ(ns, 'outside'), 'SqlValid=False', (o) => condition(o, 'SqlValid')?.status === 'False');
    expect(condition(refused, 'SqlValid')?.reason).toBe('TopicNotAllowed');
    expect(condition(refused, 'SqlValid')?.message).toContain(`'team-b-${seed}.leak'`);
    await api.delete(KQ(ns, 'outside'));

    await applyAll(api, [query('inside', 'tenant', `${src}\nCREATE STREAM big AS SELECT * FROM orders WHERE amount > 100 EMIT CHANGES;`)], ns);
    const ok = await waitObj(KQ(ns, 'inside'), 'Ready', (o) => condition(o, 'Ready')?.status === 'True');
    expect((ok['status'] as { sinkTopics?: string[] }).sinkTopics).toEqual([`${team}BIG`]);
    expect((ok['status'] as { state?: string }).state).toBe('Running');
    await produce(bootstrap, `${shared}orders`, [
      { key: 'o1', value: { amount: 50 } },
      { key: 'o2', value: { amount: 500 } },
    ]);
    await readUntil(bootstrap, `${team}BIG`, (seen) => seen.some((r) => r.key === 'o2'));
  });

  it('a query with input and no progress goes Stalled within progressDeadlineSeconds', async () => {
    // a join waits for its other side (max.task.idle.ms): records wait on the left topic and none is consumed
    const sql = `CREATE STREAM l (id VARCHAR KEY, v INT) WITH (KAFKA_TOPIC='${shared}left', VALUE_FORMAT='JSON');
CREATE STREAM r (id VARCHAR KEY, w INT) WITH (KAFKA_TOPIC='${shared}right', VALUE_FORMAT='JSON');
CREATE STREAM joined AS SELECT l.id, v, w FROM l JOIN r WITHIN 1 HOURS ON l.id = r.id EMIT CHANGES;`;
    await applyAll(api, [query('stuck', 'tenant', sql, { progressDeadlineSeconds: 10, properties: { 'auto.offset.reset': 'earliest', 'max.task.idle.ms': '3600000', 'buffered.records.per.partition': '5' } })], ns);
    await waitObj(KQ(ns, 'stuck'), 'Ready', (o) => condition(o, 'Ready')?.status === 'True');
    await produce(bootstrap, `${shared}left`, Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: { v: i } })));
    const stalled = await waitObj(KQ(ns, 'stuck'), 'Stalled', (o) => condition(o, 'Stalled')?.status === 'True', 120_000);
    expect((stalled['status'] as { state?: string }).state).toBe('Stalled');
    expect(condition(stalled, 'Stalled')?.message).toMatch(/record\(s\) wait on the source topics/);
  });

  it('kubectl logs shows an engine pod\'s log (the pod runner serves the kubelet\'s containerLogs)', async () => {
    const built = (await kubeBinaries()).kubectl;
    const { stdout } = await run(existsSync(built) ? built : 'kubectl', ['--kubeconfig', kubeconfig, '-n', ns, 'logs', `${clusterObjectNames('tenant').statefulSet}-0`, '-c', 'engine', '--tail', '200']);
    expect(stdout).toContain('"msg":"listening"');
  });

  it('deleting a cluster with deletionPolicy: Delete leaves no topic or consumer group of its service id', async () => {
    const serviceId = `${ns}_tenant_`;
    const owned = (names: readonly string[]) => names.filter((n) => n.startsWith(`_confluent-ksql-${serviceId}`) || n === `${serviceId}ksql_processing_log`);
    const admin = kafka(bootstrap).admin();
    await admin.connect();
    try {
      expect(owned(await listTopics(bootstrap)).length).toBeGreaterThan(0);
      await api.delete(KC(ns, 'tenant'));
      await waitFor('KsqlCluster tenant gone', async () => ((await api.find(KC(ns, 'tenant'))) === null ? true : undefined), { timeoutMs: 240_000, intervalMs: 2000, detail: () => diagnostics(KC(ns, 'tenant')) });
      const groups = (await admin.listGroups()).groups.map((g) => g.groupId);
      expect({ topics: owned(await listTopics(bootstrap)), groups: owned(groups) }).toEqual({ topics: [], groups: [] });
      // the sink of a query with deletionPolicy Keep (the default) stays
      expect(await listTopics(bootstrap)).toContain(`${team}BIG`);
    } finally {
      await admin.disconnect();
    }
  });
});
