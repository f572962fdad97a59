/**
 * The OpenTelemetry Collector in tests: build.sh's binary (built once,
 * cached by version) and collector processes started from a YAML config.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { DEFAULT_SHIPPER_IMAGES } from '../../../operator/controllers/ksql-cluster/monitoring.js';

const buildScript = fileURLToPath(new URL('./build.sh', import.meta.url));

/** The image repository of the operator's default otel sidecar (the pod runner runs otelcol-ksetl for it). */
export const OTELCOL_IMAGE_REPOSITORY = DEFAULT_SHIPPER_IMAGES.otel.replace(/:[^/:]+$/, '');

async function runBuild(arg: 'build' | 'path', log?: (line: string) => void): Promise<string> {
  return await new Promise<string>((resolve, reject) => {
    const child = spawn('bash', [buildScript, arg], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      for (const line of chunk.split('\n')) if (line.trim()) log?.(line);
    });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(stdout.trim().split('\n').pop() ?? '') : reject(new Error(`otelcol build.sh failed (exit ${code}):\n${stderr.trim()}`))));
  });
}

/** Builds otelcol-ksetl unless cached (~/.cache/ksetl/otelcol-<version>/bin); its path. */
export async function ensureOtelcol(options: { log?: (line: string) => void } = {}): Promise<string> {
  return await runBuild('build', options.log);
}

export interface Collector {
  readonly pid: number;
  readonly configFile: string;
  readonly logFile: string;
  readonly child: ChildProcess;
  /** its log so far */
  log(): string;
  /** SIGTERM (the collector flushes and stops), SIGKILL after 15 s */
  stop(): Promise<void>;
}

/** Starts `binary --config <dir>/<name>.yaml`, its output in <dir>/<name>.log. */
export function startCollector(o: { binary: string; dir: string; name: string; config: Record<string, unknown>; env?: Record<string, string> }): Collector {
  const configFile = join(o.dir, `${o.name}.yaml`);
  const logFile = join(o.dir, `${o.name}.log`);
  writeFileSync(configFile, stringify(o.config, { lineWidth: 0 }));
  const fd = openSync(logFile, 'a');
  const child = spawn(o.binary, ['--config', configFile], { env: { PATH: process.env['PATH'] ?? '', ...o.env }, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    pid: child.pid ?? 0,
    configFile,
    logFile,
    child,
    log: () => readFileSync(logFile, 'utf8'),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
