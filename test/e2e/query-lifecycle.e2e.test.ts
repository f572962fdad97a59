/**
 * Issue 15's acceptance for upgrades and deletes on a cluster of two engine
 * replicas, on a real control plane and broker:
 *
 * - a KsqlQuery with `upgradePolicy: Recreate` gets new SQL: the new query
 *   is Ready only once its first output record is on the sink topic (never
 *   before), and new records flow through it on both engines;
 * - a KsqlQuery with `deletionPolicy: Delete` (a CTAS: repartition topic,
 *   changelog, sink topic) is deleted and created again under the same
 *   names: its sink topic is deleted and created again, Ready again only
 *   with output, both replicas run the new query, no record is lost, and
 *   pull queries answer on both engines.
 *
 * What this guards against (the issue's "Why"): engines that kept the
 * deleted topics in their Kafka metadata (no progress, a replica that
 * stopped applying statements, pull queries refused with `This server does
 * not host this topic-partition`, a lost record) while status said Ready.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Consumer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { clusterObjectNames } from '../../operator/names.js';
import type { KubeObject, KubeRest } from '../infra/pod-runner/kube-rest.js';
import { waitFor } from '../infra/wait.js';
import {
  applyAll,
  authHeader,
  condition,
  createTopics,
  engineCredentials,
  kafka,
  ksql,
  listTopics,
  operatorAvailable,
  produce,
  showQueries,
  startOperatorEnvironment,
  type EngineTarget,
  type OperatorEnvironment,
  type Rec,
} from './harness.js';

const kubeconfig = inject('kubeconfig');
const bootstrap = inject('kafkaBootstrap');

const KQ = (ns: string, name = '') => `/apis/ksetl.io/v1alpha1/namespaces/${ns}/ksqlqueries${name ? `/${name}` : ''}`;
const KC = (ns: string, name = '') => `/apis/ksetl.io/v1alpha1/namespaces/${ns}/ksqlclusters${name ? `/${name}` : ''}`;

interface QueryStatus {
  queries?: { id: string; state: string }[];
  lastAppliedSql?: string;
  observedGeneration?: number;
}
type Kq = KubeObject & { status?: QueryStatus };

/** A topic's records as they arrive, read by one consumer from the start. */
interface Tail {
  readonly seen: Rec[];
  close(): Promise<void>;
}

async function tail(bootstrap: string, topic: string): Promise<Tail> {
  const consumer: Consumer = kafka(bootstrap).consumer({ groupId: `ksetl-e2e-${randomBytes(4).toString('hex')}` });
  const seen: Rec[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const text = message.value?.toString('utf8');
      seen.push({ key: message.key?.toString('utf8') ?? null, value: text === undefined ? null : (JSON.parse(text) as unknown) });
    },
  });
  return { seen, close: () => consumer.disconnect() };
}

/** The sum of a topic's high watermarks (0 when it does not exist). */
async function highWatermarks(bootstrap: string, topic: string): Promise<number> {
  const admin = kafka(bootstrap).admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(topic)) return 0;
    return (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

/** A pull query on one engine: its rows (column values), or the engine's error text. */
async function pull(target: EngineTarget, sql: string): Promise<{ rows: unknown[][] } | { error: string }> {
  const res = await fetch(`${target.url}/query`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/vnd.ksql.v1+json', ...authHeader(target) },
    body: JSON.stringify({ ksql: sql, streamsProperties: {} }),
  });
  const text = await res.text();
  if (!res.ok) return { error: `${res.status} ${text}` };
  const items = JSON.parse(text) as { row?: { columns: unknown[] } }[];
  return { rows: items.flatMap((i) => (i.row ? [i.row.columns] : [])) };
}

