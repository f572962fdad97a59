import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { commandTopic, queryApplicationId } from 'ksetl/engine';
import { parseKsqlCluster, type KsqlCluster, type KsqlClusterInput } from '../../api/index.js';
import { internalTopicPrefix, serviceId } from '../../names.js';
import { clusterObjectsInApplyOrder, engineConfig, renderCluster, renderProperties, type RenderOptions } from './desired.js';

const testdata = join(dirname(fileURLToPath(import.meta.url)), 'testdata');
const opts: RenderOptions = { defaultImage: 'ghcr.io/ksetl/ksetl:0.1.0', prometheusOperator: false };

function cluster(spec: Partial<KsqlClusterInput['spec']> = {}, name = 'ads'): KsqlCluster {
  const r = parseKsqlCluster({
    apiVersion: 'ksetl.io/v1alpha1',
    kind: 'KsqlCluster',
    metadata: { name, namespace: 'team-ads', uid: '6f1c1d2e-0000-4000-8000-000000000001', generation: 1 },
    spec: { kafka: { bootstrapServers: ['kafka.kafka.svc:9092'] }, ...spec },
  });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.value;
}

const FIXTURES: Record<string, KsqlCluster> = {
  minimal: cluster(),
  full: cluster({
    replicas: 3,
    image: 'registry.example.com/ksetl:1.2.3',
    imagePullPolicy: 'IfNotPresent',
    resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: '2Gi' } },
    kafka: {
      bootstrapServers: ['kafka-0.kafka:9093', 'kafka-1.kafka:9093'],
      sasl: { mechanism: 'SCRAM-SHA-512', secretRef: { name: 'ads-kafka' }, usernameKey: 'user' },
      tls: { secretRef: { name: 'ads-kafka-tls' }, caKey: 'ca.crt', certKey: 'tls.crt', keyKey: 'tls.key' },
    },
    serviceId: 'ads_',
    processingGuarantee: 'exactly_once_v2',
    storage: { size: '20Gi', storageClassName: 'fast-ssd' },
    config: { 'ksql.sink.partitions': '4', 'ksql.streams.auto.offset.reset': 'earliest' },
    podTemplate: {
      metadata: { labels: { team: 'ads' }, annotations: { 'cost-center': '42' } },
      spec: {
        nodeSelector: { pool: 'streaming' },
        tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'streaming', effect: 'NoSchedule' }],
        containers: [{ name: 'engine', env: [{ name: 'NODE_OPTIONS', value: '--max-old-space-size=1536' }] }],
      },
    },
    monitoring: { scrape: { mode: 'Annotations' } },
    logging: { kafkaTopic: { enabled: true, topic: 'ads-processing-log' } },
  }),
  'log-shipper': cluster({
    kafka: { bootstrapServers: ['kafka.kafka.svc:9092'], sasl: { mechanism: 'SCRAM-SHA-512', secretRef: { name: 'ads-kafka' } } },
    logging: { sidecar: { type: 'fluent-bit', loki: { url: 'http://loki-gateway.logging.svc', secretRef: { name: 'ads-loki' } } } },
  }),
};

describe('renderCluster (golden)', () => {
  for (const [name, kc] of Object.entries(FIXTURES)) {
    it(name, () => {
      const yaml = clusterObjectsInApplyOrder(renderCluster(kc, opts))
        .map((o) => stringify(o, { lineWidth: 0, aliasDuplicateObjects: false }))
        .join('---\n');
      const file = join(testdata, `${name}.yaml`);
      if (process.env['UPDATE_GOLDEN'] === '1' || !existsSync(file)) writeFileSync(file, yaml);
      expect(yaml).toBe(readFileSync(file, 'utf8'));
    });
  }
});

