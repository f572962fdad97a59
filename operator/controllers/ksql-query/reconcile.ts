/**
 * The KsqlQuery controller, in steps:
 * - observe: the resource, its cluster, the engine's sources and queries;
 * - validate: compile spec.sql with the engine's parser, then a dry run on
 *   the cluster's own engine (validate.ts) and its topic prefixes;
 * - plan (plan.ts, pure): the actions from spec, engine state and status
 *   (lastAppliedSql, lastStableSpec, rollback) — statements to submit,
 *   queries to terminate, pause or resume, streams/tables to drop, events;
 * - apply: carry them out through the engine's REST API, observe again and
 *   plan again while the plan asks for it (a Recreate drops, then creates;
 *   a statement the engine refuses goes back to the plan, which rolls back
 *   or halts by spec.onUpgradeFailure);
 * - status (observed.ts, pure): query ids, states, errors, figures;
 *   requeued to poll.
 * The finalizer terminates the queries (and drops their streams/tables,
 * with their sink topics under `deletionPolicy: Delete`, planDeletion)
 * before the object goes.
 */
import type { Logger } from 'pino';
import type { Condition } from '../../api/conditions.js';
import type { KsqlQuerySpec, KsqlQueryStatus, PersistentQueryState, QueryStats, QueryStatus, SqlError } from '../../api/ksql-query.js';
import { formatErrors, parseKsqlQuery } from '../../api/parse.js';
import type { EventRecorder } from '../../kube/events.js';
import type { KubeObject, KubePort } from '../../kube/port.js';
import { RESOURCE } from '../../kube/resources.js';
import type { ReconcileResult } from '../../kube/workqueue.js';
import type { OperatorMetrics } from '../../metrics.js';
import { mergeConditions, transitions, type ConditionInput } from '../conditions.js';
import { readEngineCredentials, type EngineCredentials } from '../engine-credentials.js';
import type { EngineEndpoints } from '../engine-endpoints.js';
import { QUERY_FINALIZER, applyFinalizer, hasFinalizer } from '../finalizers.js';
import { applyStatusIfChanged } from '../status.js';
import { EngineClient, EngineStatementError, EngineUnavailableError, parsePrometheusText, queryFigures, type EngineSnapshot } from './engine-client.js';
import type { QueryMemory } from './memory.js';
import { nextStableSpec, planDeletion, planReconcile, refusal, type Checked, type Failure, type Plan, type PlanInput, type QueryAction, type Sql, type StatusIntent } from './plan.js';
import { alreadyApplied, compileSql, createdSources, ownedByStatements, withPosition, type EngineQuery, type EngineState, type SqlProblem } from './sql.js';
import { observedStatus, queryFlows } from './observed.js';
import { nextFigures, DEFAULT_STATS_OPTIONS, type StatsOptions } from './stats.js';
import { describeViolations, topicViolations } from './topic-access.js';
import { validationKey, type Validation } from './validate.js';
import { TopicAccess } from '../../api/ksql-cluster.js';
import { assertNever, processingLogTopic } from 'ksetl/engine';

export interface QueryReconcilerDeps {
  readonly kube: KubePort;
  readonly events: EventRecorder;
  readonly log: Logger;
  readonly endpoints: EngineEndpoints;
  readonly metrics?: OperatorMetrics;
  /** what the controller remembers between reconciles (dry runs, counter samples) */
  readonly memory: QueryMemory;
  readonly now?: () => Date;
  /** rate window and status refresh; the stall time comes from spec.progressDeadlineSeconds */
  readonly stats?: Partial<Pick<StatsOptions, 'rateWindowMs' | 'refreshMs'>>;
  /** how often running queries are polled for state, errors and figures */
  readonly pollMs?: number;
  /** engine clients by URL list and credentials (tests may swap in their own) */
  readonly engineClient?: (urls: readonly string[], credentials: EngineCredentials | null) => EngineClient;
}

type RawQuery = KubeObject & { status?: KsqlQueryStatus; spec?: { clusterRef?: { name?: string } } };
type RawCluster = KubeObject & { status?: { conditions?: Condition[] } };

const ENGINE_STATE: Record<string, PersistentQueryState> = {
  RUNNING: 'Running',
  PAUSED: 'Paused',
  ERROR: 'Error',
  PENDING_SHUTDOWN: 'Pending',
  REBALANCING: 'Running',
  NOT_RUNNING: 'Pending',
  UNRESPONSIVE: 'Unresponsive',
};

