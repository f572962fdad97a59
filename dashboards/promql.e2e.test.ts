/**
 * Every PromQL expression of every dashboard panel and alert rule, executed
 * against a real Prometheus (Debian's package, test/infra/prometheus)
 * scraping two real engine processes (`node bin/ksetl.js server --config F`)
 * that run the seed examples (manifests/examples/) on the real broker, with
 * records (and a malformed one) produced to their inputs and one engine
 * restarted midway (restarts, restores, rebalances), and a real operator
 * process (`node bin/ksetl.js operator`, with its ServiceAccount's token on
 * the e2e kube-apiserver) reconciling a KsqlCluster and a KsqlQuery of the
 * same namespace and cluster name, so its reconcile, work-queue and
 * condition series exist. Each expression must return at least one series;
 * alert rules are conditions that return nothing while healthy, so their
 * threshold-free expressions are asserted and the whole rule is reported.
 * Without a kube-apiserver (no `kubeconfig` injected) the operator
 * expressions are reported, not asserted.
 *
 * The report: $KSETL_TEST_OUTPUT (default <tmp>/ksetl-test-output)/promql-report.md,
 * and dashboards/generated/promql-report.md with UPDATE_REPORT=1.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel, type Message } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { installCrdsAndRbac, operatorAvailable, serviceAccountKubeconfig, startOperator, type OperatorProcess } from '../test/e2e/harness.js';
import { KubeRest } from '../test/infra/pod-runner/kube-rest.js';
import { freePort, startPrometheus, type RunningPrometheus } from '../test/infra/prometheus/prometheus.js';
import { waitFor } from '../test/infra/wait.js';
import { ALERTS_FILE, alertExpr, allAlertGroups } from './alerts.js';
import { DASHBOARDS, panelExpressions, variableQueries } from './index.js';
import { metricNames, substituteVariables } from './promql.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const run = randomBytes(4).toString('hex');
// a Kubernetes namespace too: per run, as the API server may outlive one
const NAMESPACE = `team-e2e-${run}`;
const CLUSTER = 'promql';
const SERVICE_ID = `promql_${run}_`;
const topic = (name: string): string => `${name}-${run}`;

// ---- the seed examples and their inputs -----------------------------------

interface Example {
  readonly file: string;
  readonly sql: string;
  readonly properties: Record<string, string>;
}

function examples(): Example[] {
  const dir = join(root, 'manifests', 'examples');
  const out: Example[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort()) {
    for (const doc of parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
      const o = doc.toJS() as { kind?: string; spec?: { sql?: string; properties?: Record<string, string> } } | null;
      if (o?.kind !== 'KsqlQuery' || !o.spec?.sql) continue;
      // per-run topic names: runs on a shared broker never see each other's data
      const sql = o.spec.sql.replace(/KAFKA_TOPIC='([^']+)'/g, (_m, t: string) => `KAFKA_TOPIC='${topic(t)}'`);
      out.push({ file, sql, properties: o.spec.properties ?? {} });
    }
  }
  return out;
}

const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));
const intKey = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};

/** Records for each example's input topics (topic → messages), timestamps around `now`. */
function inputs(now: number): Record<string, Message[]> {
  const w5 = Math.floor(now / 5000) * 5000;
  const ts = (t: number) => String(t);
  return {
    [topic('authorization_attempts')]: [
      ...Array.from({ length: 8 }, (_, i) => ({ key: '4111-0001', value: json({ merchant: `m${i}`, amount: 10 + i, attempt_time: w5 + i }), timestamp: ts(w5 + i) })),
      ...Array.from({ length: 2 }, (_, i) => ({ key: '4222-0002', value: json({ merchant: 'shop', amount: 99, attempt_time: w5 + i }), timestamp: ts(w5 + i) })),
      // the malformed record: a deserialization error, a processing-log entry
      { key: '4111-0001', value: Buffer.from('{not json'), timestamp: ts(w5 + 9) },
    ],
    [topic('hk01.user-signups')]: Array.from({ length: 12 }, (_, i) => ({
      key: `u${i}`,
      value: json({ service: i % 3 === 0 ? 'news' : 'shop', signup_time: now + i }),
      timestamp: ts(now + i),
    })),
    [topic('line.request-log')]: Array.from({ length: 8 }, (_, i) => ({
      key: `r${i}`,
      value: json({ user_id: `u${i}`, experiment: 'exp1', variant: i % 2 ? 'A' : 'B', request_time: now + i }),
      timestamp: ts(now + i),
    })),
    [topic('line.client-events')]: Array.from({ length: 8 }, (_, i) => ({
      key: `r${i}`,
      value: json({ event_type: i < 3 ? 'click' : 'impression', event_time: now + 100 + i }),
      timestamp: ts(now + 100 + i),
    })),
    [topic('customers')]: [1, 2, 3].map((id) => ({
      key: intKey(id),
      value: json({ first_name: `F${id}`, last_name: `L${id}`, email: `c${id}@example.com`, gender: 'x', club_status: id === 1 ? 'platinum' : 'gold', comments: '' }),
      timestamp: ts(now - 1000),
    })),
    [topic('ratings')]: Array.from({ length: 10 }, (_, i) => ({
      key: null,
      value: json({ rating_id: i, user_id: 1 + (i % 3), stars: 1 + (i % 5), route_id: 7, rating_time: now + i, channel: 'ios', message: 'late' }),
      timestamp: ts(now + i),
    })),
  };
}

