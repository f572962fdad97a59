/**
 * KsqlCluster: one ksetl engine cluster (a team's, created on demand) —
 * spec, status and the CRD facts the generator needs. Data only.
 */
import { z } from 'zod';
import { API_VERSION, DataKey, FreeForm, LocalObjectReference, ObjectMeta, Quantity, ResourceRequirements, type CrdInfo } from './common.js';
import { CommonConditionType, Conditions } from './conditions.js';
import { ENGINE_CONFIG_RULES, EngineConfig, MAX_CONFIG_ENTRIES } from './engine-config.js';
import { LOG_SIDECAR_RULES, Logging } from './logging.js';
import { Monitoring } from './monitoring.js';

export const KSQL_CLUSTER_KIND = 'KsqlCluster';

/**
 * The longest KsqlCluster name: the StatefulSet is `<name>-ksetl` and a
 * StatefulSet name must leave room for the 11-character
 * controller-revision-hash suffix within a 63-character label value.
 */
export const MAX_CLUSTER_NAME_LENGTH = 46;

export const SaslMechanism = z.enum(['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']);
export type SaslMechanism = z.infer<typeof SaslMechanism>;

export const KafkaSasl = z
  .object({
    mechanism: SaslMechanism.describe('The SASL mechanism'),
    /** the Secret holding the user name and password */
    secretRef: LocalObjectReference.describe('The Secret (in this namespace) holding the user name and password'),
    usernameKey: DataKey.default('username').describe("The Secret's key of the user name"),
    passwordKey: DataKey.default('password').describe("The Secret's key of the password"),
  })
  .strict()
  .describe("SASL authentication to the brokers; the engines' principal");
export type KafkaSasl = z.infer<typeof KafkaSasl>;

/** TLS to the brokers; present means on. Without `caKey` the system trust store is used. */
export const KafkaTls = z
  .object({
    secretRef: LocalObjectReference.optional().describe('The Secret holding the CA and the client certificate and key'),
    caKey: DataKey.optional().describe("The Secret's key of the CA certificate (PEM); without it the system trust store is used"),
    /** client certificate and key for mutual TLS (both or neither) */
    certKey: DataKey.optional().describe("The Secret's key of the client certificate (PEM), for mutual TLS"),
    keyKey: DataKey.optional().describe("The Secret's key of the client key (PEM), for mutual TLS"),
  })
  .strict()
  .describe('TLS to the brokers; present means on');
export type KafkaTls = z.infer<typeof KafkaTls>;

export const KafkaConnection = z
  .object({
    bootstrapServers: z
      .array(z.string().regex(/^[^\s,]+:[0-9]{1,5}$/, 'must be host:port'))
      .min(1)
      .describe('Kafka bootstrap servers, host:port each'),
    sasl: KafkaSasl.optional(),
    tls: KafkaTls.optional(),
  })
  .strict();
export type KafkaConnection = z.infer<typeof KafkaConnection>;

export const ProcessingGuarantee = z
  .enum(['at_least_once', 'exactly_once_v2'])
  .describe('processing.guarantee of every query: at_least_once (a record may be processed again after a failure) or exactly_once_v2 (Kafka transactions; outputs visible once committed)');
export type ProcessingGuarantee = z.infer<typeof ProcessingGuarantee>;

export const Storage = z
  .object({
    size: Quantity.default('10Gi').describe('Size of each engine pod\'s volume'),
    storageClassName: z.string().min(1).max(253).optional().describe('StorageClass of the volumes; the cluster default when unset'),
  })
  .strict()
  .describe('The persistent volume each engine pod keeps its state stores on');
export type Storage = z.infer<typeof Storage>;

export const ServiceId = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[a-zA-Z0-9._-]+$/, 'must be usable in Kafka topic names');

/**
 * Engine configuration keys the operator sets from the spec (secrets among
 * them only as references to the pod's environment). `spec.config` may set
 * none of them: it is an allow-list (engine-config.ts).
 */
export const RESERVED_CONFIG_KEYS = [
  'bootstrap.servers',
  'ksql.service.id',
  'listeners',
  'ksql.advertised.listener',
  'ksql.streams.state.dir',
  'processing.guarantee',
  'ksql.streams.processing.guarantee',
  'security.protocol',
  'sasl.mechanism',
  'sasl.username',
  'sasl.password',
  'ssl.ca.location',
  'ssl.certificate.location',
  'ssl.key.location',
  'ksetl.basic.auth.user',
  'ksetl.basic.auth.password',
] as const;

