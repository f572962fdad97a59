import { describe, expect, it } from 'vitest';
import { nextStableSpec, planDeletion, planReconcile, type PlanInput, type QueryAction, type StatusIntent } from './plan.js';
import type { EngineState } from './sql.js';
import { EMPTY, SINK, SRC, engineAfter, statements } from './sql.test-support.js';

// ---- planReconcile / planDeletion ------------------------------------------------------

const V1 = `${SRC}\n${SINK('user_id, service')}`;
const V2 = `${SRC}\n${SINK('user_id, UCASE(service) AS service_uc')}`;
const sqlOf = (sql: string, properties: Record<string, string> = {}) => ({ sql, statements: statements(sql), properties });

function input(over: Partial<PlanInput> & { sql?: string; state?: 'Running' | 'Paused'; upgradePolicy?: PlanInput['spec']['upgradePolicy']; onUpgradeFailure?: PlanInput['spec']['onUpgradeFailure'] } = {}): PlanInput {
  const { sql = V1, state = 'Running', upgradePolicy = 'ReplaceInPlace', onUpgradeFailure = 'Halt', ...rest } = over;
  return {
    generation: 2,
    spec: { sql: sqlOf(sql), state, upgradePolicy, onUpgradeFailure },
    checked: { kind: 'Valid', message: 'ok' },
    engine: EMPTY,
    applied: null,
    stable: null,
    rollback: undefined,
    ...rest,
  };
}

/** The actions as short strings: `Submit CREATE OR REPLACE STREAM by_servic...`, `Terminate CSAS_...`, `Drop BY_SERVICE`, `Event Reason`. */
function brief(actions: readonly QueryAction[]): string[] {
  return actions.map((a) => {
    switch (a.kind) {
      case 'Submit':
        return `Submit ${a.submission.text.slice(0, 24)}`;
      case 'TerminateQuery':
        return `Terminate ${a.id}`;
      case 'DropSource':
        return `Drop ${a.name}${a.deleteTopic ? ' DELETE TOPIC' : ''}`;
      case 'PauseQuery':
        return `Pause ${a.id}`;
      case 'ResumeQuery':
        return `Resume ${a.id}`;
      case 'Event':
        return `Event ${a.reason}`;
    }
  });
}

const degraded = (p: { readonly status: StatusIntent }) => p.status.conditions.find((c) => c.type === 'Degraded');

