/**
 * The desired state of a KsqlCluster: pure functions from the (parsed,
 * defaulted) resource to the Kubernetes objects that run it. No I/O, no
 * clock, no randomness — the reconciler server-side-applies what comes out,
 * and the golden tests in testdata/ pin it.
 */
import { createHash } from 'node:crypto';
import type {
  V1ConfigMap,
  V1Container,
  V1EnvVar,
  V1ObjectMeta,
  V1PodDisruptionBudget,
  V1PodSpec,
  V1PodTemplateSpec,
  V1Service,
  V1ServiceAccount,
  V1StatefulSet,
  V1Volume,
  V1VolumeMount,
} from '@kubernetes/client-node';
import type { Quantity } from '../../api/common.js';
import type { KsqlCluster } from '../../api/ksql-cluster.js';
import {
  ANNOTATION,
  ENGINE_PORT,
  ENGINE_PORT_NAME,
  clusterLabels,
  clusterObjectNames,
  engineSelector,
  ownerReference,
  podHost,
  serviceId,
} from '../../names.js';
import {
  AUTH_PASSWORD_KEY,
  AUTH_USERNAME_KEY,
  CONFIG_DIR,
  CONFIG_FILE,
  ENV_AUTH_PASSWORD,
  ENV_AUTH_USERNAME,
  ENGINE_CONTAINER,
  ENV_KAFKA_PASSWORD,
  ENV_KAFKA_USERNAME,
  HEALTH_PATH,
  KAFKA_TLS_DIR,
  METRICS_PATH,
  STATE_DIR,
} from './engine-pod.js';
import { restrictPodSpec } from './pod-security.js';
import { desiredMonitoring, type DesiredMonitoring, type MonitoringOptions, type PodTemplateAdditions } from './monitoring.js';
import { youngGenerationNodeOption } from 'ksetl/engine';

/** What the render needs beyond the resource: operator-wide settings and what the API server offers. */
export interface RenderOptions extends MonitoringOptions {
  /** engine image when spec.image is unset (the operator's own version) */
  readonly defaultImage: string;
  /** the operator's namespace, admitted to the engine port by the NetworkPolicy (default ksetl-system) */
  readonly operatorNamespace?: string;
  /** namespaces Prometheus scrapes from, admitted to the engine port (default: monitoring) */
  readonly prometheusNamespaces?: readonly string[];
}

export const DEFAULT_OPERATOR_NAMESPACE = 'ksetl-system';
export const DEFAULT_PROMETHEUS_NAMESPACES: readonly string[] = ['monitoring'];

export interface DesiredClusterObjects {
  readonly serviceAccount: V1ServiceAccount;
  readonly configMap: V1ConfigMap;
  readonly headlessService: V1Service;
  readonly clientService: V1Service;
  readonly statefulSet: V1StatefulSet;
  readonly podDisruptionBudget: V1PodDisruptionBudget;
  readonly networkPolicy: NetworkPolicy;
  /** monitoring and log shipping (monitoring.ts); its pod-template additions are already in the StatefulSet */
  readonly monitoring: DesiredMonitoring;
}

export { CONFIG_DIR, CONFIG_FILE, ENGINE_CONTAINER, ENV_KAFKA_PASSWORD, ENV_KAFKA_USERNAME, HEALTH_PATH, KAFKA_TLS_DIR, METRICS_PATH, STATE_DIR };

const RUN_AS = 1000;

// ---- engine configuration ------------------------------------------------

function securityProtocol(kc: KsqlCluster): string {
  const { sasl, tls } = kc.spec.kafka;
  if (sasl) return tls ? 'SASL_SSL' : 'SASL_PLAINTEXT';
  return tls ? 'SSL' : 'PLAINTEXT';
}

/**
 * The engine's configuration as ordered key/value pairs: what the operator
 * manages, then `spec.config` (sorted). Secrets never appear — they are
 * `${env:...}` references in the operator's own (secret) keys, resolved by
 * the engine from the pod's environment; the engine resolves no reference
 * anywhere else.
 */
