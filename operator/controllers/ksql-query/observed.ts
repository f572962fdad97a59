/**
 * The status step of the KsqlQuery controller: from what was observed (the
 * engine's queries with their states and errors, the figures, whether the
 * SQL was applied) to the STATE column and the Ready, Degraded and Stalled
 * conditions. Pure.
 *
 * Ready means work flows, not only that the engine lists the queries as
 * RUNNING: each running query has written output to its sink, or has no
 * input waiting (its engines report a consumer lag, and it is 0). A query
 * just created, recreated or re-created after a delete is not Ready until
 * then: an engine that cannot make progress (stale topic metadata, a
 * partition nobody consumes) does not look healthy.
 */
import type { ObservedQueryState, PersistentQueryState, QueryStatus } from '../../api/ksql-query.js';
import type { ConditionInput } from '../conditions.js';
import type { Sample } from './engine-client.js';

/** What the engines' metrics say of one query's work. */
export interface QueryFlow {
  /** records written to its sink topic, over its engines */
  readonly recordsOut: number;
  /** records waiting on its input topics over the partitions its engines own; null when no engine reported lag yet */
  readonly lag: number | null;
}

/** Each query's flow from the engines' `ksetl_query_*` samples. Pure. */
export function queryFlows(samples: readonly Sample[], queryIds: Iterable<string>): Map<string, QueryFlow> {
  const acc = new Map<string, { recordsOut: number; lag: number | null }>();
  for (const id of queryIds) acc.set(id, { recordsOut: 0, lag: null });
  for (const s of samples) {
    const f = acc.get(s.labels['query_id'] ?? '');
    if (!f) continue;
    if (s.name === 'ksetl_query_records_out_total') f.recordsOut += s.value;
    else if (s.name === 'ksetl_query_consumer_lag') f.lag = (f.lag ?? 0) + Math.max(0, s.value);
  }
  return acc;
}

/** Whether a running query's work flows: output written, or nothing waiting. */
export function flowing(f: QueryFlow | undefined): boolean {
  return f !== undefined && (f.recordsOut > 0 || f.lag === 0);
}

export interface Observation {
  /** the queries the running statements should have (CSAS/CTAS and INSERT INTO) */
  readonly expected: number;
  readonly want: 'Running' | 'Paused';
  /** the engine's queries of this KsqlQuery */
  readonly queries: readonly QueryStatus[];
  /** Degraded from the apply step (a refused upgrade, a statement the engine refused), or AsExpected */
  readonly degraded: ConditionInput;
  /** stalled for this long (stats.ts), null when not */
  readonly stalledForMs: number | null;
  readonly consumerLag: number;
  readonly progressDeadlineSeconds: number;
  /** each query's work (queryFlows); a running query missing here has shown no work yet */
  readonly flows: ReadonlyMap<string, QueryFlow>;
}

export interface Observed {
  readonly state: ObservedQueryState;
  readonly ready: ConditionInput;
  readonly degraded: ConditionInput;
  readonly stalled: ConditionInput;
}

export function observedStatus(o: Observation): Observed {
  const want: PersistentQueryState = o.want;
  const errored = o.queries.filter((q) => q.state === 'Error');
  const allThere = o.queries.length >= o.expected && o.queries.every((q) => q.state === want);
  const idle = want === 'Running' ? o.queries.filter((q) => !flowing(o.flows.get(q.id))) : [];
  const ready: ConditionInput = allThere && idle.length > 0
    ? { type: 'Ready', status: 'False', reason: 'AwaitingOutput', message: idle.map((q) => `${q.id}: ${awaiting(o.flows.get(q.id))}`).join('; ') }
    : allThere
    ? {
        type: 'Ready',
        status: 'True',
        reason: o.expected === 0 ? 'SourcesDeclared' : want === 'Paused' ? 'QueriesPaused' : 'QueriesRunning',
        message: `${o.queries.length} persistent quer${o.queries.length === 1 ? 'y' : 'ies'} ${want === 'Paused' ? 'paused' : 'running'}`,
      }
    : { type: 'Ready', status: 'False', reason: errored.length ? 'QueryError' : 'QueriesNotRunning', message: o.queries.map((q) => `${q.id}=${q.state}`).join(', ') || 'no query running yet' };
  const degraded: ConditionInput =
    errored.length && o.degraded.status === 'False'
      ? { type: 'Degraded', status: 'True', reason: 'QueryError', message: errored.map((q) => `${q.id}: ${q.error ?? 'ERROR'}`).join('; ') }
      : o.degraded;
  const stalledFor = want === 'Running' && allThere ? o.stalledForMs : null;
  const stalled: ConditionInput =
    stalledFor !== null
      ? {
          type: 'Stalled',
          status: 'True',
          reason: 'NoProgress',
          message: `${o.consumerLag} record(s) wait on the source topics and none was consumed for ${Math.round(stalledFor / 1000)} s (progressDeadlineSeconds: ${o.progressDeadlineSeconds})`,
        }
      : { type: 'Stalled', status: 'False', reason: 'Progressing', message: '' };
  const state: ObservedQueryState = errored.length ? 'Error' : stalledFor !== null ? 'Stalled' : allThere ? o.want : 'Pending';
  return { state, ready, degraded, stalled };
}

function awaiting(f: QueryFlow | undefined): string {
  if (f === undefined || f.lag === null) return 'running, no output and no consumer lag reported yet';
  return `running, no output yet and ${f.lag} record(s) wait on its input topics`;
}
