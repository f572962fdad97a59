/**
 * A real Prometheus for tests: Debian's `prometheus` binary (installed once
 * by install.sh), started with our own config (static scrape targets,
 * 1 s scrape and rule-evaluation intervals), a temp TSDB dir and a free
 * loopback port. Never the packaged system service.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { stringify } from 'yaml';

const run = promisify(execFile);
const installScript = fileURLToPath(new URL('./install.sh', import.meta.url));

export interface ScrapeJob {
  readonly job: string;
  /** host:port */
  readonly targets: readonly string[];
  readonly labels?: Readonly<Record<string, string>>;
  /** default /metrics */
  readonly metricsPath?: string;
}

export interface StartPrometheusOptions {
  /** host:port targets (one job `ksetl`), or jobs */
  readonly targets: readonly string[] | readonly ScrapeJob[];
  /** rule files (absolute paths) Prometheus loads and evaluates every second */
  readonly ruleFiles?: readonly string[];
  /** default 1s */
  readonly scrapeInterval?: string;
  /** seconds to wait for /-/ready (default 60) */
  readonly timeoutSeconds?: number;
}

/** One series of an instant query. */
export interface Sample {
  readonly metric: Readonly<Record<string, string>>;
  readonly value: readonly [number, string];
}

export interface RunningPrometheus {
  /** http://127.0.0.1:port */
  readonly url: string;
  readonly dir: string;
  readonly version: string;
  /** an instant query; throws on a PromQL error */
  query(expr: string): Promise<Sample[]>;
  /** series matching a selector (the API behind Grafana's label_values) */
  series(selector: string): Promise<Record<string, string>[]>;
  /** GET /api/v1/<path>, `data` of the response */
  api<T>(path: string): Promise<T>;
  /** rewrites the scrape config and reloads it */
  setTargets(targets: StartPrometheusOptions['targets']): Promise<void>;
  /** the process's stderr so far (its log) */
  log(): string;
  stop(): Promise<void>;
}

/** The prometheus binary: install.sh installs Debian's package when missing and prints the path. */
export async function ensurePrometheus(): Promise<string> {
  const { stdout } = await run('bash', [installScript], { maxBuffer: 16 << 20, timeout: 600_000 });
  const bin = stdout.trim().split('\n').pop() ?? '';
  if (!bin) throw new Error('install.sh printed no prometheus path');
  return bin;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function jobsOf(targets: StartPrometheusOptions['targets']): ScrapeJob[] {
  if (targets.length === 0) return [];
  if (typeof targets[0] === 'string') return [{ job: 'ksetl', targets: targets as readonly string[] }];
  return [...(targets as readonly ScrapeJob[])];
}

export function renderConfig(options: StartPrometheusOptions): string {
  const interval = options.scrapeInterval ?? '1s';
  return stringify({
    global: { scrape_interval: interval, evaluation_interval: interval, scrape_timeout: interval },
    ...(options.ruleFiles?.length ? { rule_files: [...options.ruleFiles] } : {}),
    scrape_configs: jobsOf(options.targets).map((j) => ({
      job_name: j.job,
      metrics_path: j.metricsPath ?? '/metrics',
      static_configs: [{ targets: [...j.targets], ...(j.labels ? { labels: { ...j.labels } } : {}) }],
    })),
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startPrometheus(options: StartPrometheusOptions): Promise<RunningPrometheus> {
  const bin = await ensurePrometheus();
  const version = (await run(bin, ['--version'])).stdout.split('\n')[0] ?? '';
  const dir = await mkdtemp(join(tmpdir(), 'ksetl-prometheus-'));
  const configFile = join(dir, 'prometheus.yml');
  let current = options;
  await writeFile(configFile, renderConfig(current));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let stderr = '';
  const child: ChildProcess = spawn(
    bin,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-lifecycle',
      '--storage.tsdb.retention.time=2h',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr = (stderr + d).slice(-200_000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  const stop = async (): Promise<void> => {
    process.off('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(10_000).then(() => child.kill('SIGKILL'))]);
    }
    await rm(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + (options.timeoutSeconds ?? 60) * 1000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`prometheus exited with ${child.exitCode}: ${stderr}`);
    }
    try {
      const r = await fetch(`${url}/-/ready`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus not ready after ${options.timeoutSeconds ?? 60} s: ${stderr}`);
    }
    await sleep(200);
  }

  async function api<T>(path: string, body?: URLSearchParams): Promise<T> {
    const r = await fetch(`${url}/api/v1/${path}`, body ? { method: 'POST', body } : {});
    const json = (await r.json()) as { status: string; data: T; error?: string; errorType?: string };
    if (json.status !== 'success') throw new Error(`prometheus ${path}: ${json.errorType ?? ''} ${json.error ?? r.status}`);
    return json.data;
  }

  return {
    url,
    dir,
    version,
    api: (path) => api(path),
    async query(expr) {
      const data = await api<{ resultType: string; result: Sample[] | [number, string] }>('query', new URLSearchParams({ query: expr }));
      if (data.resultType === 'scalar' || data.resultType === 'string') return [{ metric: {}, value: data.result as [number, string] }];
      return data.result as Sample[];
    },
    async series(selector) {
      return api<Record<string, string>[]>('series', new URLSearchParams({ 'match[]': selector, start: String(Date.now() / 1000 - 3600) }));
    },
    async setTargets(targets) {
      current = { ...current, targets };
      await writeFile(configFile, renderConfig(current));
      const r = await fetch(`${url}/-/reload`, { method: 'POST' });
      if (!r.ok) throw new Error(`prometheus reload: ${r.status} ${await r.text()}`);
    },
    log: () => stderr,
    stop,
  };
}