describe.skipIf(!operatorAvailable || !kubeconfig || !bootstrap)('KsqlQuery Recreate and delete/re-create on two engine replicas', { timeout: 600_000 }, () => {
  const seed = randomBytes(3).toString('hex');
  const ns = `life-${seed}`;
  const dir = mkdtempSync(join(tmpdir(), 'ksetl-e2e-lifecycle-'));
  const orders = `life.orders.${seed}`;
  const big = `life.big.${seed}`;
  const perCustomer = `life.per-customer.${seed}`;
  let env: OperatorEnvironment;
  let api: KubeRest;
  /** orders per customer produced so far (what a count over the whole topic must say) */
  const perCustomerCount: Record<string, number> = {};
  const send = async (records: readonly { key: string; customer: string; amount: number }[]) => {
    await produce(bootstrap, orders, records.map((r) => ({ key: r.key, value: { customer: r.customer, amount: r.amount } })));
    for (const r of records) perCustomerCount[r.customer] = (perCustomerCount[r.customer] ?? 0) + 1;
  };

  const diagnostics = async (path: string): Promise<string> => {
    const tailOf = (file: string, n = 15) => (existsSync(file) ? readFileSync(file, 'utf8').trimEnd().split('\n').slice(-n).join('\n') : '(none)');
    const logs = join(dir, 'pods', 'logs');
    const obj = await api.find(path).catch(() => null);
    return [`--- ${path} status:`, JSON.stringify(obj?.['status'] ?? null), ...(existsSync(logs) ? readdirSync(logs).flatMap((f) => [`--- ${f}:`, tailOf(join(logs, f))]) : []), '--- operator:', tailOf(join(dir, 'operator.log'))].join('\n');
  };
  const kq = (name: string) => api.find<Kq>(KQ(ns, name));
  const engines = async (): Promise<EngineTarget[]> => {
    const auth = await engineCredentials(api, ns, 'lc');
    return env.runner
      .pods()
      .filter((p) => p.namespace === ns && p.name.startsWith(clusterObjectNames('lc').statefulSet) && p.ip)
      .map((p) => ({ url: `http://${p.ip}:8088`, auth }));
  };
  const query = (name: string, sql: string, extra: Record<string, unknown> = {}): KubeObject => ({
    apiVersion: 'ksetl.io/v1alpha1',
    kind: 'KsqlQuery',
    metadata: { name, namespace: ns },
    spec: { clusterRef: { name: 'lc' }, properties: { 'auto.offset.reset': 'earliest' }, sql, ...extra },
  });

  /**
   * Waits for `name` to be Ready on `sql`, checking at every look that it
   * is not Ready before output of the new query is on `sink` (the sink's
   * high watermarks above `before`).
   */
  const readyOnlyWithOutput = async (name: string, sql: string, sink: string, before: number): Promise<{ obj: Kq }> => {
    const obj = await waitFor(`KsqlQuery ${name}: Ready on the new SQL, with output`, async () => {
      const o = await kq(name);
      if (!o || o.status?.observedGeneration !== o.metadata?.generation || o.status?.lastAppliedSql !== sql) return undefined;
      if (condition(o, 'Ready')?.status !== 'True') return undefined;
      // Ready: the new query's output must be on the sink already
      expect(await highWatermarks(bootstrap, sink), `${name} is Ready before any output of its new query reached ${sink}: ${JSON.stringify(o.status)}`).toBeGreaterThan(before);
      return o;
    }, { timeoutMs: 240_000, intervalMs: 200, detail: () => diagnostics(KQ(ns, name)) });
    return { obj };
  };

  beforeAll(async () => {
    env = await startOperatorEnvironment({ kubeconfig, namespace: ns, dir });
    api = env.api;
    await createTopics(bootstrap, [orders], 2);
    await applyAll(api, [{ apiVersion: 'ksetl.io/v1alpha1', kind: 'KsqlCluster', metadata: { name: 'lc', namespace: ns }, spec: { replicas: 2, kafka: { bootstrapServers: [bootstrap] } } }], ns);
    await waitFor('KsqlCluster lc Ready with two engines', async () => {
      const o = await api.find(KC(ns, 'lc'));
      return condition(o, 'Ready')?.status === 'True' && (await engines()).length === 2 ? true : undefined;
    }, { timeoutMs: 240_000, intervalMs: 1000, detail: () => diagnostics(KC(ns, 'lc')) });
    await send([
      { key: 'o1', customer: 'c1', amount: 50 },
      { key: 'o2', customer: 'c1', amount: 500 },
      { key: 'o3', customer: 'c2', amount: 700 },
      { key: 'o4', customer: 'c0', amount: 5 },
    ]);
  });

  afterAll(async () => {
    await env?.stop();
  });

  it('Recreate: the new query is Ready only once its output is on the sink; new records flow', async () => {
    const src = `CREATE STREAM orders (id VARCHAR KEY, customer VARCHAR, amount DOUBLE) WITH (KAFKA_TOPIC='${orders}', VALUE_FORMAT='JSON');`;
    const v1 = `${src}\nCREATE STREAM big_orders WITH (KAFKA_TOPIC='${big}', PARTITIONS=2) AS SELECT id, customer, amount FROM orders WHERE amount > 100 EMIT CHANGES;`;
    const v2 = `${src}\nCREATE STREAM big_orders WITH (KAFKA_TOPIC='${big}', PARTITIONS=2) AS SELECT id, customer, amount, 'v2' AS version FROM orders WHERE amount > 100 EMIT CHANGES;`;
    await applyAll(api, [query('big', v1, { upgradePolicy: 'Recreate' })], ns);
    const first = await readyOnlyWithOutput('big', v1, big, 0);
    const out = await tail(bootstrap, big);
    try {
      const oldId = first.obj.status!.queries![0]!.id;
      await waitFor('v1 output of o2 and o3', () => (['o2', 'o3'].every((k) => out.seen.some((r) => r.key === k)) ? true : undefined), { timeoutMs: 60_000 });

      const before = await highWatermarks(bootstrap, big);
      await api.mergePatch(KQ(ns, 'big'), { spec: { sql: v2 } });
      const { obj } = await readyOnlyWithOutput('big', v2, big, before);
      const newId = obj.status!.queries![0]!.id;
      expect(newId).not.toBe(oldId);
      // the status said so on the way: Ready=False (AwaitingOutput) for the new query, an Event of the transition
      // (the status itself may be Ready again before a poll sees it: the output comes within a second)
      await waitFor('an AwaitingOutput Event for the new query', async () => {
        const { items } = await api.get<{ items: { reason?: string; note?: string; regarding?: { kind?: string; name?: string } }[] }>(`/apis/events.k8s.io/v1/namespaces/${ns}/events`);
        return items.some((e) => e.regarding?.kind === 'KsqlQuery' && e.regarding.name === 'big' && e.reason === 'AwaitingOutput' && e.note?.includes(newId)) ? true : undefined;
      }, { timeoutMs: 60_000 });
      // every engine runs the new query and not the old one
      for (const e of await engines()) {
        await waitFor(`${e.url} runs ${newId} only`, async () => {
          const ids = (await showQueries(e)).map((q) => `${q.id}=${q.state}`);
          return ids.includes(`${newId}=RUNNING`) && !ids.some((i) => i.startsWith(`${oldId}=`)) ? true : undefined;
        }, { timeoutMs: 60_000 });
      }
      const v2Of = (k: string) => out.seen.some((r) => r.key === k && (r.value as { VERSION?: string } | null)?.VERSION === 'v2');
      await waitFor('the new query re-read the topic', () => (v2Of('o2') && v2Of('o3') ? true : undefined), { timeoutMs: 60_000 });

      // new records flow end to end, none lost
      await send(Array.from({ length: 10 }, (_, i) => ({ key: `n${i}`, customer: `c${i % 3}`, amount: 200 + i })));
      await waitFor('every new record through the new query', () => (Array.from({ length: 10 }, (_, i) => `n${i}`).every(v2Of) ? true : undefined), { timeoutMs: 120_000, detail: () => diagnostics(KQ(ns, 'big')) });
      const done = await kq('big');
      expect(condition(done, 'Ready')?.status).toBe('True');
      expect(done?.status?.queries?.map((q) => q.state)).toEqual(['Running']);
    } finally {
      await out.close();
    }
  });

  it('deletionPolicy Delete: deleted and created again, Ready only with output, both engines run it, pull queries answer, nothing lost', async () => {
    const sql = `CREATE STREAM orders_agg (id VARCHAR KEY, customer VARCHAR, amount DOUBLE) WITH (KAFKA_TOPIC='${orders}', VALUE_FORMAT='JSON');
CREATE TABLE per_customer WITH (KAFKA_TOPIC='${perCustomer}', PARTITIONS=2) AS SELECT customer, COUNT(*) AS n FROM orders_agg GROUP BY customer EMIT CHANGES;`;
    const spec = query('agg', sql, { deletionPolicy: 'Delete' });
    const pulled = async (e: EngineTarget): Promise<Record<string, number> | string> => {
      const out: Record<string, number> = {};
      for (const c of ['c0', 'c1', 'c2']) {
        const r = await pull(e, `SELECT customer, n FROM per_customer WHERE customer = '${c}';`);
        if ('error' in r) return r.error;
        for (const [k, n] of r.rows) out[String(k)] = Number(n);
      }
      return out;
    };
    const sorted = (r: Record<string, number>) => JSON.stringify(Object.entries(r).sort());
    const answerEverywhere = async (want: Record<string, number>) => {
      for (const e of await engines()) {
        await waitFor(`pull query on ${e.url} answers ${JSON.stringify(want)}`, async () => {
          const got = await pulled(e);
          return typeof got !== 'string' && sorted(got) === sorted(want) ? true : undefined;
        }, { timeoutMs: 120_000, detail: async () => `last answer: ${JSON.stringify(await pulled(e))}\n${await diagnostics(KQ(ns, 'agg'))}` });
      }
    };

    await applyAll(api, [spec], ns);
    const first = await readyOnlyWithOutput('agg', sql, perCustomer, 0);
    const firstId = first.obj.status!.queries![0]!.id;
    await answerEverywhere({ ...perCustomerCount });

    await api.delete(KQ(ns, 'agg'));
    await waitFor('KsqlQuery agg gone', async () => ((await kq('agg')) === null ? true : undefined), { timeoutMs: 120_000, detail: () => diagnostics(KQ(ns, 'agg')) });
    await waitFor('its sink topic deleted', async () => (!(await listTopics(bootstrap)).includes(perCustomer) ? true : undefined), { timeoutMs: 60_000 });
    for (const e of await engines()) {
      await waitFor(`${e.url} no longer runs ${firstId}`, async () => (!(await showQueries(e)).some((q) => q.id === firstId) ? true : undefined), { timeoutMs: 60_000 });
    }

    // records arriving while the query is gone are counted by the one created again
    await send([{ key: 'gap-1', customer: 'c2', amount: 1 }]);

    // the same KsqlQuery again: the same stream, table and sink topic names
    await applyAll(api, [spec], ns);
    const again = await readyOnlyWithOutput('agg', sql, perCustomer, 0);
    const againId = again.obj.status!.queries![0]!.id;
    expect(againId).not.toBe(firstId);
    for (const e of await engines()) {
      await waitFor(`${e.url} runs ${againId}`, async () => ((await showQueries(e)).some((q) => q.id === againId && q.state === 'RUNNING') ? true : undefined), { timeoutMs: 60_000 });
    }
    await answerEverywhere({ ...perCustomerCount });

    // new records after the re-creation: every one counted, on both engines
    await send(['c0', 'c1', 'c2'].flatMap((c) => [1, 2].map((i) => ({ key: `a-${c}-${i}`, customer: c, amount: 10 }))));
    await answerEverywhere({ ...perCustomerCount });
    const done = await kq('agg');
    expect(condition(done, 'Ready')?.status).toBe('True');
    expect(done?.status?.queries?.map((q) => q.state)).toEqual(['Running']);
  });

  it('one query through all of it: Recreate, then delete and create again under deletionPolicy Delete; records flow on both engines each time', async () => {
    const sink = `life.large-orders.${seed}`;
    const src = `CREATE STREAM orders_all (id VARCHAR KEY, customer VARCHAR, amount DOUBLE) WITH (KAFKA_TOPIC='${orders}', VALUE_FORMAT='JSON');`;
    const v1 = `${src}\nCREATE STREAM large_orders WITH (KAFKA_TOPIC='${sink}') AS SELECT id, customer, amount FROM orders_all WHERE amount > 100 EMIT CHANGES;`;
    const v2 = `${src}\nCREATE STREAM large_orders WITH (KAFKA_TOPIC='${sink}') AS SELECT id, customer, amount, amount * 2 AS doubled FROM orders_all WHERE amount > 100 EMIT CHANGES;`;
    const extra = { upgradePolicy: 'Recreate', deletionPolicy: 'Delete' };
    let n = 0;
    /** sends a big order and waits for it on the sink, with `doubled` when `v2` */
    const flows = async (v2: boolean) => {
      const key = `x${n++}`;
      await send([{ key, customer: 'c9', amount: 1000 + n }]);
      const out = await tail(bootstrap, sink);
      try {
        await waitFor(`${key} through LARGE_ORDERS${v2 ? ' (v2)' : ''}`, () => (out.seen.some((r) => r.key === key && (!v2 || (r.value as { DOUBLED?: number } | null)?.DOUBLED !== undefined)) ? true : undefined), { timeoutMs: 120_000, detail: () => diagnostics(KQ(ns, 'large-orders')) });
      } finally {
        await out.close();
      }
    };
    const runsEverywhere = async (id: string) => {
      for (const e of await engines()) {
        await waitFor(`${e.url} runs ${id}`, async () => ((await showQueries(e)).some((q) => q.id === id && q.state === 'RUNNING') ? true : undefined), { timeoutMs: 60_000, detail: () => diagnostics(KQ(ns, 'large-orders')) });
      }
    };

    await applyAll(api, [query('large-orders', v1, extra)], ns);
    const a = await readyOnlyWithOutput('large-orders', v1, sink, 0);
    await runsEverywhere(a.obj.status!.queries![0]!.id);
    await flows(false);

    await api.mergePatch(KQ(ns, 'large-orders'), { spec: { sql: v2 } });
    const b = await readyOnlyWithOutput('large-orders', v2, sink, await highWatermarks(bootstrap, sink));
    await runsEverywhere(b.obj.status!.queries![0]!.id);
    await flows(true);

    await api.delete(KQ(ns, 'large-orders'));
    await waitFor('KsqlQuery large-orders gone', async () => ((await kq('large-orders')) === null ? true : undefined), { timeoutMs: 120_000, detail: () => diagnostics(KQ(ns, 'large-orders')) });
    await waitFor('its sink topic deleted', async () => (!(await listTopics(bootstrap)).includes(sink) ? true : undefined), { timeoutMs: 60_000 });

    await applyAll(api, [query('large-orders', v2, extra)], ns);
    const c = await readyOnlyWithOutput('large-orders', v2, sink, 0);
    await runsEverywhere(c.obj.status!.queries![0]!.id);
    await flows(true);
    for (const e of await engines()) {
      // every engine still applies statements: each lists LARGE_ORDERS
      const [streams] = (await ksql(e, 'SHOW STREAMS;')) as { streams?: { name: string }[] }[];
      expect(streams?.streams?.map((x) => x.name)).toContain('LARGE_ORDERS');
    }
  });
});
