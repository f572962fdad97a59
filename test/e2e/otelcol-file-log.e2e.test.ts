/**
 * The otel shipper's file_log receiver, as the operator renders it, on the
 * real collector: the engine's log file rotated away (engine/server/logger.ts
 * renames it to `<file>.1`) and the collector restarted midway, every line
 * is shipped once — offsets kept by file_storage in the sidecar's state dir.
 */
import { mkdirSync, mkdtempSync, readFileSync, renameSync, appendFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import { parseKsqlCluster } from '../../operator/api/index.js';
import { LOG_DIR, OTELCOL_CONFIG_FILE, SHIPPER_STATE_DIR, desiredMonitoring } from '../../operator/controllers/ksql-cluster/monitoring.js';
import { startCollector } from '../infra/otelcol/otelcol.js';
import { waitFor } from '../infra/wait.js';

const otelcol = inject('otelcol');

describe.skipIf(!otelcol)('the otel shipper\'s file_log receiver on the real collector', () => {
  it('ships every line once across a rotation and a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ksetl-file-log-'));
    const logs = join(dir, 'logs');
    const state = join(dir, 'state');
    mkdirSync(logs);
    mkdirSync(state);
    const kc = parseKsqlCluster({
      apiVersion: 'ksetl.io/v1alpha1',
      kind: 'KsqlCluster',
      metadata: { name: 'rot', namespace: 'team-rot', uid: '00000000-0000-4000-8000-00000000f11e' },
      spec: { kafka: { bootstrapServers: ['k:9092'] }, logging: { kafkaTopic: { enabled: false }, sidecar: { type: 'otel', kafka: { topic: 'unused' } } } },
    });
    if (!kc.ok) throw new Error(JSON.stringify(kc.errors));
    // the rendered configuration, its paths moved to this directory (as the pod runner does)
    const rendered = desiredMonitoring(kc.value, { prometheusOperator: false }).logShipperConfig!.data![OTELCOL_CONFIG_FILE]!;
    const conf = parse(rendered.replaceAll(LOG_DIR, logs).replaceAll(SHIPPER_STATE_DIR, state)) as {
      extensions: Record<string, unknown>;
      receivers: Record<string, unknown>;
      processors: Record<string, unknown>;
    };
    const out = join(dir, 'shipped.jsonl');
    const config = {
      extensions: conf.extensions,
      receivers: { 'file_log/engine': conf.receivers['file_log/engine'] },
      processors: { 'resource/engine': conf.processors['resource/engine'] },
      exporters: { file: { path: out, append: true, flush_interval: '100ms' } },
      service: {
        extensions: Object.keys(conf.extensions),
        telemetry: { metrics: { level: 'none' } },
        pipelines: { logs: { receivers: ['file_log/engine'], processors: ['resource/engine'], exporters: ['file'] } },
      },
    };
    const file = join(logs, 'engine.log');
    let n = 0;
    const write = (count: number) => {
      for (let i = 0; i < count; i++) {
        n++;
        appendFileSync(file, JSON.stringify({ level: 'info', time: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(), namespace: 'team-rot', cluster: 'rot', n }) + '\n');
      }
    };
    const shipped = (): number[] =>
      existsSync(out)
        ? readFileSync(out, 'utf8')
            .split('\n')
            .filter((l) => l !== '')
            .flatMap((l) => [...l.matchAll(/\\"n\\":(\d+)/g)].map((m) => Number(m[1])))
        : [];
    const until = (count: number) => waitFor(`${count} lines shipped`, () => (new Set(shipped()).size >= count ? true : undefined), { timeoutMs: 60_000, intervalMs: 200 });

    write(50);
    let collector = startCollector({ binary: otelcol, dir, name: 'file-log', config });
    try {
      await until(50);
      write(10);
      renameSync(file, `${file}.1`);
      write(20);
      await until(80);
      await collector.stop();
      write(5);
      collector = startCollector({ binary: otelcol, dir, name: 'file-log', config });
      await until(85);
      write(5);
      await until(90);
    } finally {
      await collector.stop();
    }
    const got = shipped().sort((a, b) => a - b);
    console.log(`[file_log] lines shipped ${got.length} / written ${n} (a rotation and a restart midway)`);
    expect(got).toEqual(Array.from({ length: n }, (_, i) => i + 1));
  }, 180_000);
});
