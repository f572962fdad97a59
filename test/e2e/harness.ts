/**
 * What the end-to-end tests (and scripts/local-up.ts) share: applying
 * manifests, installing the CRDs and the operator's RBAC from manifests/base,
 * a kubeconfig holding the operator ServiceAccount's own token, the operator
 * as a child process, waiting with deadlines, Kafka records in and out.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { clusterObjectNames } from '../../operator/names.js';
import { KubeRest, type KubeObject } from '../infra/pod-runner/kube-rest.js';
import { startPodRunner, type PodRunner } from '../infra/pod-runner/runner.js';
import { waitFor } from '../infra/wait.js';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const FIELD_MANAGER = 'ksetl-e2e';
export const OPERATOR_NAMESPACE = 'ksetl-system';
export const OPERATOR_SERVICE_ACCOUNT = 'ksetl-operator';

/** Whether the operator exists in this checkout (the e2e tests of its behaviour skip without it). */
export const operatorAvailable = existsSync(join(REPO, 'operator', 'main.ts'));

export { waitFor } from '../infra/wait.js';

/**
 * waitFor with positional deadline and interval, for the callers outside
 * test/e2e that still use it (scripts/local-up.ts, the monitoring e2e); new
 * code calls waitFor (test/infra/wait.ts).
 */
export function eventually<T>(what: string, check: () => Promise<T | undefined> | T | undefined, ms = 120_000, everyMs = 500): Promise<T> {
  return waitFor(what, check, { timeoutMs: ms, intervalMs: everyMs });
}

// ---- manifests -------------------------------------------------------------------

export function readDocs(file: string): KubeObject[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null && typeof o === 'object');
}

export async function applyAll(api: KubeRest, docs: readonly KubeObject[], namespace?: string): Promise<KubeObject[]> {
  const out: KubeObject[] = [];
  for (const d of docs) out.push(await api.apply(d, FIELD_MANAGER, namespace));
  return out;
}

