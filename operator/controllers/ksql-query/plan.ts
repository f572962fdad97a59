/**
 * The plan step of the KsqlQuery controller, pure: from spec, the engine's
 * state and the status (lastAppliedSql, lastStableSpec, rollback), the
 * actions to take (`planReconcile`, `planDeletion`) — statements to submit,
 * queries to terminate, pause or resume, streams/tables to drop, events —
 * and the status they lead to. The reconciler observes the engine, feeds
 * its state in, carries out the actions and plans again on what it then
 * observes. The SQL model it works on is sql.ts.
 */
import type { DeletionPolicy, QueryState, Rollback, StableSpec, UpgradeFailurePolicy, UpgradePolicy } from '../../api/ksql-query.js';
import type { ConditionInput } from '../conditions.js';
import {
  canonical,
  classifySqlChange,
  createdSources,
  decideUpgrade,
  engineRuns,
  ownedByStatements,
  submissions,
  withPosition,
  type EngineQuery,
  type EngineState,
  type PlannedStatement,
  type SqlProblem,
  type Submission,
} from './sql.js';

/** SQL with its statements and the properties it runs with: spec.sql, status.lastAppliedSql or status.lastStableSpec. */
export interface Sql {
  readonly sql: string;
  readonly statements: readonly PlannedStatement[];
  readonly properties: Readonly<Record<string, string>>;
}

/** What validation made of spec.sql (the parser, then the cluster's dry run and its topic prefixes). */
export type Checked =
  | { readonly kind: 'Valid'; readonly message: string }
  /** the engines have no dry run: each statement is checked as it is submitted */
  | { readonly kind: 'NotDryRun'; readonly message: string }
  | { readonly kind: 'Invalid'; readonly stage: 'Syntax' | 'DryRun'; readonly problem: SqlProblem }
  | { readonly kind: 'TopicNotAllowed'; readonly message: string };

/** A failure in this reconcile, which the reconciler hands to the next plan. */
export interface Failure {
  /**
   * what was being done: applying spec.sql, rolling back to lastStableSpec
   * in place or by recreating, or keeping the rolled-back SQL running
   */
  readonly during: 'Upgrade' | 'RollbackInPlace' | 'Rollback' | 'Hold';
  /** EngineRejected: a statement refused; QueryError: a new query in ERROR */
  readonly reason: 'EngineRejected' | 'QueryError';
  readonly message: string;
  /** the statement the engine refused */
  readonly statement?: string;
  /** the upgrade's failure, for a failure while rolling it back */
  readonly cause?: Failure;
  /** roll back by terminating and recreating: the engine refused the rollback in place */
  readonly recreate?: boolean;
}

export interface PlanInput {
  readonly generation: number;
  readonly spec: {
    readonly sql: Sql;
    readonly state: QueryState;
    readonly upgradePolicy: UpgradePolicy;
    readonly onUpgradeFailure: UpgradeFailurePolicy;
  };
  readonly checked: Checked;
  /** what the engine runs now */
  readonly engine: EngineState;
  /** status.lastAppliedSql, null when nothing was applied (or it does not compile any more) */
  readonly applied: Sql | null;
  /** status.lastStableSpec */
  readonly stable: Sql | null;
  /** status.rollback */
  readonly rollback: Omit<Rollback, 'time'> | undefined;
  /** a statement the engine refused earlier in this reconcile */
  readonly failure?: Failure;
  /** streams/tables whose DROP the engine refused in this reconcile (another query reads them): not dropped again */
  readonly undroppable?: ReadonlySet<string>;
}

export type QueryAction =
  | { readonly kind: 'Submit'; readonly submission: Submission }
  | { readonly kind: 'TerminateQuery'; readonly id: string }
  | { readonly kind: 'DropSource'; readonly name: string; readonly sourceType: 'STREAM' | 'TABLE'; readonly deleteTopic: boolean }
  | { readonly kind: 'PauseQuery'; readonly id: string }
  | { readonly kind: 'ResumeQuery'; readonly id: string }
  | { readonly kind: 'Event'; readonly type: 'Normal' | 'Warning'; readonly reason: string; readonly action: string; readonly message: string };

