import type { V1PodSpec } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { parseKsqlCluster, type KsqlClusterInput } from '../../api/index.js';
import { renderCluster } from './desired.js';
import { podTemplateViolations, restrictPodSpec } from './pod-security.js';

/** The attack: every way a pod template could weaken the pod, at once. */
const PRIVILEGED = {
  spec: {
    hostNetwork: true,
    hostPID: true,
    hostIPC: true,
    serviceAccountName: 'cluster-admin-sa',
    automountServiceAccountToken: true,
    securityContext: { runAsUser: 0, runAsNonRoot: false, seccompProfile: { type: 'Unconfined' }, sysctls: [{ name: 'kernel.shm_rmid_forced', value: '1' }] },
    containers: [
      {
        name: 'engine',
        securityContext: { privileged: true, allowPrivilegeEscalation: true, capabilities: { add: ['SYS_ADMIN'] }, runAsUser: 0 },
        env: [{ name: 'KSQL_KSQL_LEAK', value: '${env:KSETL_KAFKA_PASSWORD}' }],
      },
      { name: 'sniffer', image: 'busybox', securityContext: { privileged: true }, ports: [{ containerPort: 1, hostPort: 1 }] },
    ],
    initContainers: [{ name: 'init', image: 'busybox', securityContext: { procMount: 'Unmasked' } }],
    volumes: [{ name: 'root', hostPath: { path: '/' } }],
  },
};

function cluster(spec: Partial<KsqlClusterInput['spec']>) {
  const r = parseKsqlCluster({
    apiVersion: 'ksetl.io/v1alpha1',
    kind: 'KsqlCluster',
    metadata: { name: 'ads', namespace: 'team-ads', uid: '6f1c1d2e-0000-4000-8000-000000000001' },
    spec: { kafka: { bootstrapServers: ['k:9092'] }, ...spec },
  });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.value;
}

describe('podTemplateViolations', () => {
  it('names every field that would weaken the pod', () => {
    const v = podTemplateViolations(PRIVILEGED).join('\n');
    for (const field of [
      'spec.hostNetwork',
      'spec.hostPID',
      'spec.hostIPC',
      'spec.serviceAccountName',
      'spec.automountServiceAccountToken',
      'spec.securityContext.runAsUser',
      'spec.securityContext.runAsNonRoot',
      'spec.securityContext.seccompProfile.type',
      'spec.securityContext.sysctls',
      'containers[engine].securityContext.privileged',
      'containers[engine].securityContext.allowPrivilegeEscalation',
      'containers[engine].securityContext.capabilities.add',
      'containers[engine].securityContext.runAsUser',
      'containers[engine].env KSQL_KSQL_LEAK',
      'containers[sniffer].securityContext.privileged',
      'containers[sniffer].ports[0].hostPort',
      'initContainers[init].securityContext.procMount',
      'volumes[root]: hostPath',
    ]) {
      expect(v).toContain(field);
    }
  });

  it('accepts the overrides teams make: scheduling, resources, labels, a sidecar, an emptyDir, NODE_OPTIONS', () => {
    expect(
      podTemplateViolations({
        metadata: { labels: { team: 'ads' } },
        spec: {
          nodeSelector: { pool: 'streaming' },
          tolerations: [{ key: 'dedicated', operator: 'Exists' }],
          priorityClassName: 'high',
          containers: [
            { name: 'engine', env: [{ name: 'NODE_OPTIONS', value: '--max-old-space-size=1536' }], securityContext: { readOnlyRootFilesystem: true } },
            { name: 'proxy', image: 'envoy', securityContext: { runAsUser: 1001, capabilities: { drop: ['ALL'] } } },
          ],
          volumes: [{ name: 'scratch', emptyDir: {} }],
        },
      }),
    ).toEqual([]);
    expect(podTemplateViolations(undefined)).toEqual([]);
  });
});

/** Pod Security `restricted`, as the API server's admission checks it (the subset a pod spec can fail). */
function restrictedViolations(spec: V1PodSpec): string[] {
  const out: string[] = [];
  if (spec.hostNetwork || spec.hostPID || spec.hostIPC) out.push('host namespaces');
  const podNonRoot = spec.securityContext?.runAsNonRoot === true;
  const podSeccomp = spec.securityContext?.seccompProfile?.type;
  for (const c of [...spec.containers, ...(spec.initContainers ?? [])]) {
    const sc = c.securityContext ?? {};
    if (sc.privileged) out.push(`${c.name}: privileged`);
    if (sc.allowPrivilegeEscalation !== false) out.push(`${c.name}: allowPrivilegeEscalation != false`);
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) out.push(`${c.name}: capabilities not dropped`);
    if ((sc.capabilities?.add ?? []).some((a) => a !== 'NET_BIND_SERVICE')) out.push(`${c.name}: capabilities added`);
    if (!(sc.runAsNonRoot === true || (sc.runAsNonRoot === undefined && podNonRoot))) out.push(`${c.name}: runAsNonRoot != true`);
    if (sc.runAsUser === 0 || spec.securityContext?.runAsUser === 0) out.push(`${c.name}: runAsUser 0`);
    const seccomp = sc.seccompProfile?.type ?? podSeccomp;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') out.push(`${c.name}: seccomp`);
    if ((c.ports ?? []).some((p) => p.hostPort)) out.push(`${c.name}: hostPort`);
  }
  for (const v of spec.volumes ?? []) if (v.hostPath) out.push(`volume ${v.name}: hostPath`);
  return out;
}

describe('the rendered engine pod', () => {
  it('meets Pod Security restricted, sidecars included', () => {
    for (const spec of [{}, { logging: { sidecar: { loki: { url: 'http://loki' } } } }] as const) {
      const pod = renderCluster(cluster(spec), { defaultImage: 'ksetl', prometheusOperator: false }).statefulSet.spec!.template.spec!;
      expect(restrictedViolations(pod)).toEqual([]);
    }
  });

  it('still meets it when a pod template slips past the checks (restrictPodSpec has the last word)', () => {
    const kc = cluster({ podTemplate: PRIVILEGED });
    const pod = renderCluster(kc, { defaultImage: 'ksetl', prometheusOperator: false }).statefulSet.spec!.template.spec!;
    expect(restrictedViolations(pod)).toEqual([]);
    expect(pod.serviceAccountName).toBe('ads-ksetl');
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.volumes?.some((v) => v.hostPath)).toBe(false);
    expect(restrictPodSpec({ containers: [{ name: 'c', securityContext: { seccompProfile: { type: 'Localhost', localhostProfile: 'p.json' } } }] }, 'sa').containers[0]!.securityContext?.seccompProfile).toEqual({
      type: 'Localhost',
      localhostProfile: 'p.json',
    });
  });
});
