/**
 * Log shipping to the cluster's Kafka topic, end to end on the real broker
 * (issue 5): an engine started the way the operator runs it — the
 * server.properties of the rendered ConfigMap, the environment of the
 * rendered engine container (downward API fields, Secret references and
 * the log file the sidecar tails resolved as the kubelet would) — gets a
 * malformed record and a record its query cannot process. Then:
 *
 * - both arrive on the cluster's processing-log topic (named after the
 *   service id `<namespace>_<cluster>_`, so per cluster), each carrying the
 *   id of the query that hit it;
 * - the engine's JSON log lines (stdout and the file) carry namespace,
 *   cluster and query_id;
 * - the SASL password and the REST password the operator generated never
 *   appear in a record of the topic nor in any log line.
 *
 * The test broker speaks PLAINTEXT only, so `security.protocol` is the one
 * rendered value overridden; the SASL credentials stay in the configuration
 * as rendered, resolved from the Secret-backed environment.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { V1EnvVar } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrap, json, newPort, readTopic, seed, stopOwnBroker, waitFor } from '../engine/kafka/int-test-support.js';
import { processingLogTopic } from '../engine/kafka/names.js';
import type { KafkaPort } from '../engine/kafka/port.js';
import { startServer } from '../engine/kafka/server-main.js';
import { parseKsqlCluster, type KsqlCluster } from '../operator/api/index.js';
import { CONFIG_FILE, renderCluster } from '../operator/controllers/ksql-cluster/desired.js';
import { LOG_DIR } from '../operator/controllers/ksql-cluster/monitoring.js';
import { serviceId } from '../operator/names.js';

const SASL_PASSWORD = 'sasl-pw-7f3a9c1e';
const BASIC_AUTH_PASSWORD = 'basic-pw-c41d0b52';
const SECRETS: Record<string, Record<string, string>> = {
  'kafka-user': { username: 'team-logs', password: SASL_PASSWORD },
  // the engine credentials the operator generates for the cluster
  'logs-ksetl-auth': { username: 'ksetl', password: BASIC_AUTH_PASSWORD },
};

let brokers: string;
let admin: KafkaPort;
let dir: string;

beforeAll(async () => {
  brokers = await bootstrap();
  admin = newPort(brokers, 'log-shipping-test');
  dir = mkdtempSync(join(tmpdir(), 'ksetl-log-shipping-'));
}, 180_000);

afterAll(async () => {
  await admin?.close();
  await stopOwnBroker();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

/** The container's environment as the kubelet resolves it: values, downward-API fields, Secret keys. */
function resolveEnv(env: readonly V1EnvVar[], pod: { name: string; namespace: string }): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of env) {
    if (e.value !== undefined) out[e.name] = e.value.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (_, v: string) => out[v] ?? '');
    else if (e.valueFrom?.fieldRef?.fieldPath === 'metadata.name') out[e.name] = pod.name;
    else if (e.valueFrom?.fieldRef?.fieldPath === 'metadata.namespace') out[e.name] = pod.namespace;
    else if (e.valueFrom?.secretKeyRef) {
      const { name = '', key } = e.valueFrom.secretKeyRef;
      const v = SECRETS[name]?.[key];
      if (v === undefined) throw new Error(`no Secret ${name}/${key} for ${e.name}`);
      out[e.name] = v;
    } else throw new Error(`env ${e.name}: unsupported source`);
  }
  return out;
}

function memoryLines(): { stream: Writable; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString().split('\n').filter((l) => l.trim() !== ''));
      done();
    },
  });
  return { stream, lines };
}