/** The status the actions lead to. */
export interface StatusIntent {
  /**
   * true: the queries of `running` are observed (states, errors, figures)
   * for the STATE column and Ready/Degraded/Stalled, `conditions` holds
   * SqlValid and the Degraded of the apply step; false (SQL refused before
   * anything was done): `conditions` is written as it is and the rest of
   * the status is kept.
   */
  readonly observe: boolean;
  readonly conditions: readonly ConditionInput[];
  /** status.lastAppliedSql */
  readonly lastAppliedSql?: string;
  /** the statements whose queries are this KsqlQuery's now */
  readonly running: readonly PlannedStatement[];
  readonly lastError?: SqlProblem & { readonly reason: string };
  /** status.rollback */
  readonly rollback?: Omit<Rollback, 'time'>;
  readonly requeueAfterMs?: number;
}

export interface Plan {
  readonly actions: readonly QueryAction[];
  readonly status: StatusIntent;
  /** observe the engine again and plan again after the actions (they changed what the next step depends on) */
  readonly reobserve: boolean;
  /** what the actions do, for a failure among them */
  readonly phase: Failure['during'];
  /** the failure this plan acts on (a query in ERROR it found), kept by the reconciler for the next plans of this reconcile */
  readonly failure?: Failure;
}

const AS_EXPECTED: ConditionInput = { type: 'Degraded', status: 'False', reason: 'AsExpected', message: '' };
const degradedBy = (reason: string, message: string): ConditionInput => ({ type: 'Degraded', status: 'True', reason, message });

/** The status for SQL refused before anything was submitted (syntax, dry run, topic prefixes). Pure. */
export function refusal(checked: Extract<Checked, { kind: 'Invalid' | 'TopicNotAllowed' }>, hasApplied: boolean): StatusIntent {
  const ready = hasApplied ? 'Unknown' : 'False';
  if (checked.kind === 'TopicNotAllowed') {
    return {
      observe: false,
      running: [],
      lastError: { reason: 'TopicNotAllowed', message: checked.message },
      conditions: [
        { type: 'SqlValid', status: 'False', reason: 'TopicNotAllowed', message: checked.message },
        { type: 'Ready', status: ready, reason: 'TopicNotAllowed', message: "spec.sql uses topics outside the cluster's spec.topics; nothing was submitted" },
      ],
    };
  }
  const where = checked.stage === 'Syntax' ? 'does not compile' : 'does not compile against the cluster';
  return {
    observe: false,
    running: [],
    lastError: checked.problem,
    conditions: [
      { type: 'SqlValid', status: 'False', reason: checked.problem.reason, message: withPosition(checked.problem) },
      { type: 'Ready', status: ready, reason: 'SqlInvalid', message: `spec.sql ${where}; the queries last applied (if any) keep running` },
    ],
    ...(checked.stage === 'DryRun' ? { requeueAfterMs: 60_000 } : {}),
  };
}

/** Where a statement the engine refused sits in spec.sql. */
function locate(statements: readonly PlannedStatement[], text: string): { line: number; column: number } | undefined {
  const st = statements.find((s) => s.text === text || text.includes(s.text) || s.text.includes(text.trim()));
  return st ? { line: st.line, column: st.column } : undefined;
}

/** The engine's error for a failure, with its position in spec.sql when it has one. */
function failureError(f: Failure, wanted: readonly PlannedStatement[]): SqlProblem & { reason: string } {
  const at = f.statement !== undefined ? locate(wanted, f.statement) : undefined;
  return { reason: f.reason, message: at ? `line ${at.line}:${at.column}: ${f.message}` : f.message, ...(at ?? {}) };
}