/** The kustomize base's resources (manifests/base/kustomization.yaml), in its order. */
export function baseResources(): { file: string; docs: KubeObject[] }[] {
  const base = join(REPO, 'manifests', 'base');
  const k = parse(readFileSync(join(base, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
  return k.resources.map((r) => ({ file: r, docs: readDocs(join(base, r)) }));
}

/**
 * Installs what `kubectl apply -f crds/ -k manifests/base` would, minus the
 * operator Deployment and its Service (the tests run the operator as a
 * process): the CRDs from crds/ (waited for until Established), the
 * namespace, ServiceAccount, ClusterRole, Role and bindings.
 */
export async function installCrdsAndRbac(api: KubeRest): Promise<void> {
  const crds = ['ksqlclusters.ksetl.io.yaml', 'ksqlqueries.ksetl.io.yaml'].flatMap((f) => readDocs(join(REPO, 'crds', f)));
  await applyAll(api, crds);
  for (const crd of crds) {
    await waitFor(`CRD ${crd.metadata?.name} Established`, async () => {
      const o = await api.get<{ status?: { conditions?: { type: string; status: string }[] } }>(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata?.name}`);
      return o.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ? true : undefined;
    });
  }
  api.forgetDiscovery();
  const skip = new Set(['CustomResourceDefinition', 'Deployment', 'Service']);
  for (const { docs } of baseResources()) await applyAll(api, docs.filter((d) => !skip.has(d.kind ?? '')), OPERATOR_NAMESPACE);
}

/**
 * A kubeconfig for the operator's ServiceAccount: a token from the
 * TokenRequest API, the admin kubeconfig's server and CA. What the operator
 * can do with it is exactly what manifests/base's RBAC grants.
 */
export async function serviceAccountKubeconfig(api: KubeRest, adminKubeconfig: string, out: string, namespace = OPERATOR_NAMESPACE, serviceAccount = OPERATOR_SERVICE_ACCOUNT): Promise<string> {
  const tr = await waitFor('a ServiceAccount token', () =>
    api.create<{ status: { token: string } }>(`/api/v1/namespaces/${namespace}/serviceaccounts/${serviceAccount}/token`, {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { expirationSeconds: 3 * 3600 },
    }),
  );
  const admin = parse(readFileSync(adminKubeconfig, 'utf8')) as {
    clusters: { name: string; cluster: Record<string, unknown> }[];
    contexts: { name: string; context: { cluster: string } }[];
    'current-context': string;
  };
  const ctx = admin.contexts.find((c) => c.name === admin['current-context']) ?? admin.contexts[0]!;
  const cluster = admin.clusters.find((c) => c.name === ctx.context.cluster)!;
  const user = `system:serviceaccount:${namespace}:${serviceAccount}`;
  writeFileSync(
    out,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [cluster],
      users: [{ name: user, user: { token: tr.status.token } }],
      contexts: [{ name: serviceAccount, context: { cluster: cluster.name, user, namespace } }],
      'current-context': serviceAccount,
    }),
    { mode: 0o600 },
  );
  return out;
}

/** The examples' KsqlClusters pointed at the test broker. */
export function pointAtBroker(docs: readonly KubeObject[], bootstrap: string): KubeObject[] {
  return docs.map((d) => {
    if (d.kind !== 'KsqlCluster') return d;
    const spec = d['spec'] as { kafka: Record<string, unknown> };
    return { ...d, spec: { ...spec, kafka: { ...spec.kafka, bootstrapServers: [bootstrap] } } };
  });
}

/** Source topics of SQL: `CREATE STREAM|TABLE name (columns) WITH (KAFKA_TOPIC='t', ...)`, not `... AS SELECT`. */
export function sourceTopics(sql: string): string[] {
  return sql
    .replace(/--[^\n]*/g, '')
    .split(';')
    .filter((s) => /^\s*CREATE\s+(OR\s+REPLACE\s+)?(SOURCE\s+)?(STREAM|TABLE)\s+[\w.`"]+\s*\(/i.test(s) && !/\bAS\s+SELECT\b/i.test(s))
    .flatMap((s) => /KAFKA_TOPIC\s*=\s*'([^']+)'/i.exec(s)?.slice(1) ?? []);
}

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export function condition(obj: KubeObject | null, type: string): Condition | undefined {
  const status = obj?.['status'] as { conditions?: Condition[] } | undefined;
  return status?.conditions?.find((c) => c.type === type);
}

// ---- the operator as a process -----------------------------------------------------------

export interface OperatorProcess {
  readonly child: ChildProcess;
  readonly logFile: string;
  /** SIGTERM and wait (graceful shutdown) */
  stop(): Promise<void>;
  /** SIGKILL and wait (a crash) */
  kill(): Promise<void>;
  /** the log so far */
  log(): string;
}

/**
 * `ksetl operator --kubeconfig F --engine-endpoints pods` (out of the cluster
 * network, it reaches engines at their pod IPs through EndpointSlices).
 */
export function startOperator(options: { kubeconfig: string; logFile: string; args?: readonly string[]; env?: Record<string, string> }): OperatorProcess {
  const fd = openSync(options.logFile, 'a');
  writeSync(fd, `\n---- ${new Date().toISOString()} operator start\n`);
  const child = spawn(process.execPath, [join(REPO, 'bin', 'ksetl.js'), 'operator', '--kubeconfig', options.kubeconfig, '--engine-endpoints', 'pods', '--health-port', '0', '--poll-seconds', '3', ...(options.args ?? [])], {
    cwd: REPO,
    env: { ...process.env, POD_NAMESPACE: OPERATOR_NAMESPACE, POD_NAME: `ksetl-operator-${process.pid}`, ...options.env },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const killWith = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(t);
  };
  return {
    child,
    logFile: options.logFile,
    stop: () => killWith('SIGTERM'),
    kill: () => killWith('SIGKILL'),
    log: () => readFileSync(options.logFile, 'utf8'),
  };
}

/**
 * An operator at work on the e2e control plane: CRDs and the manifests' RBAC
 * installed, a fresh namespace, the pod runner playing the node, and the
 * operator as a process with its own ServiceAccount's token. Logs stay in
 * `dir` (operator.log, pod-runner.log, pods/logs/).
 */
export interface OperatorEnvironment {
  readonly api: KubeRest;
  readonly runner: PodRunner;
  /** the pod runner's log lines so far */
  readonly runnerLog: readonly string[];
  /** the operator process now running */
  readonly operator: OperatorProcess;
  /** starts a new operator process (after the previous one was stopped or killed) */
  restartOperator(): OperatorProcess;
  /** stops the operator and the pod runner, deletes the namespace, writes the pod runner's log */
  stop(): Promise<void>;
}

export async function startOperatorEnvironment(o: {
  kubeconfig: string;
  namespace: string;
  dir: string;
  /** sidecar images the pod runner runs as local programs (image repository → program) */
  images?: Readonly<Record<string, string>>;
}): Promise<OperatorEnvironment> {
  const api = await KubeRest.fromFile(o.kubeconfig);
  await installCrdsAndRbac(api);
  const operatorKubeconfig = await serviceAccountKubeconfig(api, o.kubeconfig, join(o.dir, 'operator.kubeconfig'));
  await api.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: o.namespace } });
  const runnerLog: string[] = [];
  const runner = await startPodRunner({
    kubeconfig: o.kubeconfig,
    repoRoot: REPO,
    dir: join(o.dir, 'pods'),
    log: (l) => runnerLog.push(l),
    maxGraceSeconds: 20,
    ...(o.images ? { images: o.images } : {}),
  });
  const launch = () => startOperator({ kubeconfig: operatorKubeconfig, logFile: join(o.dir, 'operator.log') });
  let operator = launch();
  return {
    api,
    runner,
    runnerLog,
    get operator() {
      return operator;
    },
    restartOperator: () => (operator = launch()),
    async stop() {
      await operator.stop();
      await runner.stop();
      await api.delete(`/api/v1/namespaces/${o.namespace}`);
      writeFileSync(join(o.dir, 'pod-runner.log'), runnerLog.join('\n'));
      console.log(`[e2e] operator log: ${join(o.dir, 'operator.log')}; pod runner: ${join(o.dir, 'pod-runner.log')}; pod logs: ${join(o.dir, 'pods', 'logs')}`);
    },
  };
}

// ---- the engine's REST API ---------------------------------------------------------------

export interface EngineQuery {
  id: string;
  queryString: string;
  sinks: string[];
  state: string;
}

/** An engine's REST endpoint (a pod IP from the pod runner) and the credentials the operator generated for its cluster. */
export interface EngineTarget {
  readonly url: string;
  readonly auth: { readonly user: string; readonly password: string } | null;
}

/** A cluster's engine credentials, from the Secret the operator generates (`<name>-ksetl-auth`). */
export async function engineCredentials(api: KubeRest, namespace: string, cluster: string): Promise<EngineTarget['auth']> {
  const s = await api.find<{ data?: Record<string, string> }>(`/api/v1/namespaces/${namespace}/secrets/${clusterObjectNames(cluster).authSecret}`);
  const d = (k: string): string | undefined => (s?.data?.[k] === undefined ? undefined : Buffer.from(s.data[k]!, 'base64').toString('utf8'));
  const user = d('username');
  const password = d('password');
  return user && password ? { user, password } : null;
}

/** The Authorization header for a target (none without credentials). */
export function authHeader(t: EngineTarget): Record<string, string> {
  return t.auth ? { Authorization: `Basic ${Buffer.from(`${t.auth.user}:${t.auth.password}`).toString('base64')}` } : {};
}

/** Statements on an engine's REST API; the entities it answers. */
export async function ksql(target: EngineTarget, sql: string, streamsProperties: Record<string, string> = {}): Promise<unknown[]> {
  const res = await fetch(`${target.url}/ksql`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/vnd.ksql.v1+json', ...authHeader(target) },
    body: JSON.stringify({ ksql: sql, streamsProperties }),
  });
  if (!res.ok) throw new Error(`${sql.slice(0, 80)}: ${res.status} ${await res.text()}`);
  return (await res.json()) as unknown[];
}

/** SHOW QUERIES on an engine. */
export async function showQueries(target: EngineTarget): Promise<EngineQuery[]> {
  const [first] = (await ksql(target, 'SHOW QUERIES;')) as { queries?: EngineQuery[] }[];
  return first?.queries ?? [];
}

// ---- Kafka ---------------------------------------------------------------------------------

export interface Rec {
  key: string | null;
  value: unknown;
}

export function kafka(bootstrap: string): Kafka {
  return new Kafka({ brokers: [bootstrap], clientId: 'ksetl-e2e', logLevel: logLevel.NOTHING });
}

export async function createTopics(bootstrap: string, topics: readonly string[], partitions = 1): Promise<void> {
  const admin = kafka(bootstrap).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: topics.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })), waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

