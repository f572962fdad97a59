/**
 * The monitoring and log-shipping objects of a KsqlCluster (`spec.monitoring`,
 * `spec.logging`): pure functions from the parsed resource to
 *
 * - a ServiceMonitor or PodMonitor (Prometheus Operator), else scrape
 *   annotations on the pod template;
 * - one ConfigMap per dashboard for the Grafana dashboard sidecar (its label,
 *   a folder annotation named after the team), with per-cluster UIDs;
 * - a PrometheusRule holding the engine alerts scoped to this cluster;
 * - a log-shipper sidecar (Fluent Bit or Vector) and its configuration, for
 *   Loki (tenant `X-Scope-OrgID` from the team) or Elasticsearch, secrets
 *   only as environment variables from Secret references;
 * - what the engine pod template needs for all that (env, volumes, sidecar).
 *
 * No I/O. desired.ts merges the pod-template additions into the engine
 * StatefulSet (this module is the one owner of the scrape annotations);
 * provision.ts applies the objects (owned by the KsqlCluster, so they are
 * garbage-collected with it) and prunes those the spec dropped.
 */
import { createHash } from 'node:crypto';
import type { V1ConfigMap, V1Container, V1EnvVar, V1ObjectMeta, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { engineAlerts, ruleGroups } from '../../../dashboards/alerts.js';
import { DASHBOARDS, dashboardJson } from '../../../dashboards/index.js';
import { assertNever, processingLogTopic } from 'ksetl/engine';
import type { KsqlCluster } from '../../api/ksql-cluster.js';
import { RESOURCE, type ResourceType } from '../../kube/resources.js';
import { Logging } from '../../api/logging.js';
import { Monitoring } from '../../api/monitoring.js';
import { ENGINE_PORT, ENGINE_PORT_NAME, clusterLabels, clusterObjectNames, engineSelector, ownerReference, serviceId } from '../../names.js';
import { ENV_KAFKA_PASSWORD, ENV_KAFKA_USERNAME, KAFKA_TLS_DIR, METRICS_PATH } from './engine-pod.js';

export const MONITORING_GROUP = 'monitoring.coreos.com';
export const MONITORING_API_VERSION = `${MONITORING_GROUP}/v1`;

/** The Prometheus Operator's resource types (present only when its CRDs are installed). */
export const MONITORING_RESOURCE = {
  ServiceMonitor: RESOURCE.ServiceMonitor,
  PodMonitor: RESOURCE.PodMonitor,
  PrometheusRule: RESOURCE.PrometheusRule,
} as const satisfies Record<string, ResourceType>;

/**
 * On every object this module renders: what the reconciler lists to find
 * the monitoring objects a spec no longer asks for (the engine's own
 * ConfigMap does not carry it).
 */
export const MONITORING_LABEL = 'ksetl.io/monitoring';

/** The engine reads these (engine/server/metrics.ts, logger.ts): constant labels of every metric and log line. */
export const ENV_NAMESPACE = 'KSETL_NAMESPACE';
export const ENV_CLUSTER = 'KSETL_CLUSTER';
/** Where the engine also writes its JSON log lines when a log-shipper sidecar reads them. */
export const ENV_LOG_FILE = 'KSETL_LOG_FILE';

export const LOG_DIR = '/var/log/ksetl';
export const LOG_FILE = `${LOG_DIR}/engine.log`;
export const SHIPPER_CONTAINER = 'log-shipper';
export const SHIPPER_CONFIG_DIR = '/etc/ksetl-log-shipper';
export const SHIPPER_STATE_DIR = '/var/lib/ksetl-log-shipper';
export const SHIPPER_METRICS_PORT = 2020;
export const FOLDER_ANNOTATION = 'grafana_folder';

export const DEFAULT_SHIPPER_IMAGES = {
  'fluent-bit': 'cr.fluentbit.io/fluent/fluent-bit:3.2.10',
  vector: 'timberio/vector:0.46.1-distroless-libc',
  // the contrib distribution: the test build (test/infra/otelcol) has the same
  // components at this release but the Elasticsearch exporter
  otel: 'otel/opentelemetry-collector-contrib:0.165.0',
} as const;

/** The otel shipper's configuration file in its ConfigMap. */
export const OTELCOL_CONFIG_FILE = 'otelcol.yaml';
/** The pod's IP (downward API): where the collector serves its own metrics. */
export const ENV_SHIPPER_POD_IP = 'KSETL_POD_IP';

const ENV_SINK_USERNAME = 'KSETL_LOG_SINK_USERNAME';
const ENV_SINK_PASSWORD = 'KSETL_LOG_SINK_PASSWORD';
const ENV_SINK_API_KEY = 'KSETL_LOG_SINK_API_KEY';
const ENV_SINK_AUTHORIZATION = 'KSETL_LOG_SINK_AUTHORIZATION';

/** What the render needs beyond the resource. */
export interface MonitoringOptions {
  /** whether the Prometheus Operator CRDs (monitoring.coreos.com ServiceMonitor, PodMonitor, PrometheusRule) exist */
  readonly prometheusOperator: boolean;
  /** sidecar images when spec.logging.sidecar.image is unset */
  readonly shipperImages?: Partial<Record<keyof typeof DEFAULT_SHIPPER_IMAGES, string>>;
}

/** A Prometheus Operator object (no typed client for these CRDs). */
export interface MonitoringObject {
  readonly apiVersion: typeof MONITORING_API_VERSION;
  readonly kind: keyof typeof MONITORING_RESOURCE;
  readonly metadata: V1ObjectMeta;
  readonly spec: Record<string, unknown>;
}

/** Something the spec asks for that cannot be rendered as asked; the controller reports it in a condition. */
export interface MonitoringNote {
  /** PascalCase, for a condition reason */
  readonly reason: 'PrometheusOperatorMissing' | 'ApiKeyNeedsVector' | 'LogSinkIsProcessingLog';
  readonly message: string;
}

/** What the engine pod template gets: merged by the controller into the StatefulSet's template. */
export interface PodTemplateAdditions {
  readonly annotations: Record<string, string>;
  /** appended to the engine container's env */
  readonly engineEnv: V1EnvVar[];
  readonly engineVolumeMounts: V1VolumeMount[];
  /** sidecars, appended to the pod's containers */
  readonly containers: V1Container[];
  readonly volumes: V1Volume[];
}

export interface DashboardStatusRef {
  readonly name: string;
  readonly uid: string;
  readonly url?: string;
}

export interface DesiredMonitoring {
  readonly serviceMonitor: MonitoringObject | null;
  readonly podMonitor: MonitoringObject | null;
  readonly prometheusRule: MonitoringObject | null;
  readonly dashboards: V1ConfigMap[];
  readonly logShipperConfig: V1ConfigMap | null;
  readonly podTemplate: PodTemplateAdditions;
  /** for status.dashboards */
  readonly dashboardRefs: DashboardStatusRef[];
  readonly notes: MonitoringNote[];
}

/** Object names of a cluster's monitoring parts (beside names.ts' clusterObjectNames). */
export function monitoringObjectNames(clusterName: string) {
  const base = clusterObjectNames(clusterName).statefulSet;
  return {
    serviceMonitor: base,
    podMonitor: base,
    prometheusRule: base,
    dashboard: (dashboardName: string) => `${base}-dashboard-${dashboardName}`,
    logShipperConfig: `${base}-log-shipper`,
  } as const;
}

/** The per-cluster dashboard UID suffix: 8 hex characters of the namespace/name (UIDs are global in a Grafana). */
export function dashboardUidSuffix(kc: KsqlCluster): string {
  return createHash('sha256')
    .update(`${kc.metadata.namespace ?? 'default'}/${kc.metadata.name}`)
    .digest('hex')
    .slice(0, 8);
}

function meta(kc: KsqlCluster, name: string, extra: { labels?: Record<string, string>; annotations?: Record<string, string> } = {}): V1ObjectMeta {
  return {
    name,
    namespace: kc.metadata.namespace,
    labels: { ...(extra.labels ?? {}), ...clusterLabels(kc.metadata.name), [MONITORING_LABEL]: 'true' },
    ...(extra.annotations ? { annotations: extra.annotations } : {}),
    ownerReferences: [ownerReference(kc)],
  };
}

const namespaceOf = (kc: KsqlCluster): string => kc.metadata.namespace ?? 'default';

// ---- scraping ------------------------------------------------------------

type ScrapeKind = 'ServiceMonitor' | 'PodMonitor' | 'Annotations' | 'None';

function scrapeKind(m: Monitoring, opts: MonitoringOptions, notes: MonitoringNote[]): ScrapeKind {
  if (!m.enabled) return 'None';
  switch (m.scrape.mode) {
    case 'Auto':
      return opts.prometheusOperator ? 'ServiceMonitor' : 'Annotations';
    case 'Annotations':
      return 'Annotations';
    case 'ServiceMonitor':
    case 'PodMonitor':
      if (opts.prometheusOperator) return m.scrape.mode;
      notes.push({
        reason: 'PrometheusOperatorMissing',
        message: `spec.monitoring.scrape.mode is ${m.scrape.mode} but the Prometheus Operator CRDs are not installed; using scrape annotations`,
      });
      return 'Annotations';
  }
}

/**
 * A ServiceMonitor on the headless Service (it lists pods that are not ready
 * too, so a starting engine's ksetl_process_ready 0 is seen); the client
 * Service carries the same labels and is dropped by a relabeling.
 * `honorLabels`: the engine's own namespace/cluster labels win.
 */
export function renderServiceMonitor(kc: KsqlCluster, m: Monitoring): MonitoringObject {
  const { name } = kc.metadata;
  return {
    apiVersion: MONITORING_API_VERSION,
    kind: 'ServiceMonitor',
    metadata: meta(kc, monitoringObjectNames(name).serviceMonitor, { labels: m.scrape.labels }),
    spec: {
      selector: { matchLabels: engineSelector(name) },
      namespaceSelector: { matchNames: [namespaceOf(kc)] },
      endpoints: [
        {
          port: ENGINE_PORT_NAME,
          path: METRICS_PATH,
          interval: m.scrape.interval,
          honorLabels: true,
          relabelings: [{ sourceLabels: ['__meta_kubernetes_service_name'], regex: clusterObjectNames(name).headlessService, action: 'keep' }],
        },
      ],
    },
  };
}

export function renderPodMonitor(kc: KsqlCluster, m: Monitoring): MonitoringObject {
  const { name } = kc.metadata;
  return {
    apiVersion: MONITORING_API_VERSION,
    kind: 'PodMonitor',
    metadata: meta(kc, monitoringObjectNames(name).podMonitor, { labels: m.scrape.labels }),
    spec: {
      selector: { matchLabels: engineSelector(name) },
      namespaceSelector: { matchNames: [namespaceOf(kc)] },
      podMetricsEndpoints: [{ port: ENGINE_PORT_NAME, path: METRICS_PATH, interval: m.scrape.interval, honorLabels: true }],
    },
  };
}

export function scrapeAnnotations(): Record<string, string> {
  return { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(ENGINE_PORT), 'prometheus.io/path': METRICS_PATH };
}

// ---- alerts and dashboards ----------------------------------------------

/** The engine alerts, every selector scoped to this cluster's namespace and cluster labels. */
export function renderPrometheusRule(kc: KsqlCluster, m: Monitoring): MonitoringObject {
  const scope = { namespace: namespaceOf(kc), cluster: kc.metadata.name };
  return {
    apiVersion: MONITORING_API_VERSION,
    kind: 'PrometheusRule',
    metadata: meta(kc, monitoringObjectNames(kc.metadata.name).prometheusRule, { labels: m.prometheusRule.labels }),
    spec: ruleGroups([engineAlerts(scope, m.prometheusRule.stalledAfter ? { stalledAfter: m.prometheusRule.stalledAfter } : {})]),
  };
}

/** One ConfigMap per per-cluster dashboard, labelled for the Grafana sidecar, in the team's folder. */
export function renderDashboards(kc: KsqlCluster, m: Monitoring): { configMaps: V1ConfigMap[]; refs: DashboardStatusRef[] } {
  const g = m.grafanaDashboards;
  const ns = namespaceOf(kc);
  const suffix = dashboardUidSuffix(kc);
  const configMaps: V1ConfigMap[] = [];
  const refs: DashboardStatusRef[] = [];
  for (const d of DASHBOARDS.filter((x) => x.perCluster)) {
    const built = d.build({ uidSuffix: suffix, titleSuffix: ` (${ns}/${kc.metadata.name})`, defaults: { namespace: ns, cluster: kc.metadata.name } });
    const uid = built.uid ?? '';
    configMaps.push({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: meta(kc, monitoringObjectNames(kc.metadata.name).dashboard(d.name), {
        labels: { [g.label]: g.labelValue },
        annotations: { [FOLDER_ANNOTATION]: g.folder ?? ns },
      }),
      data: { [`${uid}.json`]: dashboardJson(built) },
    });
    refs.push({ name: d.name, uid, ...(g.grafanaUrl ? { url: `${g.grafanaUrl.replace(/\/+$/, '')}/d/${uid}` } : {}) });
  }
  return { configMaps, refs };
}

// ---- log shipping --------------------------------------------------------

type Sidecar = NonNullable<Logging['sidecar']>;

interface ShipperContext {
  readonly kc: KsqlCluster;
  readonly sidecar: Sidecar;
  readonly namespace: string;
  readonly cluster: string;
  /** the processing-log topic, when the cluster writes one */
  readonly processingLogTopic: string | null;
}

function processingLogTopicOf(kc: KsqlCluster, logging: Logging): string | null {
  if (!logging.kafkaTopic.enabled) return null;
  return logging.kafkaTopic.topic ?? processingLogTopic(serviceId(kc));
}

function kafkaSecurity(kc: KsqlCluster): { protocol: string; mechanism?: string; ca?: string; cert?: string; key?: string } {
  const { sasl, tls } = kc.spec.kafka;
  const protocol = sasl ? (tls ? 'SASL_SSL' : 'SASL_PLAINTEXT') : tls ? 'SSL' : 'PLAINTEXT';
  return {
    protocol,
    ...(sasl ? { mechanism: sasl.mechanism } : {}),
    ...(tls?.caKey ? { ca: `${KAFKA_TLS_DIR}/${tls.caKey}` } : {}),
    ...(tls?.certKey && tls.keyKey ? { cert: `${KAFKA_TLS_DIR}/${tls.certKey}`, key: `${KAFKA_TLS_DIR}/${tls.keyKey}` } : {}),
  };
}

/** The consumer group the sidecar reads the processing log with. */
export function shipperGroupId(kc: KsqlCluster): string {
  return `${serviceId(kc)}log_shipper`;
}

interface UrlParts {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  /** path prefix without a trailing slash ('' for none) */
  readonly path: string;
}

function urlParts(url: string): UrlParts {
  const u = new URL(url);
  const tls = u.protocol === 'https:';
  return { host: u.hostname, port: u.port ? Number(u.port) : tls ? 443 : 80, tls, path: u.pathname.replace(/\/+$/, '') };
}

function esIndex(c: ShipperContext): string {
  return c.sidecar.elasticsearch?.index ?? `ksetl-${c.namespace}-${c.cluster}`;
}

const lokiTenant = (c: ShipperContext): string => c.sidecar.loki?.tenant ?? c.namespace;

/** Fluent Bit: classic configuration (fluent-bit.conf + parsers.conf). */
export function fluentBitConfig(c: ShipperContext): Record<string, string> {
  const section = (name: string, entries: readonly (readonly [string, string | number | undefined])[]): string =>
    [`[${name}]`, ...entries.filter(([, v]) => v !== undefined).map(([k, v]) => `    ${k.padEnd(24)} ${v}`), ''].join('\n');
  const parts: string[] = [
    `# rendered by ksetl-operator for KsqlCluster ${c.namespace}/${c.cluster}; edits are overwritten`,
    section('SERVICE', [
      ['Flush', 1],
      ['Log_Level', 'info'],
      ['Parsers_File', `${SHIPPER_CONFIG_DIR}/parsers.conf`],
      ['HTTP_Server', 'On'],
      ['HTTP_Listen', '0.0.0.0'],
      ['HTTP_Port', SHIPPER_METRICS_PORT],
      ['storage.path', `${SHIPPER_STATE_DIR}/buffer`],
    ]),
    section('INPUT', [
      ['Name', 'tail'],
      ['Tag', 'engine'],
      ['Path', LOG_FILE],
      ['Parser', 'ksetl_json'],
      ['DB', `${SHIPPER_STATE_DIR}/tail.db`],
      ['Read_from_Head', 'true'],
      ['Refresh_Interval', 1],
      ['storage.type', 'filesystem'],
    ]),
    section('FILTER', [
      ['Name', 'record_modifier'],
      ['Match', 'engine'],
      ['Record', 'log_type engine'],
    ]),
  ];
  if (c.processingLogTopic) {
    const sec = kafkaSecurity(c.kc);
    parts.push(
      section('INPUT', [
        ['Name', 'kafka'],
        ['Tag', 'processing_log'],
        ['Brokers', c.kc.spec.kafka.bootstrapServers.join(',')],
        ['Topics', c.processingLogTopic],
        ['Group_Id', shipperGroupId(c.kc)],
        ['Format', 'json'],
        ['rdkafka.security.protocol', sec.protocol.toLowerCase()],
        ['rdkafka.sasl.mechanism', sec.mechanism],
        ['rdkafka.sasl.username', sec.mechanism ? `\${${ENV_KAFKA_USERNAME}}` : undefined],
        ['rdkafka.sasl.password', sec.mechanism ? `\${${ENV_KAFKA_PASSWORD}}` : undefined],
        ['rdkafka.ssl.ca.location', sec.ca],
        ['rdkafka.ssl.certificate.location', sec.cert],
        ['rdkafka.ssl.key.location', sec.key],
      ]),
      section('FILTER', [
        ['Name', 'record_modifier'],
        ['Match', 'processing_log'],
        ['Record', `namespace ${c.namespace}`],
        ['Record', `cluster ${c.cluster}`],
        ['Record', 'log_type processing_log'],
      ]),
    );
  }
  const loki = c.sidecar.loki;
  const es = c.sidecar.elasticsearch;
  if (loki) {
    const u = urlParts(loki.url);
    parts.push(
      section('OUTPUT', [
        ['Name', 'loki'],
        ['Match', '*'],
        ['Host', u.host],
        ['Port', u.port],
        ['tls', u.tls ? 'On' : 'Off'],
        ['Uri', `${u.path}/loki/api/v1/push`],
        // sent as the X-Scope-OrgID header
        ['Tenant_ID', lokiTenant(c)],
        ['Labels', `job=ksetl, namespace=${c.namespace}, cluster=${c.cluster}, log_type=$log_type`],
        ['Label_Keys', '$query_id'],
        ['Line_Format', 'json'],
        ['HTTP_User', loki.secretRef ? `\${${ENV_SINK_USERNAME}}` : undefined],
        ['HTTP_Passwd', loki.secretRef ? `\${${ENV_SINK_PASSWORD}}` : undefined],
      ]),
    );
  } else if (es) {
    const u = urlParts(es.url);
    parts.push(
      section('OUTPUT', [
        ['Name', 'es'],
        ['Match', '*'],
        ['Host', u.host],
        ['Port', u.port],
        ['tls', u.tls ? 'On' : 'Off'],
        ['Path', u.path || undefined],
        ['Index', esIndex(c)],
        ['Suppress_Type_Name', 'On'],
        ['Replace_Dots', 'On'],
        ['HTTP_User', es.secretRef ? `\${${ENV_SINK_USERNAME}}` : undefined],
        ['HTTP_Passwd', es.secretRef ? `\${${ENV_SINK_PASSWORD}}` : undefined],
      ]),
    );
  }
  const parsers = [
    `# rendered by ksetl-operator for KsqlCluster ${c.namespace}/${c.cluster}`,
    section('PARSER', [
      ['Name', 'ksetl_json'],
      ['Format', 'json'],
      ['Time_Key', 'time'],
      ['Time_Format', '%Y-%m-%dT%H:%M:%S.%L%z'],
      ['Time_Keep', 'On'],
    ]),
  ];
  return { 'fluent-bit.conf': parts.join('\n'), 'parsers.conf': parsers.join('\n') };
}

/** Vector: one vector.yaml. */
export function vectorConfig(c: ShipperContext): Record<string, string> {
  const sources: Record<string, unknown> = {
    engine_log: { type: 'file', include: [LOG_FILE], read_from: 'beginning' },
  };
  const transforms: Record<string, unknown> = {
    engine: {
      type: 'remap',
      inputs: ['engine_log'],
      source: ['parsed, err = parse_json(.message)', 'if err == null && is_object(parsed) { . = merge!(., parsed) }', '.log_type = "engine"', 'del(.file)', ''].join('\n'),
    },
  };
  const inputs = ['engine'];
  if (c.processingLogTopic) {
    const sec = kafkaSecurity(c.kc);
    sources['processing_log'] = {
      type: 'kafka',
      bootstrap_servers: c.kc.spec.kafka.bootstrapServers.join(','),
      group_id: shipperGroupId(c.kc),
      topics: [c.processingLogTopic],
      decoding: { codec: 'json' },
      ...(sec.mechanism
        ? { sasl: { enabled: true, mechanism: sec.mechanism, username: `\${${ENV_KAFKA_USERNAME}}`, password: `\${${ENV_KAFKA_PASSWORD}}` } }
        : {}),
      ...(sec.protocol.endsWith('SSL')
        ? { tls: { enabled: true, ...(sec.ca ? { ca_file: sec.ca } : {}), ...(sec.cert ? { crt_file: sec.cert, key_file: sec.key } : {}) } }
        : {}),
    };
    transforms['processing'] = {
      type: 'remap',
      inputs: ['processing_log'],
      source: [`.namespace = ${JSON.stringify(c.namespace)}`, `.cluster = ${JSON.stringify(c.cluster)}`, '.log_type = "processing_log"', ''].join('\n'),
    };
    inputs.push('processing');
  }
  const sinks: Record<string, unknown> = {};
  const loki = c.sidecar.loki;
  const es = c.sidecar.elasticsearch;
  if (loki) {
    sinks['loki'] = {
      type: 'loki',
      inputs,
      endpoint: loki.url.replace(/\/+$/, ''),
      // sent as the X-Scope-OrgID header
      tenant_id: lokiTenant(c),
      encoding: { codec: 'json' },
      labels: { job: 'ksetl', namespace: c.namespace, cluster: c.cluster, log_type: '{{ log_type }}' },
      ...(loki.secretRef ? { auth: { strategy: 'basic', user: `\${${ENV_SINK_USERNAME}}`, password: `\${${ENV_SINK_PASSWORD}}` } } : {}),
    };
  } else if (es) {
    sinks['elasticsearch'] = {
      type: 'elasticsearch',
      inputs,
      endpoints: [es.url.replace(/\/+$/, '')],
      api_version: 'auto',
      mode: 'bulk',
      bulk: { index: esIndex(c) },
      ...(es.secretRef && !es.apiKeyKey ? { auth: { strategy: 'basic', user: `\${${ENV_SINK_USERNAME}}`, password: `\${${ENV_SINK_PASSWORD}}` } } : {}),
      ...(es.secretRef && es.apiKeyKey ? { request: { headers: { Authorization: `ApiKey \${${ENV_SINK_API_KEY}}` } } } : {}),
    };
  }
  const config = {
    data_dir: SHIPPER_STATE_DIR,
    api: { enabled: true, address: `0.0.0.0:${SHIPPER_METRICS_PORT}` },
    sources,
    transforms,
    sinks,
  };
  return {
    'vector.yaml': `# rendered by ksetl-operator for KsqlCluster ${c.namespace}/${c.cluster}; edits are overwritten\n` + stringify(config, { lineWidth: 0 }),
  };
}

/** The processing-log record headers the engine writes (engine/kafka: ksetl.namespace, ksetl.cluster, ksetl.service.id, ksetl.query.id). */
const QUERY_ID_HEADER = 'ksetl.query.id';

/**
 * The OpenTelemetry Collector: one otelcol.yaml. The engine's JSON log file
 * (filelog, offsets kept in the state dir so a restarted sidecar does not
 * ship a line twice), each line parsed as JSON into log attributes
 * (namespace, cluster, query_id, ...) with its time and level; the
 * processing-log topic (kafka receiver, the record value as the body, the
 * query id from the record's header). Both get the resource attributes
 * namespace, cluster, log_type (and query_id for processing-log records),
 * then go to Loki over OTLP/HTTP (X-Scope-OrgID: the tenant), Elasticsearch,
 * or a Kafka topic on the cluster's Kafka. Credentials are `${env:...}`
 * references to the Secret-backed environment, never values.
 */
export function otelcolConfig(c: ShipperContext): Record<string, string> {
  const sec = kafkaSecurity(c.kc);
  const env = (name: string): string => `\${env:${name}}`;
  const kafkaClient = (): Record<string, unknown> => ({
    brokers: [...c.kc.spec.kafka.bootstrapServers],
    ...(sec.mechanism ? { auth: { sasl: { mechanism: sec.mechanism, username: env(ENV_KAFKA_USERNAME), password: env(ENV_KAFKA_PASSWORD) } } } : {}),
    ...(sec.protocol.endsWith('SSL') ? { tls: { ...(sec.ca ? { ca_file: sec.ca } : {}), ...(sec.cert ? { cert_file: sec.cert, key_file: sec.key } : {}) } } : {}),
  });
  const resource = (logType: string, extra: Record<string, unknown>[] = []): Record<string, unknown> => ({
    attributes: [
      { key: 'service.name', value: 'ksetl', action: 'upsert' },
      { key: 'namespace', value: c.namespace, action: 'upsert' },
      { key: 'cluster', value: c.cluster, action: 'upsert' },
      { key: 'log_type', value: logType, action: 'upsert' },
      ...extra,
    ],
  });

  const receivers: Record<string, unknown> = {
    'file_log/engine': {
      // the rotated file too (engine/server/logger.ts renames it to <file>.1): the collector knows
      // a file by its first bytes, so it reads the rest of a file rotated away and never a line twice
      include: [LOG_FILE, `${LOG_FILE}.1`],
      start_at: 'beginning',
      storage: 'file_storage',
      operators: [
        {
          type: 'json_parser',
          parse_from: 'body',
          parse_to: 'attributes',
          // pino's isoTime and level labels (engine/server/logger.ts)
          timestamp: { parse_from: 'attributes.time', layout_type: 'gotime', layout: '2006-01-02T15:04:05.999Z07:00' },
          severity: { parse_from: 'attributes.level' },
        },
      ],
    },
  };
  const processors: Record<string, unknown> = {
    memory_limiter: { check_interval: '1s', limit_percentage: 80, spike_limit_percentage: 20 },
    'resource/engine': resource('engine'),
    batch: { timeout: '1s' },
  };
  const shipProcessingLog = c.processingLogTopic !== null && c.processingLogTopic !== c.sidecar.kafka?.topic;
  if (shipProcessingLog && c.processingLogTopic) {
    receivers['kafka/processing_log'] = {
      ...kafkaClient(),
      group_id: shipperGroupId(c.kc),
      initial_offset: 'earliest',
      logs: { topics: [c.processingLogTopic], encoding: 'text' },
      header_extraction: { extract_headers: true, headers: [QUERY_ID_HEADER] },
    };
    processors['resource/processing_log'] = resource('processing_log', [
      { key: 'query_id', from_attribute: `kafka.header.${QUERY_ID_HEADER}`, action: 'insert' },
      { key: `kafka.header.${QUERY_ID_HEADER}`, action: 'delete' },
    ]);
  }

  const exporters: Record<string, unknown> = {};
  let exporter: string;
  const { loki, elasticsearch: es, kafka } = c.sidecar;
  if (loki) {
    exporter = 'otlp_http/loki';
    exporters[exporter] = {
      // Loki's OTLP endpoint; the exporter appends /v1/logs
      endpoint: `${loki.url.replace(/\/+$/, '')}/otlp`,
      headers: { 'X-Scope-OrgID': lokiTenant(c), ...(loki.secretRef ? { Authorization: env(ENV_SINK_AUTHORIZATION) } : {}) },
      sending_queue: { enabled: true },
      retry_on_failure: { enabled: true },
    };
  } else if (es) {
    exporter = 'elasticsearch';
    exporters[exporter] = {
      endpoints: [es.url.replace(/\/+$/, '')],
      logs_index: esIndex(c),
      ...(es.secretRef && es.apiKeyKey ? { api_key: env(ENV_SINK_API_KEY) } : {}),
      ...(es.secretRef && !es.apiKeyKey ? { user: env(ENV_SINK_USERNAME), password: env(ENV_SINK_PASSWORD) } : {}),
    };
  } else if (kafka) {
    exporter = 'kafka';
    exporters[exporter] = { ...kafkaClient(), logs: { topic: kafka.topic, encoding: kafka.encoding } };
  } else {
    throw new Error('spec.logging.sidecar: no sink (the schema requires one)');
  }

  const pipelines: Record<string, unknown> = {
    'logs/engine': { receivers: ['file_log/engine'], processors: ['memory_limiter', 'resource/engine', 'batch'], exporters: [exporter] },
  };
  if (shipProcessingLog) {
    pipelines['logs/processing_log'] = { receivers: ['kafka/processing_log'], processors: ['memory_limiter', 'resource/processing_log', 'batch'], exporters: [exporter] };
  }
  const config = {
    extensions: { file_storage: { directory: SHIPPER_STATE_DIR, create_directory: true } },
    receivers,
    processors,
    exporters,
    service: {
      extensions: ['file_storage'],
      telemetry: {
        logs: { level: 'info', encoding: 'json' },
        metrics: { level: 'basic', readers: [{ pull: { exporter: { prometheus: { host: env(ENV_SHIPPER_POD_IP), port: SHIPPER_METRICS_PORT } } } }] },
      },
      pipelines,
    },
  };
  return {
    [OTELCOL_CONFIG_FILE]:
      `# rendered by ksetl-operator for KsqlCluster ${c.namespace}/${c.cluster}; edits are overwritten\n` + stringify(config, { lineWidth: 0 }),
  };
}

/** The sidecar's environment: sink and Kafka credentials from Secret references, never values. */
function shipperEnv(c: ShipperContext): V1EnvVar[] {
  const env: V1EnvVar[] = [];
  const ref = (name: string, secret: string, key: string): V1EnvVar => ({ name, valueFrom: { secretKeyRef: { name: secret, key } } });
  const loki = c.sidecar.loki;
  const es = c.sidecar.elasticsearch;
  if (loki?.secretRef) {
    if (c.sidecar.type === 'otel') env.push(ref(ENV_SINK_AUTHORIZATION, loki.secretRef.name, loki.authorizationKey ?? 'authorization'));
    else env.push(ref(ENV_SINK_USERNAME, loki.secretRef.name, 'username'), ref(ENV_SINK_PASSWORD, loki.secretRef.name, 'password'));
  }
  if (es?.secretRef) {
    if (es.apiKeyKey) env.push(ref(ENV_SINK_API_KEY, es.secretRef.name, es.apiKeyKey));
    else env.push(ref(ENV_SINK_USERNAME, es.secretRef.name, es.usernameKey), ref(ENV_SINK_PASSWORD, es.secretRef.name, es.passwordKey));
  }
  const sasl = c.kc.spec.kafka.sasl;
  if ((c.processingLogTopic || c.sidecar.kafka) && sasl) {
    env.push(ref(ENV_KAFKA_USERNAME, sasl.secretRef.name, sasl.usernameKey), ref(ENV_KAFKA_PASSWORD, sasl.secretRef.name, sasl.passwordKey));
  }
  return env;
}

function shipperContainer(c: ShipperContext, opts: MonitoringOptions): V1Container {
  const type = c.sidecar.type;
  const image = c.sidecar.image ?? opts.shipperImages?.[type] ?? DEFAULT_SHIPPER_IMAGES[type];
  const mounts: V1VolumeMount[] = [
    { name: 'log-shipper-config', mountPath: SHIPPER_CONFIG_DIR, readOnly: true },
    { name: 'log-shipper-state', mountPath: SHIPPER_STATE_DIR },
    { name: 'engine-logs', mountPath: LOG_DIR, readOnly: true },
  ];
  const tls = c.kc.spec.kafka.tls;
  if ((c.processingLogTopic || c.sidecar.kafka) && tls?.secretRef && (tls.caKey || tls.certKey)) mounts.push({ name: 'kafka-tls', mountPath: KAFKA_TLS_DIR, readOnly: true });
  let args: string[];
  const env = shipperEnv(c);
  switch (type) {
    case 'fluent-bit':
      args = ['--config', `${SHIPPER_CONFIG_DIR}/fluent-bit.conf`];
      break;
    case 'vector':
      args = ['--config-yaml', `${SHIPPER_CONFIG_DIR}/vector.yaml`];
      break;
    case 'otel':
      args = ['--config', `${SHIPPER_CONFIG_DIR}/${OTELCOL_CONFIG_FILE}`];
      env.unshift({ name: ENV_SHIPPER_POD_IP, valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } });
      break;
    default:
      assertNever(type);
  }
  return {
    name: SHIPPER_CONTAINER,
    image,
    args,
    ...(env.length > 0 ? { env } : {}),
    ports: [{ name: 'shipper-metrics', containerPort: SHIPPER_METRICS_PORT, protocol: 'TCP' }],
    resources: { requests: { cpu: '20m', memory: '32Mi' }, limits: { memory: '128Mi' } },
    volumeMounts: mounts,
    securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
  };
}

