import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export interface EngineLoggerOptions {
  /** pino level; default: KSETL_LOG_LEVEL, else `ksetl.log.level` in `properties`, else info */
  readonly level?: string;
  readonly properties?: Readonly<Record<string, string>>;
  readonly serviceId?: string;
  readonly namespace?: string;
  readonly cluster?: string;
  /** where the JSON lines go (default stdout) */
  readonly destination?: DestinationStream;
}

/**
 * The engine's JSON logger: one JSON object per line on stdout, with the base
 * fields namespace, cluster and service_id. A query's lines come from
 * `logger.child({ query_id })`.
 */
export function engineLogger(o: EngineLoggerOptions = {}): Logger {
  const level = (o.level ?? process.env['KSETL_LOG_LEVEL'] ?? o.properties?.['ksetl.log.level'] ?? 'info').toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new Error(`unknown log level ${level} (${LOG_LEVELS.join(', ')})`);
  const options = {
    level,
    base: {
      namespace: o.namespace ?? process.env['KSETL_NAMESPACE'] ?? '',
      cluster: o.cluster ?? process.env['KSETL_CLUSTER'] ?? '',
      service_id: o.serviceId ?? '',
    },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  return o.destination ? pino(options, o.destination) : pino(options);
}

/** A logger that writes nothing (library use and tests that do not look at logs). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
