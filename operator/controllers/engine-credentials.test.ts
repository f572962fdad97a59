import { describe, expect, it } from 'vitest';
import { parseKsqlCluster } from '../api/index.js';
import { basicAuthorization, newPassword, renderAuthSecret } from './engine-credentials.js';
import { engineConfig, renderCluster } from './ksql-cluster/desired.js';

const r = parseKsqlCluster({
  apiVersion: 'ksetl.io/v1alpha1',
  kind: 'KsqlCluster',
  metadata: { name: 'ads', namespace: 'team-ads', uid: '6f1c1d2e-0000-4000-8000-000000000001' },
  spec: { kafka: { bootstrapServers: ['k:9092'] } },
});
if (!r.ok) throw new Error('does not parse');
const kc = r.value;

describe('engine credentials', () => {
  it('a Secret owned by the cluster, basic-auth typed, the password only in it', () => {
    const s = renderAuthSecret(kc, 'pw');
    expect(s).toMatchObject({ kind: 'Secret', type: 'kubernetes.io/basic-auth', metadata: { name: 'ads-ksetl-auth', namespace: 'team-ads' } });
    expect(s.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'KsqlCluster', name: 'ads', controller: true });
    expect(Buffer.from(s.data!['password']!, 'base64').toString()).toBe('pw');
  });

  it('random passwords, 256 bits each', () => {
    const a = newPassword();
    expect(a).not.toBe(newPassword());
    expect(Buffer.from(a, 'base64url')).toHaveLength(32);
  });

  it('the engine takes them from its environment; neither the ConfigMap nor the pod spec holds them', () => {
    expect(engineConfig(kc)).toEqual(expect.arrayContaining([['ksetl.basic.auth.user', '${env:KSETL_AUTH_USERNAME}'], ['ksetl.basic.auth.password', '${env:KSETL_AUTH_PASSWORD}']]));
    const d = renderCluster(kc, { defaultImage: 'ksetl', prometheusOperator: false });
    const env = d.statefulSet.spec!.template.spec!.containers[0]!.env!;
    expect(env.find((e) => e.name === 'KSETL_AUTH_PASSWORD')?.valueFrom?.secretKeyRef).toEqual({ name: 'ads-ksetl-auth', key: 'password' });
  });

  it('basic authorization header', () => {
    expect(basicAuthorization({ user: 'u', password: 'p:q' })).toBe(`Basic ${Buffer.from('u:p:q').toString('base64')}`);
  });
});

describe('NetworkPolicy', () => {
  it('admits the team namespace, the operator and Prometheus to the engine port, nothing else', () => {
    const np = renderCluster(kc, { defaultImage: 'ksetl', prometheusOperator: false, operatorNamespace: 'ops', prometheusNamespaces: ['mon', 'mon2'] }).networkPolicy;
    expect(np.metadata.namespace).toBe('team-ads');
    expect(np.spec.podSelector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'ksetl', 'app.kubernetes.io/instance': 'ads', 'app.kubernetes.io/component': 'engine' });
    expect(np.spec.policyTypes).toEqual(['Ingress']);
    expect(np.spec.ingress).toEqual([
      {
        from: [
          { podSelector: {} },
          { namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['ops'] }] } },
          { namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['mon', 'mon2'] }] } },
        ],
        ports: [{ protocol: 'TCP', port: 8088 }],
      },
    ]);
    const dflt = renderCluster(kc, { defaultImage: 'ksetl', prometheusOperator: false }).networkPolicy;
    expect(dflt.spec.ingress[0]!.from[1]!.namespaceSelector?.matchExpressions?.[0]?.values).toEqual(['ksetl-system']);
  });
});
