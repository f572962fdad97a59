/**
 * reconcileQuery against an in-memory API object (status written as
 * server-side apply with one manager writes it: the applied status replaces
 * the last one) and a fake engine that keeps streams, tables and queries.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { KsqlQueryStatus } from '../../api/ksql-query.js';
import type { EventRecorder } from '../../kube/events.js';
import type { KubeObject, KubePort } from '../../kube/port.js';
import { EngineClient, EngineStatementError, EngineUnavailableError, type EngineSnapshot } from './engine-client.js';
import { compileSql, type EngineQuery } from './sql.js';
import { QueryMemory } from './memory.js';
import { reconcileQuery } from './reconcile.js';
import type { Validation } from './validate.js';

type Obj = KubeObject & { status?: KsqlQueryStatus; spec?: Record<string, unknown> };

/** The API server, for one KsqlQuery and its KsqlCluster. */
class FakeKube implements KubePort {
  constructor(
    public query: Obj,
    readonly cluster: Obj,
  ) {}
  async get<T extends KubeObject>(t: { kind: string }): Promise<T | null> {
    return structuredClone(t.kind === 'KsqlQuery' ? this.query : this.cluster) as T;
  }
  async apply<T extends KubeObject>(o: T): Promise<T> {
    this.query = { ...this.query, metadata: { ...this.query.metadata, finalizers: o.metadata?.finalizers ?? [] } };
    return o;
  }
  async applyStatus<T extends KubeObject>(o: KubeObject): Promise<T> {
    this.query = { ...this.query, status: structuredClone(o['status']) as KsqlQueryStatus };
    return o as T;
  }
  list = unused;
  create = unused;
  replace = unused;
  delete = unused;
  watch = unused;
  /** a spec change: the API server bumps the generation */
  edit(spec: Record<string, unknown>): void {
    const generation = (this.query.metadata?.generation ?? 1) + 1;
    this.query = { ...this.query, metadata: { ...this.query.metadata, generation }, spec: { ...this.query.spec, ...spec } };
  }
}

function unused(): never {
  throw new Error('not used by reconcileQuery');
}

/** An engine: each statement creates or drops what it names; CSAS statements start a query. */
class FakeEngine extends EngineClient {
  readonly sources = new Map<string, { statement: string; sourceType: 'STREAM' | 'TABLE'; topic: string }>();
  readonly queries: EngineQuery[] = [];
  readonly submitted: string[] = [];
  #n = 0;
  constructor() {
    super(['http://engine.test:8088']);
  }
  /** statements the engine refuses (as ksqlDB refuses an incompatible CREATE OR REPLACE) */
  rejects: (sql: string) => boolean = () => false;
  override async ksql(sql: string): Promise<Record<string, unknown>[]> {
    this.submitted.push(sql);
    if (this.rejects(sql)) throw new EngineStatementError('Cannot upgrade data source: incompatible schema', sql);
    const terminate = /^TERMINATE (\S+);$/.exec(sql);
    const drop = /^DROP (?:STREAM|TABLE) IF EXISTS (\S+?)(?: DELETE TOPIC)?;$/.exec(sql);
    const toggle = /^(PAUSE|RESUME) (\S+);$/.exec(sql);
    if (terminate) this.queries.splice(this.queries.findIndex((q) => q.id === terminate[1]), 1);
    else if (drop) this.sources.delete(drop[1]!);
    else if (toggle) {
      const i = this.queries.findIndex((q) => q.id === toggle[2]);
      this.queries[i] = { ...this.queries[i]!, state: toggle[1] === 'PAUSE' ? 'PAUSED' : 'RUNNING' };
    }
    else {
      const compiled = compileSql(sql);
      if (!compiled.ok) throw new Error(compiled.error.message);
      for (const st of compiled.statements) {
        if (st.kind !== 'CreateSource' && st.kind !== 'CreateAsSelect') continue;
        this.sources.set(st.target, { statement: st.text.replace(/^CREATE OR REPLACE /i, 'CREATE '), sourceType: st.sourceType!, topic: st.target.toLowerCase() });
        const running = this.queries.findIndex((q) => q.sinks.includes(st.target));
        if (st.kind === 'CreateAsSelect' && running >= 0) this.queries[running] = { ...this.queries[running]!, sql: st.text };
        if (st.kind === 'CreateAsSelect' && running < 0) {
          this.queries.push({ id: `CSAS_${st.target}_${this.#n++}`, sql: st.text, sinks: [st.target], sinkTopics: [st.target.toLowerCase()], state: 'RUNNING' });
        }
      }
    }
    return [];
  }
  override async snapshot(): Promise<EngineSnapshot> {
    return { state: { sources: new Map(this.sources), queries: [...this.queries], types: new Set() } };
  }
  /** what EXPLAIN's queryErrors say per query */
  readonly errors = new Map<string, string[]>();
  override async queryErrors(id: string): Promise<string[]> {
    return this.errors.get(id) ?? [];
  }
  /** Prometheus text the engine serves (null: every query has written output and nothing waits) */
  metricsText: string | null = null;
  override async metrics(): Promise<string[]> {
    const working = this.queries.map((q) => `ksetl_query_records_out_total{query_id="${q.id}"} 1\nksetl_query_consumer_lag{query_id="${q.id}",topic="t",partition="0"} 0\n`).join('');
    return [this.metricsText ?? working];
  }
  /** the dry runs asked for, and the refusal to answer them with (none: accepted) */
  readonly dryRuns: { sql: string; without: readonly string[] }[] = [];
  refuse: Validation | null = null;
  override async dryRun(sql: string, _props: Readonly<Record<string, string>>, without: readonly string[]): Promise<Validation> {
    this.dryRuns.push({ sql, without });
    return this.refuse ?? { kind: 'Valid', topics: { reads: [], writes: [] } };
  }
}

