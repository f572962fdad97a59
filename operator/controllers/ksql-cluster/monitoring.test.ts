import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { parseKsqlCluster, type KsqlCluster, type KsqlClusterInput } from '../../api/index.js';
import { desiredMonitoring, monitoringObjectsInApplyOrder, type DesiredMonitoring, type MonitoringOptions } from './monitoring.js';

const testdata = join(dirname(fileURLToPath(import.meta.url)), 'testdata');
const withOperator: MonitoringOptions = { prometheusOperator: true };
const withoutOperator: MonitoringOptions = { prometheusOperator: false };

function cluster(spec: Partial<KsqlClusterInput['spec']> = {}, name = 'ads', namespace = 'team-ads'): KsqlCluster {
  const r = parseKsqlCluster({
    apiVersion: 'ksetl.io/v1alpha1',
    kind: 'KsqlCluster',
    metadata: { name, namespace, uid: '6f1c1d2e-0000-4000-8000-000000000001', generation: 1 },
    spec: { kafka: { bootstrapServers: ['kafka.kafka.svc:9092'] }, ...spec },
  });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.value;
}

const secureKafka = {
  bootstrapServers: ['kafka-0.kafka:9093', 'kafka-1.kafka:9093'],
  sasl: { mechanism: 'SCRAM-SHA-512' as const, secretRef: { name: 'ads-kafka' }, usernameKey: 'user' },
  tls: { secretRef: { name: 'ads-kafka-tls' }, caKey: 'ca.crt' },
};

const FIXTURES: Record<string, { kc: KsqlCluster; opts: MonitoringOptions }> = {
  'monitoring-minimal': { kc: cluster(), opts: withoutOperator },
  'monitoring-servicemonitor-loki-fluent-bit': {
    kc: cluster({
      kafka: secureKafka,
      monitoring: { scrape: { labels: { release: 'prom' } }, prometheusRule: { labels: { role: 'alert-rules' } } },
      logging: { kafkaTopic: { enabled: true }, sidecar: { type: 'fluent-bit', loki: { url: 'http://loki-gateway.logging.svc/', secretRef: { name: 'ads-loki' } } } },
    }),
    opts: withOperator,
  },
  'monitoring-podmonitor-elasticsearch-vector': {
    kc: cluster({
      kafka: secureKafka,
      monitoring: {
        scrape: { mode: 'PodMonitor', interval: '15s' },
        grafanaDashboards: { label: 'grafana_dashboard_team', labelValue: 'ads', folder: 'Ads team', grafanaUrl: 'https://grafana.example.com/' },
      },
      logging: {
        kafkaTopic: { enabled: true, topic: 'ads-processing-log' },
        sidecar: { type: 'vector', elasticsearch: { url: 'https://es.example.com:9200/logs', secretRef: { name: 'ads-es' }, apiKeyKey: 'api-key' } },
      },
    }),
    opts: withOperator,
  },
  'monitoring-otel-loki': {
    kc: cluster({
      kafka: secureKafka,
      logging: { kafkaTopic: { enabled: true }, sidecar: { type: 'otel', loki: { url: 'http://loki-gateway.logging.svc/', secretRef: { name: 'ads-loki' } } } },
    }),
    opts: withoutOperator,
  },
  'monitoring-otel-kafka': {
    kc: cluster({
      monitoring: { enabled: false },
      logging: { kafkaTopic: { enabled: true }, sidecar: { type: 'otel', kafka: { topic: 'ads-logs' } } },
    }),
    opts: withoutOperator,
  },
};

/** The goldens show each dashboard ConfigMap's data as a digest: the JSON itself is pinned by dashboards/generated/. */
function toYaml(d: DesiredMonitoring): string {
  const dashboards = new Set<object>(d.dashboards);
  const docs = [
    ...monitoringObjectsInApplyOrder(d).map((o) =>
      dashboards.has(o) && 'data' in o
        ? { ...o, data: Object.fromEntries(Object.entries(o.data ?? {}).map(([k, v]) => [k, `<dashboard JSON, ${v.length} bytes, sha256 ${createHash('sha256').update(v).digest('hex').slice(0, 12)}>`])) }
        : o,
    ),
    { podTemplateAdditions: d.podTemplate, dashboardRefs: d.dashboardRefs, notes: d.notes },
  ];
  return docs.map((o) => stringify(o, { lineWidth: 0, aliasDuplicateObjects: false })).join('---\n');
}

