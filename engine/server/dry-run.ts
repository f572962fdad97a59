/**
 * POST /ksetl/dry-run: runs a script against a copy of this engine's catalog
 * and tells whether every statement would be accepted, without touching the
 * catalog, the command log or Kafka. The operator validates a KsqlQuery's
 * SQL with it on the cluster's own engines (the same version as the pods,
 * the same streams, tables, types and topics), before submitting anything:
 * a script of several statements sent to /ksql runs statement by statement,
 * so an error in the third would leave the first two applied.
 *
 * Request:  { ksql, streamsProperties?, without?: string[] } — `without`
 *           names streams, tables and types taken out of the copy first
 *           (the ones the caller's script creates again).
 * Answer:   200 { '@type': 'dry_run', statements: [{ statementText, kind,
 *           message, reads, writes }], createdTopics } — the topics each
 *           statement reads and writes (team isolation checks them);
 *           400 statement_error with `reason`, `line`, `column` for the
 *           first statement refused.
 */
import { KsqlError } from '../errors.js';
import { StatementExecutor, type RuntimePort } from '../exec/executor.js';
import { parseScript } from '../sql/index.js';
import type { Statement } from '../sql/ast/statement.js';
import type { KsqlBackend } from './backend.js';
import { sendJson, type Route } from './http/router.js';

export const DRY_RUN_PATH = '/ksetl/dry-run';

export interface DryRunRequest {
  readonly ksql: string;
  readonly streamsProperties?: Readonly<Record<string, string>>;
  readonly without?: readonly string[];
}

export interface DryRunStatement {
  readonly statementText: string;
  readonly kind: Statement['kind'];
  readonly message: string;
  /** Kafka topics the statement's query or declared source reads */
  readonly reads: readonly string[];
  /** Kafka topics the statement's query writes */
  readonly writes: readonly string[];
}

export type DryRunResult =
  | { readonly ok: true; readonly statements: readonly DryRunStatement[]; readonly createdTopics: readonly string[] }
  | {
      readonly ok: false;
      readonly message: string;
      readonly statementText: string;
      readonly reason: string;
      readonly line?: number;
      readonly column?: number;
    };

/** Runs `req` on a throw-away executor holding a copy of `backend`'s catalog. The backend is only read. */
export function dryRun(backend: KsqlBackend, req: DryRunRequest): DryRunResult {
  const without = new Set(req.without ?? []);
  const topics = new Map<string, number>(backend.topics().map((t) => [t.name, t.partitions]));
  const created: string[] = [];
  const runtime: RuntimePort = {
    topicPartitions: (name) => topics.get(name),
    createTopic: (name, partitions) => {
      topics.set(name, partitions);
      created.push(name);
    },
    deleteTopic: (name) => void topics.delete(name),
    startQuery: () => undefined,
    stopQuery: () => undefined,
    produce: () => undefined,
  };
  const executor = new StatementExecutor(backend.functions, backend.registry, runtime, backend.properties);
  const ms = backend.metastore;
  for (const s of ms.sources()) if (!without.has(s.name)) executor.metastore.putSource(s);
  for (const [name, t] of ms.types()) if (!without.has(name)) executor.metastore.putType(name, t);
  for (const q of ms.queries()) if (q.sink === null || !without.has(q.sink)) executor.metastore.putQuery({ ...q });

  const props: Record<string, string> = { ...(req.streamsProperties ?? {}) };
  const out: DryRunStatement[] = [];
  let current = req.ksql;
  try {
    for (const st of parseScript(req.ksql, new Map())) {
      current = st.text;
      const r = executor.executeStatement(st, props);
      out.push({ statementText: st.text, kind: st.kind, message: r.message, ...topicsOf(executor, st, r.queryId) });
    }
  } catch (e) {
    if (!(e instanceof KsqlError)) throw e;
    return { ok: false, message: e.message, statementText: current, reason: e.reason, ...(e.loc ? { line: e.loc.line, column: e.loc.column } : {}) };
  }
  return { ok: true, statements: out, createdTopics: created };
}

function topicsOf(executor: StatementExecutor, st: Statement, queryId: string | null): { reads: string[]; writes: string[] } {
  const ms = executor.metastore;
  const topic = (name: string): string[] => {
    const t = ms.source(name)?.topic;
    return t === undefined ? [] : [t];
  };
  if (st.kind === 'CreateSource') return { reads: topic(st.name), writes: [] };
  const q = queryId === null ? undefined : ms.query(queryId);
  if (!q) return { reads: [], writes: [] };
  return { reads: [...new Set(q.sources.flatMap(topic))].sort(), writes: q.sink === null ? [] : topic(q.sink) };
}

/** The route's handler (mounted after the JSON body parser and the authentication of app.ts). */
export function dryRunRoutes(backend: () => KsqlBackend): Route[] {
  return [
    {
      method: 'POST',
      path: DRY_RUN_PATH,
      handle: ({ res, body: raw }) => {
        const body = (raw ?? {}) as { ksql?: unknown; streamsProperties?: unknown; without?: unknown };
        const props = Object.fromEntries(Object.entries((body.streamsProperties ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
        const without = Array.isArray(body.without) ? body.without.map(String) : [];
        const r = dryRun(backend(), { ksql: typeof body.ksql === 'string' ? body.ksql : '', streamsProperties: props, without });
        if (r.ok) sendJson(res, 200, { '@type': 'dry_run', statements: r.statements, createdTopics: r.createdTopics });
        else sendJson(res, 400, { '@type': 'statement_error', error_code: 40001, ...r, ok: undefined });
      },
    },
  ];
}
