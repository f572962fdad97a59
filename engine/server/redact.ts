/**
 * Which configuration values are secret, and how they are shown: as ksqlDB
 * shows a PASSWORD-typed config (`[hidden]`, Kafka's `Password.HIDDEN`) in
 * SHOW PROPERTIES, EXPLAIN and the server's log. ksqlDB knows the type of
 * every config it defines; ksetl passes unknown keys through, so it decides
 * by name, erring on the side of hiding: passwords, JAAS configurations,
 * basic-auth user info, key and trust stores, private keys, tokens, secrets
 * and credentials, and the keys the operator fills from a Secret.
 */

/** What a secret value is shown as. */
export const HIDDEN = '[hidden]';

/** Keys whose value comes from a Kubernetes Secret in an operator-run engine, though their names look harmless. */
const FROM_SECRET = new Set(['sasl.username', 'ksetl.basic.auth.user']);

const SENSITIVE: readonly RegExp[] = [
  /password|passwd|secret|token|credential/,
  /jaas\.config$/,
  /user\.info$/,
  /keystore|truststore/,
  // a key itself (ssl.key.pem, private.key, api.key, ...), not a column or format "key" (ksql.persistence.default.format.key)
  /(^|\.)(ssl\.key|private\.key|api\.key|access\.key|secret\.key)(\.|$)|\.pem$/,
];

/** Whether a configuration key's value is secret (case-insensitive, with or without a ksql.streams./ksql. prefix). */
export function isSensitiveProperty(key: string): boolean {
  const k = key.toLowerCase();
  const bare = k.replace(/^ksql\.(streams\.|schema\.registry\.)?/, '');
  return FROM_SECRET.has(bare) || FROM_SECRET.has(k) || SENSITIVE.some((re) => re.test(k));
}

/** The value to show for a key: the value, or HIDDEN when it is secret. */
export function shownValue(key: string, value: string): string {
  return isSensitiveProperty(key) ? HIDDEN : value;
}

/** A copy of `props` with every secret value replaced by HIDDEN. */
export function redactProperties(props: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(props).map(([k, v]) => [k, shownValue(k, v)]));
}

/**
 * Log-record paths the engine's logger censors (pino `redact`), so that a
 * credential passed to a log call by mistake (a client's options, a request's
 * headers) is not written out.
 */
export const LOG_REDACT_PATHS: readonly string[] = [
  'password',
  '*.password',
  'sasl',
  '*.sasl',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'req.headers.authorization',
  'basicAuth',
  '*.basicAuth',
];