/** Pause or resume the queries of `statements` to match spec.state. */
function pauseResume(statements: readonly PlannedStatement[], engine: EngineState, want: QueryState): QueryAction[] {
  const out: QueryAction[] = [];
  for (const q of ownedByStatements(statements, engine).queries) {
    if (q.state === 'RUNNING' && want === 'Paused') out.push({ kind: 'PauseQuery', id: q.id }, { kind: 'Event', type: 'Normal', reason: 'Paused', action: 'Pause', message: `query ${q.id} paused` });
    else if (q.state === 'PAUSED' && want === 'Running') out.push({ kind: 'ResumeQuery', id: q.id }, { kind: 'Event', type: 'Normal', reason: 'Resumed', action: 'Resume', message: `query ${q.id} resumed` });
  }
  return out;
}

/** Terminate the queries of `statements`, then drop the streams/tables they create, last first (the undroppable aside). */
function teardown(statements: readonly PlannedStatement[], engine: EngineState, deleteTopics: boolean, undroppable: ReadonlySet<string> = new Set()): QueryAction[] {
  const out: QueryAction[] = ownedByStatements(statements, engine).queries.map((q) => ({ kind: 'TerminateQuery', id: q.id }));
  const seen = new Set<string>();
  for (const s of [...createdSources(statements)].reverse()) {
    if (seen.has(s.target) || !engine.sources.has(s.target) || undroppable.has(s.target)) continue;
    seen.add(s.target);
    out.push({ kind: 'DropSource', name: s.target, sourceType: s.sourceType ?? engine.sources.get(s.target)!.sourceType, deleteTopic: deleteTopics && s.kind === 'CreateAsSelect' });
  }
  return out;
}

/** Submit what `target` still lacks on the engine; once nothing is lacking, pause/resume to spec.state. */
function converge(input: PlanInput, target: Sql, mode: 'create' | 'replace', phase: Plan['phase'], status: Omit<StatusIntent, 'observe' | 'running' | 'lastAppliedSql'>, events: readonly QueryAction[] = []): Plan {
  const subs = submissions(target.statements, input.engine, mode, target.properties);
  const toggles = subs.length === 0 ? pauseResume(target.statements, input.engine, input.spec.state) : [];
  const submitted: QueryAction[] = subs.flatMap((sub) => [
    { kind: 'Submit', submission: sub } as const,
    { kind: 'Event', type: 'Normal', reason: 'Submitted', action: 'Submit', message: `${sub.statement.kind} ${sub.statement.target}` } as const,
  ]);
  return {
    actions: [...submitted, ...events, ...toggles],
    reobserve: subs.length > 0 || toggles.length > 0,
    phase,
    status: { observe: true, running: target.statements, lastAppliedSql: target.sql, ...status },
  };
}

/** The queries the engine runs for `attempted` that `stable` does not make, and the streams/tables only `attempted` creates. */
function extras(attempted: readonly PlannedStatement[], stable: readonly PlannedStatement[], engine: EngineState): { queries: string[]; sources: PlannedStatement[] } {
  const sinks = new Set(stable.filter((s) => s.kind === 'CreateAsSelect').map((s) => s.target));
  const inserts = new Set(stable.filter((s) => s.kind === 'InsertInto').map((s) => canonical(s.text)));
  const stableQuery = (q: EngineQuery): boolean => (/^\s*INSERT\b/i.test(q.sql) ? inserts.has(canonical(q.sql)) : q.sinks.some((s) => sinks.has(s)));
  const created = new Set(createdSources(stable).map((s) => s.target));
  return {
    queries: ownedByStatements(attempted, engine).queries.filter((q) => !stableQuery(q)).map((q) => q.id),
    sources: createdSources(attempted).filter((s) => !created.has(s.target) && engine.sources.has(s.target)),
  };
}

/**
 * Back to the stable SQL after `failure`: in place (CREATE OR REPLACE with
 * the stable text) when the upgrade was in place, else terminate what runs
 * and create the stable SQL again. Repeated (observing in between) until the
 * engine runs the stable SQL and nothing of the failed one.
 */
