/**
 * Paths, names and environment variables of the engine pod that both the
 * engine render (desired.ts) and the monitoring render (monitoring.ts) use.
 * Data only; here so that desired.ts can compose the monitoring additions
 * without an import cycle.
 */
export const CONFIG_DIR = '/etc/ksetl';
export const CONFIG_FILE = 'server.properties';
export const STATE_DIR = '/var/lib/ksetl/state';
export const KAFKA_TLS_DIR = '/etc/ksetl/kafka-tls';
export const ENGINE_CONTAINER = 'engine';
export const HEALTH_PATH = '/healthcheck';
export const METRICS_PATH = '/metrics';
export const ENV_KAFKA_USERNAME = 'KSETL_KAFKA_USERNAME';
export const ENV_KAFKA_PASSWORD = 'KSETL_KAFKA_PASSWORD';
/** the engine's REST credentials (basic auth), from the Secret the operator generates */
export const ENV_AUTH_USERNAME = 'KSETL_AUTH_USERNAME';
export const ENV_AUTH_PASSWORD = 'KSETL_AUTH_PASSWORD';
/** keys of that Secret */
export const AUTH_USERNAME_KEY = 'username';
export const AUTH_PASSWORD_KEY = 'password';
/** the user name the operator gives each engine */
export const AUTH_USERNAME = 'ksetl';