export function engineConfig(kc: KsqlCluster): [string, string][] {
  const { name, namespace = 'default' } = kc.metadata;
  const { kafka } = kc.spec;
  const out: [string, string][] = [
    ['bootstrap.servers', kafka.bootstrapServers.join(',')],
    ['ksql.service.id', serviceId(kc)],
    ['listeners', `http://0.0.0.0:${ENGINE_PORT}`],
    ['ksql.advertised.listener', `http://${podHost(name, namespace, '${env:POD_NAME}')}:${ENGINE_PORT}`],
    ['ksql.streams.state.dir', STATE_DIR],
    ['processing.guarantee', kc.spec.processingGuarantee],
    ['security.protocol', securityProtocol(kc)],
  ];
  // REST basic auth with the credentials the operator generated (engine-credentials.ts)
  out.push(['ksetl.basic.auth.user', `\${env:${ENV_AUTH_USERNAME}}`], ['ksetl.basic.auth.password', `\${env:${ENV_AUTH_PASSWORD}}`]);
  if (kafka.sasl) {
    out.push(['sasl.mechanism', kafka.sasl.mechanism], ['sasl.username', `\${env:${ENV_KAFKA_USERNAME}}`], ['sasl.password', `\${env:${ENV_KAFKA_PASSWORD}}`]);
  }
  const tls = kafka.tls;
  if (tls?.caKey) out.push(['ssl.ca.location', `${KAFKA_TLS_DIR}/${tls.caKey}`]);
  if (tls?.certKey && tls.keyKey) out.push(['ssl.certificate.location', `${KAFKA_TLS_DIR}/${tls.certKey}`], ['ssl.key.location', `${KAFKA_TLS_DIR}/${tls.keyKey}`]);
  const topicLog = kc.spec.logging?.kafkaTopic;
  if (topicLog?.enabled) {
    out.push(['ksql.logging.processing.topic.auto.create', 'true'], ['ksql.logging.processing.stream.auto.create', 'true']);
    if (topicLog.topic) out.push(['ksql.logging.processing.topic.name', topicLog.topic]);
  }
  // team isolation: a sink without KAFKA_TOPIC is named <first write prefix><NAME>
  // one stream thread per requested core (Kafka Streams' num.stream.threads), unless the team set it
  const threads = streamThreads(kc);
  if (threads !== null && kc.spec.config?.['ksql.streams.num.stream.threads'] === undefined) out.push(['ksql.streams.num.stream.threads', String(threads)]);
  const sinkPrefix = kc.spec.topics?.write[0];
  if (sinkPrefix && kc.spec.config?.['ksql.output.topic.name.prefix'] === undefined) out.push(['ksql.output.topic.name.prefix', sinkPrefix]);
  const overrides = Object.entries(kc.spec.config ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return [...out, ...overrides];
}

/** The engine's stream threads for the pod's CPU request: max(1, floor(cores)); null without a CPU request. */
export function streamThreads(kc: KsqlCluster): number | null {
  const cpu = kc.spec.resources?.requests?.['cpu'];
  if (cpu === undefined) return null;
  return Math.max(1, Math.floor(cpuCores(cpu)));
}

/** A CPU quantity in cores ("500m" → 0.5, "2" → 2, 1.5 → 1.5). */
function cpuCores(q: Quantity): number {
  if (typeof q === 'number') return q;
  const m = /^[+]?([0-9]+(?:\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+|[numkMGTPE]i?|Ki)?$/.exec(q);
  if (!m) return 0;
  const n = Number(m[1]);
  const suffix = m[2] ?? '';
  if (/^[eE]/.test(suffix)) return n * 10 ** Number(suffix.slice(1));
  const decimal: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };
  const binary: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
  return n * (decimal[suffix] ?? binary[suffix] ?? 1);
}

function escapeProperty(s: string, isKey: boolean): string {
  let out = s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t');
  if (isKey) out = out.replace(/([=: #!])/g, '\\$1');
  else out = out.replace(/^ /, '\\ ');
  return out;
}

/** A Java `.properties` file. */
export function renderProperties(pairs: readonly (readonly [string, string])[], header: string): string {
  return [`# ${header}`, ...pairs.map(([k, v]) => `${escapeProperty(k, true)}=${escapeProperty(v, false)}`), ''].join('\n');
}

/** A short content hash; on the pod template it makes a configuration change roll the pods. */
export function configHash(content: string): string {
  return createHash('sha256').update(content).digest('hex').slice(0, 16);
}

// ---- helpers -------------------------------------------------------------

function meta(kc: KsqlCluster, name: string, extra: Partial<V1ObjectMeta> = {}): V1ObjectMeta {
  return {
    name,
    namespace: kc.metadata.namespace,
    labels: clusterLabels(kc.metadata.name),
    ownerReferences: [ownerReference(kc)],
    ...extra,
  };
}

const quantities = (q: Readonly<Record<string, Quantity>> | undefined): Record<string, string> | undefined =>
  q === undefined ? undefined : Object.fromEntries(Object.entries(q).map(([k, v]) => [k, String(v)]));

// ---- objects -------------------------------------------------------------

export function renderServiceAccount(kc: KsqlCluster): V1ServiceAccount {
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: meta(kc, clusterObjectNames(kc.metadata.name).serviceAccount),
    // the engine never talks to the Kubernetes API
    automountServiceAccountToken: false,
  };
}

export function renderConfigMap(kc: KsqlCluster): V1ConfigMap {
  const { name, namespace = 'default' } = kc.metadata;
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: meta(kc, clusterObjectNames(name).configMap),
    data: { [CONFIG_FILE]: renderProperties(engineConfig(kc), `rendered by ksetl-operator for KsqlCluster ${namespace}/${name}; edits are overwritten`) },
  };
}

function servicePorts() {
  return [{ name: ENGINE_PORT_NAME, port: ENGINE_PORT, targetPort: ENGINE_PORT_NAME, protocol: 'TCP' }];
}

/** Stable DNS per pod; lists pods before they are ready so engines find their peers while starting. */
export function renderHeadlessService(kc: KsqlCluster): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(kc, clusterObjectNames(kc.metadata.name).headlessService),
    spec: { clusterIP: 'None', publishNotReadyAddresses: true, selector: engineSelector(kc.metadata.name), ports: servicePorts() },
  };
}