// ---- engine processes ------------------------------------------------------

interface Engine {
  readonly name: string;
  readonly port: number;
  readonly url: string;
  readonly configFile: string;
  child: ChildProcess;
  output: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const POLL_MS = 250;
/** test/infra/wait.ts's waitFor, polling at Prometheus' scrape pace. */
const wait = <T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 90_000, detail?: () => string): Promise<T> =>
  waitFor(what, check, { timeoutMs, intervalMs: POLL_MS, ...(detail ? { detail } : {}) });

function spawnEngine(e: Engine): void {
  const child = spawn(process.execPath, [join(root, 'bin', 'ksetl.js'), 'server', '--config', e.configFile], {
    cwd: root,
    env: { ...process.env, KSETL_NAMESPACE: NAMESPACE, KSETL_CLUSTER: CLUSTER, KSETL_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (d: Buffer) => {
    e.output = (e.output + d.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  e.child = child;
}

async function startEngine(name: string, dir: string, brokers: string): Promise<Engine> {
  const port = await freePort();
  const configFile = join(dir, `${name}.properties`);
  writeFileSync(
    configFile,
    [`bootstrap.servers=${brokers}`, `ksql.service.id=${SERVICE_ID}`, `listeners=http://127.0.0.1:${port}`, 'processing.guarantee=at_least_once', ''].join('\n'),
  );
  const e: Engine = { name, port, url: `http://127.0.0.1:${port}`, configFile, child: undefined as unknown as ChildProcess, output: '' };
  spawnEngine(e);
  await waitReady(e);
  return e;
}

async function waitReady(e: Engine): Promise<void> {
  await waitFor(
    `${e.name} ready`,
    async () => {
      if (e.child.exitCode !== null) throw new Error(`${e.name} exited with ${e.child.exitCode}`);
      const r = await fetch(`${e.url}/ready`);
      return r.ok ? true : undefined;
    },
    { timeoutMs: 150_000, intervalMs: POLL_MS, detail: () => e.output },
  );
}

async function stopEngine(e: Engine): Promise<void> {
  if (e.child.exitCode !== null || e.child.signalCode !== null) return;
  const exited = new Promise<void>((r) => e.child.once('exit', () => r()));
  e.child.kill('SIGTERM');
  await Promise.race([exited, sleep(30_000).then(() => e.child.kill('SIGKILL'))]);
}

// ---- the run --------------------------------------------------------------

interface VariableRow {
  readonly where: string;
  readonly selector: string;
  readonly values: string[];
  readonly asserted: boolean;
}

interface Row {
  readonly source: 'engine' | 'operator';
  readonly where: string;
  readonly expr: string;
  readonly series: number;
  readonly note?: string;
  readonly asserted: boolean;
}

const usesOperator = (expr: string): boolean => metricNames(expr).some((n) => n.startsWith('ksetl_operator_'));

describe('PromQL of the dashboards and alerts on live engines', () => {
  let dir: string;
  let prom: RunningPrometheus;
  const engines: Engine[] = [];
  const timings: Record<string, number> = {};
  const kubeconfig = inject('kubeconfig');
  let operatorTarget: string | undefined;
  let operator: OperatorProcess | undefined;
  let api: KubeRest | undefined;

  beforeAll(async () => {
    const brokers = inject('kafkaBootstrap') ?? process.env['KSETL_KAFKA_BOOTSTRAP'];
    if (!brokers) throw new Error('no Kafka broker (kafkaBootstrap / KSETL_KAFKA_BOOTSTRAP)');
    dir = join(tmpdir(), `ksetl-promql-${run}`);
    mkdirSync(dir, { recursive: true });

    let t = Date.now();
    const kafka = new Kafka({ clientId: `promql-e2e-${run}`, brokers: [brokers], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    const now = Date.now();
    const records = inputs(now);
    await admin.createTopics({ topics: Object.keys(records).map((t) => ({ topic: t, numPartitions: 2, replicationFactor: 1 })), waitForLeaders: true });
    await admin.disconnect();

    engines.push(await startEngine('engine-a', dir, brokers), await startEngine('engine-b', dir, brokers));
    timings['engines ready (s)'] = (Date.now() - t) / 1000;

    // the operator, as test/e2e runs it: CRDs and manifests/base RBAC installed, its ServiceAccount's token
    if (operatorAvailable && kubeconfig) {
      t = Date.now();
      api = await KubeRest.fromFile(kubeconfig);
      await installCrdsAndRbac(api);
      const operatorKubeconfig = await serviceAccountKubeconfig(api, kubeconfig, join(dir, 'operator.kubeconfig'));
      await api.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } });
      const port = await freePort();
      operatorTarget = `127.0.0.1:${port}`;
      // no pods run here (no node): the KsqlQuery controller reaches the first engine process directly
      const op = startOperator({ kubeconfig: operatorKubeconfig, logFile: join(dir, 'operator.log'), args: ['--health-port', String(port), '--engine-url-override', engines[0]!.url] });
      operator = op;
      await wait(
        'the operator ready',
        async () => {
          if (op.child.exitCode !== null) throw new Error(`the operator exited with ${op.child.exitCode}`);
          return (await fetch(`http://${operatorTarget}/readyz`)).ok ? true : undefined;
        },
        60_000,
        () => op.log(),
      );
      timings['operator ready (s)'] = (Date.now() - t) / 1000;
    }

    t = Date.now();
    prom = await startPrometheus({
      targets: [
        { job: 'ksetl-engine', targets: engines.map((e) => `127.0.0.1:${e.port}`) },
        ...(operatorTarget ? [{ job: 'ksetl-operator', targets: [operatorTarget] }] : []),
      ],
      ruleFiles: [join(root, ALERTS_FILE)],
    });
    timings['prometheus ready (s)'] = (Date.now() - t) / 1000;

    // the seed examples' statements, through the first engine's REST API
    const ex = examples();
    for (const e of ex) {
      const r = await fetch(`${engines[0]!.url}/ksql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ksql: e.sql, streamsProperties: e.properties }),
      });
      expect(r.status, `${e.file}: ${await r.clone().text()}`).toBe(200);
    }

    // what the operator reconciles: a KsqlCluster named as the engines' cluster label (its pods never
    // run here: Ready=False), and a KsqlQuery declaring a stream on the first engine (Ready=True)
    if (api) {
      const manager = 'ksetl-promql-e2e';
      await api.apply({ apiVersion: 'ksetl.io/v1alpha1', kind: 'KsqlCluster', metadata: { name: CLUSTER, namespace: NAMESPACE }, spec: { kafka: { bootstrapServers: [brokers] } } }, manager);
      await api.apply(
        {
          apiVersion: 'ksetl.io/v1alpha1',
          kind: 'KsqlQuery',
          metadata: { name: 'operator-probe', namespace: NAMESPACE },
          spec: { clusterRef: { name: CLUSTER }, sql: `CREATE STREAM OPERATOR_PROBE (ID STRING KEY, V INT) WITH (KAFKA_TOPIC='${topic('operator-probe')}', PARTITIONS=1, VALUE_FORMAT='JSON');` },
        },
        manager,
      );
    }

    const producer = kafka.producer();
    await producer.connect();
    const sel = `namespace="${NAMESPACE}", cluster="${CLUSTER}"`;
    const has = async (expr: string, min = 1): Promise<true | undefined> => {
      const s = await prom.query(expr);
      return s.length > 0 && Number(s[0]!.value[1]) >= min ? true : undefined;
    };
    // Customers first, and consumed by the enrichment join before any rating
    // is sent: the engine does not order records across a task's input topics
    // by timestamp, so a rating that overtook its customer would join to
    // nothing, and the platinum filter downstream would never produce.
    const customersTopic = topic('customers');
    await producer.send({ topic: customersTopic, messages: records[customersTopic]! });
    await wait('the customers table loaded by the enrichment join', () =>
      has(`sum(ksetl_query_records_in_total{${sel}, query_id=~".*RATINGS_WITH_CUSTOMER_DATA.*"})`, records[customersTopic]!.length),
    );
    for (const tp of Object.keys(records).filter((tp) => tp !== customersTopic)) await producer.send({ topic: tp, messages: records[tp]! });

    t = Date.now();
    const queries = (await wait('the queries in RUNNING', async () => {
      const s = await prom.query(`count(count by (query_id) (ksetl_query_state{${sel}, state="RUNNING"} == 1))`);
      return s.length > 0 && Number(s[0]!.value[1]) >= 6 ? Number(s[0]!.value[1]) : undefined;
    })) as number;
    await wait('every query producing', () => has(`count(sum by (query_id) (ksetl_query_records_out_total{${sel}}) > 0)`, queries), 120_000, () =>
      engines.map((e) => `--- ${e.name}\n${e.output}`).join('\n'),
    );
    await wait('the malformed record counted', () => has(`sum(ksetl_query_processing_errors_total{${sel}})`));
    timings['records through every query (s)'] = (Date.now() - t) / 1000;
    if (operator) {
      const op = operator;
      const scope = `namespace="${NAMESPACE}", name=~"${CLUSTER}|operator-probe"`;
      await wait('the operator\'s conditions of both resources', () => has(`count(count by (kind) (ksetl_operator_resource_condition{${scope}, type="Ready"}))`, 2), 90_000, () => op.log());
      await wait('reconciles of both controllers timed', () => has(`count(sum by (controller) (ksetl_operator_reconcile_duration_seconds_count) > 0)`, 2), 60_000, () => op.log());
    }

    // restart one engine: a restart for the restart panels, restores of its stores, rebalances
    t = Date.now();
    const b = engines[1]!;
    await stopEngine(b);
    spawnEngine(b);
    await waitReady(b);
    timings['engine restart: stop and ready again (s)'] = (Date.now() - t) / 1000;
    // more records, and a malformed one on each partition, so both live processes count processing errors
    const late = Date.now();
    await producer.send({ topic: topic('hk01.user-signups'), messages: [{ key: 'late', value: json({ service: 'news', signup_time: late }), timestamp: String(late) }] });
    await producer.send({
      topic: topic('authorization_attempts'),
      messages: [0, 1].map((partition) => ({ partition, key: `bad-${partition}`, value: Buffer.from('{still not json'), timestamp: String(late) })),
    });
    await producer.disconnect();
    await wait('the restart seen by Prometheus', () => has(`sum(changes(process_start_time_seconds{${sel}}[15m]))`), 60_000);
    await wait('live processing-error series', () => has(`count(count_over_time(ksetl_query_processing_errors_total{${sel}}[15s]) >= 3)`), 60_000);
    // a few more scrapes of both engines, so every rate() has samples after the restart
    await wait('5 scrapes of each engine since the restart', () => has(`min(count_over_time(ksetl_process_ready{${sel}}[6s]))`, 5), 60_000);
  }, 600_000);

  afterAll(async () => {
    await operator?.stop();
    for (const e of engines) await stopEngine(e).catch(() => {});
    await prom?.stop();
    await api?.delete(`/api/v1/namespaces/${NAMESPACE}`).catch(() => {});
  }, 120_000);

  it.skipIf(!operatorAvailable || !kubeconfig)('the operator provisioned the cluster\'s dashboards and scrape annotations, and says why there are no alert rules', async () => {
    type Cluster = { status?: { dashboards?: { name: string; uid: string }[]; conditions?: { type: string; status: string; reason: string }[] } };
    const kc = await wait('status.dashboards on the KsqlCluster', async () => {
      const o = await api!.find<Cluster>(`/apis/ksetl.io/v1alpha1/namespaces/${NAMESPACE}/ksqlclusters/${CLUSTER}`);
      return o?.status?.dashboards?.length ? o : undefined;
    });
    expect(kc.status?.dashboards?.map((d) => d.name)).toEqual(['cluster-overview', 'query']);
    // no Prometheus Operator CRDs on this API server: no ServiceMonitor nor PrometheusRule, and the condition says so
    expect(kc.status?.conditions?.find((c) => c.type === 'MonitoringReady')).toMatchObject({ status: 'False', reason: 'PrometheusOperatorMissing' });
    type ConfigMaps = { items: { metadata: { name: string; labels?: Record<string, string> }; data?: Record<string, string> }[] };
    const cms = await api!.get<ConfigMaps>(`/api/v1/namespaces/${NAMESPACE}/configmaps?labelSelector=grafana_dashboard%3D1`);
    for (const ref of kc.status!.dashboards!) {
      const cm = cms.items.find((c) => c.data?.[`${ref.uid}.json`]);
      expect(cm, `the ConfigMap of dashboard ${ref.uid}`).toBeDefined();
      expect((JSON.parse(cm!.data![`${ref.uid}.json`]!) as { uid: string }).uid).toBe(ref.uid);
    }
    type Sts = { spec: { template: { metadata: { annotations?: Record<string, string> }; spec: { containers: { name: string; env?: { name: string; value?: string }[] }[] } } } };
    const sts = await api!.get<Sts>(`/apis/apps/v1/namespaces/${NAMESPACE}/statefulsets/${CLUSTER}-ksetl`);
    expect(sts.spec.template.metadata.annotations?.['prometheus.io/scrape']).toBe('true');
    const env = sts.spec.template.spec.containers.find((c) => c.name === 'engine')?.env ?? [];
    expect(env.find((e) => e.name === 'KSETL_CLUSTER')?.value).toBe(CLUSTER);
  });

  it('every dashboard panel and alert expression returns at least one series', async () => {
    const ids = await prom.series(`ksetl_query_state{namespace="${NAMESPACE}", cluster="${CLUSTER}"}`);
    const queryIds = [...new Set(ids.map((s) => s['query_id']!))].sort();
    // Grafana's format for a multi-value variable in a Prometheus regex matcher
    const vars = { namespace: NAMESPACE, cluster: CLUSTER, query_id: `(${queryIds.join('|')})`, datasource: 'prometheus' };
    const rows: Row[] = [];
    const variableRows: VariableRow[] = [];

    for (const d of DASHBOARDS) {
      const built = d.build();
      for (const v of variableQueries(built)) {
        const selector = substituteVariables(v.selector, vars);
        const series = await prom.series(selector);
        variableRows.push({
          where: `${d.uid} $${v.name}`,
          selector: `label_values(${selector}, ${v.label})`,
          values: [...new Set(series.map((s) => s[v.label] ?? ''))].filter((x) => x !== '').sort(),
          asserted: !usesOperator(v.selector) || !!operatorTarget,
        });
      }
      for (const p of panelExpressions(built)) {
        const expr = substituteVariables(p.expr, vars);
        const source = usesOperator(p.expr) ? 'operator' : 'engine';
        const series = (await prom.query(expr)).length;
        rows.push({ source, where: `${d.name} / ${p.panel} / ${p.refId}`, expr, series, asserted: source === 'engine' || !!operatorTarget });
      }
    }
    for (const g of allAlertGroups()) {
      for (const a of g.alerts) {
        const asserted = a.source === 'engine' || !!operatorTarget;
        for (const [i, c] of a.conditions.entries()) {
          // a resource condition's True series exists only while the condition holds (a stalled query):
          // what is asserted is that the condition is reported at all, True or False
          const expr = c.expr.includes('ksetl_operator_resource_condition{') ? c.expr.replace('status="True"', 'status=~"True|False"') : c.expr;
          rows.push({
            source: a.source,
            where: `alert ${a.alert}${a.conditions.length > 1 ? ` (condition ${i + 1})` : ''}, without \`${c.op} ${c.value}\`${expr === c.expr ? '' : ', any status'}`,
            expr,
            series: (await prom.query(expr)).length,
            asserted,
          });
        }
        rows.push({ source: a.source, where: `alert ${a.alert}, whole rule (firing now)`, expr: alertExpr(a), series: (await prom.query(alertExpr(a))).length, asserted: false, note: 'condition; empty while healthy' });
      }
    }
    type Rules = { groups: { rules: { name: string; health: string; state: string; lastError?: string }[] }[] };
    const rules = (await prom.api<Rules>('rules')).groups.flatMap((g) => g.rules);

    const states = (await prom.query(`ksetl_query_state{namespace="${NAMESPACE}", cluster="${CLUSTER}"} == 1`))
      .map((x) => `${x.metric['instance']}: ${x.metric['query_id']} ${x.metric['state']}`)
      .sort();
    const report = renderReport({ states, rows, variableRows, queryIds, version: prom.version, rules, timings, operatorTarget });
    const outDir = process.env['KSETL_TEST_OUTPUT'] ?? join(tmpdir(), 'ksetl-test-output');
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, 'promql-report.md'), report);
    if (process.env['UPDATE_REPORT'] === '1') writeFileSync(join(root, 'dashboards', 'generated', 'promql-report.md'), report);
    for (const e of engines) writeFileSync(join(outDir, `promql-${e.name}.log`), e.output);
    if (operator) writeFileSync(join(outDir, 'promql-operator.log'), operator.log());
    console.log(`[promql] report: ${join(outDir, 'promql-report.md')}`);

    expect(rules.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.lastError ?? r.health}`)).toEqual([]);
    for (const v of variableRows.filter((x) => x.asserted)) expect(v.values.length, `${v.where}: ${v.selector}`).toBeGreaterThan(0);
    const empty = rows.filter((r) => r.asserted && r.series === 0).map((r) => `${r.where}: ${r.expr}`);
    expect(empty).toEqual([]);
  });
});

function renderReport(o: {
  rows: readonly Row[];
  variableRows: readonly VariableRow[];
  states: readonly string[];
  queryIds: readonly string[];
  version: string;
  rules: readonly { name: string; health: string; state: string }[];
  timings: Record<string, number>;
  operatorTarget: string | undefined;
}): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const asserted = o.rows.filter((r) => r.asserted);
  const okCount = asserted.filter((r) => r.series > 0).length;
  const lines = [
    '# PromQL report: dashboards and alerts on live engines',
    '',
    '<!-- written by dashboards/promql.e2e.test.ts (UPDATE_REPORT=1 rewrites this copy) -->',
    '',
    `${o.version.split(' (')[0]}; two \`ksetl server\` processes (service id \`${SERVICE_ID}\`, namespace \`${NAMESPACE}\`, cluster \`${CLUSTER}\`)`,
    'on a real broker running the seed examples of manifests/examples/, with records and one malformed record produced to',
    'their inputs and one engine restarted midway' +
      (o.operatorTarget
        ? '; and a `ksetl operator` process on a real kube-apiserver (its ServiceAccount bound to manifests/base\'s ClusterRole) reconciling a KsqlCluster of that name (no pods run: Ready=False) and a KsqlQuery declaring a stream on the first engine'
        : '') +
      '; scraped every second.',
    '',
    `Variables: \`namespace=${NAMESPACE}\`, \`cluster=${CLUSTER}\`, \`query_id\` = every query (${o.queryIds.map((q) => `\`${q}\``).join(', ')}), \`$__rate_interval=1m\`.`,
    '',
    `**${okCount} of ${asserted.length} asserted expressions returned at least one series.**` +
      (o.operatorTarget ? '' : ' Operator expressions (source `operator`) ran without an operator process and are listed, not asserted.'),
    '',
    'Timings: ' + Object.entries(o.timings).map(([k, v]) => `${k} ${v.toFixed(1)}`).join('; ') + '.',
    '',
    '## Dashboard variables (label_values)',
    '',
    '| variable | query | values | asserted |',
    '| --- | --- | --- | --- |',
    ...o.variableRows.map((v) => `| ${v.where} | \`${cell(v.selector)}\` | ${v.values.map((x) => `\`${x}\``).join(', ')} | ${v.asserted ? 'yes' : 'no'} |`),
    '',
    '## Query states at the time of the run',
    '',
    ...o.states.map((x) => `- ${x}`),
    '',
    '## Panels and alert rules',
    '',
    'Alert rules are conditions (a threshold comparison) that return nothing while the cluster is healthy: each',
    "condition's expression is executed without its comparison (and asserted); the whole rule is listed as well.",
    '',
    '| source | where | expression (as executed) | series | asserted |',
    '| --- | --- | --- | ---: | --- |',
    ...o.rows.map((r) => `| ${r.source} | ${cell(r.where)} | \`${cell(r.expr)}\` | ${r.series} | ${r.asserted ? (r.series > 0 ? 'yes ✓' : 'yes ✗') : 'no'} |`),
    '',
    '## Rule evaluation in Prometheus',
    '',
    '| rule | health | state |',
    '| --- | --- | --- |',
    ...o.rules.map((r) => `| ${r.name} | ${r.health} | ${r.state} |`),
    '',
  ];
  return lines.join('\n');
}