function rollBack(input: PlanInput, stable: Sql, failure: Failure): Plan {
  const { engine, spec, generation } = input;
  const attempted = [...spec.sql.statements, ...(input.applied?.statements ?? [])];
  const record: Omit<Rollback, 'time'> = { generation, reason: failure.reason, message: failureError(failure, spec.sql.statements).message };
  const rolled = degradedBy('UpgradeRolledBack', `spec.sql (generation ${generation}) failed and was rolled back to status.lastStableSpec: ${record.message}`);
  const extra = extras(attempted, stable.statements, engine);
  const upgrade = decideUpgrade(classifySqlChange(stable.statements, spec.sql.statements), spec.upgradePolicy);
  const inPlace = !failure.recreate && upgrade.kind === 'Apply' && upgrade.mode === 'replace';
  const base = { phase: inPlace ? ('RollbackInPlace' as const) : ('Rollback' as const), failure };
  const pending: StatusIntent = {
    observe: true,
    running: input.applied?.statements ?? spec.sql.statements,
    ...(input.applied ? { lastAppliedSql: input.applied.sql } : {}),
    conditions: [degradedBy('UpgradeFailed', `rolling back to status.lastStableSpec: ${record.message}`)],
    lastError: failureError(failure, spec.sql.statements),
  };
  const removeExtras: QueryAction[] = [
    ...extra.queries.map((id): QueryAction => ({ kind: 'TerminateQuery', id })),
    ...[...extra.sources].reverse().filter((s) => !input.undroppable?.has(s.target)).map((s): QueryAction => ({ kind: 'DropSource', name: s.target, sourceType: s.sourceType ?? 'STREAM', deleteTopic: false })),
  ];
  if (engineRuns(stable.statements, engine)) {
    if (removeExtras.length > 0) return { ...base, actions: removeExtras, reobserve: true, status: pending };
    const done = converge(input, stable, 'create', 'Rollback', { conditions: [rolled], rollback: record, lastError: failureError(failure, spec.sql.statements) }, [
      { kind: 'Event', type: 'Warning', reason: 'UpgradeRolledBack', action: 'Rollback', message: rolled.message ?? '' },
    ]);
    return { ...done, failure };
  }
  if (inPlace) {
    const subs = submissions(stable.statements, engine, 'replace', stable.properties);
    return {
      ...base,
      actions: [
        { kind: 'Event', type: 'Warning', reason: 'RollingBack', action: 'Rollback', message: `replacing in place with status.lastStableSpec: ${record.message}` },
        ...removeExtras,
        ...subs.map((sub): QueryAction => ({ kind: 'Submit', submission: sub })),
      ],
      reobserve: true,
      status: pending,
    };
  }
  const all = [...attempted, ...stable.statements];
  const owned = ownedByStatements(all, engine);
  if (owned.queries.length > 0 || owned.sources.some((s) => !input.undroppable?.has(s))) {
    return {
      ...base,
      actions: [{ kind: 'Event', type: 'Warning', reason: 'RollingBack', action: 'Rollback', message: `terminating and recreating status.lastStableSpec: ${record.message}` }, ...teardown(all, engine, false, input.undroppable)],
      reobserve: true,
      status: pending,
    };
  }
  const subs = submissions(stable.statements, engine, 'create', stable.properties);
  return { ...base, actions: subs.map((sub): QueryAction => ({ kind: 'Submit', submission: sub })), reobserve: true, status: pending };
}

/** Whether a Recreate still has to terminate and drop what `applied` made. */
function needsTeardown(applied: readonly PlannedStatement[], wanted: readonly PlannedStatement[], engine: EngineState, undroppable: ReadonlySet<string>): boolean {
  // recreated by a reconcile that stopped before writing status (an operator killed midway): done already
  if (engineRuns(wanted, engine) && !engineRuns(applied, engine)) return false;
  const owned = ownedByStatements(applied, engine);
  return owned.queries.length > 0 || owned.sources.some((s) => !undroppable.has(s));
}

