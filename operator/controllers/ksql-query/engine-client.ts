/**
 * The operator's client of an engine's REST API (engine/server/app.ts):
 * POST /ksql for statements, SHOW/DESCRIBE for the engine's state, GET
 * /metrics for per-query figures. Errors are typed: a statement the engine
 * refused (EngineStatementError, not retryable) versus an engine that could
 * not be reached (EngineUnavailableError, retryable).
 */
import { basicAuthorization, type EngineCredentials } from '../engine-credentials.js';
import { DRY_RUN_PATH } from 'ksetl/engine';
import type { EngineQuery, EngineState } from './sql.js';
import { problemOfDryRun, type Validation } from './validate.js';

export class EngineStatementError extends Error {
  override readonly name = 'EngineStatementError';
  constructor(
    message: string,
    readonly statementText: string,
  ) {
    super(message);
  }
}

export class EngineUnavailableError extends Error {
  override readonly name = 'EngineUnavailableError';
}

export interface EngineSnapshot {
  readonly state: EngineState;
}

type Entity = Record<string, unknown> & { '@type'?: string };

const REQUEST_TIMEOUT_MS = 30_000;

export class EngineClient {
  readonly #urls: readonly string[];
  readonly #authorization: Record<string, string>;
  /** `credentials`: the cluster's REST credentials (engine-credentials.ts); null calls without (an engine without auth) */
  constructor(urls: readonly string[], credentials: EngineCredentials | null = null) {
    if (urls.length === 0) throw new EngineUnavailableError('no engine endpoint is ready');
    this.#urls = urls;
    this.#authorization = credentials ? { Authorization: basicAuthorization(credentials) } : {};
  }

  get url(): string {
    return this.#urls[0]!;
  }