/** The REST endpoint clients (and the operator) use: ready pods only. */
export function renderClientService(kc: KsqlCluster): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(kc, clusterObjectNames(kc.metadata.name).clientService),
    spec: { type: 'ClusterIP', selector: engineSelector(kc.metadata.name), ports: servicePorts() },
  };
}

export function renderPodDisruptionBudget(kc: KsqlCluster): V1PodDisruptionBudget {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: meta(kc, clusterObjectNames(kc.metadata.name).podDisruptionBudget),
    spec: {
      maxUnavailable: 1,
      selector: { matchLabels: engineSelector(kc.metadata.name) },
      // a pod that never became ready must not block node drains
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
    },
  };
}

type LabelSelector = { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] };

/** networking.k8s.io/v1 NetworkPolicy as it goes over the wire (the client library's type names `from` `_from`). */
export interface NetworkPolicy {
  apiVersion: 'networking.k8s.io/v1';
  kind: 'NetworkPolicy';
  metadata: V1ObjectMeta;
  spec: {
    podSelector: LabelSelector;
    policyTypes: ('Ingress' | 'Egress')[];
    ingress: { from: { podSelector?: LabelSelector; namespaceSelector?: LabelSelector }[]; ports: { protocol: string; port: number | string }[] }[];
  };
}