/**
 * The plan of one reconcile step of a KsqlQuery. In order:
 * 1. SQL refused by validation: nothing is done, the status says why.
 * 2. A rollback that failed, or the rolled-back SQL that does not start:
 *    halt (Degraded=True, RollbackFailed / SubmitFailed).
 * 3. This generation was rolled back already: keep status.lastAppliedSql
 *    (the stable SQL) running; Degraded=True, UpgradeRolledBack.
 * 4. A statement refused in this reconcile, or a new query in ERROR before
 *    the KsqlQuery was Ready on the new SQL: onUpgradeFailure: Rollback goes
 *    back to status.lastStableSpec; Halt stops (Degraded=True).
 * 5. The upgrade policy on the change from status.lastAppliedSql to
 *    spec.sql: Refuse keeps the old SQL; Recreate terminates and drops what
 *    the old SQL made, then (next step) creates; in place and unchanged
 *    submit what the engine lacks.
 * Then, with nothing left to submit, pause/resume to spec.state. Pure.
 */
export function planReconcile(input: PlanInput): Plan {
  const { spec, engine, applied, stable, failure, generation } = input;
  const wanted = spec.sql.statements;
  const checked = input.checked;
  if (checked.kind === 'Invalid' || checked.kind === 'TopicNotAllowed') return { actions: [], reobserve: false, phase: 'Upgrade', status: refusal(checked, applied !== null) };
  const sqlValid: ConditionInput =
    checked.kind === 'NotDryRun'
      ? { type: 'SqlValid', status: 'True', reason: 'NotDryRun', message: `${checked.message}; each statement was checked as it was submitted` }
      : { type: 'SqlValid', status: 'True', reason: 'SqlValid', message: checked.message };
  const undroppable = input.undroppable ?? new Set<string>();
  const toggles = applied ? pauseResume(applied.statements, engine, spec.state) : [];
  const keep = (degraded: ConditionInput, extra: Partial<StatusIntent> = {}): Plan => ({
    actions: toggles,
    reobserve: toggles.length > 0,
    phase: 'Upgrade',
    status: { observe: true, running: applied?.statements ?? wanted, ...(applied ? { lastAppliedSql: applied.sql } : {}), conditions: [sqlValid, degraded], ...extra },
  });

  // 2. nothing more to try in this reconcile
  // a rollback in place the engine refused (ksqlDB refuses to drop a column in place): roll back by recreating
  if (failure?.during === 'RollbackInPlace' && spec.onUpgradeFailure === 'Rollback' && stable) {
    const p = rollBack(input, stable, { ...(failure.cause ?? failure), during: 'Upgrade', recreate: true });
    return { ...p, status: { ...p.status, conditions: [sqlValid, ...p.status.conditions] } };
  }
  if (failure && failure.during !== 'Upgrade') {
    const rollingBack = failure.during !== 'Hold';
    const message = rollingBack && failure.cause ? `the upgrade failed (${failureError(failure.cause, wanted).message}) and so did the rollback to status.lastStableSpec: ${failure.message}` : failure.message;
    return { ...keep(degradedBy(rollingBack ? 'RollbackFailed' : 'SubmitFailed', message), { lastError: { reason: failure.reason, message } }), actions: [], reobserve: false };
  }
  // 3. rolled back before: the stable SQL keeps running until the spec changes
  if (input.rollback && input.rollback.generation === generation && applied) {
    return converge(input, applied, 'create', 'Hold', {
      conditions: [sqlValid, degradedBy('UpgradeRolledBack', `spec.sql (generation ${generation}) failed and was rolled back to status.lastStableSpec: ${input.rollback.message}`)],
      rollback: input.rollback,
    });
  }
  const rollbackTo = spec.onUpgradeFailure === 'Rollback' && stable && stable.sql !== spec.sql.sql ? stable : null;
  // 4. a failed upgrade
  if (failure) {
    if (rollbackTo) {
      const p = rollBack(input, rollbackTo, failure);
      return { ...p, status: { ...p.status, conditions: [sqlValid, ...p.status.conditions] } };
    }
    const upgrade = applied ? decideUpgrade(classifySqlChange(applied.statements, wanted), spec.upgradePolicy) : null;
    const reason = upgrade?.kind === 'Apply' && upgrade.mode === 'replace' ? 'UpgradeNotInPlace' : 'SubmitFailed';
    const why = spec.onUpgradeFailure === 'Rollback' ? `${failureError(failure, wanted).message} (no status.lastStableSpec to roll back to)` : failureError(failure, wanted).message;
    return { ...keep(degradedBy(reason, why), { lastError: failureError(failure, wanted) }), actions: [], reobserve: false };
  }
  if (rollbackTo && applied && applied.sql === spec.sql.sql) {
    const errored = ownedByStatements(applied.statements, engine).queries.filter((q) => q.state === 'ERROR');
    if (errored.length > 0) {
      const found: Failure = { during: 'Upgrade', reason: 'QueryError', message: `query ${errored.map((q) => q.id).join(', ')} in ERROR before the KsqlQuery was Ready on the new SQL` };
      const p = rollBack(input, rollbackTo, found);
      return { ...p, status: { ...p.status, conditions: [sqlValid, ...p.status.conditions] } };
    }
  }

  // 5. the upgrade policy
  const change = classifySqlChange(applied?.statements ?? null, wanted);
  const upgrade = decideUpgrade(change, spec.upgradePolicy);
  if (upgrade.kind === 'Refuse') return keep(degradedBy(upgrade.reason, upgrade.message));
  if (upgrade.kind === 'Recreate' && applied && needsTeardown(applied.statements, wanted, engine, undroppable)) {
    return {
      actions: [{ kind: 'Event', type: 'Normal', reason: 'Recreating', action: 'Recreate', message: `terminating and recreating the queries: ${upgrade.why}` }, ...teardown(applied.statements, engine, false, undroppable)],
      reobserve: true,
      phase: 'Upgrade',
      status: { observe: true, running: applied.statements, lastAppliedSql: applied.sql, conditions: [sqlValid, AS_EXPECTED] },
    };
  }
  const upgraded: QueryAction[] = change.kind === 'InPlace' || change.kind === 'Recreate' ? [{ kind: 'Event', type: 'Normal', reason: 'Upgraded', action: 'Submit', message: `spec.sql applied (${change.kind})` }] : [];
  return converge(input, spec.sql, upgrade.kind === 'Apply' ? upgrade.mode : 'create', 'Upgrade', { conditions: [sqlValid, AS_EXPECTED] }, upgraded);
}

