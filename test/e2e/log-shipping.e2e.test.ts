/**
 * Log shipping with the real OpenTelemetry Collector (issue 16), end to end:
 * the operator renders a KsqlCluster with `spec.logging.sidecar.type: otel`,
 * the pod runner runs the engine and the collector sidecar (otelcol-ksetl,
 * test/infra/otelcol) as processes of one pod, on a real control plane and a
 * real broker.
 *
 * - Cluster `ship` sends to "Loki" over OTLP/HTTP: a second collector plays
 *   the backend (OTLP receiver at <url>/otlp/v1/logs → file exporter),
 *   recording the X-Scope-OrgID header (the tenant) and a SHA-256 of the
 *   Authorization header as resource attributes.
 * - Cluster `shipk` sends to a Kafka topic on the broker (kafka exporter,
 *   OTLP JSON).
 *
 * For each: every line of the engine's JSON log file and every record of the
 * cluster's processing-log topic arrives exactly once, with namespace,
 * cluster and query_id as attributes (and, for Loki, the team as tenant);
 * the Loki credential, held in a Secret, appears in no ConfigMap, pod spec,
 * status, log line or shipped record.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { processingLogTopic } from '../../engine/kafka/names.js';
import { clusterObjectNames } from '../../operator/names.js';
import { OTELCOL_IMAGE_REPOSITORY, startCollector, type Collector } from '../infra/otelcol/otelcol.js';
import type { KubeObject, KubeRest } from '../infra/pod-runner/kube-rest.js';
import { freePort } from '../infra/prometheus/prometheus.js';
import { applyAll, condition, createTopics, engineCredentials, kafka, ksql, operatorAvailable, startOperatorEnvironment, type EngineTarget, type OperatorEnvironment } from './harness.js';
import { waitFor } from '../infra/wait.js';

const kubeconfig = inject('kubeconfig');
const bootstrap = inject('kafkaBootstrap');
const otelcol = inject('otelcol');

const KC = (ns: string, name = '') => `/apis/ksetl.io/v1alpha1/namespaces/${ns}/ksqlclusters${name ? `/${name}` : ''}`;

/** One shipped log record, flattened from OTLP JSON. */
interface Shipped {
  readonly resource: Record<string, string>;
  readonly attributes: Record<string, string>;
  readonly body: string;
}

type AnyValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number; kvlistValue?: unknown; arrayValue?: unknown };
type KeyValue = { key: string; value?: AnyValue };
type OtlpLogs = { resourceLogs?: { resource?: { attributes?: KeyValue[] }; scopeLogs?: { logRecords?: { body?: AnyValue; attributes?: KeyValue[] }[] }[] }[] };

const text = (v: AnyValue | undefined): string => {
  if (!v) return '';
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return String(v.intValue);
  if (v.boolValue !== undefined) return String(v.boolValue);
  if (v.doubleValue !== undefined) return String(v.doubleValue);
  return JSON.stringify(v);
};
const attrs = (kvs: KeyValue[] | undefined): Record<string, string> => Object.fromEntries((kvs ?? []).map((kv) => [kv.key, text(kv.value)]));

function flatten(batch: OtlpLogs): Shipped[] {
  return (batch.resourceLogs ?? []).flatMap((rl) =>
    (rl.scopeLogs ?? []).flatMap((sl) => (sl.logRecords ?? []).map((r) => ({ resource: attrs(rl.resource?.attributes), attributes: attrs(r.attributes), body: text(r.body) }))),
  );
}

/** Multiset difference: what `want` has more often than `got`. */
function missing(want: readonly string[], got: readonly string[]): string[] {
  const count = new Map<string, number>();
  for (const g of got) count.set(g, (count.get(g) ?? 0) + 1);
  const out: string[] = [];
  for (const w of want) {
    const n = count.get(w) ?? 0;
    if (n > 0) count.set(w, n - 1);
    else out.push(w);
  }
  return out;
}