/**
 * Who may reach the engine port: the team's own namespace (its clients, and
 * the engines' peers), the operator's namespace and Prometheus's. Nothing
 * else in the cluster — a neighbour team's pods included.
 */
export function renderNetworkPolicy(kc: KsqlCluster, opts: RenderOptions): NetworkPolicy {
  const names = (ns: readonly string[]) => ({ matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: [...ns] }] });
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: meta(kc, clusterObjectNames(kc.metadata.name).networkPolicy),
    spec: {
      podSelector: { matchLabels: engineSelector(kc.metadata.name) },
      policyTypes: ['Ingress'],
      ingress: [
        {
          from: [
            { podSelector: {} },
            { namespaceSelector: names([opts.operatorNamespace ?? DEFAULT_OPERATOR_NAMESPACE]) },
            { namespaceSelector: names(opts.prometheusNamespaces ?? DEFAULT_PROMETHEUS_NAMESPACES) },
          ],
          ports: [{ protocol: 'TCP', port: ENGINE_PORT }],
        },
      ],
    },
  };
}

function engineEnv(kc: KsqlCluster): V1EnvVar[] {
  const env: V1EnvVar[] = [
    { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
    // the young generation a stream processor needs, set when node starts (engine/server/heap.ts)
    { name: 'NODE_OPTIONS', value: youngGenerationNodeOption() },
  ];
  const auth = clusterObjectNames(kc.metadata.name).authSecret;
  env.push(
    { name: ENV_AUTH_USERNAME, valueFrom: { secretKeyRef: { name: auth, key: AUTH_USERNAME_KEY } } },
    { name: ENV_AUTH_PASSWORD, valueFrom: { secretKeyRef: { name: auth, key: AUTH_PASSWORD_KEY } } },
  );
  const sasl = kc.spec.kafka.sasl;
  if (sasl) {
    env.push(
      { name: ENV_KAFKA_USERNAME, valueFrom: { secretKeyRef: { name: sasl.secretRef.name, key: sasl.usernameKey } } },
      { name: ENV_KAFKA_PASSWORD, valueFrom: { secretKeyRef: { name: sasl.secretRef.name, key: sasl.passwordKey } } },
    );
  }
  return env;
}

function tlsKeys(kc: KsqlCluster): string[] {
  const tls = kc.spec.kafka.tls;
  return [tls?.caKey, tls?.certKey, tls?.keyKey].filter((k): k is string => k !== undefined);
}

function engineContainer(kc: KsqlCluster, opts: RenderOptions, add: PodTemplateAdditions): V1Container {
  const names = clusterObjectNames(kc.metadata.name);
  const mounts: V1VolumeMount[] = [
    { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
    { name: names.stateVolume, mountPath: STATE_DIR },
    { name: 'tmp', mountPath: '/tmp' },
  ];
  if (tlsKeys(kc).length > 0) mounts.push({ name: 'kafka-tls', mountPath: KAFKA_TLS_DIR, readOnly: true });
  mounts.push(...add.engineVolumeMounts);
  const probe = () => ({ httpGet: { path: HEALTH_PATH, port: ENGINE_PORT_NAME }, periodSeconds: 10, timeoutSeconds: 5 });
  const resources = kc.spec.resources;
  return {
    name: ENGINE_CONTAINER,
    image: kc.spec.image ?? opts.defaultImage,
    ...(kc.spec.imagePullPolicy ? { imagePullPolicy: kc.spec.imagePullPolicy } : {}),
    command: ['ksetl', 'server', '--config', `${CONFIG_DIR}/${CONFIG_FILE}`],
    ports: [{ name: ENGINE_PORT_NAME, containerPort: ENGINE_PORT, protocol: 'TCP' }],
    env: [...engineEnv(kc), ...add.engineEnv],
    ...(resources ? { resources: { ...(resources.requests ? { requests: quantities(resources.requests) } : {}), ...(resources.limits ? { limits: quantities(resources.limits) } : {}) } } : {}),
    readinessProbe: { ...probe(), failureThreshold: 3 },
    // state restore can take a while: liveness only restarts a process that stopped answering
    livenessProbe: { ...probe(), initialDelaySeconds: 30, failureThreshold: 6 },
    volumeMounts: mounts,
    securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
    // the engine writes its fatal error to /dev/termination-log; a crash that could not (an uncaught error) leaves its log's tail
    // there instead: the KsqlCluster's Degraded condition shows it
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'FallbackToLogsOnError',
  };
}

function engineVolumes(kc: KsqlCluster): V1Volume[] {
  const volumes: V1Volume[] = [
    { name: 'config', configMap: { name: clusterObjectNames(kc.metadata.name).configMap } },
    { name: 'tmp', emptyDir: {} },
  ];
  const tls = kc.spec.kafka.tls;
  const keys = tlsKeys(kc);
  if (tls?.secretRef && keys.length > 0) {
    volumes.push({ name: 'kafka-tls', secret: { secretName: tls.secretRef.name, items: keys.map((k) => ({ key: k, path: k })), defaultMode: 0o440 } });
  }
  return volumes;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Containers merged by name: same name → fields overridden, `env`/`volumeMounts` appended; new names appended (sidecars). */
function mergeContainers(ours: readonly V1Container[], theirs: unknown): V1Container[] {
  if (!Array.isArray(theirs)) return [...ours];
  const merged = ours.map((c) => {
    const o = theirs.find((t): t is Obj => isObj(t) && t['name'] === c.name);
    if (!o) return c;
    const env = [...(c.env ?? []), ...((o['env'] as V1EnvVar[] | undefined) ?? [])];
    const volumeMounts = [...(c.volumeMounts ?? []), ...((o['volumeMounts'] as V1VolumeMount[] | undefined) ?? [])];
    return { ...c, ...o, env, volumeMounts } as V1Container;
  });
  const extra = theirs.filter((t): t is Obj => isObj(t) && !ours.some((c) => c.name === t['name'])) as unknown as V1Container[];
  return [...merged, ...extra];
}

/**
 * `spec.podTemplate` over the rendered template: labels and annotations
 * added (ours win, so the selector still matches), pod spec fields
 * replaced, containers merged by name, volumes appended.
 */
export function applyPodTemplateOverrides(template: V1PodTemplateSpec, overrides: Obj | undefined): V1PodTemplateSpec {
  if (!overrides) return template;
  const om = isObj(overrides['metadata']) ? overrides['metadata'] : {};
  const os = isObj(overrides['spec']) ? overrides['spec'] : {};
  const spec = template.spec as V1PodSpec;
  const { containers, initContainers, volumes, ...rest } = os;
  return {
    metadata: {
      ...template.metadata,
      labels: { ...(isObj(om['labels']) ? (om['labels'] as Record<string, string>) : {}), ...template.metadata?.labels },
      annotations: { ...(isObj(om['annotations']) ? (om['annotations'] as Record<string, string>) : {}), ...template.metadata?.annotations },
    },
    spec: {
      ...spec,
      ...(rest as Partial<V1PodSpec>),
      containers: mergeContainers(spec.containers, containers),
      ...(Array.isArray(initContainers) ? { initContainers: initContainers as V1Container[] } : {}),
      volumes: [...(spec.volumes ?? []), ...(Array.isArray(volumes) ? (volumes as V1Volume[]) : [])],
    },
  };
}

/**
 * The engine StatefulSet. `add` (monitoring.ts) brings scrape annotations,
 * the engine's monitoring environment and the log-shipper sidecar; it goes
 * in before `spec.podTemplate`, so a team's overrides still have the last
 * word.
 */
export function renderStatefulSet(kc: KsqlCluster, opts: RenderOptions, hash: string, add: PodTemplateAdditions): V1StatefulSet {
  const { name } = kc.metadata;
  const names = clusterObjectNames(name);
  const annotations: Record<string, string> = { [ANNOTATION.configHash]: hash, ...add.annotations };
  const merged = applyPodTemplateOverrides(
    {
      metadata: { labels: clusterLabels(name), annotations },
      spec: {
        serviceAccountName: names.serviceAccount,
        automountServiceAccountToken: false,
        terminationGracePeriodSeconds: 60,
        securityContext: { runAsNonRoot: true, runAsUser: RUN_AS, runAsGroup: RUN_AS, fsGroup: RUN_AS, seccompProfile: { type: 'RuntimeDefault' } },
        containers: [engineContainer(kc, opts, add), ...add.containers],
        volumes: [...engineVolumes(kc), ...add.volumes],
      },
    },
    kc.spec.podTemplate,
  );
  // whatever the overrides hold, the pod meets Pod Security `restricted` (reconcile refuses the overrides that try otherwise)
  const template: V1PodTemplateSpec = { ...merged, spec: restrictPodSpec(merged.spec as V1PodSpec, names.serviceAccount) };
  const { storage } = kc.spec;
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: meta(kc, names.statefulSet),
    spec: {
      replicas: kc.spec.replicas,
      serviceName: names.headlessService,
      // engines are peers: start and stop them together, not one by one
      podManagementPolicy: 'Parallel',
      selector: { matchLabels: engineSelector(name) },
      updateStrategy: { type: 'RollingUpdate' },
      // deleting the cluster deletes its state volumes; scaling down keeps them for a scale up
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Retain' },
      template,
      volumeClaimTemplates: [
        {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          metadata: { name: names.stateVolume, labels: clusterLabels(name) },
          spec: {
            accessModes: ['ReadWriteOnce'],
            ...(storage.storageClassName ? { storageClassName: storage.storageClassName } : {}),
            resources: { requests: { storage: String(storage.size) } },
          },
        },
      ],
    },
  };
}

/**
 * Every object of a cluster. `secretsHash` (a digest of the Kafka credential
 * Secrets' data, computed by the reconciler) goes into the pod template's
 * config hash, so rotating a credential rolls the pods as a configuration
 * change does; so does a change of the log shipper's configuration (the
 * shippers read it once, at start).
 */
export function renderCluster(kc: KsqlCluster, opts: RenderOptions, secretsHash?: string): DesiredClusterObjects {
  const configMap = renderConfigMap(kc);
  const monitoring = desiredMonitoring(kc, opts);
  const parts = [configMap.data?.[CONFIG_FILE] ?? ''];
  const shipper = monitoring.logShipperConfig?.data;
  if (shipper) for (const k of Object.keys(shipper).sort()) parts.push(`# log shipper ${k}\n${shipper[k]}`);
  if (secretsHash !== undefined) parts.push(`# secrets ${secretsHash}`);
  const hash = configHash(parts.join('\n'));
  return {
    serviceAccount: renderServiceAccount(kc),
    configMap,
    headlessService: renderHeadlessService(kc),
    clientService: renderClientService(kc),
    statefulSet: renderStatefulSet(kc, opts, hash, monitoring.podTemplate),
    podDisruptionBudget: renderPodDisruptionBudget(kc),
    networkPolicy: renderNetworkPolicy(kc, opts),
    monitoring,
  };
}

/**
 * The engine objects in apply order: what the pods need (the log shipper's
 * configuration included) exists before the StatefulSet. The rest of the
 * monitoring objects are optional and applied after (monitoringObjectsInApplyOrder).
 */
export function clusterObjectsInApplyOrder(o: DesiredClusterObjects) {
  const shipper = o.monitoring.logShipperConfig;
  return [o.serviceAccount, o.networkPolicy, o.configMap, ...(shipper ? [shipper] : []), o.headlessService, o.clientService, o.podDisruptionBudget, o.statefulSet] as const;
}