/**
 * The status's lastStableSpec after a reconcile: spec.sql and its
 * properties once the KsqlQuery is Ready on them, else as it was. Pure.
 */
export function nextStableSpec(previous: StableSpec | undefined, ready: boolean, lastAppliedSql: string | undefined, spec: { readonly sql: string; readonly properties?: Readonly<Record<string, string>> }, generation: number): StableSpec | undefined {
  if (!ready || lastAppliedSql !== spec.sql) return previous;
  if (previous && previous.sql === spec.sql && JSON.stringify(previous.properties ?? {}) === JSON.stringify(spec.properties ?? {})) return previous;
  return { sql: spec.sql, ...(spec.properties && Object.keys(spec.properties).length > 0 ? { properties: { ...spec.properties } } : {}), generation };
}

/**
 * What deleting a KsqlQuery does on the engine: terminate its queries (those
 * the status lists and those of its SQL: a reconcile may have stopped before
 * writing status), drop the streams/tables its SQL created, last first, with
 * their sink topics under `deletionPolicy: Delete` (never the topics of
 * declared sources). Pure.
 */
export function planDeletion(input: { readonly statements: readonly PlannedStatement[]; readonly queryIds: readonly string[]; readonly engine: EngineState; readonly deletionPolicy: DeletionPolicy }): QueryAction[] {
  const listed = new Set(input.queryIds);
  const owned = new Set(ownedByStatements(input.statements, input.engine).queries.map((q) => q.id));
  const terminate: QueryAction[] = input.engine.queries.filter((q) => listed.has(q.id) || owned.has(q.id)).map((q) => ({ kind: 'TerminateQuery', id: q.id }));
  const drops = teardown(input.statements, input.engine, input.deletionPolicy === 'Delete').filter((a) => a.kind === 'DropSource');
  return [
    ...terminate,
    ...drops,
    { kind: 'Event', type: 'Normal', reason: 'Terminated', action: 'Delete', message: `queries terminated${input.deletionPolicy === 'Delete' ? ', sink topics deleted' : ''}` },
  ];
}