describe('desiredMonitoring (golden)', () => {
  for (const [name, { kc, opts }] of Object.entries(FIXTURES)) {
    it(name, () => {
      const yaml = toYaml(desiredMonitoring(kc, opts));
      const file = join(testdata, `${name}.yaml`);
      if (process.env['UPDATE_GOLDEN'] === '1' || !existsSync(file)) writeFileSync(file, yaml);
      expect(yaml).toBe(readFileSync(file, 'utf8'));
    });
  }
});

describe('desiredMonitoring', () => {
  it('owns every object and labels it with the cluster', () => {
    for (const { kc, opts } of Object.values(FIXTURES)) {
      for (const o of monitoringObjectsInApplyOrder(desiredMonitoring(kc, opts))) {
        expect(o.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'KsqlCluster', name: 'ads', controller: true });
        expect(o.metadata?.labels?.['ksetl.io/cluster']).toBe('ads');
        expect(o.metadata?.namespace).toBe('team-ads');
      }
    }
  });

  it('scrapes through annotations without the Prometheus Operator, through a ServiceMonitor with it', () => {
    const without = desiredMonitoring(cluster(), withoutOperator);
    expect(without.serviceMonitor).toBeNull();
    expect(without.prometheusRule).toBeNull();
    expect(without.podTemplate.annotations).toEqual({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '8088', 'prometheus.io/path': '/metrics' });
    expect(without.notes.map((n) => n.reason)).toEqual(['PrometheusOperatorMissing']);
    const withIt = desiredMonitoring(cluster(), withOperator);
    expect(withIt.serviceMonitor?.kind).toBe('ServiceMonitor');
    // the pods keep their annotations (the Prometheus Operator ignores them): discovering it does not change the pod template
    expect(withIt.podTemplate.annotations).toEqual(without.podTemplate.annotations);
    expect(withIt.notes).toEqual([]);
    const asked = desiredMonitoring(cluster({ monitoring: { scrape: { mode: 'ServiceMonitor' } } }), withoutOperator);
    expect(asked.serviceMonitor).toBeNull();
    expect(asked.notes[0]?.message).toMatch(/ServiceMonitor but the Prometheus Operator CRDs are not installed/);
  });

  it('renders nothing for a disabled monitoring and no sidecar, but still the engine labels env', () => {
    const d = desiredMonitoring(cluster({ monitoring: { enabled: false } }), withOperator);
    expect(monitoringObjectsInApplyOrder(d)).toEqual([]);
    expect(d.podTemplate.engineEnv.map((e) => e.name)).toEqual(['KSETL_NAMESPACE', 'KSETL_CLUSTER']);
    expect(d.podTemplate.containers).toEqual([]);
  });

  it('gives each cluster its own dashboard UIDs, in the team folder, with the sidecar label', () => {
    const a = desiredMonitoring(cluster(), withoutOperator);
    const b = desiredMonitoring(cluster({}, 'ads', 'team-other'), withoutOperator);
    expect(a.dashboards.map((c) => c.metadata?.name)).toEqual(['ads-ksetl-dashboard-cluster-overview', 'ads-ksetl-dashboard-query']);
    expect(a.dashboards[0]!.metadata?.labels?.['grafana_dashboard']).toBe('1');
    expect(a.dashboards[0]!.metadata?.annotations).toEqual({ grafana_folder: 'team-ads' });
    const uids = (d: DesiredMonitoring) => d.dashboardRefs.map((r) => r.uid);
    expect(uids(a)).not.toEqual(uids(b));
    for (const u of [...uids(a), ...uids(b)]) expect(u.length).toBeLessThanOrEqual(40);
    const json = JSON.parse(Object.values(a.dashboards[0]!.data!)[0]!) as { uid: string; templating: { list: { name: string; current?: { value: string } }[] } };
    expect(json.uid).toBe(uids(a)[0]);
    expect(json.templating.list.find((v) => v.name === 'namespace')?.current?.value).toBe('team-ads');
    const withUrl = desiredMonitoring(FIXTURES['monitoring-podmonitor-elasticsearch-vector']!.kc, withOperator);
    expect(withUrl.dashboardRefs[0]!.url).toBe(`https://grafana.example.com/d/${withUrl.dashboardRefs[0]!.uid}`);
  });

  it('scopes the PrometheusRule to the cluster', () => {
    const d = desiredMonitoring(cluster(), withOperator);
    const rules = (d.prometheusRule!.spec['groups'] as { rules: { expr: string }[] }[])[0]!.rules;
    for (const r of rules) expect(r.expr).toMatch(/namespace="team-ads", (cluster|name)="ads"/);
  });

  it('ships logs with secrets only as env references, and every ${VAR} of the config is in the sidecar env', () => {
    for (const [name, { kc, opts }] of Object.entries(FIXTURES)) {
      const d = desiredMonitoring(kc, opts);
      if (!d.logShipperConfig) continue;
      const sidecar = d.podTemplate.containers[0]!;
      const env = new Set((sidecar.env ?? []).map((e) => e.name));
      for (const e of sidecar.env ?? []) expect(e.value, `${name}: ${e.name}`).toBeUndefined();
      for (const text of Object.values(d.logShipperConfig.data ?? {})) {
        for (const [, v] of text.matchAll(/\$\{(?:env:)?(\w+)\}/g)) expect(env.has(v!), `${name}: \${${v}}`).toBe(true);
      }
    }
  });

  it('sends the team as the Loki tenant (X-Scope-OrgID), and reads the processing-log topic', () => {
    const d = desiredMonitoring(FIXTURES['monitoring-servicemonitor-loki-fluent-bit']!.kc, withOperator);
    const conf = d.logShipperConfig!.data!['fluent-bit.conf']!;
    expect(conf).toMatch(/Tenant_ID\s+team-ads/);
    expect(conf).toMatch(/Topics\s+team-ads_ads_ksql_processing_log/);
    expect(conf).toMatch(/Uri\s+\/loki\/api\/v1\/push/);
    const v = desiredMonitoring(
      cluster({ logging: { sidecar: { type: 'vector', loki: { url: 'https://logs.example.com/tenant-gw', tenant: 'ads-team' } } } }),
      withoutOperator,
    );
    const vector = parse(v.logShipperConfig!.data!['vector.yaml']!) as { sinks: { loki: { tenant_id: string; endpoint: string } }; sources: Record<string, unknown> };
    expect(vector.sinks.loki).toMatchObject({ tenant_id: 'ads-team', endpoint: 'https://logs.example.com/tenant-gw' });
    expect(Object.keys(vector.sources)).toEqual(['engine_log', 'processing_log']);
  });

  it('says when Fluent Bit cannot use an Elasticsearch API key', () => {
    const d = desiredMonitoring(
      cluster({ logging: { sidecar: { type: 'fluent-bit', elasticsearch: { url: 'http://es:9200', secretRef: { name: 'es' }, apiKeyKey: 'k' } } } }),
      withoutOperator,
    );
    expect(d.notes.map((n) => n.reason)).toContain('ApiKeyNeedsVector');
  });

  it('otel: ships the engine log and the processing log to Loki over OTLP, the team as tenant, the credential from the Secret', () => {
    const d = desiredMonitoring(FIXTURES['monitoring-otel-loki']!.kc, withoutOperator);
    const conf = parse(d.logShipperConfig!.data!['otelcol.yaml']!) as OtelConfig;
    expect(conf.exporters['otlp_http/loki']).toMatchObject({
      endpoint: 'http://loki-gateway.logging.svc/otlp',
      headers: { 'X-Scope-OrgID': 'team-ads', Authorization: '${env:KSETL_LOG_SINK_AUTHORIZATION}' },
    });
    expect(conf.receivers['kafka/processing_log']).toMatchObject({
      brokers: ['kafka-0.kafka:9093', 'kafka-1.kafka:9093'],
      group_id: 'team-ads_ads_log_shipper',
      logs: { topics: ['team-ads_ads_ksql_processing_log'], encoding: 'text' },
      auth: { sasl: { mechanism: 'SCRAM-SHA-512', username: '${env:KSETL_KAFKA_USERNAME}', password: '${env:KSETL_KAFKA_PASSWORD}' } },
      tls: { ca_file: '/etc/ksetl/kafka-tls/ca.crt' },
    });
    expect(Object.keys(conf.service.pipelines)).toEqual(['logs/engine', 'logs/processing_log']);
    const sidecar = d.podTemplate.containers[0]!;
    expect(sidecar.image).toBe('otel/opentelemetry-collector-contrib:0.165.0');
    expect(sidecar.args).toEqual(['--config', '/etc/ksetl-log-shipper/otelcol.yaml']);
    expect(sidecar.env).toContainEqual({ name: 'KSETL_LOG_SINK_AUTHORIZATION', valueFrom: { secretKeyRef: { name: 'ads-loki', key: 'authorization' } } });
    expect(sidecar.volumeMounts?.map((m) => m.name)).toContain('kafka-tls');
  });

  it('otel: a Kafka topic as the sink, on the cluster\'s Kafka; never its own processing-log topic read back', () => {
    const d = desiredMonitoring(FIXTURES['monitoring-otel-kafka']!.kc, withoutOperator);
    const conf = parse(d.logShipperConfig!.data!['otelcol.yaml']!) as OtelConfig;
    expect(conf.exporters['kafka']).toEqual({ brokers: ['kafka.kafka.svc:9092'], logs: { topic: 'ads-logs', encoding: 'otlp_json' } });
    const loop = desiredMonitoring(
      cluster({ logging: { sidecar: { type: 'otel', kafka: { topic: 'team-ads_ads_ksql_processing_log' } } } }),
      withoutOperator,
    );
    expect(loop.notes.map((n) => n.reason)).toContain('LogSinkIsProcessingLog');
    const looped = parse(loop.logShipperConfig!.data!['otelcol.yaml']!) as OtelConfig;
    expect(Object.keys(looped.service.pipelines)).toEqual(['logs/engine']);
  });

  it('otel: Elasticsearch with an API key or basic auth, from the Secret', () => {
    const es = (auth: { apiKeyKey?: string }) =>
      parse(
        desiredMonitoring(
          cluster({ logging: { kafkaTopic: { enabled: false }, sidecar: { type: 'otel', elasticsearch: { url: 'https://es:9200/', secretRef: { name: 'es' }, ...auth } } } }),
          withoutOperator,
        ).logShipperConfig!.data!['otelcol.yaml']!,
      ) as OtelConfig;
    expect(es({ apiKeyKey: 'k' }).exporters['elasticsearch']).toEqual({ endpoints: ['https://es:9200'], logs_index: 'ksetl-team-ads-ads', api_key: '${env:KSETL_LOG_SINK_API_KEY}' });
    const basic = es({});
    expect(basic.exporters['elasticsearch']).toMatchObject({ user: '${env:KSETL_LOG_SINK_USERNAME}', password: '${env:KSETL_LOG_SINK_PASSWORD}' });
    expect(basic.receivers['kafka/processing_log']).toBeUndefined();
  });

  it('refuses a kafka sink on another shipper, and two sinks', () => {
    const bad = (sidecar: Record<string, unknown>) =>
      parseKsqlCluster({ apiVersion: 'ksetl.io/v1alpha1', kind: 'KsqlCluster', metadata: { name: 'a', namespace: 'n' }, spec: { kafka: { bootstrapServers: ['k:9092'] }, logging: { sidecar } } });
    expect(bad({ type: 'vector', kafka: { topic: 't' } }).ok).toBe(false);
    expect(bad({ type: 'otel', kafka: { topic: 't' }, loki: { url: 'http://loki' } }).ok).toBe(false);
    expect(bad({ type: 'otel', kafka: { topic: 't' } }).ok).toBe(true);
  });
});

interface OtelConfig {
  receivers: Record<string, unknown>;
  exporters: Record<string, unknown>;
  service: { pipelines: Record<string, unknown> };
}
