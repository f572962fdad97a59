import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { parseKsqlCluster, type KsqlCluster, type KsqlClusterInput } from '../../api/index.js';
import type { EventRecorder, EventType } from '../../kube/events.js';
import { KubeApiError, type KubeObject, type KubePort, type ListOptions, type ObjectList } from '../../kube/port.js';
import { RESOURCE, apiVersionOf, type ResourceType } from '../../kube/resources.js';
import { desiredMonitoring } from './monitoring.js';
import { monitoringCondition, prometheusOperatorFrom, pruneTargets, type ObservedMonitoring } from './provision.js';
import { reconcileCluster } from './reconcile.js';

const UID = '6f1c1d2e-0000-4000-8000-000000000001';
const NS = 'team-ads';

function clusterInput(spec: Partial<KsqlClusterInput['spec']> = {}): KsqlClusterInput {
  return {
    apiVersion: 'ksetl.io/v1alpha1',
    kind: 'KsqlCluster',
    metadata: { name: 'ads', namespace: NS, uid: UID, generation: 1 },
    spec: { kafka: { bootstrapServers: ['kafka.kafka.svc:9092'] }, ...spec },
  };
}

function cluster(spec: Partial<KsqlClusterInput['spec']> = {}): KsqlCluster {
  const r = parseKsqlCluster(clusterInput(spec));
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.value;
}

/**
 * An in-memory API server for the controller: objects by resource, label
 * selectors (`k=v` and `k`), server-side apply as a replace, the Prometheus
 * Operator's kinds answering 404 unless installed and 403 when forbidden.
 */
class FakeKube implements KubePort {
  readonly objects = new Map<string, KubeObject>();
  readonly applied: string[] = [];
  readonly deleted: string[] = [];
  readonly created: string[] = [];
  prometheusOperator: 'Installed' | 'NotInstalled' | 'Forbidden' = 'NotInstalled';

