/**
 * The status step of the KsqlQuery controller: from what was observed (the
 * engine's queries with their states and errors, the figures, whether the
 * SQL was applied) to the STATE column and the Ready, Degraded and Stalled
 * conditions. Pure.
 */
import type { ObservedQueryState, PersistentQueryState, QueryStatus } from '../../api/ksql-query.js';
import type { ConditionInput } from '../conditions.js';

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
  const ready: ConditionInput = allThere
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
