/**
 * The rendered monitoring objects on a real kube-apiserver (test/infra/kube):
 * with the Prometheus Operator CRDs installed from operator/monitoring-crds/,
 * the ServiceMonitor or PodMonitor, the PrometheusRule, the dashboard
 * ConfigMaps and the log shipper's ConfigMap of a real KsqlCluster are
 * accepted as rendered (schema validation, server-side apply), and the
 * garbage collector deletes them with the cluster.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { REPO, eventually, readDocs } from '../../../test/e2e/harness.js';
import { KubeRest, type KubeObject } from '../../../test/infra/pod-runner/kube-rest.js';
import { parseKsqlCluster, type KsqlClusterInput } from '../../api/index.js';
import { desiredMonitoring, monitoringObjectsInApplyOrder } from './monitoring.js';

const FIELD_MANAGER = 'ksetl-monitoring-e2e';
const ns = `mon-${randomBytes(3).toString('hex')}`;

async function installCrds(api: KubeRest, files: readonly string[]): Promise<void> {
  for (const crd of files.flatMap((f) => readDocs(f))) {
    await api.apply(crd, FIELD_MANAGER);
    await eventually(`CRD ${crd.metadata?.name} Established`, async () => {
      const o = await api.get<{ status?: { conditions?: { type: string; status: string }[] } }>(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata?.name}`);
      return o.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ? true : undefined;
    });
  }
  api.forgetDiscovery();
}

/** Creates a KsqlCluster and reads it back (the render needs its uid). */
async function createCluster(api: KubeRest, name: string, spec: KsqlClusterInput['spec']) {
  const obj = { apiVersion: 'ksetl.io/v1alpha1', kind: 'KsqlCluster', metadata: { name, namespace: ns }, spec } as KubeObject;
  const created = await api.apply(obj, FIELD_MANAGER);
  const parsed = parseKsqlCluster(created);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.value;
}

describe('monitoring objects on a real API server', () => {
  let api: KubeRest;

  beforeAll(async () => {
    api = await KubeRest.fromFile(inject('kubeconfig') ?? process.env['KSETL_KUBECONFIG']!);
    await installCrds(api, [join(REPO, 'crds', 'ksqlclusters.ksetl.io.yaml'), join(REPO, 'operator', 'monitoring-crds', 'monitoring.coreos.com.yaml')]);
    await api.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }, FIELD_MANAGER);
  }, 120_000);

  afterAll(async () => {
    await api?.delete(`/api/v1/namespaces/${ns}`);
  });

  const cases: Record<string, KsqlClusterInput['spec']> = {
    'servicemonitor-loki': {
      kafka: { bootstrapServers: ['kafka.kafka.svc:9092'], sasl: { mechanism: 'SCRAM-SHA-512', secretRef: { name: 'kafka-user' } } },
      monitoring: { scrape: { labels: { release: 'prom' } } },
      logging: { sidecar: { type: 'fluent-bit', loki: { url: 'http://loki-gateway.logging.svc', secretRef: { name: 'loki' } } } },
    },
    'podmonitor-elasticsearch': {
      kafka: { bootstrapServers: ['kafka.kafka.svc:9092'] },
      monitoring: { scrape: { mode: 'PodMonitor', interval: '15s' }, grafanaDashboards: { folder: 'Team B', grafanaUrl: 'https://grafana.example.com' } },
      logging: { sidecar: { type: 'vector', elasticsearch: { url: 'https://es.example.com:9200', secretRef: { name: 'es' } } } },
    },
  };

  for (const [name, spec] of Object.entries(cases)) {
    it(`${name}: applied as rendered, then garbage-collected with the KsqlCluster`, async () => {
      const kc = await createCluster(api, name, spec);
      const desired = desiredMonitoring(kc, { prometheusOperator: true });
      const objects = monitoringObjectsInApplyOrder(desired) as unknown as KubeObject[];
      const paths: string[] = [];
      for (const o of objects) {
        const applied = await api.apply<KubeObject & { spec?: unknown; data?: unknown }>(o, FIELD_MANAGER);
        // nothing pruned or defaulted away: what was rendered is what is stored
        const rendered = o as KubeObject & { spec?: unknown; data?: unknown };
        if (rendered.spec !== undefined) expect(applied.spec, `${o.kind} ${o.metadata?.name}`).toEqual(rendered.spec);
        if (rendered.data !== undefined) expect(applied.data, `${o.kind} ${o.metadata?.name}`).toEqual(rendered.data);
        expect(applied.metadata?.ownerReferences?.[0]?.uid).toBe(kc.metadata.uid);
        paths.push(await api.objectPath(o));
      }
      expect(objects.map((o) => o.kind)).toContain(name.startsWith('service') ? 'ServiceMonitor' : 'PodMonitor');
      expect(objects.map((o) => o.kind)).toContain('PrometheusRule');
      expect(objects.filter((o) => o.kind === 'ConfigMap')).toHaveLength(3);

      await api.delete(`/apis/ksetl.io/v1alpha1/namespaces/${ns}/ksqlclusters/${name}`, { propagationPolicy: 'Background' });
      await eventually(
        'the monitoring objects garbage-collected',
        async () => {
          const left: string[] = [];
          for (const p of paths) if (await api.find(p)) left.push(p);
          return left.length === 0 ? true : undefined;
        },
        90_000,
      );
    }, 180_000);
  }

  it('the API server refuses what the pinned CRDs refuse (a bad scrape interval)', async () => {
    const kc = await createCluster(api, 'bad-interval', { kafka: { bootstrapServers: ['kafka:9092'] } });
    const sm = desiredMonitoring(kc, { prometheusOperator: true }).serviceMonitor!;
    const bad = { ...sm, spec: { ...sm.spec, endpoints: [{ port: 'http', interval: 'soon' }] } } as unknown as KubeObject;
    await expect(api.apply(bad, FIELD_MANAGER)).rejects.toThrow(/interval/);
  });
});
