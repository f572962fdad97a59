/**
 * The KsqlQuery controller: observe (the resource, its cluster, the
 * engine's sources and queries) → compile and validate the SQL with the
 * engine library (nothing is submitted when it is wrong) → decide by the
 * upgrade policy (plan.ts, pure) → submit through the cluster's REST API →
 * status (query ids, states, errors, figures; requeued to poll). The
 * finalizer terminates the queries (and drops their streams/tables, with
 * their sink topics under `deletionPolicy: Delete`) before the object goes.
 */
import type { Logger } from 'pino';
import type { Condition } from '../../api/conditions.js';
import type { KsqlQueryStatus, PersistentQueryState, QueryStats, QueryStatus, SqlError } from '../../api/ksql-query.js';
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
import {
  alreadyApplied,
  classifySqlChange,
  compileSql,
  createdSources,
  decideUpgrade,
  engineRuns,
  ownedByStatements,
  submissions,
  withPosition,
  type EngineQuery,
  type PlannedStatement,
  type SqlProblem,
} from './plan.js';
import { observedStatus, queryFlows } from './observed.js';
import { nextFigures, DEFAULT_STATS_OPTIONS, type StatsOptions } from './stats.js';
import { describeViolations, topicViolations } from './topic-access.js';
import { validationKey, type Validation } from './validate.js';
import { TopicAccess } from '../../api/ksql-cluster.js';
import { processingLogTopic } from 'ksetl/engine';

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

/** Where a statement the engine refused sits in spec.sql. */
function locate(statements: readonly PlannedStatement[], text: string): { line: number; column: number } | undefined {
  const st = statements.find((s) => s.text === text || text.includes(s.text) || s.text.includes(text.trim()));
  return st ? { line: st.line, column: st.column } : undefined;
}

