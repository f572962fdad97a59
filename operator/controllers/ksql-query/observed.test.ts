import { describe, expect, it } from 'vitest';
import type { QueryStatus } from '../../api/ksql-query.js';
import { observedStatus, queryFlows, type Observation } from './observed.js';

const ok = { type: 'Degraded', status: 'False', reason: 'AsExpected', message: '' } as const;
const q = (id: string, state: QueryStatus['state'], error?: string): QueryStatus => ({ id, state, ...(error ? { error } : {}) });
const base: Observation = { expected: 1, want: 'Running', queries: [q('CSAS_A_0', 'Running')], degraded: ok, stalledForMs: null, consumerLag: 0, progressDeadlineSeconds: 60, flows: new Map([['CSAS_A_0', { recordsOut: 3, lag: 0 }]]) };

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

  it('not Ready while a running query has written no output and input waits for it (or no lag was reported yet)', () => {
    const waiting = observedStatus({ ...base, flows: new Map([['CSAS_A_0', { recordsOut: 0, lag: 756 }]]) });
    expect(waiting).toMatchObject({ state: 'Running', ready: { status: 'False', reason: 'AwaitingOutput', message: 'CSAS_A_0: running, no output yet and 756 record(s) wait on its input topics' } });
    expect(observedStatus({ ...base, flows: new Map() }).ready).toMatchObject({ status: 'False', reason: 'AwaitingOutput', message: 'CSAS_A_0: running, no output and no consumer lag reported yet' });
    expect(observedStatus({ ...base, flows: new Map([['CSAS_A_0', { recordsOut: 0, lag: null }]]) }).ready.status).toBe('False');
    // no output, but nothing waits: an empty source, or every record filtered out
    expect(observedStatus({ ...base, flows: new Map([['CSAS_A_0', { recordsOut: 0, lag: 0 }]]) }).ready.status).toBe('True');
    // output written, lag still being worked off
    expect(observedStatus({ ...base, flows: new Map([['CSAS_A_0', { recordsOut: 1, lag: 500 }]]) }).ready.status).toBe('True');
    // a paused query is Ready as paused, whatever its flow
    expect(observedStatus({ ...base, want: 'Paused', queries: [q('CSAS_A_0', 'Paused')], flows: new Map() }).ready.status).toBe('True');
  });

  it('queryFlows sums a query\'s output and lag over its engines and partitions; no lag series is null', () => {
    const s = (name: string, id: string, value: number, partition = '0') => ({ name, labels: { query_id: id, partition }, value });
    const flows = queryFlows(
      [s('ksetl_query_records_out_total', 'A', 2), s('ksetl_query_records_out_total', 'A', 3), s('ksetl_query_consumer_lag', 'A', 4), s('ksetl_query_consumer_lag', 'A', 1, '1'), s('ksetl_query_records_out_total', 'B', 0), s('ksetl_query_consumer_lag', 'C', 9)],
      ['A', 'B'],
    );
    expect(Object.fromEntries(flows)).toEqual({ A: { recordsOut: 5, lag: 5 }, B: { recordsOut: 0, lag: null } });
  });

  it('a KsqlQuery of declared sources only is Ready with no query', () => {
    expect(observedStatus({ ...base, expected: 0, queries: [] })).toMatchObject({ state: 'Running', ready: { status: 'True', reason: 'SourcesDeclared' } });
  });
});