function sqlError(p: SqlProblem, now: Date): SqlError {
  return { message: withPosition(p), reason: p.reason, ...(p.line !== undefined ? { line: p.line } : {}), ...(p.column !== undefined ? { column: p.column } : {}), time: iso(now) };
}

const iso = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** How many plan → apply → observe rounds one reconcile makes at most (a Recreate takes three, a rollback a few more). */
const MAX_ROUNDS = 8;

/** `sql` compiled, or null when it does not compile (any more). */
function sqlOf(sql: string | undefined, properties: Readonly<Record<string, string>>): Sql | null {
  if (sql === undefined) return null;
  const c = compileSql(sql);
  return c.ok ? { sql, statements: c.statements, properties } : null;
}

export async function reconcileQuery(deps: QueryReconcilerDeps, namespace: string, name: string): Promise<ReconcileResult> {
  const { kube, events } = deps;
  const now = deps.now ?? (() => new Date());
  const log = deps.log.child({ ksqlquery: `${namespace}/${name}` });
  // ---- observe
  const raw = await kube.get<RawQuery>(RESOURCE.KsqlQuery, namespace, name);
  if (!raw) {
    deps.metrics?.setConditions('KsqlQuery', namespace, name, []);
    deps.memory.forget(`${namespace}/${name}`);
    return {};
  }
  const generation = raw.metadata?.generation;
  const old = raw.status ?? {};

  /**
   * Writes the whole status: server-side apply removes the fields its
   * manager applied before and leaves out now. `carry` (the paths that stop
   * early: invalid SQL, no engine) keeps what they learnt nothing new about
   * from the last status — lastAppliedSql above all, which the upgrade
   * policy diffs against; losing it to an engine outage would turn the next
   * SQL change into a blind CREATE.
   */
  const writeStatus = async (update: Partial<KsqlQueryStatus>, conditions: readonly ConditionInput[], carry = true): Promise<void> => {
    const merged = mergeConditions(old.conditions, conditions, now(), generation);
    for (const c of transitions(old.conditions, merged)) {
      const good = c.type === 'Degraded' || c.type === 'Stalled' ? c.status === 'False' : c.status === 'True';
      events.record(raw, good ? 'Normal' : 'Warning', c.reason, 'Reconcile', `${c.type}=${c.status}${c.message ? `: ${c.message}` : ''}`);
    }
    const status = carry ? carriedStatus(old, update) : update;
    await applyStatusIfChanged(kube, raw, { ...status, observedGeneration: generation ?? 0, conditions: merged });
    deps.metrics?.setConditions('KsqlQuery', namespace, name, merged);
  };
  /** The status of SQL refused before anything was done: its conditions and lastError, the rest kept. */
  const writeRefusal = async (intent: StatusIntent): Promise<ReconcileResult> => {
    await writeStatus(intent.lastError ? { lastError: sqlError(intent.lastError, now()) } : {}, intent.conditions);
    return intent.requeueAfterMs !== undefined ? { requeueAfterMs: intent.requeueAfterMs } : {};
  };

  if (raw.metadata?.deletionTimestamp) return await finalize(deps, raw, log);

  const parsed = parseKsqlQuery(raw);
  if (!parsed.ok) {
    const message = formatErrors(parsed.errors);
    await writeStatus({}, [
      { type: 'Ready', status: 'False', reason: 'InvalidSpec', message },
      { type: 'Degraded', status: 'True', reason: 'InvalidSpec', message },
    ]);
    return {};
  }
  const kq = parsed.value;
  if (!hasFinalizer(raw, QUERY_FINALIZER)) await applyFinalizer(kube, raw, QUERY_FINALIZER, true);

  // ---- validate (1): syntax, with the engine's parser: nothing else is touched when it fails
  const compiled = compileSql(kq.spec.sql);
  if (!compiled.ok) {
    log.info({ error: compiled.error }, 'invalid SQL');
    return await writeRefusal(refusal({ kind: 'Invalid', stage: 'Syntax', problem: compiled.error }, old.lastAppliedSql !== undefined));
  }
  const wanted = compiled.statements;

  // ---- observe: the cluster and its engine
  const clusterName = kq.spec.clusterRef.name;
  const cluster = await kube.get<RawCluster>(RESOURCE.KsqlCluster, namespace, clusterName);
  if (!cluster) {
    await writeStatus({}, [{ type: 'Ready', status: 'False', reason: 'ClusterNotFound', message: `KsqlCluster ${clusterName} does not exist in ${namespace}` }]);
    return { requeueAfterMs: 30_000 };
  }
  let engine: EngineClient;
  let snap: EngineSnapshot;
  try {
    const urls = await deps.endpoints.urls(namespace, clusterName);
    engine = (deps.engineClient ?? ((u, c) => new EngineClient(u, c)))(urls, await readEngineCredentials(kube, namespace, clusterName));
    snap = await engine.snapshot();
  } catch (e) {
    if (!(e instanceof EngineUnavailableError)) throw e;
    await writeStatus({}, [
      { type: 'Ready', status: 'False', reason: 'EngineUnavailable', message: e.message },
      { type: 'SqlValid', status: 'Unknown', reason: 'ValidationPending', message: 'the SQL parses; checking it against the cluster\'s streams and tables waits for an engine' },
    ]);
    return { requeueAfterMs: 10_000 };
  }

  // ---- validate (2): semantics, by a dry run on the cluster's engine against its catalog minus what this
  //      KsqlQuery made; asked again only when the generation or that catalog changed
  const baseProps = kq.spec.properties ?? {};
  // the SQL last applied runs with the properties it was applied with: the stable spec's after a rollback
  const applied = sqlOf(old.lastAppliedSql, old.lastAppliedSql !== kq.spec.sql && old.lastStableSpec && old.lastAppliedSql === old.lastStableSpec.sql ? (old.lastStableSpec.properties ?? {}) : baseProps);
  const key = `${namespace}/${name}`;
  const validation = await dryRun(deps, engine, key, generation, kq.spec.sql, baseProps, wanted, applied, snap.state, log);
  const checked = checkedOf(validation, cluster, namespace, clusterName, wanted.length);
  if (checked.kind === 'Invalid' || checked.kind === 'TopicNotAllowed') return await writeRefusal(refusal(checked, applied !== null));

  // ---- plan → apply, observing again while the plan asks for it
  const input: PlanInput = {
    generation: generation ?? 0,
    spec: { sql: { sql: kq.spec.sql, statements: wanted, properties: baseProps }, state: kq.spec.state, upgradePolicy: kq.spec.upgradePolicy, onUpgradeFailure: kq.spec.onUpgradeFailure },
    checked,
    engine: snap.state,
    applied,
    stable: old.lastStableSpec ? sqlOf(old.lastStableSpec.sql, old.lastStableSpec.properties ?? {}) : null,
    rollback: old.rollback,
  };
  const { plan, state } = await planAndApply(input, engine, (a) => events.record(raw, a.type, a.reason, a.action, a.message), log);

  // ---- status from what was observed
  const { status, conditions } = await observedQueryStatus(deps, engine, key, plan.status, state, kq.spec, old, generation ?? 0, now());
  await writeStatus(status, conditions, false);
  return { requeueAfterMs: deps.pollMs ?? 15_000 };
}

