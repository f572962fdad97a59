/**
 * The pod runner on a real control plane and a real broker, without the
 * operator: the engine objects a KsqlCluster renders (operator desired.ts,
 * owner references left out) are applied directly; the StatefulSet
 * controller creates the pod, the runner binds and runs it as a
 * `ksetl server` process, the EndpointSlice controller publishes its IP,
 * and the engine answers on it. Then a crash (restart), a pod deletion
 * (graceful termination, the StatefulSet recreates it) and a scale-down.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseKsqlCluster } from '../../operator/api/index.js';
import { renderAuthSecret } from '../../operator/controllers/engine-credentials.js';
import { clusterObjectsInApplyOrder, renderCluster } from '../../operator/controllers/ksql-cluster/desired.js';
import { clusterObjectNames } from '../../operator/names.js';
import { KubeRest, type KubeObject } from '../infra/pod-runner/kube-rest.js';
import { startPodRunner, type PodRunner } from '../infra/pod-runner/runner.js';
import { waitFor } from '../infra/wait.js';
import { FIELD_MANAGER, REPO, condition } from './harness.js';

const kubeconfig = inject('kubeconfig');
const bootstrap = inject('kafkaBootstrap');

// A test's bound is the sum of its steps' deadlines on a loaded 2-core CI machine.
describe.skipIf(!kubeconfig || !bootstrap)('pod runner: engine pods of a StatefulSet as local processes', { timeout: 420_000 }, () => {
  const namespace = `runner-${randomBytes(3).toString('hex')}`;
  const cluster = 'solo';
  const password = randomBytes(16).toString('hex');
  const auth = { Authorization: `Basic ${Buffer.from(`ksetl:${password}`).toString('base64')}` };
  const names = clusterObjectNames(cluster);
  const podName = `${names.statefulSet}-0`;
  const podPath = `/api/v1/namespaces/${namespace}/pods/${podName}`;
  let api: KubeRest;
  let runner: PodRunner;
  const logs: string[] = [];

  /** What a timed-out wait shows: the runner's log and the tail of the engine's. */
  const diagnostics = (): string => {
    const file = runner.logFile(namespace, podName);
    const engine = existsSync(file) ? readFileSync(file, 'utf8').trimEnd().split('\n').slice(-20).join('\n') : '(no engine log)';
    return `--- pod runner:\n${logs.slice(-20).join('\n')}\n--- ${file}:\n${engine}`;
  };
  const readyPod = (uidNot?: string) =>
    waitFor(`pod ${podName} Ready${uidNot ? ' (a new one)' : ''}`, async () => {
      const pod = await api.find<V1Pod & KubeObject>(podPath);
      if (!pod || (uidNot && pod.metadata?.uid === uidNot) || pod.metadata?.deletionTimestamp) return undefined;
      return condition(pod, 'Ready')?.status === 'True' ? pod : undefined;
    }, { timeoutMs: 180_000, detail: diagnostics });

  beforeAll(async () => {
    api = await KubeRest.fromFile(kubeconfig);
    await api.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    runner = await startPodRunner({ kubeconfig, repoRoot: REPO, dir: mkdtempSync(join(tmpdir(), 'ksetl-runner-e2e-')), log: (l) => logs.push(l), maxGraceSeconds: 20 });
    const kc = parseKsqlCluster({
      apiVersion: 'ksetl.io/v1alpha1',
      kind: 'KsqlCluster',
      metadata: { name: cluster, namespace, uid: '00000000-0000-4000-8000-000000000000' },
      spec: { kafka: { bootstrapServers: [bootstrap] }, storage: { size: '1Gi' }, serviceId: `runner_${namespace}_` },
    });
    if (!kc.ok) throw new Error('cluster does not parse');
    // the engine credentials, as the operator creates them
    for (const o of [renderAuthSecret(kc.value, password), ...clusterObjectsInApplyOrder(renderCluster(kc.value, { defaultImage: 'ghcr.io/ksetl/ksetl:test', prometheusOperator: false }))]) {
      const { ownerReferences: _owners, ...metadata } = o.metadata!;
      await api.apply({ ...(o as KubeObject), metadata } as KubeObject, FIELD_MANAGER);
    }
  });

  afterAll(async () => {
    await runner?.stop();
    await api?.delete(`/api/v1/namespaces/${namespace}`);
    if (logs.length > 0) console.log(`[pod-runner]\n${logs.join('\n')}`);
  });

  it('binds the pod, runs ksetl server on the pod IP, reports Running and Ready', async () => {
    const pod = await readyPod();
    expect(pod.spec?.nodeName).toBe(runner.nodeName);
    expect(pod.status?.phase).toBe('Running');
    const ip = pod.status!.podIP!;
    expect(ip).toMatch(/^(127|10)\.\d+\.\d+\.\d+$/);
    expect(runner.pods().map((p) => p.ip)).toContain(ip);
    expect((await fetch(`http://${ip}:8088/info`)).status).toBe(401);
    const info = (await (await fetch(`http://${ip}:8088/info`, { headers: auth })).json()) as { KsqlServerInfo: { ksqlServiceId: string } };
    expect(info.KsqlServerInfo.ksqlServiceId).toBe(`runner_${namespace}_`);
    // the ConfigMap's mount path and the state volume were rewritten to local directories
    const log = readFileSync(runner.logFile(namespace, podName), 'utf8');
    expect(log).toContain('server --config');
    expect(log).not.toContain('--config /etc/ksetl/');
    expect(existsSync(join(runner.dir, 'pvc', namespace, `${names.stateVolume}-${podName}`))).toBe(true);
  });

  it('is found through the EndpointSlice of the client Service', async () => {
    const pod = await readyPod();
    await waitFor('an EndpointSlice with the pod IP, ready', async () => {
      const list = await api.get<{ items: { endpoints?: { addresses: string[]; conditions?: { ready?: boolean } }[] }[] }>(
        `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices?labelSelector=${encodeURIComponent(`kubernetes.io/service-name=${names.clientService}`)}`,
      );
      return list.items.some((s) => s.endpoints?.some((e) => e.addresses.includes(pod.status!.podIP!) && e.conditions?.ready)) ? true : undefined;
    });
  });

  it('runs statements against the real broker', async () => {
    const pod = await readyPod();
    const res = await fetch(`http://${pod.status!.podIP}:8088/ksql`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/vnd.ksql.v1+json', ...auth },
      body: JSON.stringify({ ksql: `CREATE STREAM pings (id VARCHAR KEY, n INT) WITH (KAFKA_TOPIC='${namespace}.pings', PARTITIONS=1, VALUE_FORMAT='JSON');`, streamsProperties: {} }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
  });

  it('restarts a crashed process and counts the restart', async () => {
    const before = await readyPod();
    expect(runner.crash(namespace, podName)).toBe(true);
    const after = await waitFor('restartCount 1 and Ready again', async () => {
      const pod = await api.get<V1Pod & KubeObject>(podPath);
      const cs = pod.status?.containerStatuses?.[0];
      return cs && cs.restartCount >= 1 && cs.ready ? pod : undefined;
    }, 120_000);
    expect(after.metadata?.uid).toBe(before.metadata?.uid);
    expect(after.status?.containerStatuses?.[0]?.lastState?.terminated?.exitCode).toBe(137);
  });

  it('terminates a deleted pod gracefully; the StatefulSet gets a new one', async () => {
    const before = await readyPod();
    const pidsBefore = runner.pods().flatMap((p) => p.pids);
    await api.delete(podPath);
    const after = await readyPod(before.metadata!.uid!);
    expect(after.metadata?.uid).not.toBe(before.metadata?.uid);
    // the old pod's processes are gone (a pid the new pod's process was given again does not count:
    // this machine's pid space is 32768, shared with the broker's and the tests' threads)
    const alive = (pid: number): boolean => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    const reused = new Set(runner.pods().flatMap((p) => p.pids));
    await waitFor('the old pod\'s processes gone', () => (pidsBefore.every((pid) => reused.has(pid) || !alive(pid)) ? true : undefined), 30_000);
    const log = readFileSync(runner.logFile(namespace, podName), 'utf8');
    expect(log.match(/pod-runner: /g)?.length).toBeGreaterThanOrEqual(3);
  });

  it('kills the processes when the StatefulSet scales to zero', async () => {
    await api.mergePatch(`/apis/apps/v1/namespaces/${namespace}/statefulsets/${names.statefulSet}`, { spec: { replicas: 0 } });
    await waitFor('no pods', async () => ((await api.find(podPath)) === null && runner.pods().length === 0 ? true : undefined), 120_000);
  });
});
