import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  RbacAuthorizationV1Api,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { waitFor } from '../wait.js';
import { kubeBinaries } from './control-plane.js';

const run = promisify(execFile);

/** HTTP status of a failed call (ApiException.code), or 200 when it succeeded. */
async function statusOf(call: () => Promise<unknown>): Promise<number> {
  try {
    await call();
    return 200;
  } catch (e) {
    if (e instanceof ApiException) return e.code;
    throw e;
  }
}

describe('control plane (etcd + kube-apiserver + kube-controller-manager)', () => {
  const kubeconfig = inject('kubeconfig');
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  const namespace = `ksetl-smoke-${randomBytes(3).toString('hex')}`;

  beforeAll(async () => {
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    // Pods need the namespace's default ServiceAccount (serviceaccount controller).
    await waitFor('the default ServiceAccount', async () =>
      core.readNamespacedServiceAccount({ name: 'default', namespace }),
    );
  });

  afterAll(async () => {
    await core.deleteNamespace({ name: namespace }).catch(() => undefined);
  });

  it('the built kubectl talks to it', async () => {
    const { kubectl } = await kubeBinaries();
    const { stdout } = await run(kubectl, ['--kubeconfig', kubeconfig, 'get', 'namespace', namespace, '-o', 'name']);
    expect(stdout.trim()).toBe(`namespace/${namespace}`);
    const version = await run(kubectl, ['--kubeconfig', kubeconfig, 'version', '-o', 'json']);
    const v = JSON.parse(version.stdout) as { serverVersion: { major: string; gitVersion: string } };
    expect(v.serverVersion.major).toBe('1');
    expect(v.serverVersion.gitVersion).toMatch(/^v1\.\d+\.\d+$/);
  });

  it('applies a ConfigMap by server-side apply with a field manager', async () => {
    const apply = (data: Record<string, string>) =>
      core.patchNamespacedConfigMap(
        {
          name: 'applied',
          namespace,
          body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'applied', namespace }, data },
          fieldManager: 'ksetl-smoke',
          force: true,
        },
        setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
      );
    const created = await apply({ a: '1' });
    expect(created.data).toEqual({ a: '1' });
    const updated = await apply({ a: '2', b: '3' });
    expect(updated.data).toEqual({ a: '2', b: '3' });
    const managers = (updated.metadata?.managedFields ?? []).map((f) => [f.manager, f.operation]);
    expect(managers).toEqual([['ksetl-smoke', 'Apply']]);
    // Fields the manager no longer applies are removed.
    const pruned = await apply({ b: '3' });
    expect(pruned.data).toEqual({ b: '3' });
  });

  it('the garbage collector deletes an owned object after its owner goes', async () => {
    const owner = await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'owner' } } });
    await core.createNamespacedConfigMap({
      namespace,
      body: {
        metadata: {
          name: 'owned',
          ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata!.uid! }],
        },
      },
    });
    await core.deleteNamespacedConfigMap({ name: 'owner', namespace, propagationPolicy: 'Background' });
    await waitFor('the owned ConfigMap to be collected', async () =>
      (await statusOf(() => core.readNamespacedConfigMap({ name: 'owned', namespace }))) === 404 ? true : undefined,
    );
  });

  it('the StatefulSet controller creates the pod, which stays Pending with no node', async () => {
    const labels = { app: 'smoke' };
    await apps.createNamespacedStatefulSet({
      namespace,
      body: {
        metadata: { name: 'smoke' },
        spec: {
          replicas: 1,
          serviceName: 'smoke',
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: { containers: [{ name: 'main', image: 'example.invalid/ksetl:test', command: ['sleep', '3600'] }] },
          },
        },
      },
    });
    const pod = await waitFor('pod smoke-0', async () => {
      const list = await core.listNamespacedPod({ namespace, labelSelector: 'app=smoke' });
      return list.items.find((p) => p.metadata?.name === 'smoke-0');
    });
    expect(pod.status?.phase).toBe('Pending');
    expect(pod.spec?.nodeName).toBeUndefined();
    expect(pod.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'StatefulSet', name: 'smoke', controller: true });
    // The ServiceAccount admission plugin mounted a projected token volume.
    expect(pod.spec?.serviceAccountName).toBe('default');
    expect(pod.spec?.volumes?.some((v) => v.projected)).toBe(true);
  });

  it('a ServiceAccount token is subject to RBAC: 403 without a RoleBinding, 200 with one', async () => {
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'reader' } } });
    const { status } = await core.createNamespacedServiceAccountToken({
      name: 'reader',
      namespace,
      body: { spec: { audiences: [], expirationSeconds: 600 } },
    });
    const token = status?.token;
    expect(token).toBeTruthy();
    const cluster = kc.getCurrentCluster()!;
    const sa = new KubeConfig();
    sa.loadFromOptions({
      clusters: [{ name: 'ksetl', server: cluster.server, caFile: cluster.caFile }],
      users: [{ name: 'reader', token }],
      contexts: [{ name: 'reader', cluster: 'ksetl', user: 'reader' }],
      currentContext: 'reader',
    });
    const asReader = sa.makeApiClient(CoreV1Api);
    const list = () => asReader.listNamespacedConfigMap({ namespace });

    expect(await statusOf(list)).toBe(403);

    await rbac.createNamespacedRole({
      namespace,
      body: {
        metadata: { name: 'configmap-reader' },
        rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] }],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace,
      body: {
        metadata: { name: 'reader' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'configmap-reader' },
        subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace }],
      },
    });
    // The authorizer's RBAC cache follows the binding within moments.
    await waitFor('the RoleBinding to take effect', async () => ((await statusOf(list)) === 200 ? true : undefined), 30_000);
    // Still no more than the Role allows.
    expect(await statusOf(() => asReader.listNamespacedSecret({ namespace }))).toBe(403);
  });
});