/**
 * The status step: the queries of what runs, as the engine reports them
 * (states, errors, figures), through observedStatus (observed.ts, pure) to
 * the STATE column and the Ready, Degraded and Stalled conditions; the
 * stable spec moves on once Ready on spec.sql.
 */
async function observedQueryStatus(
  deps: QueryReconcilerDeps,
  engine: EngineClient,
  key: string,
  intent: StatusIntent,
  state: EngineState,
  spec: KsqlQuerySpec,
  old: KsqlQueryStatus,
  generation: number,
  at: Date,
): Promise<{ status: Partial<KsqlQueryStatus>; conditions: ConditionInput[] }> {
  const owned = ownedQueries(intent.running, state);
  const queries = await queryStatuses(engine, owned);
  const fig = await figures(engine, deps, key, owned, old.stats, at, spec.progressDeadlineSeconds * 1000);
  const stats = fig?.stats;
  const [sqlValid, degraded] = [intent.conditions.find((c) => c.type === 'SqlValid'), intent.conditions.find((c) => c.type === 'Degraded')];
  const seen = observedStatus({
    expected: intent.running.filter((s) => s.kind === 'CreateAsSelect' || s.kind === 'InsertInto').length,
    want: spec.state,
    queries,
    degraded: degraded ?? { type: 'Degraded', status: 'False', reason: 'AsExpected', message: '' },
    stalledForMs: fig ? fig.stalledForMs : null,
    consumerLag: stats?.consumerLag ?? 0,
    progressDeadlineSeconds: spec.progressDeadlineSeconds,
    flows: fig?.flows ?? new Map(),
  });
  const lastStableSpec = nextStableSpec(old.lastStableSpec, seen.ready.status === 'True' && degraded?.status !== 'True', intent.lastAppliedSql, spec, generation);
  const rollback = intent.rollback ? { ...intent.rollback, time: old.rollback?.generation === intent.rollback.generation && old.rollback.time ? old.rollback.time : iso(at) } : undefined;
  const status: Partial<KsqlQueryStatus> = {
    state: seen.state,
    queries,
    sinkTopics: [...new Set(owned.flatMap((q) => q.sinkTopics))].sort(),
    ...(intent.lastAppliedSql !== undefined ? { lastAppliedSql: intent.lastAppliedSql } : {}),
    ...(lastStableSpec ? { lastStableSpec } : {}),
    ...(rollback ? { rollback } : {}),
    ...(stats ? { stats } : {}),
    ...(intent.lastError ? { lastError: sqlError(intent.lastError, at) } : {}),
  };
  return { status, conditions: [...(sqlValid ? [sqlValid] : []), seen.ready, seen.degraded, seen.stalled] };
}

