import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cell, markdown, ratios, svgChart, writeReports, type BenchResults, type ThroughputResult } from './report.js';
import type { Variant } from './workloads.js';

const tp = (workload: string, variant: Variant, recordsPerSec: number | null, extra: Partial<ThroughputResult> = {}): ThroughputResult => ({
  workload,
  variant,
  records: 1_000_000,
  status: recordsPerSec === null ? 'failed' : 'ok',
  ...(recordsPerSec === null ? { reason: 'stalled | no progress' } : {}),
  outputs: recordsPerSec === null ? null : 400_000,
  seconds: recordsPerSec === null ? null : 1_000_000 / recordsPerSec,
  recordsPerSec,
  wallSeconds: null,
  wallRecordsPerSec: recordsPerSec === null ? null : Math.round(recordsPerSec / 2),
  peakRssMiB: 200,
  processes: 1,
  cpus: '0',
  ...extra,
});

const results = (throughput: ThroughputResult[]): BenchResults => ({
  date: '2026-11-23',
  startedAt: '2026-11-23T09:00:00.000Z',
  minutes: 31.5,
  mode: 'full',
  records: 1_000_000,
  partitions: 8,
  customers: 100_000,
  guarantee: 'at_least_once',
  machine: {
    cpus: 2,
    cpu: 'Test CPU',
    memoryGiB: 24,
    node: 'v20.0.0',
    java: 'openjdk 17',
    kafka: '4.1.1',
    loadAverageAtStart: [1.5, 1, 0.5],
    loadAverageAtEnd: [2, 1, 0.5],
    pinned: true,
  },
  throughput,
  latency: [{ workload: 'filter', variant: 'ksetl-1', offered: 20_000, status: 'ok', achieved: 19_990, measured: 300_000, p50Ms: 12, p99Ms: 80, maxMs: 120, peakRssMiB: 210 }],
});

describe('ratios', () => {
  it('divides ksetl by Kafka Streams per workload, 1 by 1 and 2 by 2, rounded to hundredths', () => {
    const r = results([tp('filter', 'ksetl-1', 120_000), tp('filter', 'kstreams-1t', 80_000), tp('filter', 'ksetl-2', 100_000), tp('filter', 'kstreams-2t', 300_000), tp('filter', 'ksetl-2t', 150_000), tp('join', 'ksetl-1', 10_000)]);
    expect(ratios(r)).toEqual([
      { workload: 'filter', single: 1.5, double: 0.33, threads: 0.5 },
      { workload: 'join', single: null, double: null, threads: null },
    ]);
  });

  it('has no ratio where either side failed', () => {
    expect(ratios(results([tp('filter', 'ksetl-1', null), tp('filter', 'kstreams-1t', 80_000)]))[0]).toEqual({ workload: 'filter', single: null, double: null, threads: null });
  });
});

describe('markdown', () => {
  it('describes the machine and tabulates throughput, ratios and latency', () => {
    const md = markdown(results([tp('passthrough', 'kafkajs-passthrough', 150_000), tp('filter', 'ksetl-1', 120_000), tp('filter', 'kstreams-1t', 80_000)]));
    expect(md).toContain('2 × Test CPU, 24 GiB, Node v20.0.0, openjdk 17');
    expect(md).toContain('Load average 1.5 / 1 / 0.5 at the start');
    expect(md).toContain('| filter (POOR_RATINGS) | ksetl, 1 process | 120,000 | 8.33 | 60,000 | 400,000 | 200 | ok |');
    expect(md).toContain('| pass-through (ceiling) | kafkajs pass-through | 150,000 |');
    expect(md).toContain('| filter (POOR_RATINGS) | 1.5 | – |');
    expect(md).toContain('ksetl filter / kafkajs pass-through: 0.80 (target ≥ 0.8).');
    expect(md).toContain('| filter (POOR_RATINGS) | ksetl, 1 process | 20,000 | 19,990 | 12 | 80 | 120 | 300,000 | ok |');
  });

  it('keeps failure reasons inside their table cell and notes a second attempt', () => {
    const md = markdown(results([tp('filter', 'ksetl-2', null), tp('filter', 'ksetl-1', 100_000, { attempts: 2, earlierFailure: 'query failed\nto start' })]));
    expect(md).toContain('| failed: stalled / no progress |');
    expect(md).toContain('ok (attempt 2; attempt 1 failed: query failed to start)');
  });

  it('says that a quick run is a smoke test that cannot compare engines, and a full run does not', () => {
    const r = results([]);
    expect(markdown({ ...r, mode: 'quick' })).toContain('**Smoke test only.**');
    expect(markdown({ ...r, mode: 'full' })).not.toContain('Smoke test');
  });

  it('says when processes could not be pinned', () => {
    const r = results([]);
    expect(markdown({ ...r, machine: { ...r.machine, pinned: false } })).toContain('(not available here: unpinned)');
  });
});

describe('cell', () => {
  it('replaces pipes and line breaks and shortens long text', () => {
    expect(cell('a | b\n c')).toBe('a / b c');
    expect(cell('x'.repeat(300), 10)).toBe(`${'x'.repeat(9)}…`);
  });
});

describe('svgChart', () => {
  it('draws one bar per engine of the workload and the ceilings, scaled to the fastest', () => {
    const svg = svgChart(results([tp('passthrough', 'java-passthrough', 200_000), tp('filter', 'ksetl-1', 100_000), tp('filter', 'kstreams-1t', null)]), 'filter');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    const bars = [...svg.matchAll(/<rect x="(\d+)" y="\d+" width="(\d+)"/g)].map((m) => Number(m[2]));
    // ksetl at half the Java pass-through; the failed Kafka Streams run has no bar
    expect(bars).toHaveLength(2);
    expect(bars[0]! * 2).toBeCloseTo(bars[1]!, -1);
    expect(svg).toContain('>100,000</text>');
    expect(svg).toContain('fill="#b91c1c">failed</text>');
    expect(svg).toContain('filter (POOR_RATINGS) — records/s');
  });

  it('escapes text for XML', () => {
    const svg = svgChart(results([tp('filter', 'ksetl-1', 1)]), 'filter');
    expect(svg).not.toMatch(/&(?!amp;|lt;|gt;)/);
  });
});

describe('writeReports', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the JSON (with ratios), the markdown and one chart per measured workload', () => {
    dir = mkdtempSync(join(tmpdir(), 'bench-report-'));
    const files = writeReports(results([tp('filter', 'ksetl-1', 100_000), tp('filter', 'kstreams-1t', 50_000), tp('aggregate', 'ksetl-1', 30_000)]), { resultsDir: join(dir, 'r'), chartsDir: join(dir, 'c') });
    expect(files.json).toBe(join(dir, 'r', 'bench-2026-11-23.json'));
    expect(files.charts).toEqual([join(dir, 'c', 'filter.svg'), join(dir, 'c', 'aggregate.svg')]);
    const json = JSON.parse(readFileSync(files.json, 'utf8')) as { ratios: unknown[]; throughput: unknown[] };
    expect(json.throughput).toHaveLength(3);
    expect(json.ratios).toEqual([
      { workload: 'filter', single: 2, double: null, threads: null },
      { workload: 'aggregate', single: null, double: null, threads: null },
    ]);
    expect(readFileSync(files.markdown, 'utf8')).toContain('# ksetl vs Kafka Streams');
  });
});
