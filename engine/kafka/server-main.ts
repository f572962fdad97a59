import { hostname } from 'node:os';
import type { DestinationStream } from 'pino';
import { setRegexBudgetMs } from '../functions/scalar/regex-sandbox.js';
import { KsqlRestServer } from '../server/app.js';
import { HealthMonitor } from '../server/health.js';
import { HttpListener } from '../server/http/listener.js';
import { engineLogger, type Logger } from '../server/logger.js';
import { EngineMetrics } from '../server/metrics.js';
import { kafkaBackend } from './kafka-backend.js';
import { KafkaEngine } from './kafka-engine.js';
import { kafkaPort } from './kafka-client.js';
import { commandTopic } from './names.js';
import { loadServerConfig, type ServerConfig } from './server-config.js';

export interface StartServerOptions {
  /** a .properties or .json file (optional: env vars alone may do) */
  readonly configFile?: string | null;
  readonly env?: NodeJS.ProcessEnv;
  /** last-word properties (tests: listeners=http://127.0.0.1:0) */
  readonly overrides?: Readonly<Record<string, string>>;
  /** where the JSON log lines go (default stdout) */
  readonly logDestination?: DestinationStream;
}

export interface RunningServer {
  readonly config: ServerConfig;
  readonly engine: KafkaEngine;
  readonly server: KsqlRestServer;
  readonly url: string;
  readonly metrics: EngineMetrics;
  readonly logger: Logger;
  close(): Promise<void>;
}

/**
 * `ksetl server --config FILE`: connects to Kafka, replays the command topic,
 * starts the service's queries, and serves the ksqlDB REST API with
 * GET /healthcheck (liveness: 503 once the engine's command runner stopped,
 * Kafka does not answer or the engine closed; details.queries lists the
 * queries' states and errors; server/health.ts) and
 * GET /ready (readiness: the log is replayed and every query runs) and
 * GET /metrics (Prometheus, see server/metrics.ts). Logs are JSON lines
 * (pino) at KSETL_LOG_LEVEL / ksetl.log.level (default info), with
 * namespace/cluster/service_id on every line and query_id on a query's.
 */
export async function startServer(options: StartServerOptions = {}): Promise<RunningServer> {
  const env = options.env ?? process.env;
  // the process's KSETL_KAFKA_CLIENT names the Kafka client also when a test hands its own environment
  const client = env['KSETL_KAFKA_CLIENT'] ?? process.env['KSETL_KAFKA_CLIENT'];
  const config = await loadServerConfig(options.configFile ?? null, client !== undefined ? { ...env, KSETL_KAFKA_CLIENT: client } : env, options.overrides ?? {});
  const labels = { namespace: env['KSETL_NAMESPACE'] ?? '', cluster: env['KSETL_CLUSTER'] ?? '', serviceId: config.serviceId };
  const logger = engineLogger({
    ...labels,
    level: env['KSETL_LOG_LEVEL'] ?? config.properties['ksetl.log.level'] ?? 'info',
    ...(options.logDestination ? { destination: options.logDestination } : {}),
  });
  const metrics = new EngineMetrics(labels);
  const port = kafkaPort(config.kafkaClient, {
    brokers: config.bootstrapServers,
    clientId: `ksetl-${config.serviceId}`,
    logger,
    logLevel: logger.isLevelEnabled('debug') ? 'info' : 'error',
    ...(config.ssl !== undefined ? { ssl: config.ssl } : {}),
    ...(config.sasl !== undefined ? { sasl: config.sasl } : {}),
  });
  // The REST port is bound first: the queries announce its address to their groups (pull queries are forwarded there).
  // HTTP/1.1 and HTTP/2 on one port; until the engine runs, every request gets a 503
  const http = await HttpListener.listen({ port: config.listener.port, host: config.listener.host, tls: config.listener.tls });
  const bound = http.port;
  const url = `${http.scheme}://${config.listener.host.includes(':') ? `[${config.listener.host}]` : config.listener.host}:${bound}`;
  const advertised = config.properties['ksql.advertised.listener'] ?? advertisedUrl(http.scheme, config.listener.host, bound);
  // the queries started while the engine replays its log already match under the configured budget
  setRegexBudgetMs(config.limits.regexBacktrackingBudgetMs);
  let engine: KafkaEngine;
  try {
    engine = await KafkaEngine.start({
      port,
      serviceId: config.serviceId,
      properties: { ...config.properties, 'ksql.advertised.listener': advertised },
      metrics,
      logger,
      identity: { namespace: labels.namespace, cluster: labels.cluster },
      // worker stream threads (num.stream.threads > 1) make their own clients of the same configuration
      streamThreads: {
        client: config.kafkaClient,
        portOptions: {
          brokers: config.bootstrapServers,
          clientId: `ksetl-${config.serviceId}`,
          ...(config.ssl !== undefined ? { ssl: config.ssl } : {}),
          ...(config.sasl !== undefined ? { sasl: config.sasl } : {}),
        },
        logLevel: env['KSETL_LOG_LEVEL'] ?? config.properties['ksetl.log.level'] ?? 'info',
      },
    });
  } catch (e) {
    logger.error({ err: e }, 'engine failed to start');
    await http.close();
    await port.close().catch(() => {});
    throw e;
  }
  let closed = false;
  // /healthcheck: the engine's report, and whether Kafka answers (the command topic's metadata, as ksqlDB's KafkaBrokerCheck)
  const monitor = new HealthMonitor(
    () => engine.health(),
    [{ name: 'kafka', run: () => port.admin.describeTopics([commandTopic(config.serviceId)]).then((t) => (t.length === 1 ? t : Promise.reject(new Error(`the command topic ${commandTopic(config.serviceId)} is gone`)))) }],
  );
  const server = new KsqlRestServer({
    backend: kafkaBackend(engine),
    auth: config.basicAuth,
    health: () => (closed ? { isHealthy: false, details: { metastore: { isHealthy: true }, kafka: { isHealthy: false }, commandRunner: { isHealthy: false } } } : monitor.report()),
    ready: () => engine.ready,
    metrics,
    limits: config.limits,
    onError: (err) => logger.error({ err }, 'request failed'),
  });
  server.attach(http);
  logger.info({ url, advertised, guarantee: config.processingGuarantee }, 'listening');
  return {
    config,
    engine,
    server,
    url,
    metrics,
    logger,
    async close() {
      if (closed) return;
      closed = true;
      logger.info('shutting down');
      await server.close();
      await engine.close();
      await port.close();
    },
  };
}

/**
 * The address other processes reach this one at when `ksql.advertised.listener`
 * is not set: the listener's, or the host name for a wildcard listener.
 */
function advertisedUrl(scheme: string, host: string, port: number): string {
  const wildcard = host === '0.0.0.0' || host === '::' || host === '';
  const h = wildcard ? hostname() : host;
  return `${scheme}://${h.includes(':') ? `[${h}]` : h}:${port}`;
}

/** Runs the server until SIGTERM/SIGINT, then closes it (what the CLI calls). */
export async function runServer(options: StartServerOptions = {}): Promise<void> {
  const running = await startServer(options);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      void running.close().then(resolve, resolve);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}
