/**
 * Semantic checks of a KsqlQuery's SQL before anything is submitted, by the
 * cluster's own engines: POST /ksetl/dry-run (engine/server/dry-run.ts) runs
 * the script against a copy of the engine's catalog — the same engine
 * version as the pods, the same streams, tables, types and topics — and
 * changes nothing. A missing stream, an unknown column or a type error
 * comes back with its line and column in `spec.sql`.
 *
 * Why not submit and see: a script of several statements is executed
 * statement by statement, so an error in the third statement would leave
 * the first two applied.
 *
 * A dry run is asked for when the KsqlQuery's generation or the cluster's
 * catalog (minus what this KsqlQuery made) changes, not on every poll:
 * `validationKey` is what the reconciler compares.
 */
import { createHash } from 'node:crypto';
import { problemReason, type EngineState, type SqlProblem } from './sql.js';

/** The topics the statements read and write, as the engine resolved them. */
export interface TopicUse {
  readonly reads: readonly string[];
  readonly writes: readonly string[];
}

export type Validation =
  | { readonly kind: 'Valid'; readonly topics: TopicUse }
  | { readonly kind: 'Invalid'; readonly problem: SqlProblem }
  /** the cluster's engines have no dry run (an image older than the operator): the SQL is submitted as is */
  | { readonly kind: 'Unsupported'; readonly message: string };

/**
 * What a validation depends on: the generation and the cluster's catalog
 * (streams and tables with their statements and topics, types), minus the
 * sources `mine` (this KsqlQuery's, which its SQL creates again). Pure.
 */
export function validationKey(generation: number | undefined, state: EngineState, mine: ReadonlySet<string>): string {
  const h = createHash('sha256');
  h.update(`generation ${generation ?? 0}\n`);
  for (const [name, s] of [...state.sources].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (mine.has(name)) continue;
    h.update(`${s.sourceType} ${name} ${s.topic}\n${s.statement}\n`);
  }
  for (const t of [...state.types].sort()) if (!mine.has(t)) h.update(`type ${t}\n`);
  return h.digest('hex');
}

/** A dry run's refusal as a SqlProblem (reason from the engine's typed reason, never from the message). Pure. */
export function problemOfDryRun(e: { readonly message: string; readonly reason?: string; readonly line?: number; readonly column?: number }): SqlProblem {
  return {
    reason: problemReason(e.reason),
    message: e.message,
    ...(e.line !== undefined ? { line: e.line } : {}),
    ...(e.column !== undefined ? { column: e.column } : {}),
  };
}
