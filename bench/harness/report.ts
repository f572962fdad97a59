/**
 * Benchmark results: the JSON file, a markdown table, and one SVG bar chart
 * per workload (plain string templates, no dependencies).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VARIANT_TITLES, WORKLOADS, type Variant } from './workloads.js';

export interface ThroughputResult {
  /** a workload id, or "passthrough" for the ceilings */
  workload: string;
  readonly variant: Variant;
  /** source records the figure counts (tables excluded) */
  readonly records: number;
  readonly status: 'ok' | 'failed';
  readonly reason?: string;
  readonly outputs: number | null;
  /** first → last output record appended */
  readonly seconds: number | null;
  readonly recordsPerSec: number | null;
  /** launch of the engine → last output record appended (start-up, group join, table loading included) */
  readonly wallSeconds: number | null;
  readonly wallRecordsPerSec: number | null;
  /** the largest VmHWM among the run's engine processes */
  readonly peakRssMiB: number | null;
  readonly processes: number;
  /** taskset CPU list per process */
  readonly cpus: string;
  /** more than 1 when the first attempt failed and the figure comes from a later one */
  readonly attempts?: number;
  readonly earlierFailure?: string;
}

export interface LatencyResult {
  readonly workload: string;
  readonly variant: Variant;
  readonly offered: number;
  readonly status: 'ok' | 'failed';
  readonly reason?: string;
  readonly achieved: number | null;
  readonly measured: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly maxMs: number | null;
  readonly peakRssMiB: number | null;
  /** more than 1 when the engine failed to start first and the figure comes from a later attempt */
  readonly attempts?: number;
  readonly earlierFailure?: string;
}

export interface BenchResults {
  readonly date: string;
  readonly startedAt: string;
  readonly minutes: number;
  readonly mode: 'quick' | 'full';
  readonly records: number;
  readonly partitions: number;
  readonly customers: number;
  readonly guarantee: string;
  readonly machine: {
    readonly cpus: number;
    readonly cpu: string;
    readonly memoryGiB: number;
    readonly node: string;
    readonly java: string;
    readonly kafka: string;
    readonly loadAverageAtStart: number[];
    loadAverageAtEnd: number[];
    readonly pinned: boolean;
  };
  readonly throughput: ThroughputResult[];
  readonly latency: LatencyResult[];
}

const fmt = (n: number | null | undefined): string => (n === null || n === undefined ? '–' : n.toLocaleString('en-US'));
const title = (id: string): string => (id === 'passthrough' ? 'pass-through (ceiling)' : (WORKLOADS.find((w) => w.id === id)?.title ?? id));

/** ksetl / Kafka Streams per workload: 1 process vs 1 thread, 2 processes vs 2 threads, 1 process with 2 stream threads vs 2 threads */
export function ratios(r: BenchResults): { workload: string; single: number | null; double: number | null; threads: number | null }[] {
  const rate = (w: string, v: Variant): number | null => r.throughput.find((t) => t.workload === w && t.variant === v && t.status === 'ok')?.recordsPerSec ?? null;
  const ratio = (a: number | null, b: number | null): number | null => (a !== null && b ? Math.round((a / b) * 100) / 100 : null);
  return WORKLOADS.filter((w) => r.throughput.some((t) => t.workload === w.id)).map((w) => ({
    workload: w.id,
    single: ratio(rate(w.id, 'ksetl-1'), rate(w.id, 'kstreams-1t')),
    double: ratio(rate(w.id, 'ksetl-2'), rate(w.id, 'kstreams-2t')),
    threads: ratio(rate(w.id, 'ksetl-2t'), rate(w.id, 'kstreams-2t')),
  }));
}