/** createTopics, again while the broker answers that it does not host the new topic yet (a shared broker, right after creation). */
const ensureTopics = async (topics: string[]): Promise<void> => {
  await waitFor(`topics ${topics.join(', ')}`, async () => {
    await createTopics(bootstrap, topics);
    return true;
  }, { timeoutMs: 60_000, intervalMs: 1000 });
};

const duplicates = (xs: readonly string[]): string[] => xs.filter((x, i) => xs.indexOf(x) !== i);

describe.skipIf(!operatorAvailable || !kubeconfig || !bootstrap || !otelcol)('log shipping with the OpenTelemetry Collector sidecar', { timeout: 600_000 }, () => {
  const seed = randomBytes(3).toString('hex');
  const ns = `logs-${seed}`;
  const dir = mkdtempSync(join(tmpdir(), 'ksetl-e2e-otel-'));
  const token = `Bearer loki-${randomBytes(12).toString('hex')}`;
  const sinkTopic = `shipped-logs-${seed}`;
  let env: OperatorEnvironment;
  let api: KubeRest;
  let backend: Collector;
  let backendPort: number;
  const received = join(dir, 'backend-received.jsonl');
  const figures: string[] = [];

  const diagnostics = (): string => {
    const logs = join(dir, 'pods', 'logs');
    const tail = (file: string, n = 12) => (existsSync(file) ? readFileSync(file, 'utf8').trimEnd().split('\n').slice(-n).join('\n') : '(none)');
    return [
      '--- pod runner:',
      env.runnerLog.slice(-10).join('\n'),
      ...(existsSync(logs) ? readdirSync(logs).flatMap((f) => [`--- ${f}:`, tail(join(logs, f))]) : []),
      '--- backend collector:',
      backend ? tail(backend.logFile) : '',
      '--- operator:',
      tail(join(dir, 'operator.log')),
    ].join('\n');
  };

  const cluster = (name: string, sink: Record<string, unknown>): KubeObject => ({
    apiVersion: 'ksetl.io/v1alpha1',
    kind: 'KsqlCluster',
    metadata: { name, namespace: ns },
    spec: {
      kafka: { bootstrapServers: [bootstrap] },
      monitoring: { enabled: false },
      logging: { kafkaTopic: { enabled: true }, sidecar: { type: 'otel', ...sink } },
    },
  });

  /** The engine pod of a cluster: its REST endpoint, its log file (the shared emptyDir), its pod dir. */
  const enginePod = async (name: string): Promise<{ target: EngineTarget; logFile: string }> => {
    const pod = env.runner.pods().find((p) => p.namespace === ns && p.name.startsWith(clusterObjectNames(name).statefulSet));
    if (!pod) throw new Error(`no ${name} engine pod`);
    const podsDir = join(dir, 'pods', 'pods');
    const podDir = readdirSync(podsDir).find((d) => d.startsWith(`${ns}_${pod.name}_`));
    if (!podDir) throw new Error(`no directory for pod ${pod.name}`);
    return { target: { url: `http://${pod.ip}:8088`, auth: await engineCredentials(api, ns, name) }, logFile: join(podsDir, podDir, 'volumes', 'engine-logs', 'engine.log') };
  };

  /** Statements on the engine, records in (good and malformed): processing-log records and query log lines. */
  const exercise = async (name: string, target: EngineTarget): Promise<{ queryId: string; malformed: number }> => {
    const input = `orders-${name}-${seed}`;
    await ensureTopics([input]);
    await ksql(target, `CREATE STREAM ORDERS (ID STRING KEY, AMOUNT INT) WITH (KAFKA_TOPIC='${input}', VALUE_FORMAT='JSON');`);
    await ksql(target, `CREATE STREAM BIG_ORDERS WITH (KAFKA_TOPIC='big-${name}-${seed}') AS SELECT ID, AMOUNT FROM ORDERS WHERE AMOUNT > 10;`, { 'auto.offset.reset': 'earliest' });
    const producer = kafka(bootstrap).producer();
    await producer.connect();
    const malformed = 3;
    await producer.send({
      topic: input,
      messages: [
        { key: 'o1', value: JSON.stringify({ AMOUNT: 50 }) },
        ...Array.from({ length: malformed }, (_, i) => ({ key: `bad${i}`, value: `{"AMOUNT": ${i}, ` })),
        { key: 'o2', value: JSON.stringify({ AMOUNT: 60 }) },
      ],
    });
    await producer.disconnect();
    return { queryId: 'CSAS_BIG_ORDERS_0', malformed };
  };

  /** Every record of a topic, values as text, with headers. */
  const readAll = async (topic: string, min: number): Promise<{ value: string; headers: Record<string, string> }[]> =>
    await waitFor(
      `${min} records on ${topic}`,
      async () => {
        const consumer = kafka(bootstrap).consumer({ groupId: `ksetl-e2e-read-${randomBytes(4).toString('hex')}` });
        const admin = kafka(bootstrap).admin();
        await admin.connect();
        const ends = await admin.fetchTopicOffsets(topic).catch(() => []);
        await admin.disconnect();
        const total = ends.reduce((n, p) => n + Number(p.high), 0);
        if (total < min) return undefined;
        const out: { value: string; headers: Record<string, string> }[] = [];
        await consumer.connect();
        await consumer.subscribe({ topic, fromBeginning: true });
        const done = new Promise<void>((resolve) => {
          void consumer.run({
            eachMessage: async ({ message }) => {
              out.push({
                value: message.value?.toString('utf8') ?? '',
                headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, Buffer.isBuffer(v) ? v.toString('utf8') : String(v)])),
              });
              if (out.length >= total) resolve();
            },
          });
        });
        await Promise.race([done, new Promise((r) => setTimeout(r, 30_000))]);
        await consumer.disconnect();
        return out.length >= total ? out : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 1000, detail: diagnostics },
    );

  /** Waits until every engine log line and processing-log record is shipped; checks once-only and attributes. */
  const checkShipped = async (name: string, logFile: string, ship: () => Shipped[], processingLog: { value: string; headers: Record<string, string> }[], queryId: string) => {
    const shipped = await waitFor(
      `${name}: every engine log line and processing-log record shipped`,
      () => {
        const lines = readFileSync(logFile, 'utf8').split('\n').filter((l) => l !== '');
        const all = ship().filter((s) => s.resource['cluster'] === name);
        const engine = all.filter((s) => s.resource['log_type'] === 'engine').map((s) => s.body);
        const pl = all.filter((s) => s.resource['log_type'] === 'processing_log').map((s) => s.body);
        return missing(lines, engine).length === 0 && missing(processingLog.map((r) => r.value), pl).length === 0 ? { lines, all } : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 1000, detail: diagnostics },
    );
    // the engine goes on logging meanwhile: what arrived is what the file held then, each line once
    const lines = readFileSync(logFile, 'utf8').split('\n').filter((l) => l !== '');
    const engine = shipped.all.filter((s) => s.resource['log_type'] === 'engine');
    const pl = shipped.all.filter((s) => s.resource['log_type'] === 'processing_log');
    expect(missing(engine.map((s) => s.body), lines), `${name}: shipped lines the file does not hold`).toEqual([]);
    expect(duplicates(engine.map((s) => s.body)), `${name}: engine lines shipped twice`).toEqual([]);
    expect(pl.map((s) => s.body).sort(), `${name}: processing-log records, each once`).toEqual(processingLog.map((r) => r.value).sort());
    for (const s of shipped.all) {
      expect(s.resource, name).toMatchObject({ namespace: ns, cluster: name, 'service.name': 'ksetl' });
    }
    for (const s of engine) {
      const line = JSON.parse(s.body) as Record<string, unknown>;
      expect(s.attributes, `${name}: ${s.body}`).toMatchObject({ namespace: ns, cluster: name });
      if (line['query_id'] !== undefined) expect(s.attributes['query_id']).toBe(line['query_id']);
    }
    expect(engine.filter((s) => s.attributes['query_id'] === queryId).length, `${name}: lines of ${queryId}`).toBeGreaterThan(0);
    for (const s of pl) expect(s.resource['query_id'], `${name}: ${s.body}`).toBe(queryId);
    figures.push(`${name}: engine log lines shipped ${engine.length} / written ${lines.length}; processing-log records shipped ${pl.length} / produced ${processingLog.length}`);
    return { engine, pl };
  };

  beforeAll(async () => {
    backendPort = await freePort();
    // the backend: what Loki's OTLP endpoint would receive, with the tenant header and a digest of the credential
    backend = startCollector({
      binary: otelcol,
      dir,
      name: 'backend',
      config: {
        receivers: { otlp: { protocols: { http: { endpoint: `127.0.0.1:${backendPort}`, include_metadata: true, logs_url_path: '/otlp/v1/logs' } } } },
        processors: {
          'resource/received': {
            attributes: [
              { key: 'received.tenant', from_context: 'metadata.x-scope-orgid', action: 'upsert' },
              { key: 'received.authorization', from_context: 'metadata.authorization', action: 'upsert' },
              { key: 'received.authorization', action: 'hash' },
            ],
          },
        },
        exporters: { file: { path: received, flush_interval: '100ms' } },
        service: {
          telemetry: { metrics: { level: 'none' }, logs: { level: 'info' } },
          pipelines: { logs: { receivers: ['otlp'], processors: ['resource/received'], exporters: ['file'] } },
        },
      },
    });
    env = await startOperatorEnvironment({ kubeconfig, namespace: ns, dir, images: { [OTELCOL_IMAGE_REPOSITORY]: otelcol } });
    api = env.api;
    await api.create(`/api/v1/namespaces/${ns}/secrets`, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'loki-auth', namespace: ns }, stringData: { authorization: token } });
    await ensureTopics([sinkTopic]);
    await applyAll(api, [
      cluster('ship', { loki: { url: `http://127.0.0.1:${backendPort}`, secretRef: { name: 'loki-auth' } } }),
      cluster('shipk', { kafka: { topic: sinkTopic } }),
    ]);
    for (const name of ['ship', 'shipk']) {
      await waitFor(
        `KsqlCluster ${name} Ready`,
        async () => {
          const o = await api.find(KC(ns, name));
          return o && condition(o, 'Ready')?.status === 'True' ? o : undefined;
        },
        { timeoutMs: 300_000, detail: diagnostics },
      );
    }
  }, 600_000);

  afterAll(async () => {
    await env?.stop();
    await backend?.stop();
    if (figures.length) writeFileSync(join(dir, 'figures.txt'), figures.join('\n') + '\n');
    console.log(`[log-shipping] logs in ${dir}`);
  }, 120_000);

  it('ships to Loki over OTLP: every engine log line and processing-log record once, the team as tenant, the credential from the Secret', async () => {
    const { target, logFile } = await enginePod('ship');
    const { queryId, malformed } = await exercise('ship', target);
    const plTopic = processingLogTopic(`${ns}_ship_`);
    const processingLog = await readAll(plTopic, malformed);
    expect(processingLog.every((r) => r.headers['ksetl.query.id'] === queryId)).toBe(true);

    const ship = (): Shipped[] =>
      existsSync(received)
        ? readFileSync(received, 'utf8')
            .split('\n')
            .filter((l) => l.trim() !== '')
            .flatMap((l) => flatten(JSON.parse(l) as OtlpLogs))
        : [];
    const { engine, pl } = await checkShipped('ship', logFile, ship, processingLog, queryId);
    const digest = createHash('sha256').update(token).digest('hex');
    for (const s of [...engine, ...pl]) {
      expect(s.resource['received.tenant']).toBe(ns);
      expect(s.resource['received.authorization']).toBe(digest);
    }
    console.log(`[log-shipping] ${figures.at(-1)}`);
  });

  it('ships to a Kafka topic on the broker: every engine log line and processing-log record once, with the attributes', async () => {
    const { target, logFile } = await enginePod('shipk');
    const { queryId, malformed } = await exercise('shipk', target);
    const plTopic = processingLogTopic(`${ns}_shipk_`);
    const processingLog = await readAll(plTopic, malformed);
    let batches: { value: string }[] = [];
    const ship = (): Shipped[] => batches.flatMap((b) => flatten(JSON.parse(b.value) as OtlpLogs));
    // the sink topic grows while the engine logs: read it again on each check
    const refresh = async (): Promise<void> => {
      batches = await readAll(sinkTopic, 1);
    };
    await waitFor(
      'shipk: the processing-log records on the sink topic',
      async () => {
        await refresh();
        return ship().filter((s) => s.resource['log_type'] === 'processing_log').length >= processingLog.length ? true : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 2000, detail: diagnostics },
    );
    await waitFor(
      'shipk: the engine log file on the sink topic',
      async () => {
        await refresh();
        const lines = readFileSync(logFile, 'utf8').split('\n').filter((l) => l !== '');
        return missing(lines, ship().filter((s) => s.resource['log_type'] === 'engine').map((s) => s.body)).length === 0 ? true : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 2000, detail: diagnostics },
    );
    await checkShipped('shipk', logFile, ship, processingLog, queryId);
    console.log(`[log-shipping] ${figures.at(-1)}`);
  });

  it('is refused by the API server with a kafka sink on another shipper, or two sinks (the CRD\'s CEL rules)', async () => {
    const refused = async (name: string, sidecar: Record<string, unknown>): Promise<string> => {
      try {
        await api.create(KC(ns), { ...cluster(name, {}), spec: { kafka: { bootstrapServers: [bootstrap] }, logging: { sidecar } } });
      } catch (e) {
        return (e as Error).message;
      }
      throw new Error(`KsqlCluster ${name} was accepted`);
    };
    expect(await refused('bad-vector-kafka', { type: 'vector', kafka: { topic: 't' } })).toContain('a kafka sink needs the otel shipper');
    expect(await refused('bad-two-sinks', { type: 'otel', kafka: { topic: 't' }, loki: { url: 'http://loki' } })).toContain('exactly one of loki, elasticsearch and kafka');
  });

  it('keeps the Loki credential out of every ConfigMap, pod spec, status, log and shipped record', async () => {
    const bare = token.replace(/^Bearer /, '');
    const places: [string, string][] = [];
    for (const path of [`/api/v1/namespaces/${ns}/configmaps`, `/apis/apps/v1/namespaces/${ns}/statefulsets`, `/api/v1/namespaces/${ns}/pods`, KC(ns), `/api/v1/namespaces/${ns}/events`]) {
      places.push([path, JSON.stringify(await api.get(path))]);
    }
    const logs = join(dir, 'pods', 'logs');
    for (const f of readdirSync(logs)) places.push([`pod log ${f}`, readFileSync(join(logs, f), 'utf8')]);
    places.push(['operator log', readFileSync(join(dir, 'operator.log'), 'utf8')]);
    places.push(['backend received', existsSync(received) ? readFileSync(received, 'utf8') : '']);
    places.push(['backend log', backend.log()]);
    for (const [where, content] of places) expect(content.includes(bare), `the credential in ${where}`).toBe(false);
    // the sidecar's config names the variable only
    const cm = await api.get<{ data: Record<string, string> }>(`/api/v1/namespaces/${ns}/configmaps/${clusterObjectNames('ship').statefulSet}-log-shipper`);
    expect(cm.data['otelcol.yaml']).toContain('Authorization: ${env:KSETL_LOG_SINK_AUTHORIZATION}');
    console.log(`[log-shipping] credential absent from ${places.length} places`);
  });
});
