/**
 * `spec.config`: the engine properties a team may set, by allow-list. Every
 * key here is one the engine honours and none carries a secret, reaches
 * outside the team's Kafka data, or changes what the operator manages
 * (docs/security.md lists them). Anything else — a key the operator manages,
 * a credential, a Kafka client setting, a key the engine would ignore — is
 * refused at admission (the CEL rules below, in the CRD) naming the key, and
 * no value may hold a config-provider reference (`${env:…}`, `${file:…}`):
 * the operator passes secrets only through its own reserved keys. Data only.
 */
import { z } from 'zod';

/** The keys a team may set, with what each does (docs/security.md). */
export const ALLOWED_CONFIG = {
  'ksql.streams.auto.offset.reset': 'where a new query starts reading its input topics: latest (default) or earliest',
  'ksql.streams.session.timeout.ms': 'consumer group session timeout of the query consumers',
  'ksql.streams.heartbeat.interval.ms': 'consumer group heartbeat interval of the query consumers',
  'ksql.streams.producer.transaction.timeout.ms': 'transaction timeout under exactly_once_v2',
  'ksql.streams.num.stream.threads': 'stream threads per engine pod (default: the pod\'s CPU request, rounded down, at least 1)',
  'ksql.persistence.default.format.key': 'key format of a CREATE without KEY_FORMAT',
  'ksql.persistence.default.format.value': 'value format of a CREATE without VALUE_FORMAT',
  'ksql.persistence.wrap.single.values': 'whether single-column values are wrapped in a record',
  'ksql.query.pull.table.scan.enabled': 'pull queries may scan a whole table',
  'ksql.query.pull.range.scan.enabled': 'pull queries may scan a key range',
  'ksql.query.pull.stream.enabled': 'pull queries on streams',
  'ksql.functions.collect_list.limit': 'most values COLLECT_LIST keeps',
  'ksql.functions.collect_set.limit': 'most values COLLECT_SET keeps',
  'ksql.output.topic.name.prefix': 'prefix of the sink topics CREATE ... AS SELECT names',
  'ksql.sink.partitions': 'partitions of a sink topic CREATE ... AS SELECT creates',
  'ksql.internal.topics.precreated': 'internal topics exist already (created by an administrator): never create them',
  'ksql.logging.processing.rows.include': 'processing-log entries carry the bad record\'s bytes (default false)',
  'ksetl.log.level': 'engine log level: fatal, error, warn, info, debug, trace',
  'ksetl.query.start.retry.ms': 'how long a query start is retried while its topics are missing',
  'ksetl.metrics.lag.refresh.ms': 'how often consumer lag gauges are refreshed',
} as const satisfies Readonly<Record<string, string>>;

export const ALLOWED_CONFIG_KEYS = Object.keys(ALLOWED_CONFIG) as readonly (keyof typeof ALLOWED_CONFIG)[];

/** Most keys and longest value of spec.config: bounds the cost of its CEL rules. */
export const MAX_CONFIG_ENTRIES = 64;
export const MAX_CONFIG_VALUE_LENGTH = 1024;

/** A config-provider reference (`${env:X}`, `${file:/p}`, any `${provider:...}`): never in spec.config. */
export const CONFIG_REFERENCE = /\$\{[^}]*\}/;

const allowed = new Set<string>(ALLOWED_CONFIG_KEYS);

export const EngineConfig = z
  .record(z.string().max(MAX_CONFIG_VALUE_LENGTH))
  .superRefine((c, ctx) => {
    const refused = Object.keys(c).filter((k) => !allowed.has(k));
    if (refused.length > 0) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `spec.config may not set ${refused.join(', ')}: only the engine properties listed in docs/security.md may be set` });
    }
    const refs = Object.entries(c).filter(([, v]) => CONFIG_REFERENCE.test(v)).map(([k]) => k);
    if (refs.length > 0) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `spec.config values may not hold \${...} references: ${refs.join(', ')}` });
    if (Object.keys(c).length > MAX_CONFIG_ENTRIES) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `spec.config may hold at most ${MAX_CONFIG_ENTRIES} keys` });
  });

const celList = JSON.stringify(ALLOWED_CONFIG_KEYS);

/** The admission rules on spec.config (CRD x-kubernetes-validations). */
export const ENGINE_CONFIG_RULES = [
  {
    rule: `self.all(k, k in ${celList})`,
    message: 'spec.config may set only the engine properties listed in docs/security.md',
    // the first refused key: join() over unbounded map keys is past the API server's CEL cost budget
    messageExpression: `'spec.config may not set ' + self.filter(k, !(k in ${celList}))[0] + ': only the engine properties listed in docs/security.md may be set'`,
    reason: 'FieldValueForbidden',
  },
  {
    rule: `self.all(k, !self[k].matches('[$][{][^}]*[}]'))`,
    message: 'spec.config values may not hold ${...} references (config providers): the operator passes secrets only through its own keys',
    messageExpression: `'spec.config values may not hold \${...} references: ' + self.filter(k, self[k].matches('[$][{][^}]*[}]'))[0]`,
    reason: 'FieldValueForbidden',
  },
] as const;