describe('planReconcile', () => {
  it('new: submits every statement, records spec.sql as applied, and asks to observe again', () => {
    const p = planReconcile(input());
    expect(brief(p.actions)).toEqual(['Submit CREATE STREAM src (user_', 'Event Submitted', 'Submit CREATE STREAM by_service', 'Event Submitted']);
    expect(p.reobserve).toBe(true);
    expect(p.status).toMatchObject({ observe: true, lastAppliedSql: V1 });
    expect(degraded(p)).toMatchObject({ status: 'False', reason: 'AsExpected' });
  });

  it('unchanged: nothing to do, nothing to observe again', () => {
    const p = planReconcile(input({ engine: engineAfter(V1), applied: sqlOf(V1) }));
    expect(p.actions).toEqual([]);
    expect(p.reobserve).toBe(false);
    expect(p.status.lastAppliedSql).toBe(V1);
  });

  it('in-place upgrade: CREATE OR REPLACE of the changed statement and an Upgraded event', () => {
    const p = planReconcile(input({ sql: V2, engine: engineAfter(V1), applied: sqlOf(V1) }));
    expect(brief(p.actions)).toEqual(['Submit CREATE OR REPLACE STREAM', 'Event Submitted', 'Event Upgraded']);
    expect(p.status.lastAppliedSql).toBe(V2);
  });

  it('Recreate: terminates and drops what the old SQL made first, then (observed again) creates the new SQL', () => {
    const engine = engineAfter(V1);
    const teardown = planReconcile(input({ sql: V2, upgradePolicy: 'Recreate', engine, applied: sqlOf(V1) }));
    expect(brief(teardown.actions)).toEqual(['Event Recreating', 'Terminate CSAS_BY_SERVICE_0', 'Drop BY_SERVICE', 'Drop SRC']);
    expect(teardown.reobserve).toBe(true);
    expect(teardown.status.lastAppliedSql).toBe(V1);
    const create = planReconcile(input({ sql: V2, upgradePolicy: 'Recreate', engine: EMPTY, applied: sqlOf(V1) }));
    expect(brief(create.actions)).toEqual(['Submit CREATE STREAM src (user_', 'Event Submitted', 'Submit CREATE STREAM by_service', 'Event Submitted', 'Event Upgraded']);
    expect(create.status.lastAppliedSql).toBe(V2);
  });

  it('Recreate: leaves a stream whose DROP the engine refused (another query reads it) and goes on', () => {
    const engine: EngineState = { ...engineAfter(V1), queries: [] };
    const p = planReconcile(input({ sql: V2, upgradePolicy: 'Recreate', engine, applied: sqlOf(V1), undroppable: new Set(['SRC', 'BY_SERVICE']) }));
    expect(p.actions.some((a) => a.kind === 'DropSource' || a.kind === 'TerminateQuery')).toBe(false);
    expect(p.actions.some((a) => a.kind === 'Submit')).toBe(true);
  });

  it('Refuse: keeps the old SQL running, Degraded', () => {
    const p = planReconcile(input({ sql: V2, upgradePolicy: 'Refuse', engine: engineAfter(V1), applied: sqlOf(V1) }));
    expect(p.actions).toEqual([]);
    expect(p.status.lastAppliedSql).toBe(V1);
    expect(degraded(p)).toMatchObject({ status: 'True', reason: 'SqlChangeRefused' });
  });

  it('paused: pauses the running queries once nothing is left to submit, and resumes them', () => {
    const running = engineAfter(V1);
    expect(brief(planReconcile(input({ state: 'Paused', engine: running, applied: sqlOf(V1) })).actions)).toEqual(['Pause CSAS_BY_SERVICE_0', 'Event Paused']);
    const paused: EngineState = { ...running, queries: running.queries.map((q) => ({ ...q, state: 'PAUSED' })) };
    expect(brief(planReconcile(input({ state: 'Paused', engine: paused, applied: sqlOf(V1) })).actions)).toEqual([]);
    const resume = planReconcile(input({ state: 'Running', engine: paused, applied: sqlOf(V1) }));
    expect(brief(resume.actions)).toEqual(['Resume CSAS_BY_SERVICE_0', 'Event Resumed']);
    expect(resume.reobserve).toBe(true);
    // a new query is created first, and paused on the next plan (after observing it)
    expect(planReconcile(input({ state: 'Paused' })).actions.some((a) => a.kind === 'PauseQuery')).toBe(false);
  });

  it('failing validation: no action; SqlValid=False with the position, Ready Unknown while old SQL runs', () => {
    const problem = { reason: 'SqlReferenceNotFound', message: "column 'NOPE' cannot be resolved", line: 2, column: 84 };
    const p = planReconcile(input({ checked: { kind: 'Invalid', stage: 'DryRun', problem }, engine: engineAfter(V1), applied: sqlOf(V1) }));
    expect(p.actions).toEqual([]);
    expect(p.status).toMatchObject({ observe: false, lastError: problem, requeueAfterMs: 60_000 });
    expect(p.status.conditions).toEqual([
      { type: 'SqlValid', status: 'False', reason: 'SqlReferenceNotFound', message: "line 2:84: column 'NOPE' cannot be resolved" },
      expect.objectContaining({ type: 'Ready', status: 'Unknown', reason: 'SqlInvalid' }),
    ]);
    const topics = planReconcile(input({ checked: { kind: 'TopicNotAllowed', message: 'writes x' } }));
    expect(topics.status.conditions.map((c) => `${c.type}=${c.status} ${c.reason}`)).toEqual(['SqlValid=False TopicNotAllowed', 'Ready=False TopicNotAllowed']);
  });

  describe('a failed upgrade', () => {
    const refused = { during: 'Upgrade', reason: 'EngineRejected', message: 'Cannot upgrade: incompatible schema', statement: SINK('user_id, UCASE(service) AS service_uc') } as const;

    it('Halt: nothing more is done; Degraded with the engine\'s error at its position; the old SQL stays applied', () => {
      const p = planReconcile(input({ sql: V2, engine: engineAfter(V1), applied: sqlOf(V1), stable: sqlOf(V1), failure: refused }));
      expect(p.actions).toEqual([]);
      expect(p.status.lastAppliedSql).toBe(V1);
      expect(degraded(p)).toMatchObject({ status: 'True', reason: 'UpgradeNotInPlace', message: 'line 2:1: Cannot upgrade: incompatible schema' });
      expect(p.status.lastError).toMatchObject({ reason: 'EngineRejected', line: 2, column: 1 });
    });

    it('Rollback, in place: CREATE OR REPLACE with the stable text, then (engine on it) UpgradeRolledBack and status.rollback', () => {
      // the engine took the new text before refusing a later statement
      const half = engineAfter(V2);
      const back = planReconcile(input({ sql: V2, onUpgradeFailure: 'Rollback', engine: half, applied: sqlOf(V1), stable: sqlOf(V1), failure: refused }));
      expect(back.phase).toBe('RollbackInPlace');
      expect(brief(back.actions)).toEqual(['Event RollingBack', 'Submit CREATE OR REPLACE STREAM']);
      expect((back.actions[1] as Extract<QueryAction, { kind: 'Submit' }>).submission.text).toContain('user_id, service FROM');
      expect(back.reobserve).toBe(true);
      const done = planReconcile(input({ sql: V2, onUpgradeFailure: 'Rollback', engine: engineAfter(V1), applied: sqlOf(V1), stable: sqlOf(V1), failure: refused }));
      expect(brief(done.actions)).toEqual(['Event UpgradeRolledBack']);
      expect(done.status).toMatchObject({ lastAppliedSql: V1, rollback: { generation: 2, reason: 'EngineRejected' } });
      expect(degraded(done)).toMatchObject({ status: 'True', reason: 'UpgradeRolledBack' });
    });

    it('Rollback after Recreate: terminates what runs, then creates the stable SQL again', () => {
      const partial = engineAfter(SRC.replace('service VARCHAR', 'service VARCHAR, plan VARCHAR'));
      const i = { sql: V2, upgradePolicy: 'Recreate', onUpgradeFailure: 'Rollback', applied: sqlOf(V1), stable: sqlOf(V1), failure: refused } as const;
      expect(brief(planReconcile(input({ ...i, engine: partial })).actions)).toEqual(['Event RollingBack', 'Drop SRC']);
      expect(brief(planReconcile(input({ ...i, engine: EMPTY })).actions)).toEqual(['Submit CREATE STREAM src (user_', 'Submit CREATE STREAM by_service']);
      expect(degraded(planReconcile(input({ ...i, engine: engineAfter(V1) })))?.reason).toBe('UpgradeRolledBack');
    });

    it('Rollback when a new query is in ERROR before the KsqlQuery was Ready on it (found by the plan)', () => {
      const erring = engineAfter(V2);
      const broken: EngineState = { ...erring, queries: erring.queries.map((q) => ({ ...q, state: 'ERROR' })) };
      const p = planReconcile(input({ sql: V2, onUpgradeFailure: 'Rollback', engine: broken, applied: sqlOf(V2), stable: sqlOf(V1) }));
      expect(p.failure).toMatchObject({ reason: 'QueryError' });
      expect(brief(p.actions)).toEqual(['Event RollingBack', 'Submit CREATE OR REPLACE STREAM']);
      // under Halt, or once Ready on the new SQL (stable = applied), an ERROR is only reported
      expect(planReconcile(input({ sql: V2, engine: broken, applied: sqlOf(V2), stable: sqlOf(V1) })).actions).toEqual([]);
      expect(planReconcile(input({ sql: V2, onUpgradeFailure: 'Rollback', engine: broken, applied: sqlOf(V2), stable: sqlOf(V2) })).actions).toEqual([]);
    });

    it('a rolled-back generation is not tried again: the stable SQL is kept running until the spec changes', () => {
      const rollback = { generation: 2, reason: 'EngineRejected', message: 'Cannot upgrade' };
      const hold = planReconcile(input({ sql: V2, onUpgradeFailure: 'Rollback', engine: engineAfter(V1), applied: sqlOf(V1), stable: sqlOf(V1), rollback }));
      expect(hold.actions).toEqual([]);
      expect(hold.status).toMatchObject({ lastAppliedSql: V1, rollback });
      expect(degraded(hold)?.reason).toBe('UpgradeRolledBack');
      const retry = planReconcile(input({ sql: V2, onUpgradeFailure: 'Rollback', engine: engineAfter(V1), applied: sqlOf(V1), stable: sqlOf(V1), rollback, generation: 3 }));
      expect(brief(retry.actions)[0]).toBe('Submit CREATE OR REPLACE STREAM');
    });

    it('a rollback in place the engine refuses (a column dropped) rolls back by recreating', () => {
      const p = planReconcile(input({ sql: V2, onUpgradeFailure: 'Rollback', engine: engineAfter(V2), applied: sqlOf(V1), stable: sqlOf(V1), failure: { ...refused, during: 'RollbackInPlace', message: 'not upgrade compatible', cause: refused } }));
      expect(p.phase).toBe('Rollback');
      expect(brief(p.actions)).toEqual(['Event RollingBack', 'Terminate CSAS_BY_SERVICE_0', 'Drop BY_SERVICE', 'Drop SRC']);
      expect(p.failure).toMatchObject({ recreate: true, message: refused.message });
    });

    it('a rollback the engine refuses too halts (RollbackFailed); without lastStableSpec there is nothing to roll back to', () => {
      const p = planReconcile(input({ sql: V2, onUpgradeFailure: 'Rollback', engine: engineAfter(V2), applied: sqlOf(V1), stable: sqlOf(V1), failure: { ...refused, during: 'Rollback', message: 'nope', cause: refused } }));
      expect(p.actions).toEqual([]);
      expect(degraded(p)).toMatchObject({ reason: 'RollbackFailed', message: 'the upgrade failed (line 2:1: Cannot upgrade: incompatible schema) and so did the rollback to status.lastStableSpec: nope' });
      const none = planReconcile(input({ sql: V2, onUpgradeFailure: 'Rollback', engine: engineAfter(V1), applied: sqlOf(V1), failure: refused }));
      expect(degraded(none)?.message).toContain('no status.lastStableSpec to roll back to');
    });
  });
});