describe('renderCluster', () => {
  const hashOf = (kc: KsqlCluster) => renderCluster(kc, opts).statefulSet.spec?.template.metadata?.annotations?.['ksetl.io/config-hash'];

  it('rolls the pods when the engine configuration changes, not on a scale', () => {
    const base = hashOf(cluster());
    expect(hashOf(cluster({ replicas: 5 }))).toBe(base);
    expect(hashOf(cluster({ config: { 'ksql.sink.partitions': '2' } }))).not.toBe(base);
    expect(hashOf(cluster({ processingGuarantee: 'exactly_once_v2' }))).not.toBe(base);
  });

  it('rolls the pods when the log shipper\'s configuration changes (shippers read it at start)', () => {
    const loki = (url: string) => cluster({ logging: { sidecar: { loki: { url } } } });
    expect(hashOf(loki('http://loki-a'))).not.toBe(hashOf(loki('http://loki-b')));
    expect(hashOf(loki('http://loki-a'))).not.toBe(hashOf(cluster()));
  });

  it('runs the log shipper beside the engine, its ConfigMap applied before the StatefulSet, the engine writing the file it tails', () => {
    const d = renderCluster(FIXTURES['log-shipper']!, opts);
    const order = clusterObjectsInApplyOrder(d).map((o) => `${o.kind}/${o.metadata?.name}`);
    expect(order.indexOf('ConfigMap/ads-ksetl-log-shipper')).toBeGreaterThanOrEqual(0);
    expect(order.indexOf('ConfigMap/ads-ksetl-log-shipper')).toBeLessThan(order.indexOf('StatefulSet/ads-ksetl'));
    const pod = d.statefulSet.spec!.template.spec!;
    expect(pod.containers.map((c) => c.name)).toEqual(['engine', 'log-shipper']);
    const engine = pod.containers[0]!;
    expect(engine.env?.find((e) => e.name === 'KSETL_LOG_FILE')?.value).toBe('/var/log/ksetl/engine.log');
    expect(engine.volumeMounts?.find((m) => m.name === 'engine-logs')?.mountPath).toBe('/var/log/ksetl');
    expect(pod.volumes?.map((v) => v.name)).toEqual(expect.arrayContaining(['engine-logs', 'log-shipper-state', 'log-shipper-config']));
  });

  it('owns every object and labels it with the cluster', () => {
    for (const o of clusterObjectsInApplyOrder(renderCluster(cluster(), opts))) {
      expect(o.metadata?.ownerReferences).toEqual([
        { apiVersion: 'ksetl.io/v1alpha1', kind: 'KsqlCluster', name: 'ads', uid: '6f1c1d2e-0000-4000-8000-000000000001', controller: true, blockOwnerDeletion: true },
      ]);
      expect(o.metadata?.labels?.['ksetl.io/cluster']).toBe('ads');
      expect(o.metadata?.namespace).toBe('team-ads');
    }
  });

  it('keeps secrets out of the ConfigMap', () => {
    const data = renderCluster(FIXTURES['full']!, opts).configMap.data?.['server.properties'] ?? '';
    expect(data).toContain('sasl.password=${env:KSETL_KAFKA_PASSWORD}');
    expect(data).toContain('security.protocol=SASL_SSL');
  });

  it('renders the same pod template whether or not the Prometheus Operator is installed (mode Auto): installing it rolls no pod', () => {
    const template = (o: RenderOptions) => renderCluster(cluster(), o).statefulSet.spec?.template;
    expect(template(opts)?.metadata?.annotations?.['prometheus.io/scrape']).toBe('true');
    expect(template({ ...opts, prometheusOperator: true })).toEqual(template(opts));
    // one owner of the scrape annotations: the monitoring render
    const d = renderCluster(cluster(), opts);
    expect(d.statefulSet.spec?.template.metadata?.annotations).toMatchObject(d.monitoring.podTemplate.annotations);
  });

  it('gives the engine the namespace and cluster its metrics and log lines carry', () => {
    const env = renderCluster(cluster(), opts).statefulSet.spec!.template.spec!.containers[0]!.env ?? [];
    expect(env.find((e) => e.name === 'KSETL_CLUSTER')?.value).toBe('ads');
    expect(env.find((e) => e.name === 'KSETL_NAMESPACE')?.valueFrom?.fieldRef?.fieldPath).toBe('metadata.namespace');
  });

  it('keeps the selector labels when pod template overrides try to change them', () => {
    const kc = cluster({ podTemplate: { metadata: { labels: { 'app.kubernetes.io/instance': 'other' } } } });
    const sts = renderCluster(kc, opts).statefulSet;
    expect(sts.spec?.template.metadata?.labels?.['app.kubernetes.io/instance']).toBe('ads');
  });

  it('refuses config keys outside the allow-list, naming them, and ${...} references in values', () => {
    const withConfig = (config: Record<string, string>) => parseKsqlCluster({ ...FIXTURES['minimal'], spec: { ...FIXTURES['minimal']!.spec, config } });
    for (const [config, named] of [
      [{ 'bootstrap.servers': 'x:1' }, 'bootstrap.servers'],
      [{ 'ksql.leak': '1' }, 'ksql.leak'],
      [{ 'ksql.streams.sasl.jaas.config': 'x' }, 'ksql.streams.sasl.jaas.config'],
      [{ 'ksql.schema.registry.url': 'http://elsewhere' }, 'ksql.schema.registry.url'],
      [{ 'ksetl.basic.auth.password': 'x' }, 'ksetl.basic.auth.password'],
      [{ 'ksql.output.topic.name.prefix': '${env:KSETL_KAFKA_PASSWORD}' }, 'ksql.output.topic.name.prefix'],
      [{ 'ksql.output.topic.name.prefix': 'a${file:/etc/hostname}' }, 'ksql.output.topic.name.prefix'],
    ] as const) {
      const r = withConfig(config);
      expect(r.ok, JSON.stringify(config)).toBe(false);
      if (!r.ok) {
        expect(r.errors[0]?.path).toBe('spec.config');
        expect(r.errors.map((e) => e.message).join('\n')).toContain(named);
      }
    }
    expect(withConfig({ 'ksql.streams.auto.offset.reset': 'earliest', 'ksetl.log.level': 'debug' }).ok).toBe(true);
  });

  it('escapes .properties keys and values', () => {
    expect(renderProperties([['a key=', ' v\\1\nx']], 'h')).toBe('# h\na\\ key\\==\\ v\\\\1\\nx\n');
  });

  it('sets the stream threads from the CPU request (max(1, floor(cores))) unless the team set them', () => {
    const threads = (kc: KsqlCluster) => engineConfig(kc).filter(([k]) => k === 'ksql.streams.num.stream.threads').map(([, v]) => v);
    expect(threads(cluster())).toEqual([]);
    for (const [cpu, n] of [['500m', '1'], ['1', '1'], ['2', '2'], [2.5, '2'], ['3999m', '3'], ['0', '1'], ['1e1', '10']] as const) {
      expect(threads(cluster({ resources: { requests: { cpu } } })), String(cpu)).toEqual([n]);
    }
    expect(threads(cluster({ resources: { requests: { cpu: '4' } }, config: { 'ksql.streams.num.stream.threads': '1' } }))).toEqual(['1']);
  });

  it('orders managed keys first, then overrides sorted', () => {
    const keys = engineConfig(FIXTURES['full']!).map(([k]) => k);
    expect(keys.slice(0, 2)).toEqual(['bootstrap.servers', 'ksql.service.id']);
    expect(keys.slice(-2)).toEqual(['ksql.sink.partitions', 'ksql.streams.auto.offset.reset']);
  });
});

describe('names', () => {
  it('derive a per-namespace service id and the prefix the engine puts on internal topics', () => {
    const id = serviceId(cluster());
    expect(id).toBe('team-ads_ads_');
    expect(queryApplicationId(id, 'CTAS_X_1').startsWith(internalTopicPrefix(id))).toBe(true);
    expect(commandTopic(id).startsWith(internalTopicPrefix(id))).toBe(true);
  });
});