function shipperConfig(c: ShipperContext): Record<string, string> {
  switch (c.sidecar.type) {
    case 'fluent-bit':
      return fluentBitConfig(c);
    case 'vector':
      return vectorConfig(c);
    case 'otel':
      return otelcolConfig(c);
    default:
      return assertNever(c.sidecar.type);
  }
}

// ---- the whole -----------------------------------------------------------

/** Every monitoring and log-shipping object of a cluster, and the pod-template additions. */
export function desiredMonitoring(kc: KsqlCluster, opts: MonitoringOptions): DesiredMonitoring {
  const m = kc.spec.monitoring ?? Monitoring.parse({});
  const logging = kc.spec.logging ?? Logging.parse({});
  const notes: MonitoringNote[] = [];
  const ns = namespaceOf(kc);
  const podTemplate: PodTemplateAdditions = {
    annotations: {},
    engineEnv: [
      { name: ENV_NAMESPACE, valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      { name: ENV_CLUSTER, value: kc.metadata.name },
    ],
    engineVolumeMounts: [],
    containers: [],
    volumes: [],
  };

  const scrape = scrapeKind(m, opts, notes);
  // the pod template depends on the spec only, never on what is discovered: under Auto the pods carry the
  // scrape annotations whether or not the Prometheus Operator is installed (it ignores them), so installing it
  // adds a ServiceMonitor without rolling every engine pod
  if (scrape === 'Annotations' || (m.enabled && m.scrape.mode === 'Auto')) Object.assign(podTemplate.annotations, scrapeAnnotations());

  let prometheusRule: MonitoringObject | null = null;
  if (m.enabled && m.prometheusRule.enabled) {
    if (opts.prometheusOperator) prometheusRule = renderPrometheusRule(kc, m);
    else notes.push({ reason: 'PrometheusOperatorMissing', message: 'alert rules need the Prometheus Operator CRDs (PrometheusRule); none installed' });
  }

  const dash = m.enabled && m.grafanaDashboards.enabled ? renderDashboards(kc, m) : { configMaps: [], refs: [] };

  let logShipperConfig: V1ConfigMap | null = null;
  const sidecar = logging.sidecar;
  if (sidecar) {
    const c: ShipperContext = { kc, sidecar, namespace: ns, cluster: kc.metadata.name, processingLogTopic: processingLogTopicOf(kc, logging) };
    if (c.processingLogTopic !== null && sidecar.kafka?.topic === c.processingLogTopic) {
      notes.push({
        reason: 'LogSinkIsProcessingLog',
        message: `spec.logging.sidecar.kafka.topic is the processing-log topic ${c.processingLogTopic}: the sidecar does not read it back (it would ship its own output again)`,
      });
    }
    if (sidecar.type === 'fluent-bit' && sidecar.elasticsearch?.apiKeyKey) {
      notes.push({ reason: 'ApiKeyNeedsVector', message: 'Elasticsearch API keys need the vector shipper (spec.logging.sidecar.type: vector); Fluent Bit gets basic auth only' });
    }
    logShipperConfig = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: meta(kc, monitoringObjectNames(kc.metadata.name).logShipperConfig),
      data: shipperConfig(c),
    };
    podTemplate.engineEnv.push({ name: ENV_LOG_FILE, value: LOG_FILE });
    podTemplate.engineVolumeMounts.push({ name: 'engine-logs', mountPath: LOG_DIR });
    podTemplate.containers.push(shipperContainer(c, opts));
    podTemplate.volumes.push(
      { name: 'engine-logs', emptyDir: { sizeLimit: '1Gi' } },
      { name: 'log-shipper-state', emptyDir: { sizeLimit: '1Gi' } },
      { name: 'log-shipper-config', configMap: { name: monitoringObjectNames(kc.metadata.name).logShipperConfig } },
    );
  }

  return {
    serviceMonitor: scrape === 'ServiceMonitor' ? renderServiceMonitor(kc, m) : null,
    podMonitor: scrape === 'PodMonitor' ? renderPodMonitor(kc, m) : null,
    prometheusRule,
    dashboards: dash.configMaps,
    logShipperConfig,
    podTemplate,
    dashboardRefs: dash.refs,
    notes,
  };
}

/**
 * What the cluster offers beside the engine: dashboards, scrape config,
 * alert rules. None of it is needed to run the engine, so the reconciler
 * applies these after the StatefulSet and reports failures in a condition.
 */
export function provisionedMonitoringObjects(d: DesiredMonitoring): (V1ConfigMap | MonitoringObject)[] {
  return [...d.dashboards, ...(d.serviceMonitor ? [d.serviceMonitor] : []), ...(d.podMonitor ? [d.podMonitor] : []), ...(d.prometheusRule ? [d.prometheusRule] : [])];
}

/** Every object, in apply order (the sidecar's ConfigMap before the pods that mount it). */
export function monitoringObjectsInApplyOrder(d: DesiredMonitoring): (V1ConfigMap | MonitoringObject)[] {
  return [...(d.logShipperConfig ? [d.logShipperConfig] : []), ...provisionedMonitoringObjects(d)];
}