export async function listTopics(bootstrap: string): Promise<string[]> {
  const admin = kafka(bootstrap).admin();
  await admin.connect();
  try {
    return await admin.listTopics();
  } finally {
    await admin.disconnect();
  }
}

export async function produce(bootstrap: string, topic: string, records: readonly Rec[]): Promise<void> {
  const producer = kafka(bootstrap).producer();
  await producer.connect();
  try {
    await producer.send({ topic, messages: records.map((r) => ({ key: r.key, value: JSON.stringify(r.value) })) });
  } finally {
    await producer.disconnect();
  }
}

/** Reads `topic` from the start until `until(records)` holds, or fails at the deadline. */
export async function readUntil(bootstrap: string, topic: string, until: (seen: readonly Rec[]) => boolean, ms = 120_000): Promise<Rec[]> {
  const consumer = kafka(bootstrap).consumer({ groupId: `ksetl-e2e-${Math.random().toString(36).slice(2)}` });
  const seen: Rec[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    let done: () => void = () => {};
    const finished = new Promise<void>((r) => (done = r));
    await consumer.run({
      eachMessage: async ({ message }) => {
        const text = message.value?.toString('utf8');
        seen.push({ key: message.key?.toString('utf8') ?? null, value: text === undefined ? null : (JSON.parse(text) as unknown) });
        if (until(seen)) done();
      },
    });
    const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms));
    if ((await Promise.race([finished, timer])) === 'timeout') throw new Error(`timed out after ${ms} ms reading ${topic}; saw ${JSON.stringify(seen).slice(0, 2000)}`);
    return seen;
  } finally {
    await consumer.disconnect();
  }
}