export async function reconcileQuery(deps: QueryReconcilerDeps, namespace: string, name: string): Promise<ReconcileResult> {
  const { kube, events } = deps;
  const now = deps.now ?? (() => new Date());
  const log = deps.log.child({ ksqlquery: `${namespace}/${name}` });
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
  const writeStatus = async (update: Partial<KsqlQueryStatus>, conditions: ConditionInput[], carry = true): Promise<void> => {
    const merged = mergeConditions(old.conditions, conditions, now(), generation);
    for (const c of transitions(old.conditions, merged)) {
      const good = c.type === 'Degraded' || c.type === 'Stalled' ? c.status === 'False' : c.status === 'True';
      events.record(raw, good ? 'Normal' : 'Warning', c.reason, 'Reconcile', `${c.type}=${c.status}${c.message ? `: ${c.message}` : ''}`);
    }
    const status = carry ? carriedStatus(old, update) : update;
    await applyStatusIfChanged(kube, raw, { ...status, observedGeneration: generation ?? 0, conditions: merged });
    deps.metrics?.setConditions('KsqlQuery', namespace, name, merged);
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

  // 1. syntax, with the engine's parser: nothing else is touched when it fails
  const compiled = compileSql(kq.spec.sql);
  if (!compiled.ok) {
    const err = sqlError(compiled.error, now());
    log.info({ error: err }, 'invalid SQL');
    await writeStatus({ lastError: err }, [
      { type: 'SqlValid', status: 'False', reason: compiled.error.reason, message: err.message },
      { type: 'Ready', status: old.lastAppliedSql ? 'Unknown' : 'False', reason: 'SqlInvalid', message: 'spec.sql does not compile; the queries last applied (if any) keep running' },
    ]);
    return {};
  }
  const wanted = compiled.statements;

  // 2. the cluster and its engine
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

  // 3. semantics, by a dry run on the cluster's engine against its catalog minus what this KsqlQuery made;
  //    asked again only when the generation or that catalog changed
  const applied = old.lastAppliedSql !== undefined ? compileSql(old.lastAppliedSql) : null;
  const appliedStatements = applied && applied.ok ? applied.statements : null;
  const mine = new Set([
    ...createdSources(appliedStatements ?? []).map((s) => s.target),
    ...alreadyApplied(wanted, snap.state),
    ...[...(appliedStatements ?? []), ...wanted].filter((s) => s.kind === 'CreateType' && snap.state.types.has(s.target.toUpperCase())).map((s) => s.target.toUpperCase()),
  ]);
  const baseProps = kq.spec.properties ?? {};
  const key = `${namespace}/${name}`;
  const vkey = validationKey(generation, snap.state, mine);
  let validation: Validation | undefined = deps.memory.validation(key, vkey);
  if (!validation) {
    validation = await engine.dryRun(kq.spec.sql, baseProps, [...mine]);
    deps.memory.rememberValidation(key, vkey, validation);
    log.info({ result: validation.kind }, 'SQL validated by the engine (dry run)');
  }
  // team isolation: the topics the dry run says the statements read and write, against the cluster's spec.topics
  const access = TopicAccess.safeParse((cluster as { spec?: { topics?: unknown } }).spec?.topics);
  const violations = validation.kind === 'Valid' && access.success && access.data ? topicViolations(validation.topics, access.data, clusterOwnTopics(cluster, namespace, clusterName)) : [];
  if (violations.length > 0 && access.success && access.data) {
    const message = describeViolations(violations, access.data);
    await writeStatus({ lastError: { message, reason: 'TopicNotAllowed', time: iso(now()) } }, [
      { type: 'SqlValid', status: 'False', reason: 'TopicNotAllowed', message },
      { type: 'Ready', status: old.lastAppliedSql ? 'Unknown' : 'False', reason: 'TopicNotAllowed', message: 'spec.sql uses topics outside the cluster\'s spec.topics; nothing was submitted' },
    ]);
    return {};
  }
  if (validation.kind === 'Invalid') {
    const semantic = validation.problem;
    const err = sqlError(semantic, now());
    await writeStatus({ lastError: err }, [
      { type: 'SqlValid', status: 'False', reason: semantic.reason, message: err.message },
      { type: 'Ready', status: old.lastAppliedSql ? 'Unknown' : 'False', reason: 'SqlInvalid', message: 'spec.sql does not compile against the cluster; the queries last applied (if any) keep running' },
    ]);
    return { requeueAfterMs: 60_000 };
  }

  // 4. the upgrade policy
  const change = classifySqlChange(appliedStatements, wanted);
  const action = decideUpgrade(change, kq.spec.upgradePolicy);
  let running: readonly PlannedStatement[] = wanted;
  let degraded: ConditionInput = { type: 'Degraded', status: 'False', reason: 'AsExpected', message: '' };
  let lastError: SqlError | undefined;
  let lastAppliedSql = old.lastAppliedSql;
  let state = snap.state;
  try {
    if (action.kind === 'Refuse') {
      running = appliedStatements ?? [];
      degraded = { type: 'Degraded', status: 'True', reason: action.reason, message: action.message };
    } else {
      if (action.kind === 'Recreate' && appliedStatements) {
        if (!engineRuns(appliedStatements, state) && engineRuns(wanted, state)) {
          // recreated by a reconcile that stopped before writing status (an operator killed midway): done already
          log.info({ why: action.why }, 'the engine already runs the recreated SQL');
        } else {
          events.record(raw, 'Normal', 'Recreating', 'Recreate', `terminating and recreating the queries: ${action.why}`);
          await dropOwned(engine, appliedStatements, state, false, (m) => events.record(raw, 'Warning', 'DropRefused', 'Recreate', m));
          state = (await engine.snapshot()).state;
        }
      }
      const mode = action.kind === 'Apply' ? action.mode : 'create';
      for (const sub of submissions(wanted, state, mode, baseProps)) {
        log.info({ statement: sub.text }, 'submitting');
        await engine.ksql(sub.text, sub.properties);
        events.record(raw, 'Normal', 'Submitted', 'Submit', `${sub.statement.kind} ${sub.statement.target}`);
      }
      lastAppliedSql = kq.spec.sql;
      if (change.kind !== 'Unchanged' && change.kind !== 'Create') events.record(raw, 'Normal', 'Upgraded', 'Submit', `spec.sql applied (${change.kind})`);
      state = (await engine.snapshot()).state;
    }
  } catch (e) {
    if (!(e instanceof EngineStatementError)) throw e;
    const at = locate(wanted, e.statementText);
    lastError = { message: at ? `line ${at.line}:${at.column}: ${e.message}` : e.message, reason: 'EngineRejected', ...(at ?? {}), time: iso(now()) };
    const reason = action.kind === 'Apply' && action.mode === 'replace' ? 'UpgradeNotInPlace' : 'SubmitFailed';
    degraded = { type: 'Degraded', status: 'True', reason, message: lastError.message };
    running = appliedStatements ?? wanted;
    state = (await engine.snapshot()).state;
  }

  // 5. state: pause/resume to match spec.state, then read back
  const owned = ownedByStatements(running, state).queries;
  const want = kq.spec.state === 'Paused' ? 'PAUSED' : 'RUNNING';
  let toggled = false;
  for (const q of owned) {
    if (q.state === 'RUNNING' && want === 'PAUSED') {
      await engine.ksql(`PAUSE ${q.id};`);
      events.record(raw, 'Normal', 'Paused', 'Pause', `query ${q.id} paused`);
      toggled = true;
    } else if (q.state === 'PAUSED' && want === 'RUNNING') {
      await engine.ksql(`RESUME ${q.id};`);
      events.record(raw, 'Normal', 'Resumed', 'Resume', `query ${q.id} resumed`);
      toggled = true;
    }
  }
  const finalQueries = toggled ? ownedByStatements(running, (await engine.snapshot()).state).queries : owned;
  const queries = await queryStatuses(engine, finalQueries);
  const fig = await figures(engine, deps, key, finalQueries, old.stats, now(), kq.spec.progressDeadlineSeconds * 1000);
  const stats = fig?.stats;

  // 6. status from what was observed (observed.ts, pure)
  const seen = observedStatus({
    expected: running.filter((s) => s.kind === 'CreateAsSelect' || s.kind === 'InsertInto').length,
    want: kq.spec.state === 'Paused' ? 'Paused' : 'Running',
    queries,
    degraded,
    stalledForMs: fig ? fig.stalledForMs : null,
    consumerLag: stats?.consumerLag ?? 0,
    progressDeadlineSeconds: kq.spec.progressDeadlineSeconds,
    flows: fig?.flows ?? new Map(),
  });
  const sqlValid: ConditionInput =
    validation.kind === 'Unsupported'
      ? { type: 'SqlValid', status: 'True', reason: 'NotDryRun', message: `${validation.message}; each statement was checked as it was submitted` }
      : { type: 'SqlValid', status: 'True', reason: 'SqlValid', message: `${wanted.length} statement(s) accepted by the cluster's engine (dry run)` };
  const status: Partial<KsqlQueryStatus> = {
    state: seen.state,
    queries,
    sinkTopics: [...new Set(finalQueries.flatMap((q) => q.sinkTopics))].sort(),
    ...(lastAppliedSql !== undefined ? { lastAppliedSql } : {}),
    ...(stats ? { stats } : {}),
  };
  if (lastError) status.lastError = lastError;
  await writeStatus(status, [sqlValid, seen.ready, seen.degraded, seen.stalled], false);
  return { requeueAfterMs: deps.pollMs ?? 15_000 };
}

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

/**
 * Terminates the queries of `statements` and drops the streams/tables they
 * created, last first. Sink topics go only with `deleteTopics` and only for
 * CREATE ... AS SELECT sinks (never the topics of declared sources). A drop
 * the engine refuses (another query reads the source) is reported, not fatal.
 */
async function dropOwned(engine: EngineClient, statements: readonly PlannedStatement[], state: EngineSnapshot['state'], deleteTopics: boolean, refused: (m: string) => void): Promise<void> {
  const { queries } = ownedByStatements(statements, state);
  for (const q of queries) await engine.ksql(`TERMINATE ${q.id};`);
  for (const s of [...createdSources(statements)].reverse()) {
    if (!state.sources.has(s.target)) continue;
    const topic = deleteTopics && s.kind === 'CreateAsSelect' ? ' DELETE TOPIC' : '';
    try {
      await engine.ksql(`DROP ${s.sourceType} IF EXISTS ${quoteName(s.target)}${topic};`);
    } catch (e) {
      if (!(e instanceof EngineStatementError)) throw e;
      refused(`could not drop ${s.target}: ${e.message}`);
    }
  }
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
    // the queries the status lists, and those of the SQL (a reconcile may have stopped before writing status)
    const ids = new Set([...(raw.status?.queries ?? []).map((q) => q.id)]);
    for (const q of state.queries) if (ids.has(q.id)) await engine.ksql(`TERMINATE ${q.id};`).catch(() => undefined);
    const after = (await engine.snapshot()).state;
    await dropOwned(engine, statements, after, deletionPolicy === 'Delete', (m) => events.record(raw, 'Warning', 'DropRefused', 'Delete', m));
    events.record(raw, 'Normal', 'Terminated', 'Delete', `queries terminated${deletionPolicy === 'Delete' ? ', sink topics deleted' : ''}`);
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
