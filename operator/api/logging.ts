/**
 * KsqlCluster `spec.logging` (issue 5): where the engine's JSON logs and
 * processing log go — a Kafka topic per cluster, and/or a log-shipper
 * sidecar writing to Loki or Elasticsearch.
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
    /** push endpoint base, e.g. http://loki-gateway.logging.svc */
    url: z.string().url(),
    /** `X-Scope-OrgID`; defaults to the namespace (the team) */
    tenant: z.string().min(1).max(253).optional(),
    /** a Secret with `username`/`password` keys for basic auth */
    secretRef: LocalObjectReference.optional(),
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

export const ShipperType = z.enum(['fluent-bit', 'vector']);
export type ShipperType = z.infer<typeof ShipperType>;

/** A log-shipper sidecar; exactly one of `loki` and `elasticsearch` (a CEL rule in the CRD). */
export const LogSidecar = z
  .object({
    type: ShipperType.default('fluent-bit'),
    image: z.string().min(1).optional(),
    loki: LokiSink.optional(),
    elasticsearch: ElasticsearchSink.optional(),
  })
  .strict()
  .refine((s) => (s.loki === undefined) !== (s.elasticsearch === undefined), {
    message: 'exactly one of loki and elasticsearch must be set',
  });

export const Logging = z
  .object({
    kafkaTopic: KafkaTopicLogging.default({}),
    sidecar: LogSidecar.optional(),
  })
  .strict()
  .describe('Where the engine logs and the processing log are shipped');
export type Logging = z.infer<typeof Logging>;
