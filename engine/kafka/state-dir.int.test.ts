import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KafkaEngine } from './kafka-engine.js';
import { bootstrap, EnginePool, json, newPort, readTopic, seed, stopOwnBroker, waitFor } from './int-test-support.js';
import type { KafkaPort } from './port.js';

let brokers: string;
let admin: KafkaPort;
let dir: string;
const pool = new EnginePool();

beforeAll(async () => {
  brokers = await bootstrap();
  admin = newPort(brokers, 'state-dir-test');
  dir = await mkdtemp(join(tmpdir(), 'ksetl-state-'));
}, 180_000);

afterAll(async () => {
  await pool.closeAll();
  await admin?.close();
  await rm(dir, { recursive: true, force: true });
  await stopOwnBroker();
}, 60_000);

const engine = (serviceId: string, properties: Record<string, string> = {}): Promise<KafkaEngine> => pool.start(brokers, serviceId, properties);
const closeEngine = (e: KafkaEngine): Promise<void> => pool.close(e);

async function files(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(root, { withFileTypes: true, recursive: true })) if (e.isFile()) out.push(e.name);
  return out;
}

describe('local state and PAUSE on a real broker', () => {
  it('checkpoints stores to ksql.streams.state.dir on shutdown and restarts from the checkpoint instead of the whole changelog', async () => {
    const s = seed();
    const serviceId = `state_${s}_`;
    const props = { 'ksql.streams.state.dir': dir };
    const input = `state-in-${s}`;
    const send = async (from: number, to: number) => {
      const p = await admin.producer();
      await p.send(Array.from({ length: to - from }, (_, j) => ({ topic: input, key: Buffer.from(`u${(from + j) % 50}`), value: json({ V: from + j }), timestamp: 1_000 + from + j })));
      await p.close();
    };
    const a = await engine(serviceId, props);
    await a.execute(`CREATE STREAM S (ID STRING KEY, V INT) WITH (KAFKA_TOPIC='${input}', PARTITIONS=2, VALUE_FORMAT='JSON');
                     CREATE TABLE C WITH (KAFKA_TOPIC='state-out-${s}') AS SELECT ID, COUNT(*) AS N FROM S GROUP BY ID;`);
    await send(0, 500);
    // grouped by its key: aggregated where it is read, with no repartition topic (Kafka Streams' groupByKey)
    await waitFor('first 500 processed', () => ((a.queryStatus('CTAS_C_0')?.processed ?? 0) >= 500 ? true : undefined));
    await closeEngine(a);
    expect((await files(dir)).filter((f) => f.endsWith('.ckpt')).length).toBeGreaterThan(0);

    await send(500, 600);
    const b = await engine(serviceId, props);
    await waitFor('restarted query running', () => (b.runner('CTAS_C_0')?.metricState === 'RUNNING' && (b.queryStatus('CTAS_C_0')?.processed ?? 0) >= 100 ? true : undefined));
    // only what followed the checkpoint came from the changelog (nothing was written after it)
    expect(b.queryStatus('CTAS_C_0')!.restored).toBe(0);
    const out = await readTopic(admin, `state-out-${s}`, (seen) => {
      const last = new Map<string, number>();
      for (const r of seen) last.set(r.key!.toString(), JSON.parse(r.value!.toString()).N);
      return last.size === 50 && [...last.values()].every((n) => n === 12);
    }, 'every user counted 12 times');
    expect(out.length).toBeGreaterThan(0);
    // checkpoints are used once
    expect((await files(dir)).filter((f) => f.endsWith('.ckpt') && f.includes('C_0'))).toEqual([]);
  });

  it('restores a windowed aggregation from its changelog: a new engine continues the counts of the same windows', async () => {
    const s = seed();
    const serviceId = `win_${s}_`;
    const input = `win-in-${s}`;
    const output = `win-out-${s}`;
    // 5 users x 2 one-second windows (10 s and 11 s), 10 records each per batch of 100
    const send = async (from: number, to: number) => {
      const p = await admin.producer();
      await p.send(Array.from({ length: to - from }, (_, j) => ({ topic: input, key: Buffer.from(`u${(from + j) % 5}`), value: json({ V: from + j }), timestamp: 10_000 + ((from + j) % 2) * 1000 + from + j })));
      await p.close();
    };
    const counts = (seen: readonly { key: Buffer | null; value: Buffer | null }[]): Map<string, number> => {
      const last = new Map<string, number>();
      for (const r of seen) {
        const key = r.key!;
        last.set(`${key.subarray(0, key.length - 8).toString()}@${Number(key.readBigInt64BE(key.length - 8))}`, JSON.parse(r.value!.toString()).N);
      }
      return last;
    };
    const a = await engine(serviceId);
    await a.execute(`CREATE STREAM S (ID STRING KEY, V INT) WITH (KAFKA_TOPIC='${input}', PARTITIONS=2, VALUE_FORMAT='JSON');
                     CREATE TABLE W WITH (KAFKA_TOPIC='${output}') AS SELECT ID, COUNT(*) AS N FROM S
                       WINDOW TUMBLING (SIZE 1 SECOND, GRACE PERIOD 1 HOUR) GROUP BY ID;`);
    await send(0, 100);
    await readTopic(admin, output, (seen) => {
      const c = counts(seen);
      return c.size === 10 && [...c.values()].every((n) => n === 10);
    }, 'first batch counted');
    await closeEngine(a);

    await send(100, 200);
    const b = await engine(serviceId);
    const out = await readTopic(admin, output, (seen) => {
      const c = counts(seen);
      return c.size === 10 && [...c.values()].every((n) => n === 20);
    }, 'every user counted 20 times in each window');
    expect(out.length).toBeGreaterThan(0);
    expect(b.queryStatus('CTAS_W_0')!.restored).toBeGreaterThanOrEqual(10);
  });

  it('PAUSE stops consuming and RESUME continues where it stopped', async () => {
    const s = seed();
    const e = await engine(`pause_${s}_`);
    await e.execute(`CREATE STREAM S (ID STRING KEY, V INT) WITH (KAFKA_TOPIC='pause-in-${s}', PARTITIONS=1, VALUE_FORMAT='JSON');
                     CREATE STREAM T WITH (KAFKA_TOPIC='pause-out-${s}') AS SELECT ID, V FROM S;`);
    await waitFor('running', () => (e.runner('CSAS_T_0')?.metricState === 'RUNNING' ? true : undefined));
    const p = await admin.producer();
    await p.send([{ topic: `pause-in-${s}`, key: Buffer.from('a'), value: json({ V: 1 }), timestamp: 1 }]);
    await waitFor('first record', () => ((e.queryStatus('CSAS_T_0')?.processed ?? 0) >= 1 ? true : undefined));
    await e.execute('PAUSE CSAS_T_0;');
    expect(e.queryStatus('CSAS_T_0')!.paused).toBe(true);
    await p.send([{ topic: `pause-in-${s}`, key: Buffer.from('a'), value: json({ V: 2 }), timestamp: 2 }]);
    await new Promise((r) => setTimeout(r, 2_000));
    expect(e.queryStatus('CSAS_T_0')!.processed).toBe(1);
    await e.execute('RESUME CSAS_T_0;');
    await waitFor('second record after RESUME', () => ((e.queryStatus('CSAS_T_0')?.processed ?? 0) >= 2 ? true : undefined));
    await p.close();
  });
});
