/**
 * The security controls on a real kube-apiserver (test/infra/kube; issue 18):
 *
 * - spec.config outside the allow-list, or holding a ${...} reference, is
 *   refused at admission by the CRD's CEL rules, naming the key;
 * - the engine pod, as rendered, is admitted in a namespace enforcing Pod
 *   Security `restricted` (and a privileged pod is not: the profile is
 *   really enforced there);
 * - the rendered NetworkPolicy passes the API server's validation;
 * - a KsqlCluster whose podTemplate asks for a privileged pod gets a
 *   PodTemplateRefused condition from the controller, and nothing is applied;
 *   a good one gets its credentials Secret, its NetworkPolicy and its
 *   StatefulSet.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { REPO, eventually, readDocs } from '../../../test/e2e/harness.js';
import { KubeRest, type KubeObject } from '../../../test/infra/pod-runner/kube-rest.js';
import { parseKsqlCluster, type KsqlClusterInput } from '../../api/index.js';
import { KubeClient } from '../../kube/client.js';
import { KubeEventRecorder } from '../../kube/events.js';
import { clusterObjectNames } from '../../names.js';
import { renderCluster } from './desired.js';
import { reconcileCluster } from './reconcile.js';

const FIELD_MANAGER = 'ksetl-security-e2e';
const ns = `sec-${randomBytes(3).toString('hex')}`;
const kubeconfig = inject('kubeconfig') ?? process.env['KSETL_KUBECONFIG'];

const cluster = (name: string, spec: Partial<KsqlClusterInput['spec']> = {}): KubeObject => ({
  apiVersion: 'ksetl.io/v1alpha1',
  kind: 'KsqlCluster',
  metadata: { name, namespace: ns },
  spec: { kafka: { bootstrapServers: ['kafka.kafka.svc:9092'] }, ...spec },
});

describe.skipIf(!kubeconfig)('security controls on a real API server', () => {
  let api: KubeRest;

  beforeAll(async () => {
    api = await KubeRest.fromFile(kubeconfig!);
    for (const crd of readDocs(join(REPO, 'crds', 'ksqlclusters.ksetl.io.yaml'))) {
      await api.apply(crd, FIELD_MANAGER);
      await eventually(`CRD ${crd.metadata?.name} Established`, async () => {
        const o = await api.get<{ status?: { conditions?: { type: string; status: string }[] } }>(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata?.name}`);
        return o.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ? true : undefined;
      });
    }
    api.forgetDiscovery();
    await api.apply(
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'latest' } } },
      FIELD_MANAGER,
    );
  }, 120_000);

  afterAll(async () => {
    await api?.delete(`/api/v1/namespaces/${ns}`);
  });

  it('refuses spec.config keys outside the allow-list, naming them, and ${...} references', async () => {
    await expect(api.apply(cluster('leak', { config: { 'ksql.leak': '1', 'ksql.streams.auto.offset.reset': 'earliest' } }), FIELD_MANAGER)).rejects.toThrow(/spec\.config may not set ksql\.leak/);
    await expect(api.apply(cluster('leak2', { config: { 'ksql.streams.sasl.jaas.config': 'x' } }), FIELD_MANAGER)).rejects.toThrow(/ksql\.streams\.sasl\.jaas\.config/);
    await expect(api.apply(cluster('ref', { config: { 'ksql.output.topic.name.prefix': '${env:KSETL_KAFKA_PASSWORD}' } }), FIELD_MANAGER)).rejects.toThrow(/references: ksql\.output\.topic\.name\.prefix/);
    await expect(api.apply(cluster('file', { config: { 'ksql.output.topic.name.prefix': 'x${file:/etc/hostname}' } }), FIELD_MANAGER)).rejects.toThrow(/references/);
    // allowed keys pass
    await api.apply(cluster('fine', { config: { 'ksql.streams.auto.offset.reset': 'earliest', 'ksetl.log.level': 'debug' } }), FIELD_MANAGER);
  });

  it('admits the rendered engine pod under Pod Security restricted, and refuses a privileged one there', async () => {
    const created = await api.apply(cluster('pss', { logging: { sidecar: { loki: { url: 'http://loki' } } } }), FIELD_MANAGER);
    const kc = parseKsqlCluster(created);
    if (!kc.ok) throw new Error(JSON.stringify(kc.errors));
    const rendered = renderCluster(kc.value, { defaultImage: 'ghcr.io/ksetl/ksetl:test', prometheusOperator: false });
    await api.apply(rendered.serviceAccount as KubeObject, FIELD_MANAGER);
    const template = rendered.statefulSet.spec!.template;
    // the pod the StatefulSet controller makes: the template plus the claim of its state volume
    const claim = { name: clusterObjectNames('pss').stateVolume, persistentVolumeClaim: { claimName: `${clusterObjectNames('pss').stateVolume}-pss-ksetl-0` } };
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'pss-engine', namespace: ns, labels: template.metadata?.labels }, spec: { ...template.spec, volumes: [...(template.spec?.volumes ?? []), claim] } };
    // dry run: admission runs (Pod Security included), nothing is scheduled
    await api.create(`/api/v1/namespaces/${ns}/pods?dryRun=All`, pod);
    const privileged = { ...pod, metadata: { ...pod.metadata, name: 'privileged' }, spec: { ...pod.spec, hostNetwork: true, containers: [{ name: 'x', image: 'busybox', securityContext: { privileged: true } }] } };
    await expect(api.create(`/api/v1/namespaces/${ns}/pods?dryRun=All`, privileged)).rejects.toThrow(/violates PodSecurity "restricted/);
  });

  it('accepts the rendered NetworkPolicy', async () => {
    const created = await api.apply(cluster('netpol'), FIELD_MANAGER);
    const kc = parseKsqlCluster(created);
    if (!kc.ok) throw new Error(JSON.stringify(kc.errors));
    const np = renderCluster(kc.value, { defaultImage: 'ksetl', prometheusOperator: false, operatorNamespace: 'ksetl-system', prometheusNamespaces: ['monitoring'] }).networkPolicy;
    const applied = await api.apply<KubeObject & { spec?: unknown }>(np as unknown as KubeObject, FIELD_MANAGER);
    expect(applied.spec).toEqual(np.spec);
  });

  describe('the controller', () => {
    let kube: KubeClient;
    const deps = () => ({ kube, events: new KubeEventRecorder(kube, 'security-e2e', pino({ level: 'silent' })), log: pino({ level: 'silent' }), render: { defaultImage: 'ghcr.io/ksetl/ksetl:test' } });
    const conditions = async (name: string) =>
      ((await api.get<{ status?: { conditions?: { type: string; status: string; reason: string; message: string }[] } }>(`/apis/ksetl.io/v1alpha1/namespaces/${ns}/ksqlclusters/${name}`)).status?.conditions ?? []);

    beforeAll(() => {
      const kc = new KubeConfig();
      kc.loadFromFile(kubeconfig!);
      kube = new KubeClient(kc);
    });

    it('refuses a privileged podTemplate with a PodTemplateRefused condition and applies nothing', async () => {
      await api.apply(
        cluster('privileged', {
          podTemplate: { spec: { hostPID: true, serviceAccountName: 'default', containers: [{ name: 'engine', securityContext: { privileged: true, runAsUser: 0 } }], volumes: [{ name: 'root', hostPath: { path: '/' } }] } },
        }),
        FIELD_MANAGER,
      );
      await reconcileCluster(deps(), ns, 'privileged');
      const ready = (await conditions('privileged')).find((c) => c.type === 'Ready');
      expect(ready).toMatchObject({ status: 'False', reason: 'PodTemplateRefused' });
      for (const f of ['hostPID', 'serviceAccountName', 'containers[engine].securityContext.privileged', 'hostPath']) expect(ready?.message).toContain(f);
      const names = clusterObjectNames('privileged');
      expect(await api.find(`/apis/apps/v1/namespaces/${ns}/statefulsets/${names.statefulSet}`)).toBeNull();
      expect(await api.find(`/api/v1/namespaces/${ns}/secrets/${names.authSecret}`)).toBeNull();
    });

    it('gives a good cluster its credentials Secret, NetworkPolicy and StatefulSet, and keeps the password', async () => {
      await api.apply(cluster('good'), FIELD_MANAGER);
      await reconcileCluster(deps(), ns, 'good');
      const names = clusterObjectNames('good');
      const secret = await api.get<{ type: string; data: Record<string, string> }>(`/api/v1/namespaces/${ns}/secrets/${names.authSecret}`);
      expect(secret.type).toBe('kubernetes.io/basic-auth');
      expect(await api.find(`/apis/networking.k8s.io/v1/namespaces/${ns}/networkpolicies/${names.networkPolicy}`)).not.toBeNull();
      expect(await api.find(`/apis/apps/v1/namespaces/${ns}/statefulsets/${names.statefulSet}`)).not.toBeNull();
      await reconcileCluster(deps(), ns, 'good');
      expect((await api.get<{ data: Record<string, string> }>(`/api/v1/namespaces/${ns}/secrets/${names.authSecret}`)).data['password']).toBe(secret.data['password']);
      const password = Buffer.from(secret.data['password']!, 'base64').toString();
      const status = await api.get(`/apis/ksetl.io/v1alpha1/namespaces/${ns}/ksqlclusters/good`);
      expect(JSON.stringify(status)).not.toContain(password);
    });
  });
});