/**
 * The dry run of spec.sql on the cluster's engine, against its catalog minus
 * what this KsqlQuery made (the sources its SQL creates, applied or found on
 * the engine with the same text, and its types); remembered, and asked again
 * only when the generation or that catalog changed.
 */
async function dryRun(
  deps: QueryReconcilerDeps,
  engine: EngineClient,
  key: string,
  generation: number | undefined,
  sql: string,
  properties: Readonly<Record<string, string>>,
  wanted: Sql['statements'],
  applied: Sql | null,
  state: EngineState,
  log: Logger,
): Promise<Validation> {
  const mine = new Set([
    ...createdSources(applied?.statements ?? []).map((s) => s.target),
    ...alreadyApplied(wanted, state),
    ...[...(applied?.statements ?? []), ...wanted].filter((s) => s.kind === 'CreateType' && state.types.has(s.target.toUpperCase())).map((s) => s.target.toUpperCase()),
  ]);
  const vkey = validationKey(generation, state, mine);
  const known = deps.memory.validation(key, vkey);
  if (known) return known;
  const validation = await engine.dryRun(sql, properties, [...mine]);
  deps.memory.rememberValidation(key, vkey, validation);
  log.info({ result: validation.kind }, 'SQL validated by the engine (dry run)');
  return validation;
}

/** The dry run's result, with the cluster's topic prefixes applied, as the plan reads it. */
function checkedOf(validation: Validation, cluster: RawCluster, namespace: string, clusterName: string, statements: number): Checked {
  switch (validation.kind) {
    case 'Invalid':
      return { kind: 'Invalid', stage: 'DryRun', problem: validation.problem };
    case 'Unsupported':
      return { kind: 'NotDryRun', message: validation.message };
    case 'Valid': {
      // team isolation: the topics the dry run says the statements read and write, against the cluster's spec.topics
      const access = TopicAccess.safeParse((cluster as { spec?: { topics?: unknown } }).spec?.topics);
      if (access.success && access.data) {
        const violations = topicViolations(validation.topics, access.data, clusterOwnTopics(cluster, namespace, clusterName));
        if (violations.length > 0) return { kind: 'TopicNotAllowed', message: describeViolations(violations, access.data) };
      }
      return { kind: 'Valid', message: `${statements} statement(s) accepted by the cluster's engine (dry run)` };
    }
  }
}

/**
 * Plans, carries out the plan's actions, and — while the plan asks to
 * observe again (a Recreate's teardown, new queries to pause, a rollback) —
 * observes and plans again. A statement the engine refuses stops the actions
 * and goes to the next plan as a failure; a plan that completes becomes what
 * the next one starts from (its lastAppliedSql, its rollback).
 */