/** text safe in a markdown table cell, shortened */
export function cell(text: string, max = 200): string {
  const t = text.replace(/\|/g, '/').replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

function statusCell(t: ThroughputResult | LatencyResult): string {
  const now = t.status === 'ok' ? 'ok' : `failed: ${cell(t.reason ?? '')}`;
  return t.attempts && t.attempts > 1 ? `${now} (attempt ${t.attempts}; attempt 1 failed: ${cell(t.earlierFailure ?? '', 160)})` : now;
}

/** What a quick run can and cannot say: printed at its start and end and written into its report. */
export const QUICK_WARNING =
  '> **Smoke test only.** A quick run (40k records) checks that every engine starts and moves records; ' +
  "it cannot compare engines: JVM warm-up dominates it (Kafka Streams' filter shows ~26k records/s here against ~120k/s at 1M). " +
  'Compare engines with `npm run bench -- --records 1000000`.';

export function markdown(r: BenchResults): string {
  const m = r.machine;
  const out: string[] = [];
  out.push(`# ksetl vs Kafka Streams — ${r.mode} run of ${r.startedAt.slice(0, 16).replace('T', ' ')} UTC`);
  out.push('');
  if (r.mode === 'quick') out.push(QUICK_WARNING, '');
  out.push(
    `${fmt(r.records)} source records per workload, ${r.partitions} partitions, ${r.guarantee}, Kafka ${m.kafka} (one KRaft broker on the same machine), ` +
      `${m.cpus} × ${m.cpu}, ${m.memoryGiB} GiB, Node ${m.node}, ${m.java}. ` +
      `Load average ${m.loadAverageAtStart.join(' / ')} at the start, ${m.loadAverageAtEnd.join(' / ')} at the end; the run took ${r.minutes} min.`,
  );
  out.push('');
  out.push(
    `**Noisy figures:** the machine is shared (other agents, builds) and the broker, the load driver and the engine share ${m.cpus} cores; ` +
      `each engine process is pinned with taskset${m.pinned ? '' : ' (not available here: unpinned)'} (ksetl process 1 → core 0, process 2 → core 1; Kafka Streams with 2 threads → cores 0–1).`,
  );
  out.push('');
  out.push('## Throughput (records/s: source records / first → last output record appended)');
  out.push('');
  out.push('"incl. start-up": records / (engine launched → last output appended), which adds process start, group join and, for the join, loading the table.');
  out.push('');
  out.push('| workload | engine | records/s | seconds | records/s incl. start-up | outputs | peak RSS MiB | status |');
  out.push('| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const t of r.throughput) {
    out.push(
      `| ${title(t.workload)} | ${VARIANT_TITLES[t.variant]} | ${fmt(t.recordsPerSec)} | ${t.seconds?.toFixed(2) ?? '–'} | ${fmt(t.wallRecordsPerSec)} | ${fmt(t.outputs)} | ${fmt(t.peakRssMiB)} | ${statusCell(t)} |`,
    );
  }
  out.push('');
  out.push('## ksetl / Kafka Streams');
  out.push('');
  out.push('| workload | 1 process / 1 thread | 2 processes / 2 threads | 1 process, 2 stream threads / 2 threads |');
  out.push('| --- | ---: | ---: | ---: |');
  for (const x of ratios(r)) out.push(`| ${title(x.workload)} | ${x.single ?? '–'} | ${x.double ?? '–'} | ${x.threads ?? '–'} |`);
  const pt = (v: Variant): number | null => r.throughput.find((t) => t.workload === 'passthrough' && t.variant === v && t.status === 'ok')?.recordsPerSec ?? null;
  const filter = r.throughput.find((t) => t.workload === 'filter' && t.variant === 'ksetl-1' && t.status === 'ok')?.recordsPerSec ?? null;
  if (filter && pt('kafkajs-passthrough')) out.push('', `ksetl filter / kafkajs pass-through: ${(filter / pt('kafkajs-passthrough')!).toFixed(2)} (target ≥ 0.8).`);
  if (r.latency.length) {
    out.push('');
    out.push('## End-to-end latency at a fixed offered rate');
    out.push('');
    out.push('Records stamped with their send time; latency = read from the output topic (read_committed) − that time, for records sent after the warm-up.');
    out.push('');
    out.push('| workload | engine | offered/s | achieved/s | p50 ms | p99 ms | max ms | outputs measured | status |');
    out.push('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
    for (const l of r.latency) {
      out.push(
        `| ${title(l.workload)} | ${VARIANT_TITLES[l.variant]} | ${fmt(l.offered)} | ${fmt(l.achieved)} | ${fmt(l.p50Ms)} | ${fmt(l.p99Ms)} | ${fmt(l.maxMs)} | ${fmt(l.measured)} | ${statusCell(l)} |`,
      );
    }
  }
  out.push('');
  return out.join('\n');
}

const COLORS: Readonly<Record<Variant, string>> = {
  'ksetl-1': '#2563eb',
  'ksetl-2': '#1e40af',
  'ksetl-2t': '#7c3aed',
  'ksetl-1-platformatic': '#16a34a',
  'ksetl-2-platformatic': '#166534',
  'kstreams-1t': '#f97316',
  'kstreams-2t': '#c2410c',
  'kafkajs-passthrough': '#9ca3af',
  'platformatic-passthrough': '#86efac',
  'java-passthrough': '#6b7280',
};

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** a horizontal bar chart of one workload's records/s per engine, ceilings included */
export function svgChart(r: BenchResults, workload: string): string {
  const rows = [...r.throughput.filter((t) => t.workload === workload), ...r.throughput.filter((t) => t.workload === 'passthrough')];
  const max = Math.max(1, ...rows.map((t) => t.recordsPerSec ?? 0));
  const W = 720;
  const left = 210;
  const barW = W - left - 110;
  const rowH = 28;
  const top = 48;
  const H = top + rows.length * rowH + 30;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif" font-size="13">`);
  parts.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  parts.push(`<text x="12" y="22" font-size="15" font-weight="600">${esc(title(workload))} — records/s</text>`);
  parts.push(`<text x="12" y="38" fill="#555">${esc(`${r.mode} run ${r.date}, ${fmt(r.records)} records, ${r.partitions} partitions, ${r.guarantee}, load avg ${r.machine.loadAverageAtStart[0]}`)}</text>`);
  rows.forEach((t, i) => {
    const y = top + i * rowH;
    const w = t.recordsPerSec ? Math.max(1, Math.round((t.recordsPerSec / max) * barW)) : 0;
    parts.push(`<text x="${left - 8}" y="${y + 18}" text-anchor="end">${esc(VARIANT_TITLES[t.variant])}</text>`);
    if (t.status === 'ok') {
      parts.push(`<rect x="${left}" y="${y + 5}" width="${w}" height="${rowH - 10}" fill="${COLORS[t.variant]}"/>`);
      parts.push(`<text x="${left + w + 6}" y="${y + 18}">${fmt(t.recordsPerSec)}</text>`);
    } else {
      parts.push(`<text x="${left + 6}" y="${y + 18}" fill="#b91c1c">failed</text>`);
    }
  });
  parts.push(`<line x1="${left}" y1="${top}" x2="${left}" y2="${top + rows.length * rowH}" stroke="#333"/>`);
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

export function writeReports(r: BenchResults, dirs: { resultsDir: string; chartsDir: string }): { json: string; markdown: string; charts: string[] } {
  mkdirSync(dirs.resultsDir, { recursive: true });
  mkdirSync(dirs.chartsDir, { recursive: true });
  const stem = `bench-${r.date}${r.mode === 'quick' ? '-quick' : ''}`;
  const json = join(dirs.resultsDir, `${stem}.json`);
  const md = join(dirs.resultsDir, `${stem}.md`);
  writeFileSync(json, JSON.stringify({ ...r, ratios: ratios(r) }, null, 2) + '\n');
  writeFileSync(md, markdown(r));
  const charts: string[] = [];
  for (const w of WORKLOADS) {
    if (!r.throughput.some((t) => t.workload === w.id)) continue;
    const f = join(dirs.chartsDir, `${w.id}.svg`);
    writeFileSync(f, svgChart(r, w.id));
    charts.push(f);
  }
  return { json, markdown: md, charts };
}