/**
 * What deleting the KsqlCluster does on Kafka. `Keep`: nothing (a cluster of
 * the same service id created later finds its queries again). `Delete`: once
 * its KsqlQueries and engines are gone, the command topic, the processing-log
 * topic, every internal topic and every consumer group of its service id are
 * deleted (sink topics follow each KsqlQuery's own deletionPolicy).
 */
export const ClusterDeletionPolicy = z
  .enum(['Keep', 'Delete'])
  .describe(
    'Keep: deleting the cluster leaves its Kafka topics and consumer groups. Delete: once its KsqlQueries and engines are gone, the command topic, the processing-log topic, the internal topics and the consumer groups of its service id are deleted (sink topics follow each KsqlQuery\'s deletionPolicy)',
  );
export type ClusterDeletionPolicy = z.infer<typeof ClusterDeletionPolicy>;

const TopicPrefix = z.string().min(1).max(200).regex(/^[a-zA-Z0-9._-]+$/, 'must be a Kafka topic name prefix');

/**
 * The Kafka topics a team's queries may use on a shared Kafka. Enforced when
 * a KsqlQuery is validated (the engine's dry run names the topics each
 * statement reads and writes): a statement outside them is refused with
 * SqlValid=False, reason TopicNotAllowed. Mirror it with Kafka ACLs for the
 * cluster's principal (docs/security.md).
 */
export const TopicAccess = z
  .object({
    read: z.array(TopicPrefix).max(50).optional().describe('Prefixes of the topics queries may read (declared streams and tables); the write prefixes are readable too'),
    write: z
      .array(TopicPrefix)
      .min(1)
      .max(50)
      .describe('Prefixes of the topics queries may write (CREATE ... AS SELECT and INSERT INTO sinks). A sink without KAFKA_TOPIC is named <first prefix><NAME> (ksql.output.topic.name.prefix)'),
  })
  .strict()
  .describe('The topic prefixes this cluster\'s queries may read and write on a shared Kafka, enforced at validation');
export type TopicAccess = z.infer<typeof TopicAccess>;

export const KsqlClusterSpec = z
  .object({
    replicas: z.number().int().min(0).max(100).default(1).describe('Engine pods'),
    image: z.string().min(1).optional().describe('Engine image; defaults to the operator\'s own version'),
    imagePullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).optional().describe('The engine container\'s imagePullPolicy'),
    resources: ResourceRequirements.optional().describe('CPU and memory requests and limits of each engine container'),
    kafka: KafkaConnection.describe('The Kafka cluster the engines read and write: bootstrap servers, SASL and TLS'),
    serviceId: ServiceId.optional().describe(
      'ksql.service.id; defaults to <namespace>_<name>_. Immutable: internal topics and the command topic are named after it',
    ),
    processingGuarantee: ProcessingGuarantee.default('at_least_once'),
    storage: Storage.default({}),
    config: EngineConfig.optional().describe('Engine properties a team may set (an allow-list: docs/security.md); no ${...} references'),
    podTemplate: FreeForm.optional().describe(
      'Overrides merged into the engine pod template: metadata.labels/annotations, spec fields, and containers by name. ' +
        'Nothing that weakens the pod (host namespaces, privileged, privilege escalation, added capabilities, root, hostPath, another ServiceAccount): ' +
        'such a template is refused with a PodTemplateRefused condition, and the pod meets Pod Security restricted',
    ),
    monitoring: Monitoring.optional(),
    logging: Logging.optional(),
    deletionPolicy: ClusterDeletionPolicy.default('Keep'),
    topics: TopicAccess.optional(),
  })
  .strict();
export type KsqlClusterSpec = z.infer<typeof KsqlClusterSpec>;
export type KsqlClusterSpecInput = z.input<typeof KsqlClusterSpec>;

export const DashboardRef = z
  .object({
    name: z.string().describe('The dashboard\'s ConfigMap'),
    uid: z.string().describe('The Grafana dashboard uid'),
    url: z.string().optional().describe('The dashboard in Grafana, when spec.monitoring gives Grafana\'s URL'),
  })
  .strict()
  .describe('A Grafana dashboard rendered for the cluster');