async function planAndApply(first: PlanInput, engine: EngineClient, record: (e: Extract<QueryAction, { kind: 'Event' }>) => void, log: Logger): Promise<{ plan: Plan; state: EngineState }> {
  let input = first;
  const undroppable = new Set<string>();
  for (let round = 1; ; round++) {
    const plan = planReconcile({ ...input, undroppable });
    const outcome = await applyActions(engine, plan.actions, record, log);
    for (const n of outcome.undroppable) undroppable.add(n);
    const acted = plan.actions.some((a) => a.kind !== 'Event');
    const state = acted ? (await engine.snapshot()).state : input.engine;
    if (outcome.refused) {
      const failure: Failure = {
        during: plan.phase,
        reason: 'EngineRejected',
        message: outcome.refused.message,
        statement: outcome.refused.statement,
        ...(plan.phase !== 'Upgrade' && input.failure ? { cause: input.failure } : {}),
      };
      input = { ...input, engine: state, failure };
      if (round < MAX_ROUNDS) continue;
      // out of rounds: a plan of no action (a failure while holding halts), so the status claims nothing unapplied
      return { plan: planReconcile({ ...input, failure: { ...failure, during: 'Hold' }, undroppable }), state };
    }
    if (!plan.reobserve || round >= MAX_ROUNDS) return { plan, state };
    const s = plan.status;
    input = {
      ...input,
      engine: state,
      applied: s.lastAppliedSql === undefined ? null : s.lastAppliedSql === input.applied?.sql ? input.applied : sqlOf(s.lastAppliedSql, s.lastAppliedSql === input.spec.sql.sql ? input.spec.sql.properties : (input.stable?.properties ?? {})),
      rollback: s.rollback ?? input.rollback,
      ...(plan.failure ? { failure: plan.failure } : {}),
    };
  }
}

/**
 * The apply step: the actions in order through the engine's REST API. A
 * statement the engine refuses stops them and is returned; a TERMINATE or
 * DROP it refuses (another query reads the stream) is reported as an event
 * and the rest goes on.
 */
async function applyActions(
  engine: EngineClient,
  actions: readonly QueryAction[],
  record: (e: Extract<QueryAction, { kind: 'Event' }>) => void,
  log: Logger,
): Promise<{ refused?: { statement: string; message: string }; undroppable: string[] }> {
  const undroppable: string[] = [];
  const warn = (reason: string, action: string, message: string) => record({ kind: 'Event', type: 'Warning', reason, action, message });
  for (const a of actions) {
    switch (a.kind) {
      case 'Event':
        record(a);
        break;
      case 'Submit':
        log.info({ statement: a.submission.text }, 'submitting');
        try {
          await engine.ksql(a.submission.text, a.submission.properties);
        } catch (e) {
          if (!(e instanceof EngineStatementError)) throw e;
          return { refused: { statement: e.statementText, message: e.message }, undroppable };
        }
        break;
      case 'TerminateQuery':
        try {
          await engine.ksql(`TERMINATE ${a.id};`);
        } catch (e) {
          if (!(e instanceof EngineStatementError)) throw e;
          warn('TerminateRefused', 'Terminate', `could not terminate ${a.id}: ${e.message}`);
        }
        break;
      case 'DropSource':
        try {
          await engine.ksql(`DROP ${a.sourceType} IF EXISTS ${quoteName(a.name)}${a.deleteTopic ? ' DELETE TOPIC' : ''};`);
        } catch (e) {
          if (!(e instanceof EngineStatementError)) throw e;
          undroppable.push(a.name);
          warn('DropRefused', 'Drop', `could not drop ${a.name}: ${e.message}`);
        }
        break;
      case 'PauseQuery':
        await engine.ksql(`PAUSE ${a.id};`);
        break;
      case 'ResumeQuery':
        await engine.ksql(`RESUME ${a.id};`);
        break;
      default:
        return assertNever(a);
    }
  }
  return { undroppable };
}

const ownedQueries = (statements: Sql['statements'], state: EngineState): EngineQuery[] => ownedByStatements(statements, state).queries;

/** The last status's fields (not its conditions and generation, which a write always sets) under `update`. Pure. */
export function carriedStatus(old: KsqlQueryStatus, update: Partial<KsqlQueryStatus>): Partial<KsqlQueryStatus> {
  const { conditions: _conditions, observedGeneration: _generation, ...rest } = old;
  return { ...rest, ...update };
}