const SRC = `CREATE STREAM src (user_id VARCHAR KEY, service VARCHAR) WITH (KAFKA_TOPIC='signups', PARTITIONS=1, VALUE_FORMAT='JSON');`;
const sql = (cols: string) => `${SRC}\nCREATE STREAM by_service WITH (KAFKA_TOPIC='by-service', VALUE_FORMAT='JSON') AS SELECT ${cols} FROM src EMIT CHANGES;`;
const condition = (o: Obj, type: string) => o.status?.conditions?.find((c) => c.type === type);

function setup(spec: Record<string, unknown>, clusterSpec: Record<string, unknown> = {}) {
  const meta = { namespace: 'team-a', uid: 'u-1', generation: 1, resourceVersion: '1' };
  const kube = new FakeKube(
    { apiVersion: 'ksetl.io/v1alpha1', kind: 'KsqlQuery', metadata: { name: 'q', ...meta }, spec: { clusterRef: { name: 'c' }, ...spec } },
    { apiVersion: 'ksetl.io/v1alpha1', kind: 'KsqlCluster', metadata: { name: 'c', ...meta }, spec: clusterSpec },
  );
  const engine = new FakeEngine();
  const recorded: string[] = [];
  const events: EventRecorder = { record: (_o, _type, reason) => void recorded.push(reason) };
  let up = true;
  let clock = Date.parse('2026-12-07T10:00:00Z');
  const deps = {
    memory: new QueryMemory(),
    now: () => new Date(clock),
    kube,
    events,
    log: pino({ level: 'silent' }),
    endpoints: { urls: async () => (up ? ['http://engine.test:8088'] : []) },
    engineClient: (urls: readonly string[]) => {
      if (urls.length === 0) throw new EngineUnavailableError('no engine endpoint is ready');
      return engine;
    },
  };
  return { kube, engine, events: recorded, reconcile: () => reconcileQuery(deps, 'team-a', 'q'), setEngineUp: (v: boolean) => (up = v), advance: (ms: number) => (clock += ms) };
}

