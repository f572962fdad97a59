import { KsqlRestServer } from '../server/app.js';
import { kafkaBackend } from './kafka-backend.js';
import { KafkaEngine } from './kafka-engine.js';
import { kafkajsPort } from './kafkajs-port.js';
import { loadServerConfig, type ServerConfig } from './server-config.js';

export interface StartServerOptions {
  /** a .properties or .json file (optional: env vars alone may do) */
  readonly configFile?: string | null;
  readonly env?: NodeJS.ProcessEnv;
  /** last-word properties (tests: listeners=http://127.0.0.1:0) */
  readonly overrides?: Readonly<Record<string, string>>;
}

export interface RunningServer {
  readonly config: ServerConfig;
  readonly engine: KafkaEngine;
  readonly server: KsqlRestServer;
  readonly url: string;
  close(): Promise<void>;
}

/**
 * `ksetl server --config FILE`: connects to Kafka, replays the command topic,
 * starts the service's queries, and serves the ksqlDB REST API with
 * GET /healthcheck (liveness: 503 once the engine failed or closed) and
 * GET /ready (readiness: the log is replayed and every query runs).
 */
export async function startServer(options: StartServerOptions = {}): Promise<RunningServer> {
  const config = await loadServerConfig(options.configFile ?? null, options.env ?? process.env, options.overrides ?? {});
  const port = kafkajsPort({
    brokers: config.bootstrapServers,
    clientId: `ksetl-${config.serviceId}`,
    ...(config.ssl !== undefined ? { ssl: config.ssl } : {}),
    ...(config.sasl !== undefined ? { sasl: config.sasl } : {}),
  });
  let engine: KafkaEngine;
  try {
    engine = await KafkaEngine.start({ port, serviceId: config.serviceId, properties: config.properties });
  } catch (e) {
    await port.close().catch(() => {});
    throw e;
  }
  let closed = false;
  const server = new KsqlRestServer({
    backend: kafkaBackend(engine),
    auth: config.basicAuth,
    health: () => ({
      isHealthy: !closed,
      details: { metastore: { isHealthy: true }, kafka: { isHealthy: !closed }, commandRunner: { isHealthy: !closed } },
    }),
    ready: () => engine.ready,
  });
  const { url } = await server.listen(config.listener.port, config.listener.host);
  return {
    config,
    engine,
    server,
    url,
    async close() {
      if (closed) return;
      closed = true;
      await server.close();
      await engine.close();
      await port.close();
    },
  };
}

/** Runs the server until SIGTERM/SIGINT, then closes it (what the CLI calls). */
export async function runServer(options: StartServerOptions = {}): Promise<void> {
  const running = await startServer(options);
  console.log(`ksetl server for service ${running.config.serviceId} listening on ${running.url}`);
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