  #gate(t: ResourceType): void {
    if (t.group !== 'monitoring.coreos.com') return;
    if (this.prometheusOperator === 'NotInstalled') throw new KubeApiError(404, 'NotFound', 'the server could not find the requested resource');
    if (this.prometheusOperator === 'Forbidden') throw new KubeApiError(403, 'Forbidden', `${t.plural} is forbidden`);
  }
  #typeOf(o: KubeObject): ResourceType {
    const monitoring = ['ServiceMonitor', 'PodMonitor', 'PrometheusRule'];
    if (monitoring.includes(o.kind ?? '')) return { group: 'monitoring.coreos.com', version: 'v1', kind: o.kind!, plural: `${o.kind!.toLowerCase()}s`, namespaced: true };
    const t = Object.values(RESOURCE).find((r) => r.kind === o.kind && apiVersionOf(r) === o.apiVersion);
    if (!t) throw new Error(`fake: unknown ${o.apiVersion} ${o.kind}`);
    return t;
  }
  #key = (t: ResourceType, ns: string | undefined, name: string): string => `${t.group}/${t.plural}/${ns ?? ''}/${name}`;

  async get<T extends KubeObject>(t: ResourceType, ns: string | undefined, name: string): Promise<T | null> {
    this.#gate(t);
    return (this.objects.get(this.#key(t, ns, name)) as T | undefined) ?? null;
  }
  async list<T extends KubeObject>(t: ResourceType, ns: string | undefined, opts: ListOptions = {}): Promise<ObjectList<T>> {
    this.#gate(t);
    const prefix = `${t.group}/${t.plural}/${ns ?? ''}/`;
    const terms = (opts.labelSelector ?? '').split(',').filter((x) => x !== '');
    const matches = (o: KubeObject): boolean =>
      terms.every((term) => {
        const [k, v] = term.split('=');
        const labels = o.metadata?.labels ?? {};
        return v === undefined ? k! in labels : labels[k!] === v;
      });
    const items = [...this.objects].filter(([k, o]) => k.startsWith(prefix) && matches(o)).map(([, o]) => o as T);
    return { items, resourceVersion: '1' };
  }
  async apply<T extends KubeObject>(obj: T): Promise<T> {
    const t = this.#typeOf(obj);
    this.#gate(t);
    const key = this.#key(t, obj.metadata?.namespace, obj.metadata!.name!);
    const old = this.objects.get(key);
    const stored = { ...obj, metadata: { ...obj.metadata, uid: old?.metadata?.uid ?? `uid-${this.objects.size}` } } as T;
    this.objects.set(key, stored);
    this.applied.push(`${obj.kind}/${obj.metadata?.name}`);
    return stored;
  }
  async applyStatus<T extends KubeObject>(obj: KubeObject): Promise<T> {
    const key = this.#key(RESOURCE.KsqlCluster, obj.metadata?.namespace, obj.metadata!.name!);
    const old = this.objects.get(key)!;
    const next = { ...old, status: obj['status'] };
    this.objects.set(key, next);
    return next as unknown as T;
  }
  async create<T extends KubeObject>(obj: T): Promise<T> {
    if (obj.kind === 'Event') return obj;
    const t = this.#typeOf(obj);
    const key = this.#key(t, obj.metadata?.namespace, obj.metadata!.name!);
    if (this.objects.has(key)) throw new KubeApiError(409, 'AlreadyExists', `${obj.kind} ${obj.metadata?.name} already exists`);
    this.objects.set(key, obj);
    this.created.push(`${obj.kind}/${obj.metadata?.name}`);
    return obj;
  }
  async replace<T extends KubeObject>(obj: T): Promise<T> {
    return await this.apply(obj);
  }
  async delete(t: ResourceType, ns: string | undefined, name: string): Promise<boolean> {
    this.#gate(t);
    this.deleted.push(`${t.kind}/${name}`);
    return this.objects.delete(this.#key(t, ns, name));
  }
  async watch(): Promise<void> {}

  put(o: KubeObject): void {
    this.objects.set(this.#key(this.#typeOf(o), o.metadata?.namespace, o.metadata!.name!), o);
  }
  kinds(kind: string): KubeObject[] {
    return [...this.objects.values()].filter((o) => o.kind === kind);
  }
  cluster(): KubeObject & { status?: { conditions?: { type: string; status: string; reason: string; message: string }[]; dashboards?: unknown } } {
    return this.objects.get(`ksetl.io/ksqlclusters/${NS}/ads`)!;
  }
}

class Events implements EventRecorder {
  readonly recorded: { type: EventType; reason: string; note: string }[] = [];
  record(_o: KubeObject, type: EventType, reason: string, _action: string, note: string): void {
    this.recorded.push({ type, reason, note });
  }
}

function setup(spec: Partial<KsqlClusterInput['spec']> = {}) {
  const kube = new FakeKube();
  const input = clusterInput(spec);
  // the finalizer is already there: the reconcile goes straight to the objects
  kube.put({ ...input, metadata: { ...input.metadata, finalizers: ['ksetl.io/cluster-cleanup'] } } as KubeObject);
  const events = new Events();
  const run = () => reconcileCluster({ kube, events, log: pino({ level: 'silent' }), render: { defaultImage: 'ksetl:test' } }, NS, 'ads');
  const respec = (next: Partial<KsqlClusterInput['spec']>) => {
    const cur = kube.cluster();
    kube.put({ ...cur, spec: { ...(cur['spec'] as object), ...next } });
  };
  const condition = (type: string) => kube.cluster().status?.conditions?.find((c) => c.type === type);
  const sts = () => kube.kinds('StatefulSet')[0] as { spec: { template: { metadata: { annotations: Record<string, string> } } } } | undefined;
  return { kube, events, run, respec, condition, sts };
}

describe('prometheusOperatorFrom (discovery by listing)', () => {
  it('is installed only when every kind lists; forbidden wins over missing', () => {
    const ok = { ok: true as const, items: [] };
    expect(prometheusOperatorFrom([ok, ok, ok])).toBe('Installed');
    expect(prometheusOperatorFrom([ok, { ok: false, code: 404 }, ok])).toBe('NotInstalled');
    expect(prometheusOperatorFrom([{ ok: false, code: 404 }, { ok: false, code: 403 }, ok])).toBe('Forbidden');
  });
});

describe('pruneTargets', () => {
  const owned = (kind: string, name: string, uid = UID): KubeObject => ({
    apiVersion: kind === 'ConfigMap' ? 'v1' : 'monitoring.coreos.com/v1',
    kind,
    metadata: { name, namespace: NS, ownerReferences: [{ apiVersion: 'ksetl.io/v1alpha1', kind: 'KsqlCluster', name: 'ads', uid, controller: true }] },
  });

  it('deletes the cluster\'s monitoring objects the spec dropped, never what it still asks for or what others own', () => {
    const desired = desiredMonitoring(cluster({ monitoring: { scrape: { mode: 'PodMonitor' } } }), { prometheusOperator: true });
    const observed: ObservedMonitoring = {
      prometheusOperator: 'Installed',
      existing: [
        owned('ServiceMonitor', 'ads-ksetl'),
        owned('PodMonitor', 'ads-ksetl'),
        owned('PrometheusRule', 'ads-ksetl'),
        owned('ConfigMap', 'ads-ksetl-dashboard-query'),
        owned('ConfigMap', 'ads-ksetl-log-shipper'),
        owned('ConfigMap', 'ads-ksetl-dashboard-old', 'another-uid'),
      ],
    };
    expect(pruneTargets(desired, observed, UID).map((t) => `${t.type.kind}/${t.name}`)).toEqual(['ServiceMonitor/ads-ksetl', 'ConfigMap/ads-ksetl-log-shipper']);
  });
});

describe('monitoringCondition', () => {
  it('is True when everything asked for is provisioned, False with the first problem\'s reason otherwise', () => {
    const installed: ObservedMonitoring = { prometheusOperator: 'Installed', existing: [] };
    const d = desiredMonitoring(cluster(), { prometheusOperator: true });
    expect(monitoringCondition(d, installed, [])).toMatchObject({ status: 'True', reason: 'Provisioned', message: '4 monitoring object(s) provisioned' });
    expect(monitoringCondition(d, installed, [{ reason: 'Invalid', message: 'PrometheusRule ads-ksetl: bad', retryable: false }])).toMatchObject({ status: 'False', reason: 'Invalid' });
    const without = desiredMonitoring(cluster(), { prometheusOperator: false });
    expect(monitoringCondition(without, { prometheusOperator: 'Forbidden', existing: [] }, [])).toMatchObject({ status: 'False', reason: 'Forbidden' });
  });
});

describe('reconcileCluster: monitoring', () => {
  it('without the Prometheus Operator: scrape annotations, dashboards, a MonitoringReady=False condition and a Warning', async () => {
    const t = setup({ monitoring: { grafanaDashboards: { grafanaUrl: 'https://grafana.example.com/' } } });
    await t.run();
    expect(t.sts()!.spec.template.metadata.annotations['prometheus.io/scrape']).toBe('true');
    expect(t.kube.kinds('ConfigMap').map((c) => c.metadata?.name).sort()).toEqual(['ads-ksetl-config', 'ads-ksetl-dashboard-cluster-overview', 'ads-ksetl-dashboard-query']);
    expect(t.kube.kinds('ServiceMonitor')).toEqual([]);
    expect(t.condition('MonitoringReady')).toMatchObject({ status: 'False', reason: 'PrometheusOperatorMissing' });
    expect(t.events.recorded.find((e) => e.reason === 'PrometheusOperatorMissing')?.type).toBe('Warning');
    const dashboards = t.kube.cluster().status?.dashboards as { name: string; uid: string; url: string }[];
    expect(dashboards.map((d) => d.name)).toEqual(['cluster-overview', 'query']);
    for (const d of dashboards) expect(d.url).toBe(`https://grafana.example.com/d/${d.uid}`);
  });

  it('with the Prometheus Operator: a ServiceMonitor and the PrometheusRule, the same pod template, MonitoringReady=True', async () => {
    const t = setup();
    t.kube.prometheusOperator = 'Installed';
    await t.run();
    // the pod template does not depend on the Prometheus Operator being there (installing it rolls no pod)
    expect(t.sts()!.spec.template.metadata.annotations['prometheus.io/scrape']).toBe('true');
    expect(t.kube.kinds('ServiceMonitor').map((o) => o.metadata?.name)).toEqual(['ads-ksetl']);
    expect(t.kube.kinds('PrometheusRule').map((o) => o.metadata?.name)).toEqual(['ads-ksetl']);
    expect(t.condition('MonitoringReady')).toMatchObject({ status: 'True', reason: 'Provisioned' });
    // applied after the engine objects: monitoring never holds the engine up
    expect(t.kube.applied.indexOf('StatefulSet/ads-ksetl')).toBeLessThan(t.kube.applied.indexOf('ServiceMonitor/ads-ksetl'));
    const dashboards = t.kube.cluster().status?.dashboards as { uid: string; url?: string }[];
    expect(dashboards.every((d) => d.uid.length > 0 && d.url === undefined)).toBe(true);
  });

  it('prunes what the spec no longer asks for', async () => {
    const t = setup({ logging: { sidecar: { loki: { url: 'http://loki' } } } });
    t.kube.prometheusOperator = 'Installed';
    await t.run();
    expect(t.kube.kinds('ConfigMap').map((c) => c.metadata?.name)).toContain('ads-ksetl-log-shipper');
    t.respec({ monitoring: { scrape: { mode: 'PodMonitor' }, grafanaDashboards: { enabled: false }, prometheusRule: { enabled: false } }, logging: {} });
    await t.run();
    expect(t.kube.kinds('ServiceMonitor')).toEqual([]);
    expect(t.kube.kinds('PodMonitor').map((o) => o.metadata?.name)).toEqual(['ads-ksetl']);
    expect(t.kube.kinds('PrometheusRule')).toEqual([]);
    expect(t.kube.kinds('ConfigMap').map((c) => c.metadata?.name)).toEqual(['ads-ksetl-config']);
    expect(t.kube.cluster().status?.dashboards).toBeUndefined();
    expect(t.condition('MonitoringReady')).toMatchObject({ status: 'True' });
  });

  it('when the role does not cover monitoring.coreos.com: falls back to annotations and says so', async () => {
    const t = setup({ monitoring: { prometheusRule: { enabled: false } } });
    t.kube.prometheusOperator = 'Forbidden';
    await t.run();
    expect(t.sts()!.spec.template.metadata.annotations['prometheus.io/scrape']).toBe('true');
    expect(t.condition('MonitoringReady')).toMatchObject({ status: 'False', reason: 'Forbidden' });
    expect(t.condition('Degraded')).toMatchObject({ status: 'False' });
  });
});

describe('reconcileCluster: pod template', () => {
  it('refuses a pod template that would weaken the pod: a condition naming the fields, a Warning, nothing applied', async () => {
    const t = setup({ podTemplate: { spec: { hostNetwork: true, containers: [{ name: 'engine', securityContext: { privileged: true } }], volumes: [{ name: 'root', hostPath: { path: '/' } }] } } });
    await t.run();
    expect(t.kube.applied).toEqual([]);
    const ready = t.condition('Ready');
    expect(ready).toMatchObject({ status: 'False', reason: 'PodTemplateRefused' });
    for (const f of ['spec.podTemplate.spec.hostNetwork', 'containers[engine].securityContext.privileged', 'volumes[root]: hostPath']) expect(ready?.message).toContain(f);
    expect(t.condition('Degraded')).toMatchObject({ status: 'True', reason: 'PodTemplateRefused' });
    expect(t.events.recorded.find((e) => e.reason === 'PodTemplateRefused')?.type).toBe('Warning');
    // fixed: applied as usual
    t.respec({ podTemplate: { spec: { nodeSelector: { pool: 'streaming' } } } });
    await t.run();
    expect(t.kube.applied).toContain('StatefulSet/ads-ksetl');
  });
});

describe('reconcileCluster: engine credentials', () => {
  it('creates the credentials Secret once and keeps its password; a new password rolls the pods', async () => {
    const t = setup();
    await t.run();
    expect(t.kube.created).toEqual(['Secret/ads-ksetl-auth']);
    const secret = t.kube.kinds('Secret')[0] as unknown as { data: Record<string, string>; metadata: { ownerReferences: { uid: string }[] } };
    expect(secret.metadata.ownerReferences[0]!.uid).toBe(UID);
    const hash = t.sts()!.spec.template.metadata.annotations['ksetl.io/config-hash'];
    await t.run();
    expect(t.kube.created).toEqual(['Secret/ads-ksetl-auth']);
    expect(t.sts()!.spec.template.metadata.annotations['ksetl.io/config-hash']).toBe(hash);
    // deleted by someone: a new one, and the engines restart with it
    t.kube.objects.delete(`/secrets/${NS}/ads-ksetl-auth`);
    await t.run();
    expect(t.kube.created).toEqual(['Secret/ads-ksetl-auth', 'Secret/ads-ksetl-auth']);
    expect(t.sts()!.spec.template.metadata.annotations['ksetl.io/config-hash']).not.toBe(hash);
    // never in status or events
    const password = Buffer.from((t.kube.kinds('Secret')[0] as unknown as { data: Record<string, string> }).data['password']!, 'base64').toString();
    expect(JSON.stringify(t.kube.cluster().status)).not.toContain(password);
    expect(JSON.stringify(t.events.recorded)).not.toContain(password);
  });
});