describe('reconcileQuery', () => {
  it('keeps lastAppliedSql and the queries through an engine outage, so the upgrade policy still applies after it', async () => {
    const { kube, engine, reconcile, setEngineUp } = setup({ sql: sql('user_id, service'), upgradePolicy: 'Refuse' });
    await reconcile();
    const applied = kube.query.status!;
    expect(condition(kube.query, 'Ready')?.status).toBe('True');
    expect(applied.lastAppliedSql).toBe(sql('user_id, service'));
    expect(applied.queries?.map((q) => q.id)).toEqual(['CSAS_BY_SERVICE_0']);

    setEngineUp(false);
    await reconcile();
    expect(condition(kube.query, 'Ready')?.reason).toBe('EngineUnavailable');
    expect(kube.query.status?.lastAppliedSql).toBe(applied.lastAppliedSql);
    expect(kube.query.status?.queries).toEqual(applied.queries);

    setEngineUp(true);
    kube.edit({ sql: sql('user_id, UCASE(service) AS service_uc') });
    await reconcile();
    expect(condition(kube.query, 'Degraded')?.reason).toBe('SqlChangeRefused');
    expect(kube.query.status?.lastAppliedSql).toBe(applied.lastAppliedSql);
    expect(engine.queries.map((q) => q.id)).toEqual(['CSAS_BY_SERVICE_0']);
  });

  it('clears lastError once the SQL is fixed (a complete status replaces the last one)', async () => {
    const { kube, reconcile } = setup({ sql: `${SRC}\nCREATE STREAM oops AS SELEC * FROM src EMIT CHANGES;` });
    await reconcile();
    expect(condition(kube.query, 'SqlValid')?.status).toBe('False');
    expect(kube.query.status?.lastError?.line).toBe(2);
    kube.edit({ sql: sql('user_id, service') });
    await reconcile();
    expect(condition(kube.query, 'SqlValid')?.status).toBe('True');
    expect(kube.query.status?.lastError).toBeUndefined();
  });

  it('does not recreate again what a killed reconcile already recreated (engine on the new SQL, status on the old)', async () => {
    const { kube, engine, reconcile } = setup({ sql: sql('user_id, service'), upgradePolicy: 'Recreate' });
    await reconcile();
    // the operator recreated the query for the new SQL and died before its status write
    await engine.ksql('TERMINATE CSAS_BY_SERVICE_0;');
    await engine.ksql('DROP STREAM IF EXISTS BY_SERVICE;');
    await engine.ksql(sql('user_id, UCASE(service) AS service_uc'));
    const recreated = engine.queries.map((q) => q.id);
    kube.edit({ sql: sql('user_id, UCASE(service) AS service_uc') });
    engine.submitted.length = 0;
    await reconcile();
    expect(engine.submitted.filter((s) => !s.startsWith('SHOW'))).toEqual([]);
    expect(engine.queries.map((q) => q.id)).toEqual(recreated);
    expect(kube.query.status?.lastAppliedSql).toBe(sql('user_id, UCASE(service) AS service_uc'));
    expect(condition(kube.query, 'Ready')?.status).toBe('True');
  });

  it("shows a query the engine reports in ERROR as Error, with the engine's last error, and Degraded", async () => {
    const { kube, engine, reconcile } = setup({ sql: sql('user_id, service') });
    await reconcile();
    const [q] = engine.queries;
    engine.queries[0] = { ...q!, state: 'ERROR' };
    engine.errors.set(q!.id, ['older error', 'by-service/0: Could not write to by-service: This server does not host this topic-partition']);
    await reconcile();
    expect(kube.query.status?.queries).toEqual([{ id: q!.id, state: 'Error', sinks: ['BY_SERVICE'], error: 'by-service/0: Could not write to by-service: This server does not host this topic-partition' }]);
    expect(condition(kube.query, 'Ready')).toMatchObject({ status: 'False', reason: 'QueryError' });
    expect(condition(kube.query, 'Degraded')).toMatchObject({ status: 'True', reason: 'QueryError' });
    // and Running again once the engine says so
    engine.queries[0] = { ...q!, state: 'RUNNING' };
    await reconcile();
    expect(kube.query.status?.queries?.[0]?.state).toBe('Running');
    expect(condition(kube.query, 'Degraded')?.status).toBe('False');
  });

    it('submits nothing again when run twice (a repeated reconcile is idempotent)', async () => {
    const { engine, reconcile } = setup({ sql: sql('user_id, service') });
    await reconcile();
    const first = [...engine.submitted];
    await reconcile();
    expect(engine.submitted.filter((s) => !s.startsWith('SHOW'))).toEqual(first.filter((s) => !s.startsWith('SHOW')));
    expect(engine.queries).toHaveLength(1);
  });

  it('asks the engine for a dry run only when the generation or the cluster\'s catalog changes, not on every poll', async () => {
    const { kube, engine, reconcile } = setup({ sql: sql('user_id, service') });
    await reconcile();
    expect(engine.dryRuns).toHaveLength(1);
    await reconcile();
    await reconcile();
    expect(engine.dryRuns).toHaveLength(1);
    // another team's stream appears in the catalog
    engine.sources.set('OTHER', { statement: 'CREATE STREAM other (x INT) WITH (KAFKA_TOPIC=\'o\', VALUE_FORMAT=\'JSON\');', sourceType: 'STREAM', topic: 'o' });
    await reconcile();
    expect(engine.dryRuns).toHaveLength(2);
    kube.edit({ sql: sql('user_id, service, 1 AS one') });
    await reconcile();
    expect(engine.dryRuns).toHaveLength(3);
    // the sources this KsqlQuery made are left out of the engine's catalog for the dry run
    expect(engine.dryRuns[2]!.without).toEqual(expect.arrayContaining(['SRC', 'BY_SERVICE']));
  });

  it('refuses SQL the engine\'s dry run refuses, with its position, and submits nothing', async () => {
    const { kube, engine, reconcile } = setup({ sql: sql('user_id, nope') });
    engine.refuse = { kind: 'Invalid', problem: { reason: 'SqlReferenceNotFound', message: "Line: 2, Col: 84: SELECT column 'NOPE' cannot be resolved.", line: 2, column: 84 } };
    await reconcile();
    expect(condition(kube.query, 'SqlValid')).toMatchObject({ status: 'False', reason: 'SqlReferenceNotFound' });
    expect(kube.query.status?.lastError).toMatchObject({ line: 2, column: 84 });
    expect(engine.submitted.filter((x) => !x.startsWith('SHOW'))).toEqual([]);
  });

  it('goes Stalled (condition, STATE) when records wait and none is consumed for progressDeadlineSeconds, and back', async () => {
    const { kube, engine, reconcile, advance } = setup({ sql: sql('user_id, service'), progressDeadlineSeconds: 60 });
    await reconcile();
    const id = engine.queries[0]!.id;
    const counters = (into: number, lag: number) => `ksetl_query_records_in_total{query_id="${id}"} ${into}\nksetl_query_records_out_total{query_id="${id}"} ${into}\nksetl_query_consumer_lag{query_id="${id}",topic="signups",partition="0"} ${lag}\n`;
    engine.metricsText = counters(100, 0);
    await reconcile();
    expect(kube.query.status?.state).toBe('Running');
    engine.metricsText = counters(100, 756);
    for (let i = 0; i < 2; i++) {
      advance(20_000);
      await reconcile();
    }
    expect(kube.query.status?.state).toBe('Running');
    advance(20_000);
    await reconcile();
    expect(kube.query.status?.state).toBe('Stalled');
    expect(condition(kube.query, 'Stalled')).toMatchObject({ status: 'True', reason: 'NoProgress' });
    expect(condition(kube.query, 'Stalled')?.message).toContain('756 record(s) wait');
    engine.metricsText = counters(856, 0);
    advance(20_000);
    await reconcile();
    expect(kube.query.status?.state).toBe('Running');
    expect(condition(kube.query, 'Stalled')?.status).toBe('False');
  });

  it('is Ready only once the new query has written output or has nothing waiting (not on RUNNING alone)', async () => {
    const { kube, engine, reconcile } = setup({ sql: sql('user_id, service') });
    engine.metricsText = '';
    await reconcile();
    expect(kube.query.status?.state).toBe('Running');
    expect(condition(kube.query, 'Ready')).toMatchObject({ status: 'False', reason: 'AwaitingOutput' });
    const id = engine.queries[0]!.id;
    engine.metricsText = `ksetl_query_records_out_total{query_id="${id}"} 0\nksetl_query_consumer_lag{query_id="${id}",topic="signups",partition="0"} 756\n`;
    await reconcile();
    expect(condition(kube.query, 'Ready')).toMatchObject({ status: 'False', reason: 'AwaitingOutput', message: `${id}: running, no output yet and 756 record(s) wait on its input topics` });
    engine.metricsText = `ksetl_query_records_out_total{query_id="${id}"} 1\nksetl_query_consumer_lag{query_id="${id}",topic="signups",partition="0"} 755\n`;
    await reconcile();
    expect(condition(kube.query, 'Ready')).toMatchObject({ status: 'True', reason: 'QueriesRunning' });
  });

  it('refuses a query writing outside the cluster\'s topic prefixes (SqlValid=False, TopicNotAllowed) and submits nothing', async () => {
    const { kube, engine, reconcile } = setup({ sql: sql('user_id, service') }, { topics: { read: ['signups'], write: ['team-a.'] } });
    engine.refuse = { kind: 'Valid', topics: { reads: ['signups'], writes: ['by-service'] } };
    await reconcile();
    expect(condition(kube.query, 'SqlValid')).toMatchObject({ status: 'False', reason: 'TopicNotAllowed' });
    expect(condition(kube.query, 'SqlValid')?.message).toContain("writes 'by-service' outside the cluster's write prefixes [team-a.]");
    expect(engine.submitted.filter((x) => !x.startsWith('SHOW'))).toEqual([]);
    engine.refuse = { kind: 'Valid', topics: { reads: ['signups'], writes: ['team-a.by-service'] } };
    kube.edit({ sql: sql('user_id, service').replace("'by-service'", "'team-a.by-service'") });
    await reconcile();
    expect(condition(kube.query, 'SqlValid')?.status).toBe('True');
    expect(condition(kube.query, 'Ready')?.status).toBe('True');
  });

  it('pauses new queries in the reconcile that creates them (spec.state: Paused), and resumes them', async () => {
    const { kube, engine, reconcile } = setup({ sql: sql('user_id, service'), state: 'Paused' });
    await reconcile();
    expect(engine.queries.map((q) => q.state)).toEqual(['PAUSED']);
    expect(kube.query.status?.state).toBe('Paused');
    expect(condition(kube.query, 'Ready')).toMatchObject({ status: 'True', reason: 'QueriesPaused' });
    kube.edit({ state: 'Running' });
    await reconcile();
    expect(engine.queries.map((q) => q.state)).toEqual(['RUNNING']);
    expect(kube.query.status?.state).toBe('Running');
  });

  it('records the spec that ran Ready as status.lastStableSpec', async () => {
    const { kube, reconcile } = setup({ sql: sql('user_id, service'), properties: { 'auto.offset.reset': 'earliest' } });
    await reconcile();
    expect(kube.query.status?.lastStableSpec).toEqual({ sql: sql('user_id, service'), properties: { 'auto.offset.reset': 'earliest' }, generation: 1 });
  });

  describe('an upgrade the engine refuses', () => {
    const v2 = `${sql('user_id, UCASE(service) AS service_uc')}\nCREATE STREAM by_plan AS SELECT user_id FROM src EMIT CHANGES;`;

    it('Halt: Degraded (UpgradeNotInPlace: the in-place upgrade failed) with the refused statement\'s position; the old SQL stays applied and the upgrade is tried again', async () => {
      const { kube, engine, reconcile } = setup({ sql: sql('user_id, service') });
      await reconcile();
      engine.rejects = (s) => s.includes('by_plan');
      kube.edit({ sql: v2 });
      await reconcile();
      expect(condition(kube.query, 'Degraded')).toMatchObject({ status: 'True', reason: 'UpgradeNotInPlace' });
      expect(kube.query.status?.lastError).toMatchObject({ reason: 'EngineRejected', line: 3 });
      expect(kube.query.status?.lastAppliedSql).toBe(sql('user_id, service'));
      expect(kube.query.status?.rollback).toBeUndefined();
      engine.rejects = () => false;
      await reconcile();
      expect(kube.query.status?.lastAppliedSql).toBe(v2);
      expect(condition(kube.query, 'Degraded')?.status).toBe('False');
    });

    it('Rollback (in place): the stable SQL is replaced back, Degraded=True UpgradeRolledBack, an event, and the generation is not tried again', async () => {
      const { kube, engine, events, reconcile } = setup({ sql: sql('user_id, service'), onUpgradeFailure: 'Rollback' });
      await reconcile();
      const [id] = engine.queries.map((q) => q.id);
      engine.rejects = (s) => s.includes('by_plan');
      kube.edit({ sql: v2 });
      await reconcile();
      expect(engine.sources.get('BY_SERVICE')?.statement).toContain('SELECT user_id, service FROM');
      expect(engine.queries.map((q) => q.id)).toEqual([id]);
      expect(kube.query.status?.lastAppliedSql).toBe(sql('user_id, service'));
      expect(kube.query.status?.rollback).toMatchObject({ generation: 2, reason: 'EngineRejected', time: '2026-12-07T10:00:00Z' });
      expect(condition(kube.query, 'Degraded')).toMatchObject({ status: 'True', reason: 'UpgradeRolledBack' });
      expect(condition(kube.query, 'Ready')?.status).toBe('True');
      expect(kube.query.status?.lastStableSpec?.sql).toBe(sql('user_id, service'));
      expect(events).toContain('UpgradeRolledBack');
      // not tried again for this generation
      engine.submitted.length = 0;
      await reconcile();
      expect(engine.submitted.filter((s) => !s.startsWith('SHOW'))).toEqual([]);
      expect(condition(kube.query, 'Degraded')?.reason).toBe('UpgradeRolledBack');
      // an edit of the spec tries again
      engine.rejects = () => false;
      kube.edit({ sql: v2 });
      await reconcile();
      expect(kube.query.status?.lastAppliedSql).toBe(v2);
      expect(kube.query.status?.rollback).toBeUndefined();
      expect(condition(kube.query, 'Degraded')?.status).toBe('False');
      expect(kube.query.status?.lastStableSpec?.sql).toBe(v2);
    });

    it('Rollback in place refused by the engine too (a column dropped): the stable SQL is recreated', async () => {
      const { kube, engine, reconcile } = setup({ sql: sql('user_id, service'), onUpgradeFailure: 'Rollback' });
      await reconcile();
      const [id] = engine.queries.map((q) => q.id);
      engine.rejects = (s) => s.includes('by_plan') || /^CREATE OR REPLACE STREAM by_service .* SELECT user_id, service FROM/.test(s);
      kube.edit({ sql: v2 });
      await reconcile();
      expect(engine.sources.get('BY_SERVICE')?.statement).toContain('SELECT user_id, service FROM');
      expect(engine.queries).toHaveLength(1);
      expect(engine.queries[0]!.id).not.toBe(id);
      expect(kube.query.status?.lastAppliedSql).toBe(sql('user_id, service'));
      expect(kube.query.status?.rollback?.message).toContain('line 3:1: Cannot upgrade');
      expect(condition(kube.query, 'Degraded')?.reason).toBe('UpgradeRolledBack');
      expect(condition(kube.query, 'Ready')?.status).toBe('True');
    });

    it('Rollback after Recreate: the stable SQL is created again', async () => {
      const { kube, engine, reconcile } = setup({ sql: sql('user_id, service'), upgradePolicy: 'Recreate', onUpgradeFailure: 'Rollback' });
      await reconcile();
      engine.rejects = (s) => s.includes('by_plan');
      kube.edit({ sql: v2 });
      await reconcile();
      expect([...engine.sources.keys()].sort()).toEqual(['BY_SERVICE', 'SRC']);
      expect(engine.sources.get('BY_SERVICE')?.statement).toContain('SELECT user_id, service FROM');
      expect(engine.queries).toHaveLength(1);
      expect(kube.query.status?.queries?.map((q) => q.state)).toEqual(['Running']);
      expect(condition(kube.query, 'Degraded')).toMatchObject({ status: 'True', reason: 'UpgradeRolledBack' });
    });

    it('Rollback when the new query goes to ERROR before the KsqlQuery was Ready on it', async () => {
      const { kube, engine, reconcile } = setup({ sql: sql('user_id, service'), onUpgradeFailure: 'Rollback' });
      await reconcile();
      kube.edit({ sql: sql('user_id, UCASE(service) AS service_uc') });
      // the engine takes the new SQL and its query fails at once
      const snapshot = engine.snapshot.bind(engine);
      engine.snapshot = async () => {
        const snap = await snapshot();
        return { state: { ...snap.state, queries: snap.state.queries.map((q) => (q.sql.includes('UCASE') ? { ...q, state: 'ERROR' } : q)) } };
      };
      await reconcile();
      expect(engine.sources.get('BY_SERVICE')?.statement).toContain('SELECT user_id, service FROM');
      expect(kube.query.status?.rollback).toMatchObject({ generation: 2, reason: 'QueryError' });
      expect(condition(kube.query, 'Degraded')?.reason).toBe('UpgradeRolledBack');
    });
  });
});
