import { describe, expect, it } from 'vitest';
import type { QueryStatus } from '../../api/ksql-query.js';
import { observedStatus, type Observation } from './observed.js';

const ok = { type: 'Degraded', status: 'False', reason: 'AsExpected', message: '' } as const;
const q = (id: string, state: QueryStatus['state'], error?: string): QueryStatus => ({ id, state, ...(error ? { error } : {}) });
const base: Observation = { expected: 1, want: 'Running', queries: [q('CSAS_A_0', 'Running')], degraded: ok, stalledForMs: null, consumerLag: 0, progressDeadlineSeconds: 60 };

describe('observedStatus', () => {
  it('Running and Ready when every expected query runs', () => {
    const o = observedStatus(base);
    expect(o.state).toBe('Running');
    expect(o.ready).toMatchObject({ status: 'True', reason: 'QueriesRunning', message: '1 persistent query running' });
    expect(o.stalled.status).toBe('False');
    expect(o.degraded).toBe(ok);
  });

  it('Pending and not Ready while a query is missing or not in the wanted state', () => {
    expect(observedStatus({ ...base, queries: [] })).toMatchObject({ state: 'Pending', ready: { status: 'False', message: 'no query running yet' } });
    expect(observedStatus({ ...base, want: 'Paused' })).toMatchObject({ state: 'Pending', ready: { status: 'False', message: 'CSAS_A_0=Running' } });
  });

  it('Error with the engine\'s error in Degraded; a Degraded from the apply step wins', () => {
    const err = observedStatus({ ...base, queries: [q('CSAS_A_0', 'Error', 'sink gone')] });
    expect(err).toMatchObject({ state: 'Error', ready: { reason: 'QueryError' }, degraded: { status: 'True', reason: 'QueryError', message: 'CSAS_A_0: sink gone' } });
    const refused = { type: 'Degraded', status: 'True', reason: 'SqlChangeRefused', message: 'x' } as const;
    expect(observedStatus({ ...base, queries: [q('CSAS_A_0', 'Error')], degraded: refused }).degraded).toBe(refused);
  });

  it('Stalled only for running queries that are all there', () => {
    const s = observedStatus({ ...base, stalledForMs: 61_000, consumerLag: 756 });
    expect(s.state).toBe('Stalled');
    expect(s.stalled).toMatchObject({ status: 'True', reason: 'NoProgress', message: '756 record(s) wait on the source topics and none was consumed for 61 s (progressDeadlineSeconds: 60)' });
    expect(s.ready.status).toBe('True');
    expect(observedStatus({ ...base, want: 'Paused', queries: [q('CSAS_A_0', 'Paused')], stalledForMs: 61_000 }).state).toBe('Paused');
  });

  it('a KsqlQuery of declared sources only is Ready with no query', () => {
    expect(observedStatus({ ...base, expected: 0, queries: [] })).toMatchObject({ state: 'Running', ready: { status: 'True', reason: 'SourcesDeclared' } });
  });
});