export const KsqlClusterStatus = z
  .object({
    observedGeneration: z.number().int().min(0).optional().describe('The generation this status is about'),
    conditions: Conditions.optional().describe('Ready, Progressing, Degraded (with a crash-looping engine\'s termination message), KafkaReachable, MonitoringReady'),
    replicas: z.number().int().min(0).optional().describe('Engine pods that exist'),
    readyReplicas: z.number().int().min(0).optional().describe('Engine pods that are ready'),
    /** label selector of the engine pods, for the scale subresource (HPA) */
    selector: z.string().optional().describe('Label selector of the engine pods (the scale subresource)'),
    restEndpoint: z.string().optional().describe('The engines\' REST API inside the Kubernetes cluster'),
    consoleUrl: z.string().optional().describe("The engines' web console inside the Kubernetes cluster (through the cluster's Service; same auth as the REST API; `kubectl port-forward` to reach it from outside)"),
    serviceId: z.string().optional().describe('ksql.service.id of the engines'),
    internalTopicPrefix: z.string().optional().describe('The prefix of the command topic, internal topics and consumer groups on Kafka'),
    /** hash of the rendered engine configuration the pods were last rolled to */
    configHash: z.string().optional().describe('Hash of the engine configuration the pods were last rolled to'),
    dashboards: z.array(DashboardRef).optional().describe('The Grafana dashboards rendered for the cluster'),
  })
  .strict();
export type KsqlClusterStatus = z.infer<typeof KsqlClusterStatus>;

export const KsqlCluster = z
  .object({
    apiVersion: z.literal(API_VERSION),
    kind: z.literal(KSQL_CLUSTER_KIND),
    metadata: ObjectMeta,
    spec: KsqlClusterSpec,
    status: KsqlClusterStatus.optional(),
  })
  .strict();
export type KsqlCluster = z.infer<typeof KsqlCluster>;
export type KsqlClusterInput = z.input<typeof KsqlCluster>;

/** `MonitoringReady`: the dashboards, scrape configuration and alert rules asked for are provisioned as asked. */
export const KsqlClusterConditionType = { ...CommonConditionType, MonitoringReady: 'MonitoringReady', KafkaReachable: 'KafkaReachable' } as const;

export const KSQL_CLUSTER_CRD: CrdInfo = {
  kind: KSQL_CLUSTER_KIND,
  plural: 'ksqlclusters',
  singular: 'ksqlcluster',
  shortNames: ['kc'],
  categories: ['ksetl'],
  printerColumns: [
    { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
    { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' },
    { name: 'Ready Replicas', type: 'integer', jsonPath: '.status.readyReplicas' },
    { name: 'Reason', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].reason', priority: 1 },
    { name: 'Endpoint', type: 'string', jsonPath: '.status.restEndpoint', priority: 1 },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
  listMapKeys: { 'status.conditions': ['type'] },
  validations: {
    '': [
      {
        rule: `self.metadata.name.size() <= ${MAX_CLUSTER_NAME_LENGTH}`,
        message: `a KsqlCluster name may have at most ${MAX_CLUSTER_NAME_LENGTH} characters`,
      },
    ],
    spec: [
      {
        rule: 'has(self.serviceId) == has(oldSelf.serviceId) && (!has(self.serviceId) || self.serviceId == oldSelf.serviceId)',
        message: 'serviceId is immutable: internal topics, the command topic and consumer groups are named after it',
        fieldPath: '.serviceId',
      },
    ],
    'spec.config': ENGINE_CONFIG_RULES,
    'spec.storage': [
      {
        rule: 'has(self.storageClassName) == has(oldSelf.storageClassName) && (!has(self.storageClassName) || self.storageClassName == oldSelf.storageClassName)',
        message: 'storageClassName is immutable (StatefulSet volume claim templates cannot change)',
        fieldPath: '.storageClassName',
      },
    ],
    'spec.kafka.tls': [
      { rule: 'has(self.certKey) == has(self.keyKey)', message: 'certKey and keyKey go together (mutual TLS)' },
      {
        rule: 'has(self.secretRef) || !(has(self.caKey) || has(self.certKey))',
        message: 'caKey, certKey and keyKey need a secretRef',
      },
    ],
    'spec.logging.sidecar': LOG_SIDECAR_RULES,
  },
  bounds: { 'spec.config': { maxProperties: MAX_CONFIG_ENTRIES } },
  scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.readyReplicas', labelSelectorPath: '.status.selector' },
};
