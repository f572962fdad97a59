import { afterEach, describe, expect, it } from 'vitest';
import { MemoryRuntime } from '../driver/memory-runtime.js';
import { kafkaBackend } from '../kafka/kafka-backend.js';
import { KsqlRestServer } from './app.js';
import { HealthMonitor } from './health.js';
import type { HealthReport } from './routes/state.js';

const ENGINE: HealthReport = { isHealthy: true, details: { metastore: { isHealthy: true }, kafka: { isHealthy: true }, commandRunner: { isHealthy: true } } };

describe('HealthMonitor', () => {
  it('merges a live check into the engine detail of its name', async () => {
    const m = new HealthMonitor(() => ENGINE, [{ name: 'kafka', run: () => Promise.resolve() }], { now: () => 1000 });
    const r = await m.report();
    expect(r.isHealthy).toBe(true);
    expect(r.details['kafka']).toEqual({ isHealthy: true, lastCheckMs: 1000 });
    expect(r.details['commandRunner']).toEqual({ isHealthy: true });
  });

  it('reports a failed or silent check as unhealthy with its error', async () => {
    const failing = new HealthMonitor(() => ENGINE, [{ name: 'kafka', run: () => Promise.reject(new Error('Connection refused')) }]);
    const r = await failing.report();
    expect(r.isHealthy).toBe(false);
    expect(r.details['kafka']).toMatchObject({ isHealthy: false, error: 'Connection refused' });
    const silent = new HealthMonitor(() => ENGINE, [{ name: 'kafka', run: () => new Promise(() => undefined) }], { timeoutMs: 20 });
    expect((await silent.report()).details['kafka']).toMatchObject({ isHealthy: false, error: 'no answer within 20 ms' });
  });

  it('keeps an engine detail unhealthy whatever the check says, and the engine report decides too', async () => {
    const engineDown: HealthReport = { isHealthy: false, details: { ...ENGINE.details, commandRunner: { isHealthy: false, lastError: 'stopped' } } };
    const r = await new HealthMonitor(() => engineDown, [{ name: 'kafka', run: () => Promise.resolve() }]).report();
    expect(r.isHealthy).toBe(false);
    expect(r.details['commandRunner']).toEqual({ isHealthy: false, lastError: 'stopped' });
  });

  it('runs a check at most once per interval, and once for concurrent reports', async () => {
    let runs = 0;
    let now = 0;
    const m = new HealthMonitor(() => ENGINE, [{ name: 'kafka', run: () => Promise.resolve(runs++) }], { intervalMs: 5000, now: () => now });
    await Promise.all([m.report(), m.report(), m.report()]);
    expect(runs).toBe(1);
    now = 4999;
    await m.report();
    expect(runs).toBe(1);
    now = 5000;
    await m.report();
    expect(runs).toBe(2);
  });
});

describe('GET /healthcheck', () => {
  let server: KsqlRestServer | null = null;
  let runtime: MemoryRuntime | null = null;
  afterEach(async () => {
    await server?.close();
    await runtime?.close();
  });

  it('answers 503 with the details when a background check fails', async () => {
    runtime = await MemoryRuntime.start({});
    let up = false;
    const monitor = new HealthMonitor(() => ENGINE, [{ name: 'kafka', run: () => (up ? Promise.resolve() : Promise.reject(new Error('broker unreachable'))) }], { intervalMs: 0 });
    server = new KsqlRestServer({ backend: kafkaBackend(runtime.engine), health: () => monitor.report() });
    const { url } = await server.listen(0);
    const down = await fetch(`${url}/healthcheck`);
    expect(down.status).toBe(503);
    expect(await down.json()).toMatchObject({ isHealthy: false, details: { kafka: { isHealthy: false, error: 'broker unreachable' }, commandRunner: { isHealthy: true } } });
    up = true;
    const back = await fetch(`${url}/healthcheck`);
    expect(back.status).toBe(200);
    expect(await back.json()).toMatchObject({ isHealthy: true, details: { kafka: { isHealthy: true } } });
  });
});