  /** POST to the first engine that answers. */
  async #post(path: string, body: unknown): Promise<Response> {
    let last: unknown;
    for (const base of this.#urls) {
      try {
        const res = await fetch(`${base}${path}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/vnd.ksql.v1+json', Accept: 'application/vnd.ksql.v1+json', ...this.#authorization },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        if (res.status >= 500 || res.status === 503) {
          last = new EngineUnavailableError(`${base}${path}: HTTP ${res.status} ${await res.text()}`);
          continue;
        }
        // credentials refused: not the statement's fault (an engine still on the last password while the pods roll); retried
        if (res.status === 401 || res.status === 403) {
          last = new EngineUnavailableError(`${base}${path}: HTTP ${res.status}: the engine refused the cluster's credentials (Secret <cluster>-ksetl-auth)`);
          continue;
        }
        return res;
      } catch (e) {
        last = e;
      }
    }
    if (last instanceof EngineUnavailableError) throw last;
    throw new EngineUnavailableError(`engine not reachable at ${this.#urls.join(', ')}: ${last instanceof Error ? (last.cause instanceof Error ? last.cause.message : last.message) : String(last)}`);
  }

  /** Runs statements; the entity list, or EngineStatementError with the engine's message. */
  async ksql(sql: string, streamsProperties: Readonly<Record<string, string>> = {}): Promise<Entity[]> {
    const res = await this.#post('/ksql', { ksql: sql, streamsProperties });
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new EngineUnavailableError(`engine answered ${res.status} with non-JSON: ${text.slice(0, 200)}`);
    }
    if (res.status >= 400) {
      const b = body as { message?: string; statementText?: string };
      throw new EngineStatementError(b.message ?? text, b.statementText ?? sql);
    }
    return body as Entity[];
  }

  /** Streams, tables (with their creating statements), persistent queries and types. */
  async snapshot(): Promise<EngineSnapshot> {
    const entities = await this.ksql('SHOW STREAMS EXTENDED; SHOW TABLES EXTENDED; SHOW QUERIES; SHOW TYPES;');
    const sources = new Map<string, { statement: string; sourceType: 'STREAM' | 'TABLE'; topic: string }>();
    let queries: EngineQuery[] = [];
    const types = new Set<string>();
    for (const e of entities) {
      switch (e['@type']) {
        case 'source_descriptions':
          for (const d of (e['sourceDescriptions'] ?? []) as Record<string, unknown>[]) {
            const name = String(d['name']);
            const statement = String(d['statement'] ?? '');
            const topic = String(d['topic'] ?? '');
            sources.set(name, { statement, sourceType: d['type'] === 'TABLE' ? 'TABLE' : 'STREAM', topic });
          }
          break;
        case 'queries':
          queries = ((e['queries'] ?? []) as Record<string, unknown>[]).map((q) => ({
            id: String(q['id']),
            sql: String(q['queryString'] ?? ''),
            sinks: ((q['sinks'] ?? []) as unknown[]).map(String),
            sinkTopics: ((q['sinkKafkaTopics'] ?? []) as unknown[]).map(String),
            state: String(q['state'] ?? 'UNKNOWN'),
          }));
          break;
        case 'type_list':
          for (const t of Object.keys((e['types'] ?? {}) as Record<string, unknown>)) types.add(t.toUpperCase());
          break;
        default:
          break;
      }
    }
    return { state: { sources, queries, types } };
  }

  /**
   * Asks an engine whether `sql` would be accepted, against its catalog
   * without `without` (engine/server/dry-run.ts); nothing is changed. An
   * engine without the endpoint (an older image) answers 404: Unsupported.
   */
  async dryRun(sql: string, streamsProperties: Readonly<Record<string, string>>, without: readonly string[]): Promise<Validation> {
    const res = await this.#post(DRY_RUN_PATH, { ksql: sql, streamsProperties, without });
    const text = await res.text();
    if (res.status === 404) return { kind: 'Unsupported', message: `the engine at ${this.url} has no dry run (${DRY_RUN_PATH}); its image is older than the operator's` };
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw new EngineUnavailableError(`engine answered ${res.status} with non-JSON: ${text.slice(0, 200)}`);
    }
    if (res.status >= 400) {
      const num = (v: unknown): number | undefined => (typeof v === 'number' && v >= 1 ? v : undefined);
      const line = num(body['line']);
      const column = num(body['column']);
      return {
        kind: 'Invalid',
        problem: problemOfDryRun({ message: String(body['message'] ?? text), reason: String(body['reason'] ?? ''), ...(line ? { line } : {}), ...(column ? { column } : {}) }),
      };
    }
    const statements = (Array.isArray(body['statements']) ? body['statements'] : []) as { reads?: unknown; writes?: unknown }[];
    const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);
    return {
      kind: 'Valid',
      topics: { reads: [...new Set(statements.flatMap((s) => list(s.reads)))].sort(), writes: [...new Set(statements.flatMap((s) => list(s.writes)))].sort() },
    };
  }

  /** The error messages the engine reports for a query (EXPLAIN <id>). */
  async queryErrors(id: string): Promise<string[]> {
    try {
      const [e] = await this.ksql(`EXPLAIN ${id};`);
      const d = (e?.['queryDescription'] ?? {}) as { queryErrors?: unknown[] };
      return (d.queryErrors ?? []).map((x) => (typeof x === 'string' ? x : String((x as { errorMessage?: unknown })?.errorMessage ?? JSON.stringify(x))));
    } catch {
      return [];
    }
  }

  /** The Prometheus text of every engine (for per-query figures); engines that do not answer are left out. */
  async metrics(): Promise<string[]> {
    const out: string[] = [];
    for (const base of this.#urls) {
      try {
        const res = await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(5_000) });
        if (res.ok) out.push(await res.text());
      } catch {
        // figures are best effort
      }
    }
    return out;
  }
}

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Samples of the Prometheus text format (names filtered by prefix). Pure. */
export function parsePrometheusText(text: string, prefix = ''): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#') || !line.startsWith(prefix)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
    for (let l: RegExpExecArray | null; (l = re.exec(m[3] ?? '')) !== null; ) labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    const value = Number(m[4]);
    if (!Number.isNaN(value)) out.push({ name: m[1]!, labels, value });
  }
  return out;
}

/** Per-KsqlQuery totals from engine metrics (summed over engines and the query ids). Pure. */
export function queryFigures(samples: readonly Sample[], queryIds: ReadonlySet<string>): { recordsIn: number; recordsOut: number; errors: number; lag: number; seen: boolean } {
  let recordsIn = 0;
  let recordsOut = 0;
  let errors = 0;
  let lag = 0;
  let seen = false;
  for (const s of samples) {
    const id = s.labels['query_id'];
    if (id === undefined || !queryIds.has(id)) continue;
    seen = true;
    switch (s.name) {
      case 'ksetl_query_records_in_total':
        recordsIn += s.value;
        break;
      case 'ksetl_query_records_out_total':
        recordsOut += s.value;
        break;
      case 'ksetl_query_processing_errors_total':
        errors += s.value;
        break;
      case 'ksetl_query_consumer_lag':
        lag += Math.max(0, s.value);
        break;
      default:
        break;
    }
  }
  return { recordsIn, recordsOut, errors, lag, seen };
}
