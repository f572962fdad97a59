import { readFile } from 'node:fs/promises';
import { CONSOLE_PROMETHEUS_URL } from '../server/console-api.js';
import type { ListenerTls } from '../server/http/listener.js';
import { limitsFrom, type ServerLimits } from '../server/limits.js';
import { isSensitiveProperty } from '../server/redact.js';
import { KafkaClientError, kafkaClientOf, type KafkaClientName } from './kafka-client.js';
import type { KafkajsPortOptions } from './kafkajs-port.js';

/**
 * `ksetl server` configuration: a .properties or .json file, then environment
 * variables (KSQL_BOOTSTRAP_SERVERS → bootstrap.servers, as Confluent's images
 * map them: `_` → `.`, `__` → `_`, `___` → `-`). The values of secret keys
 * (engine/server/redact.ts: passwords, JAAS configurations, user info, ...,
 * which the engine never shows) and of `ksql.advertised.listener` may
 * reference `${env:NAME}` or `${file:/path}` (secrets mounted as files or
 * passed in the environment); a reference anywhere else is refused, never
 * resolved, so that no reference can bring a secret into a value the engine
 * shows (SHOW PROPERTIES, logs).
 */
export interface ServerConfig {
  readonly bootstrapServers: string;
  readonly serviceId: string;
  readonly stateDir: string | null;
  readonly processingGuarantee: 'at_least_once' | 'exactly_once_v2';
  /** where the REST API listens (HTTP/1.1 and HTTP/2); `tls` for an https:// listener (PEM files: ksetl.listener.ssl.key.location, ksetl.listener.ssl.certificate.location) */
  readonly listener: { readonly host: string; readonly port: number; readonly tls: ListenerTls | null };
  /** limits of one request (ksetl.server.request.max.bytes, ...: engine/server/limits.ts) */
  readonly limits: ServerLimits;
  readonly ssl: KafkajsPortOptions['ssl'];
  readonly sasl: KafkajsPortOptions['sasl'];
  /** the Kafka client library (`ksetl.kafka.client`, or KSETL_KAFKA_CLIENT): kafkajs or platformatic */
  readonly kafkaClient: KafkaClientName;
  /** every ksql.* (and processing.guarantee, ksetl.console.prometheus.url) property, for the engine */
  readonly properties: Readonly<Record<string, string>>;
  readonly basicAuth: { readonly user: string; readonly password: string } | null;
}

export class ServerConfigError extends Error {
  override readonly name = 'ServerConfigError';
}

export async function loadServerConfig(file: string | null, env: NodeJS.ProcessEnv = process.env, overrides: Readonly<Record<string, string>> = {}): Promise<ServerConfig> {
  const raw: Record<string, string> = {};
  if (file) Object.assign(raw, file.endsWith('.json') ? flattenJson(JSON.parse(await readFile(file, 'utf8'))) : parseProperties(await readFile(file, 'utf8')));
  Object.assign(raw, fromEnv(env), overrides);
  // the Kafka client the whole process runs on; a property names it first
  if (raw['ksetl.kafka.client'] === undefined && env['KSETL_KAFKA_CLIENT']) raw['ksetl.kafka.client'] = env['KSETL_KAFKA_CLIENT'];
  const props: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) props[k] = await resolveValue(k, v, env);
  return toConfig(props);
}

const REFERENCE = /\$\{(env|file):([^}]+)\}/g;

/** Whether config-provider references in `key`'s value are resolved: secret keys (never shown) and the advertised listener (the pod's name). */
export function resolvesReferences(key: string): boolean {
  return isSensitiveProperty(key) || key === 'ksql.advertised.listener';
}

export function parseProperties(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.replace(/\\\r?\n\s*/g, '').split(/\r?\n/);
  for (const line of lines) {
    const t = line.trim();
    if (t === '' || t.startsWith('#') || t.startsWith('!')) continue;
    const m = /^([^=:\s]+)\s*[=:\s]\s*(.*)$/.exec(t);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

function flattenJson(v: unknown, prefix = '', out: Record<string, string> = {}): Record<string, string> {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) flattenJson(x, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) out[prefix] = Array.isArray(v) ? v.join(',') : String(v);
  return out;
}

function fromEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (!k.startsWith('KSQL_') || v === undefined || k === 'KSQL_OPTS' || k === 'KSQL_HEAP_OPTS') continue;
    // `___` → `-`, `__` → `_`, `_` → `.`
    const name = k
      .slice(5)
      .toLowerCase()
      .split('___')
      .map((part) => part.split('__').map((p) => p.replace(/_/g, '.')).join('_'))
      .join('-');
    out[name] = v;
  }
  return out;
}

async function resolveValue(key: string, v: string, env: NodeJS.ProcessEnv): Promise<string> {
  const refs = [...v.matchAll(REFERENCE)];
  if (refs.length === 0) return v;
  if (!resolvesReferences(key)) {
    throw new ServerConfigError(`${key}: \${env:...} and \${file:...} references are resolved only in secret keys (passwords, *.jaas.config, *.user.info, key and trust stores) and ksql.advertised.listener; ${key} is not one of them`);
  }
  let out = v;
  for (const m of refs) {
    const [whole, kind, ref] = m as unknown as [string, string, string];
    let value: string;
    if (kind === 'env') {
      const x = env[ref];
      if (x === undefined) throw new ServerConfigError(`config references \${env:${ref}}, which is not set`);
      value = x;
    } else {
      value = (await readFile(ref, 'utf8')).trim();
    }
    out = out.replace(whole, value);
  }
  return out;
}