describe('log shipping to the cluster\'s Kafka topic', () => {
  it('records arrive, carry the query ids on the per-cluster topic; log lines carry cluster and query ids; secrets never appear', async () => {
    const s = seed();
    const namespace = `team-${s}`;
    const name = 'logs';
    const parsed = parseKsqlCluster({
      apiVersion: 'ksetl.io/v1alpha1',
      kind: 'KsqlCluster',
      metadata: { name, namespace, uid: `00000000-0000-4000-8000-${s.padStart(12, '0')}` },
      spec: {
        kafka: { bootstrapServers: ['kafka.kafka.svc:9092'], sasl: { mechanism: 'SCRAM-SHA-512', secretRef: { name: 'kafka-user' } } },
        config: { 'ksql.streams.auto.offset.reset': 'earliest' },
        logging: { kafkaTopic: { enabled: true }, sidecar: { type: 'fluent-bit', loki: { url: 'http://loki.logging.svc' } } },
      },
    });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    const kc: KsqlCluster = parsed.value;
    const rendered = renderCluster(kc, { defaultImage: 'ksetl:test', prometheusOperator: false });

    // the ConfigMap's server.properties, and the engine container's environment
    const properties = rendered.configMap.data![CONFIG_FILE]!;
    expect(properties).not.toContain(SASL_PASSWORD);
    const configFile = join(dir, `server-${s}.properties`);
    writeFileSync(configFile, properties);
    const engine = rendered.statefulSet.spec!.template.spec!.containers.find((c) => c.name === 'engine')!;
    const env = resolveEnv(engine.env ?? [], { name: `${name}-ksetl-0`, namespace });
    expect(env['KSETL_KAFKA_PASSWORD']).toBe(SASL_PASSWORD);
    // the log file the sidecar tails, on a directory standing in for the shared emptyDir
    expect(env['KSETL_LOG_FILE']?.startsWith(`${LOG_DIR}/`)).toBe(true);
    const logFile = join(dir, `${s}-${env['KSETL_LOG_FILE']!.slice(LOG_DIR.length + 1)}`);
    const fluentBit = rendered.monitoring.logShipperConfig!.data!['fluent-bit.conf']!;
    const topic = processingLogTopic(serviceId(kc));
    expect(fluentBit).toMatch(new RegExp(`Topics\\s+${topic}`));
    expect(topic).toBe(`${namespace}_${name}_ksql_processing_log`);

    const stdout = memoryLines();
    const before = process.env['KSETL_LOG_FILE'];
    process.env['KSETL_LOG_FILE'] = logFile;
    const running = await startServer({
      configFile,
      env: { ...env, KSETL_LOG_LEVEL: 'debug' },
      overrides: { 'bootstrap.servers': brokers, listeners: 'http://127.0.0.1:0', 'ksql.streams.state.dir': join(dir, `state-${s}`), 'security.protocol': 'PLAINTEXT' },
      logDestination: stdout.stream,
    }).finally(() => {
      if (before === undefined) delete process.env['KSETL_LOG_FILE'];
      else process.env['KSETL_LOG_FILE'] = before;
    });
    try {
      expect(running.config.basicAuth?.password).toBe(BASIC_AUTH_PASSWORD);
      const auth = { authorization: `Basic ${Buffer.from(`ksetl:${BASIC_AUTH_PASSWORD}`).toString('base64')}`, 'content-type': 'application/json' };
      expect((await fetch(`${running.url}/info`)).status).toBe(401);
      const post = async (ksql: string): Promise<Response> => await fetch(`${running.url}/ksql`, { method: 'POST', headers: auth, body: JSON.stringify({ ksql, streamsProperties: {} }) });
      const ok = async (ksql: string): Promise<void> => {
        const r = await post(ksql);
        expect(r.status, await r.clone().text()).toBe(200);
      };
      const input = `orders-${s}`;
      await ok(
        `CREATE STREAM ORDERS (ID STRING KEY, AMOUNT INT, AT STRING) WITH (KAFKA_TOPIC='${input}', PARTITIONS=1, VALUE_FORMAT='JSON', TIMESTAMP='AT', TIMESTAMP_FORMAT='yyyy-MM-dd HH:mm:ss');`,
      );
      await ok(`CREATE STREAM BIG_ORDERS WITH (KAFKA_TOPIC='big-${s}') AS SELECT ID, AMOUNT FROM ORDERS WHERE AMOUNT > 10;`);
      // a statement the engine refuses: an error line in the log, with the request's credentials nowhere
      expect((await post('CREATE STREAM NOPE AS SELECT * FROM MISSING;')).status).toBe(400);

      const producer = await admin.producer();
      await producer.send([
        { topic: input, key: Buffer.from('o1'), value: json({ AMOUNT: 50, AT: '2026-01-01 10:00:00' }), timestamp: Date.now() },
        // malformed: a deserialization error
        { topic: input, key: Buffer.from('o2'), value: Buffer.from('{"AMOUNT": 7, '), timestamp: Date.now() },
        // a timestamp the query cannot parse: a record-processing error
        { topic: input, key: Buffer.from('o3'), value: json({ AMOUNT: 99, AT: 'yesterday-ish' }), timestamp: Date.now() },
        { topic: input, key: Buffer.from('o4'), value: json({ AMOUNT: 60, AT: '2026-01-01 10:00:01' }), timestamp: Date.now() },
      ]);
      await producer.close();

      const out = await readTopic(admin, `big-${s}`, (seen) => seen.length >= 2, 'the good orders through the query', 90_000);
      expect(out.map((r) => r.key?.toString())).toEqual(['o1', 'o4']);

      const shipped = await readTopic(admin, topic, (seen) => seen.length >= 2, 'two records on the processing-log topic', 90_000);
      const values = shipped.map((r) => JSON.parse(r.value!.toString()) as { LOGGER: string; LEVEL: string; MESSAGE: { ERRORTYPE: string; TOPIC: string | null } });
      expect(values.map((v) => v.MESSAGE.ERRORTYPE).sort()).toEqual(['DESERIALIZATION_ERROR', 'RECORD_PROCESSING_ERROR']);
      const queryId = 'CSAS_BIG_ORDERS_0';
      for (const v of values) {
        expect(v.LOGGER.startsWith(`${queryId}.`), v.LOGGER).toBe(true);
        expect(v.LEVEL).toBe('ERROR');
        expect(v.MESSAGE.TOPIC).toBe(input);
      }
      // who wrote each record, as headers (the value keeps ksqlDB's KSQL_PROCESSING_LOG shape)
      for (const r of shipped) {
        const headers = Object.fromEntries(r.headers.map((h) => [h.key, h.value?.toString() ?? null]));
        expect(headers).toEqual({ 'ksetl.namespace': namespace, 'ksetl.cluster': name, 'ksetl.service.id': serviceId(kc), 'ksetl.query.id': queryId });
      }

      // the engine's JSON lines: the same on stdout and in the file the sidecar tails
      const fileLines = await waitFor('the processing errors in the log file', () => {
        const ls = readFileSync(logFile, 'utf8').split('\n').filter((l) => l !== '');
        const errs = ls.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l['query_id'] === queryId && l['level'] === 'warn');
        return errs.length >= 2 ? ls : undefined;
      });
      const parsedLines = fileLines.map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(parsedLines.length).toBeGreaterThan(5);
      expect(parsedLines.every((l) => l['namespace'] === namespace && l['cluster'] === name && l['service_id'] === serviceId(kc))).toBe(true);
      expect(parsedLines.filter((l) => l['query_id'] === queryId).map((l) => l['kind'])).toEqual(expect.arrayContaining(['deserialization', 'evaluation']));
      expect(stdout.lines.slice(0, fileLines.length)).toEqual(fileLines);

      // secrets: in no shipped record and no log line
      const everything = [
        ...shipped.map((r) => `${r.key?.toString() ?? ''} ${r.value?.toString() ?? ''} `),
        ...stdout.lines,
        readFileSync(logFile, 'utf8'),
      ].join('\n');
      for (const secret of [SASL_PASSWORD, BASIC_AUTH_PASSWORD, Buffer.from(`ksetl:${BASIC_AUTH_PASSWORD}`).toString('base64')]) {
        expect(everything.includes(secret), `a secret in the shipped logs`).toBe(false);
      }
    } finally {
      await running.close();
    }
  }, 180_000);
});
