/**
 * KsqlCluster `spec.logging` (issues 5, 16): where the engine's JSON logs and
 * processing log go — a Kafka topic per cluster, and/or a log-shipper
 * sidecar (Fluent Bit, Vector or the OpenTelemetry Collector) writing to
 * Loki, Elasticsearch or (the collector) a Kafka topic.
 */
import { z } from 'zod';
import { DataKey, LocalObjectReference } from './common.js';

export const KafkaTopicLogging = z
  .object({
    enabled: z.boolean().default(true),
    /** defaults to the cluster's processing-log topic (`<serviceId>ksql_processing_log`) */
    topic: z
      .string()
      .min(1)
      .max(249)
      .regex(/^[a-zA-Z0-9._-]+$/, 'must be a valid Kafka topic name')
      .optional(),
  })
  .strict();

export const LokiSink = z
  .object({
    url: z.string().url().describe('Loki base URL, e.g. http://loki-gateway.logging.svc (the collector posts to <url>/otlp/v1/logs)'),
    tenant: z.string().min(1).max(253).optional().describe('X-Scope-OrgID; defaults to the namespace (the team)'),
    secretRef: LocalObjectReference.optional().describe(
      'Secret with the credentials: username/password keys (basic auth; Fluent Bit, Vector), or for the otel shipper the key authorizationKey names',
    ),
    authorizationKey: DataKey.optional().describe(
      'otel shipper: the key of secretRef holding the whole Authorization header value ("Basic <base64>" or "Bearer <token>"); default authorization',
    ),
  })
  .strict();

export const ElasticsearchSink = z
  .object({
    url: z.string().url(),
    /** index name; defaults to `ksetl-<namespace>-<cluster>` */
    index: z.string().min(1).max(255).optional(),
    /** a Secret with basic-auth keys or an API key */
    secretRef: LocalObjectReference.optional(),
    usernameKey: DataKey.default('username'),
    passwordKey: DataKey.default('password'),
    apiKeyKey: DataKey.optional(),
  })
  .strict();

/** A Kafka topic as the sink (otel shipper): on the cluster's own Kafka (spec.kafka), with its credentials. */
export const KafkaSink = z
  .object({
    topic: z
      .string()
      .min(1)
      .max(249)
      .regex(/^[a-zA-Z0-9._-]+$/, 'must be a valid Kafka topic name')
      .describe('Topic the log records are produced to, on the cluster\'s Kafka (spec.kafka) with its credentials'),
    encoding: z
      .enum(['otlp_json', 'otlp_proto', 'raw'])
      .default('otlp_json')
      .describe('otlp_json/otlp_proto: OTLP batches with every attribute; raw: each record\'s body alone (the engine\'s JSON line, the processing-log record)'),
  })
  .strict();

export const ShipperType = z.enum(['fluent-bit', 'vector', 'otel']);
export type ShipperType = z.infer<typeof ShipperType>;

const sinkCount = (s: { loki?: unknown; elasticsearch?: unknown; kafka?: unknown }): number =>
  [s.loki, s.elasticsearch, s.kafka].filter((x) => x !== undefined).length;

/** A log-shipper sidecar; exactly one sink (CEL rules in the CRD: LOG_SIDECAR_RULES). */
export const LogSidecar = z
  .object({
    type: ShipperType.default('fluent-bit').describe(
      'fluent-bit, vector, or otel (the OpenTelemetry Collector, the one shipper the project runs in its tests)',
    ),
    image: z.string().min(1).optional().describe('Sidecar image; defaults to the operator\'s image for the type'),
    loki: LokiSink.optional().describe('Loki: Fluent Bit and Vector push to its API, the otel shipper over OTLP/HTTP'),
    elasticsearch: ElasticsearchSink.optional(),
    kafka: KafkaSink.optional().describe('otel shipper only: a Kafka topic on the cluster\'s Kafka'),
  })
  .strict()
  .refine((s) => sinkCount(s) === 1, { message: 'exactly one of loki, elasticsearch and kafka must be set' })
  .refine((s) => s.kafka === undefined || s.type === 'otel', { message: 'a kafka sink needs the otel shipper (type: otel)', path: ['kafka'] });

/** The CEL rules of `spec.logging.sidecar` in the CRD (the refinements above). */
export const LOG_SIDECAR_RULES = [
  {
    rule: '(has(self.loki) ? 1 : 0) + (has(self.elasticsearch) ? 1 : 0) + (has(self.kafka) ? 1 : 0) == 1',
    message: 'exactly one of loki, elasticsearch and kafka must be set',
  },
  { rule: "!has(self.kafka) || (has(self.type) && self.type == 'otel')", message: 'a kafka sink needs the otel shipper (type: otel)', fieldPath: '.kafka' },
] as const;

export const Logging = z
  .object({
    kafkaTopic: KafkaTopicLogging.default({}),
    sidecar: LogSidecar.optional(),
  })
  .strict()
  .describe('Where the engine logs and the processing log are shipped');
export type Logging = z.infer<typeof Logging>;