async function toConfig(p: Record<string, string>): Promise<ServerConfig> {
  const bootstrapServers = p['bootstrap.servers'] ?? p['ksql.streams.bootstrap.servers'];
  if (!bootstrapServers) throw new ServerConfigError('bootstrap.servers is required (config file or KSQL_BOOTSTRAP_SERVERS)');
  const serviceId = p['ksql.service.id'] ?? 'default_';
  const g = (p['processing.guarantee'] ?? p['ksql.streams.processing.guarantee'] ?? 'at_least_once').toLowerCase();
  if (g !== 'at_least_once' && g !== 'exactly_once_v2' && g !== 'exactly_once') throw new ServerConfigError(`processing.guarantee must be at_least_once or exactly_once_v2, got ${g}`);
  const listener = await listenerOf((p['listeners'] ?? 'http://0.0.0.0:8088').split(',')[0]!.trim(), p);
  let limits: ServerLimits;
  try {
    limits = limitsFrom(p);
  } catch (e) {
    throw new ServerConfigError((e as Error).message);
  }
  const protocol = (p['security.protocol'] ?? 'PLAINTEXT').toUpperCase();
  if (!['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'].includes(protocol)) throw new ServerConfigError(`unknown security.protocol ${protocol}`);
  let ssl: ServerConfig['ssl'];
  if (protocol === 'SSL' || protocol === 'SASL_SSL') {
    const pem = async (key: string): Promise<string | undefined> => (p[key] ? readFile(p[key]!, 'utf8') : p[key.replace('.location', '.pem')]);
    const ca = await pem('ssl.ca.location');
    const cert = await pem('ssl.certificate.location');
    const key = await pem('ssl.key.location');
    ssl =
      ca || cert || key
        ? {
            ...(ca ? { ca } : {}),
            ...(cert ? { cert } : {}),
            ...(key ? { key } : {}),
            ...(p['ssl.key.password'] ? { passphrase: p['ssl.key.password'] } : {}),
            ...(p['ssl.endpoint.identification.algorithm'] === '' ? { rejectUnauthorized: true } : {}),
          }
        : true;
  }
  let sasl: ServerConfig['sasl'];
  if (protocol.startsWith('SASL_')) {
    const mechanism = (p['sasl.mechanism'] ?? 'PLAIN').toLowerCase();
    if (mechanism !== 'plain' && mechanism !== 'scram-sha-256' && mechanism !== 'scram-sha-512') throw new ServerConfigError(`sasl.mechanism ${mechanism} is not supported (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512)`);
    const jaas = p['sasl.jaas.config'] ?? '';
    const username = p['sasl.username'] ?? /username\s*=\s*"([^"]*)"/.exec(jaas)?.[1];
    const password = p['sasl.password'] ?? /password\s*=\s*"([^"]*)"/.exec(jaas)?.[1];
    if (username === undefined || password === undefined) throw new ServerConfigError('SASL needs sasl.username and sasl.password (or sasl.jaas.config)');
    sasl = { mechanism, username, password };
  }
  checkPrometheusUrl(p[CONSOLE_PROMETHEUS_URL]);
  let kafkaClient: KafkaClientName;
  try {
    kafkaClient = kafkaClientOf(p['ksetl.kafka.client']);
  } catch (e) {
    throw new ServerConfigError((e as KafkaClientError).message);
  }
  const properties: Record<string, string> = {};
  for (const [k, v] of Object.entries(p)) if (k.startsWith('ksql.') || k === 'processing.guarantee' || k === CONSOLE_PROMETHEUS_URL) properties[k] = v;
  properties['ksql.service.id'] = serviceId;
  properties['processing.guarantee'] = g === 'at_least_once' ? 'at_least_once' : 'exactly_once_v2';
  const user = p['ksetl.basic.auth.user'];
  return {
    bootstrapServers,
    serviceId,
    stateDir: p['ksql.streams.state.dir'] ?? p['state.dir'] ?? null,
    processingGuarantee: g === 'at_least_once' ? 'at_least_once' : 'exactly_once_v2',
    listener,
    limits,
    ssl,
    sasl,
    kafkaClient,
    properties,
    basicAuth: user ? { user, password: p['ksetl.basic.auth.password'] ?? '' } : null,
  };
}

/** The console's Prometheus: an http(s) URL without credentials (the engine shows it in SHOW PROPERTIES). */
function checkPrometheusUrl(url: string | undefined): void {
  if (url === undefined) return;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ServerConfigError(`${CONSOLE_PROMETHEUS_URL} must be an http(s) URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ServerConfigError(`${CONSOLE_PROMETHEUS_URL} must be an http(s) URL`);
  if (u.username || u.password) throw new ServerConfigError(`${CONSOLE_PROMETHEUS_URL} must not carry credentials`);
}

async function listenerOf(l: string, p: Readonly<Record<string, string>>): Promise<ServerConfig['listener']> {
  const m = /^(https?):\/\/([^:/]+|\[[^\]]+\]):(\d+)\/?$/.exec(l);
  if (!m) throw new ServerConfigError(`listeners must look like http://host:port, got ${l}`);
  const host = m[2]!.replace(/^\[|\]$/g, '');
  const port = Number(m[3]);
  if (m[1] === 'http') return { host, port, tls: null };
  const keyFile = p['ksetl.listener.ssl.key.location'];
  const certFile = p['ksetl.listener.ssl.certificate.location'];
  if (!keyFile || !certFile) throw new ServerConfigError('an https:// listener needs ksetl.listener.ssl.key.location and ksetl.listener.ssl.certificate.location (PEM files)');
  const passphrase = p['ksetl.listener.ssl.key.password'];
  return { host, port, tls: { key: await readFile(keyFile, 'utf8'), cert: await readFile(certFile, 'utf8'), ...(passphrase ? { passphrase } : {}) } };
}