describe('nextStableSpec', () => {
  it('takes spec.sql and its properties once Ready on them, and keeps the last one otherwise', () => {
    const prev = { sql: V1, generation: 1 };
    expect(nextStableSpec(prev, true, V2, { sql: V2, properties: { 'auto.offset.reset': 'earliest' } }, 3)).toEqual({ sql: V2, properties: { 'auto.offset.reset': 'earliest' }, generation: 3 });
    expect(nextStableSpec(prev, false, V2, { sql: V2 }, 3)).toBe(prev);
    // Ready on the old SQL (a rolled-back or refused change): not the spec's
    expect(nextStableSpec(prev, true, V1, { sql: V2 }, 3)).toBe(prev);
    expect(nextStableSpec(prev, true, V1, { sql: V1 }, 4)).toBe(prev);
  });
});

describe('planDeletion', () => {
  it('Keep: terminates the queries (listed in status or of its SQL) and drops its streams/tables, topics kept', () => {
    const engine = engineAfter(V1);
    const actions = planDeletion({ statements: statements(V1), queryIds: ['CSAS_BY_SERVICE_0', 'GONE_1'], engine, deletionPolicy: 'Keep' });
    expect(brief(actions)).toEqual(['Terminate CSAS_BY_SERVICE_0', 'Drop BY_SERVICE', 'Drop SRC', 'Event Terminated']);
  });

  it('Delete: the sink topics of CREATE ... AS SELECT go too, never those of declared sources', () => {
    const actions = planDeletion({ statements: statements(V1), queryIds: [], engine: engineAfter(V1), deletionPolicy: 'Delete' });
    expect(brief(actions)).toEqual(['Terminate CSAS_BY_SERVICE_0', 'Drop BY_SERVICE DELETE TOPIC', 'Drop SRC', 'Event Terminated']);
  });
});
