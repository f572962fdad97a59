/**
 * The stuck-query alerts on the real Prometheus (issue 16): two real engine
 * processes on the real broker, cluster `stalled` and cluster `healthy`,
 * scraped every second, with the engine rules of each cluster rendered with
 * a short `for:` and look-back window (AlertTuning), as the operator renders
 * a cluster's PrometheusRule.
 *
 * On `stalled`, deliberately:
 * - the process restarted once (KsetlProcessRestarting, threshold 0 here);
 * - a query PAUSEd while records keep arriving: lag, no consumption
 *   (KsetlQueryStalled);
 * - a query whose input is nothing but malformed records: consumes, writes
 *   nothing (KsetlQueryNoOutput);
 * - a query whose input topic is deleted: ERROR (KsetlQueryError).
 * On `healthy`, a query consuming and producing the same flow of records.
 *
 * Each stalled-side alert must fire (Prometheus holds it `for:` before it
 * fires); for `healthy`, no rule may fire at any time of the run, and none
 * of these four be active at the end. The times from pending to firing are printed, and written with
 * the rule expressions to $KSETL_TEST_OUTPUT/stuck-query-report.md (and
 * dashboards/generated/stuck-query-report.md with UPDATE_REPORT=1).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort, startPrometheus, type RunningPrometheus } from '../test/infra/prometheus/prometheus.js';
import { waitFor } from '../test/infra/wait.js';
import { alertExpr, engineAlerts, renderRuleFile, type AlertTuning } from './alerts.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const run = randomBytes(4).toString('hex');
const NAMESPACE = `team-stuck-${run}`;
const TUNING: AlertTuning = { stalledAfter: '40s', restarts: { window: '10m', count: 0 }, for: '20s' };
const topic = (name: string): string => `stuck-${name}-${run}`;

interface Engine {
  readonly cluster: string;
  readonly url: string;
  readonly port: number;
  readonly configFile: string;
  child: ChildProcess;
  output: string;
}

function spawnEngine(e: Engine): void {
  const child = spawn(process.execPath, [join(root, 'bin', 'ksetl.js'), 'server', '--config', e.configFile], {
    cwd: root,
    env: { ...process.env, KSETL_NAMESPACE: NAMESPACE, KSETL_CLUSTER: e.cluster, KSETL_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (d: Buffer) => {
    e.output = (e.output + d.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  e.child = child;
}

async function waitReady(e: Engine): Promise<void> {
  await waitFor(
    `${e.cluster} engine ready`,
    async () => {
      if (e.child.exitCode !== null) throw new Error(`${e.cluster} engine exited with ${e.child.exitCode}`);
      return (await fetch(`${e.url}/ready`)).ok ? true : undefined;
    },
    { timeoutMs: 150_000, intervalMs: 500, detail: () => e.output },
  );
}

async function stopEngine(e: Engine): Promise<void> {
  if (e.child.exitCode !== null || e.child.signalCode !== null) return;
  const exited = new Promise<void>((r) => e.child.once('exit', () => r()));
  e.child.kill('SIGTERM');
  const timer = setTimeout(() => e.child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
}

async function startEngine(cluster: string, dir: string, brokers: string): Promise<Engine> {
  const port = await freePort();
  const configFile = join(dir, `${cluster}.properties`);
  writeFileSync(configFile, [`bootstrap.servers=${brokers}`, `ksql.service.id=stuck_${cluster}_${run}_`, `listeners=http://127.0.0.1:${port}`, ''].join('\n'));
  const e: Engine = { cluster, port, url: `http://127.0.0.1:${port}`, configFile, child: undefined as unknown as ChildProcess, output: '' };
  spawnEngine(e);
  await waitReady(e);
  return e;
}

async function ksql(e: Engine, sql: string): Promise<unknown[]> {
  const r = await fetch(`${e.url}/ksql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ksql: sql, streamsProperties: { 'auto.offset.reset': 'earliest' } }),
  });
  const body = await r.text();
  if (!r.ok) throw new Error(`${sql}: ${r.status} ${body}`);
  return JSON.parse(body) as unknown[];
}

async function queryIdOf(e: Engine, sink: string): Promise<string> {
  const [first] = (await ksql(e, 'SHOW QUERIES;')) as { queries?: { id: string; sinks: string[] }[] }[];
  const q = first?.queries?.find((x) => x.sinks.includes(sink));
  if (!q) throw new Error(`no query writes ${sink}`);
  return q.id;
}

interface Alert {
  readonly labels: Record<string, string>;
  readonly state: 'pending' | 'firing' | 'inactive';
  readonly activeAt: string;
}

describe('stuck-query alerts on the real Prometheus', () => {
  const brokers = inject('kafkaBootstrap') ?? process.env['KSETL_KAFKA_BOOTSTRAP'] ?? '';
  const dir = join(tmpdir(), `ksetl-stuck-${run}`);
  let prom: RunningPrometheus;
  let stalled: Engine;
  let healthy: Engine;
  let kafka: Kafka;
  let producer: Producer;
  let feeding: NodeJS.Timeout | undefined;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    if (!brokers) throw new Error('no Kafka broker (kafkaBootstrap / KSETL_KAFKA_BOOTSTRAP)');
    mkdirSync(dir, { recursive: true });
    kafka = new Kafka({ clientId: `stuck-e2e-${run}`, brokers: [brokers], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: ['paused', 'poison', 'gone', 'ok'].map((t) => ({ topic: topic(t), numPartitions: 1, replicationFactor: 1 })), waitForLeaders: true });
    await admin.disconnect();

    const rules = join(dir, 'stuck.rules.yaml');
    writeFileSync(rules, renderRuleFile(['stalled', 'healthy'].map((cluster) => engineAlerts({ namespace: NAMESPACE, cluster }, TUNING))));
    stalled = await startEngine('stalled', dir, brokers);
    healthy = await startEngine('healthy', dir, brokers);
    prom = await startPrometheus({ targets: [{ job: 'ksetl-engine', targets: [stalled, healthy].map((e) => `127.0.0.1:${e.port}`) }], ruleFiles: [rules] });
    // one restart of the stalled cluster's engine, seen by Prometheus
    await waitFor('both engines scraped', async () => ((await prom.query(`count(up{job="ksetl-engine"} == 1)`))[0]?.value[1] === '2' ? true : undefined), 60_000);
    await stopEngine(stalled);
    spawnEngine(stalled);
    await waitReady(stalled);

    for (const [e, name, src] of [
      [stalled, 'PAUSED_OUT', 'paused'],
      [stalled, 'POISON_OUT', 'poison'],
      [stalled, 'GONE_OUT', 'gone'],
      [healthy, 'OK_OUT', 'ok'],
    ] as const) {
      const s = `${name}_SRC`;
      await ksql(e, `CREATE STREAM ${s} (ID STRING KEY, V INT) WITH (KAFKA_TOPIC='${topic(src)}', VALUE_FORMAT='JSON');`);
      await ksql(e, `CREATE STREAM ${name} WITH (KAFKA_TOPIC='${topic(src)}-out') AS SELECT ID, V FROM ${s};`);
      ids[name] = await queryIdOf(e, name);
    }
    producer = kafka.producer();
    await producer.connect();
    // records keep arriving: good ones to the paused and the healthy query, malformed ones to the poisoned one
    let n = 0;
    const feed = async (): Promise<void> => {
      n++;
      await producer.send({ topic: topic('paused'), messages: [{ key: `p${n}`, value: JSON.stringify({ V: n }) }] });
      await producer.send({ topic: topic('ok'), messages: [{ key: `k${n}`, value: JSON.stringify({ V: n }) }] });
      await producer.send({ topic: topic('poison'), messages: [{ key: `x${n}`, value: `{"V": ${n}, ` }] });
    };
    await feed();
    await waitFor('the paused query consumed its first record', async () => {
      const s = await prom.query(`sum(ksetl_query_records_in_total{cluster="stalled", query_id="${ids['PAUSED_OUT']}"})`);
      return Number(s[0]?.value[1] ?? 0) > 0 ? true : undefined;
    }, 60_000);
    await ksql(stalled, `PAUSE ${ids['PAUSED_OUT']};`);
    const admin2 = kafka.admin();
    await admin2.connect();
    await admin2.deleteTopics({ topics: [topic('gone')] });
    await admin2.disconnect();
    // bounded: at most 10 minutes of one record per second to each input
    const until = Date.now() + 600_000;
    feeding = setInterval(() => {
      if (Date.now() > until) clearInterval(feeding);
      else void feed().catch(() => {});
    }, 1000);
  }, 600_000);

  afterAll(async () => {
    if (feeding) clearInterval(feeding);
    await producer?.disconnect().catch(() => {});
    for (const e of [stalled, healthy]) if (e) await stopEngine(e).catch(() => {});
    await prom?.stop();
  }, 120_000);

  it('fires on the stalled cluster within the for: window and stays silent on the healthy one', async () => {
    const expected: Record<string, string> = {
      KsetlQueryStalled: ids['PAUSED_OUT']!,
      KsetlQueryNoOutput: ids['POISON_OUT']!,
      KsetlQueryError: ids['GONE_OUT']!,
      KsetlProcessRestarting: '',
    };
    const t0 = Date.now();
    const firing = await waitFor(
      'the stuck-query alerts firing for the stalled cluster',
      async () => {
        const { alerts } = await prom.api<{ alerts: Alert[] }>('alerts');
        const mine = alerts.filter((a) => a.labels['cluster'] === 'stalled' && a.state === 'firing');
        const ok = Object.entries(expected).every(([name, q]) => mine.some((a) => a.labels['alertname'] === name && (q === '' || a.labels['query_id'] === q)));
        return ok ? mine : undefined;
      },
      { timeoutMs: 300_000, intervalMs: 1000, detail: () => `stalled engine:\n${stalled.output}\nprometheus:\n${prom.log().slice(-3000)}` },
    );
    const waited = (Date.now() - t0) / 1000;
    // the healthy cluster: no rule firing over the whole run, none of the stuck-query rules active now.
    // A rule may be pending a moment (what for: is for): ksetl_process_ready drops while a query
    // starts, and a new query's first records are counted in before its first ones out.
    const healthyAlerts = await prom.query(`count_over_time(ALERTS{cluster="healthy"}[15m])`);
    const healthyFiring = healthyAlerts.filter((s) => s.metric['alertstate'] === 'firing');
    const { alerts: now } = await prom.api<{ alerts: Alert[] }>('alerts');
    const healthyStuck = now.filter((a) => a.labels['cluster'] === 'healthy' && Object.keys(expected).includes(a.labels['alertname'] ?? ''));
    const healthyQueries = await prom.query(`sum by (query_id) (increase(ksetl_query_records_out_total{cluster="healthy"}[1m]))`);

    const rows = Object.keys(expected).map((name) => {
      const a = firing.find((x) => x.labels['alertname'] === name && (expected[name] === '' || x.labels['query_id'] === expected[name]))!;
      const rule = engineAlerts({ namespace: NAMESPACE, cluster: 'stalled' }, TUNING).alerts.find((r) => r.alert === name)!;
      return { name, subject: a.labels['query_id'] ?? a.labels['instance'] ?? '', activeAt: a.activeAt, for: rule.for, expr: alertExpr(rule) };
    });
    const lines = [
      '# Stuck-query alerts on the real Prometheus',
      '',
      '<!-- written by dashboards/stuck-query.e2e.test.ts -->',
      '',
      `${prom.version.split(' (')[0]}; two \`ksetl server\` processes on a real broker (clusters \`stalled\` and \`healthy\`), scraped every second;`,
      `rules rendered with AlertTuning ${JSON.stringify(TUNING)}.`,
      '',
      '| alert | fired for | pending since | for | expression |',
      '| --- | --- | --- | --- | --- |',
      ...rows.map((r) => `| ${r.name} | \`${r.subject}\` | ${r.activeAt} | ${r.for} | \`${r.expr.replace(/\|/g, '\\|')}\` |`),
      '',
      `Every alert above was firing ${waited.toFixed(0)} s after the stall was set up. Over the run the healthy cluster had ${healthyFiring.length} firing alerts ` +
        `(pending a moment: ${healthyAlerts.map((s) => `${s.metric['alertname']} ${s.metric['query_id'] ?? ''}`.trim()).join(', ') || 'none'}; active stuck-query alerts at the end: ${healthyStuck.length}), ` +
        `while its query kept producing (${healthyQueries.map((s) => `${s.metric['query_id']}: ${Number(s.value[1]).toFixed(0)} records/min`).join(', ')}).`,
      '',
    ];
    const outDir = process.env['KSETL_TEST_OUTPUT'] ?? join(tmpdir(), 'ksetl-test-output');
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, 'stuck-query-report.md'), lines.join('\n'));
    if (process.env['UPDATE_REPORT'] === '1') writeFileSync(join(root, 'dashboards', 'generated', 'stuck-query-report.md'), lines.join('\n'));
    for (const r of rows) console.log(`[stuck] ${r.name} firing for ${r.subject} (pending since ${r.activeAt}, for: ${r.for})`);
    console.log(
      `[stuck] all firing after ${waited.toFixed(0)} s; healthy cluster: ${healthyFiring.length} firing over the run, ${healthyStuck.length} stuck-query alerts active at the end, ` +
        `${healthyAlerts.length} series pending a moment; report ${join(outDir, 'stuck-query-report.md')}`,
    );

    const show = (xs: typeof healthyAlerts) => xs.map((s) => `${s.metric['alertname']} ${s.metric['alertstate']} ${s.metric['query_id'] ?? ''}`);
    expect(show(healthyFiring)).toEqual([]);
    expect(healthyStuck.map((a) => `${a.labels['alertname']} ${a.state} ${a.labels['query_id'] ?? ''}`)).toEqual([]);
    expect(healthyQueries.length).toBeGreaterThan(0);
    expect(Number(healthyQueries[0]!.value[1])).toBeGreaterThan(0);
  }, 400_000);
});
