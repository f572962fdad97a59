import type { KsqlBackend } from '../backend.js';
import type { ServerLimits } from '../limits.js';
import type { EngineMetrics } from '../metrics.js';

/** What the route modules share: the backend, the server's options and the state of its commands and push queries. */
export interface ServerState {
  readonly backend: KsqlBackend;
  readonly version: string;
  readonly limits: ServerLimits;
  /** properties applied to every request (e.g. the test runner's `ksql.streams.auto.offset.reset`) */
  readonly properties: Readonly<Record<string, string>>;
  readonly health: (() => HealthReport | Promise<HealthReport>) | undefined;
  readonly ready: (() => boolean) | undefined;
  readonly metrics: EngineMetrics | undefined;
  readonly commands: Map<string, CommandStatus>;
  /** running push queries by id; `close` stops the query and ends its response */
  readonly push: Map<string, { close(): void }>;
  /** the next command sequence number */
  nextSequence(): number;
}

export interface HealthReport {
  readonly isHealthy: boolean;
  /** per check (metastore, kafka, commandRunner, ...): healthy or not, and what failed */
  readonly details: Readonly<Record<string, { readonly isHealthy: boolean } & Readonly<Record<string, unknown>>>>;
}

export interface CommandStatus {
  status: 'QUEUED' | 'PARSING' | 'EXECUTING' | 'RUNNING' | 'TERMINATED' | 'SUCCESS' | 'ERROR';
  message: string;
  queryId: string | null;
}

/** The request's properties over the server's: values as text. */
export function requestProperties(state: ServerState, extra: unknown): Record<string, string> {
  const out: Record<string, string> = { ...state.properties };
  if (extra && typeof extra === 'object' && !Array.isArray(extra)) for (const [k, v] of Object.entries(extra as Record<string, unknown>)) out[k] = typeof v === 'string' ? v : JSON.stringify(v);
  return out;
}

export function sessionVariables(v: unknown): Map<string, string> {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return new Map();
  return new Map(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, typeof x === 'string' ? x : JSON.stringify(x)]));
}