async function queryStatuses(engine: EngineClient, queries: readonly EngineQuery[]): Promise<QueryStatus[]> {
  const out: QueryStatus[] = [];
  for (const q of [...queries].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    const state = ENGINE_STATE[q.state] ?? 'Unknown';
    const errors = state === 'Error' ? await engine.queryErrors(q.id) : [];
    out.push({ id: q.id, state, ...(q.sinks.length ? { sinks: [...q.sinks] } : {}), ...(errors.length ? { error: errors[errors.length - 1]!.slice(0, 4096) } : {}) });
  }
  return out;
}

/** The figures of the queries from their engines' counters (stats.ts), remembered for the next poll. */
async function figures(engine: EngineClient, deps: QueryReconcilerDeps, key: string, queries: readonly EngineQuery[], written: QueryStats | undefined, now: Date, stallAfterMs: number) {
  if (queries.length === 0) return undefined;
  const texts = await engine.metrics();
  const samples = texts.flatMap((t) => parsePrometheusText(t, 'ksetl_query_'));
  const f = queryFigures(samples, new Set(queries.map((q) => q.id)));
  if (!f.seen) return undefined;
  const next = nextFigures(deps.memory.figures(key), f, written, now.getTime(), { ...DEFAULT_STATS_OPTIONS, ...deps.stats, stallAfterMs });
  deps.memory.rememberFigures(key, next.history);
  return { ...next, flows: queryFlows(samples, queries.map((q) => q.id)) };
}

/** A source name as SQL: quoted unless it is a plain upper-case identifier. */
function quoteName(n: string): string {
  return /^[A-Z_][A-Z0-9_]*$/.test(n) ? n : `\`${n.replace(/`/g, '``')}\``;
}

async function finalize(deps: QueryReconcilerDeps, raw: RawQuery, log: Logger): Promise<ReconcileResult> {
  if (!hasFinalizer(raw, QUERY_FINALIZER)) return {};
  const { kube, events } = deps;
  const namespace = raw.metadata?.namespace ?? 'default';
  const name = raw.metadata?.name ?? '';
  const clusterName = raw.spec?.clusterRef?.name ?? '';
  const sql = raw.status?.lastAppliedSql ?? (raw.spec as { sql?: string } | undefined)?.sql ?? '';
  const compiled = compileSql(sql);
  const statements = compiled.ok ? compiled.statements : [];
  const deletionPolicy = (raw.spec as { deletionPolicy?: string } | undefined)?.deletionPolicy ?? 'Keep';
  const cluster = await kube.get<RawCluster>(RESOURCE.KsqlCluster, namespace, clusterName);
  const release = async (why: string): Promise<ReconcileResult> => {
    await applyFinalizer(kube, raw, QUERY_FINALIZER, false);
    events.record(raw, 'Normal', 'Finalized', 'Delete', why);
    deps.metrics?.setConditions('KsqlQuery', namespace, name, []);
    deps.memory.forget(`${namespace}/${name}`);
    return {};
  };
  if (!cluster) return await release(`KsqlCluster ${clusterName} is gone; nothing to terminate`);
  try {
    const engine = (deps.engineClient ?? ((u, c) => new EngineClient(u, c)))(await deps.endpoints.urls(namespace, clusterName), await readEngineCredentials(kube, namespace, clusterName));
    const { state } = await engine.snapshot();
    const actions = planDeletion({ statements, queryIds: (raw.status?.queries ?? []).map((q) => q.id), engine: state, deletionPolicy: deletionPolicy === 'Delete' ? 'Delete' : 'Keep' });
    await applyActions(engine, actions, (a) => events.record(raw, a.type, a.reason, a.action, a.message), log);
    return await release('queries terminated');
  } catch (e) {
    if (e instanceof EngineUnavailableError && cluster.metadata?.deletionTimestamp) {
      log.info('engine gone with its cluster; releasing the finalizer');
      return await release(`KsqlCluster ${clusterName} is being deleted and its engines are gone`);
    }
    throw e;
  }
}

/** Topics of the cluster itself its queries may read whatever spec.topics says: its processing log. */
function clusterOwnTopics(cluster: RawCluster, namespace: string, name: string): string[] {
  const spec = (cluster as { spec?: { serviceId?: string; logging?: { kafkaTopic?: { topic?: string } } } }).spec;
  const id = spec?.serviceId ?? `${namespace}_${name}_`;
  return [processingLogTopic(id), ...(spec?.logging?.kafkaTopic?.topic ? [spec.logging.kafkaTopic.topic] : [])];
}
