/**
 * The metrics catalog: every metric the engine and the operator expose.
 * Prefers the processes' own catalogs (`engine/server/metrics.ts` exporting
 * ENGINE_METRICS, `operator/metrics.ts` exporting OPERATOR_METRICS) and falls
 * back to the agreed contract (metrics-contract.ts) while they do not exist.
 * prom-client's default process/Node.js metrics come from prom-client.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import client from 'prom-client';
import { z } from 'zod';
import { DEFAULT_METRIC_LABELS, ENGINE_METRICS_CONTRACT, OPERATOR_METRICS_CONTRACT, type MetricDef } from './metrics-contract.js';

export interface CatalogPart {
  /** where the definitions came from (a repository path) */
  readonly source: string;
  readonly metrics: readonly MetricDef[];
}

export interface MetricsCatalog {
  readonly engine: CatalogPart;
  readonly operator: CatalogPart;
  /** prom-client's default metrics, registered by both processes */
  readonly process: CatalogPart;
}

const MetricDefSchema = z.object({
  name: z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/),
  type: z.enum(['counter', 'gauge', 'histogram', 'summary']),
  help: z.string(),
  labels: z.array(z.string()).readonly(),
});

/** Loads `export` of a repository module when the file exists; null otherwise. */
async function optionalCatalog(repoPath: string, exportName: string): Promise<CatalogPart | null> {
  const ts = fileURLToPath(new URL(`../${repoPath}`, import.meta.url));
  if (!existsSync(ts) && !existsSync(ts.replace(/\.ts$/, '.js'))) return null;
  const specifier = `../${repoPath.replace(/\.ts$/, '.js')}`;
  const mod = (await import(specifier)) as Record<string, unknown>;
  const value = mod[exportName];
  if (value === undefined) return null;
  const parsed = z.array(MetricDefSchema.passthrough()).safeParse(value);
  if (!parsed.success) throw new Error(`${repoPath}: ${exportName} is not an array of {name, type, help, labels}: ${parsed.error.message}`);
  return {
    source: repoPath,
    metrics: parsed.data.map((m) => ({ name: m.name, type: m.type, help: m.help, labels: [...m.labels] })),
  };
}

/** The definitions of the metrics a prom-client registry holds (labels from the metric objects). */
export async function registryCatalog(registry: client.Registry, source: string): Promise<CatalogPart> {
  const metrics: MetricDef[] = [];
  for (const m of registry.getMetricsAsArray()) {
    const got = await (m as unknown as client.Metric).get();
    const labels = (m as unknown as { labelNames?: readonly string[] }).labelNames ?? [];
    metrics.push({ name: got.name, type: String(got.type) as MetricDef['type'], help: got.help, labels: [...labels] });
  }
  return { source, metrics };
}

/** Without an OPERATOR_METRICS list: the registry of operator/metrics.ts' OperatorMetrics, when it exists. */
async function operatorRegistryCatalog(): Promise<CatalogPart | null> {
  const ts = fileURLToPath(new URL('../operator/metrics.ts', import.meta.url));
  if (!existsSync(ts)) return null;
  const specifier = '../operator/metrics.js';
  const mod = (await import(specifier)) as Record<string, unknown>;
  const Ctor = mod['OperatorMetrics'] as (new (o: { defaultMetrics: boolean }) => { registry?: unknown }) | undefined;
  if (typeof Ctor !== 'function') return null;
  const registry = new Ctor({ defaultMetrics: false }).registry;
  if (!(registry instanceof client.Registry)) return null;
  return registryCatalog(registry, 'operator/metrics.ts (OperatorMetrics)');
}

/** prom-client's default metrics: names, types and help from a fresh registry. */
export async function defaultProcessMetrics(): Promise<CatalogPart> {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const json = await registry.getMetricsAsJSON();
  registry.clear();
  const metrics = json.map((m) => ({
    name: m.name,
    type: String(m.type) as MetricDef['type'],
    help: m.help,
    labels: DEFAULT_METRIC_LABELS[m.name] ?? [],
  }));
  return { source: 'prom-client collectDefaultMetrics()', metrics };
}

export async function loadCatalog(): Promise<MetricsCatalog> {
  const engine = (await optionalCatalog('engine/server/metrics.ts', 'ENGINE_METRICS')) ?? {
    source: 'dashboards/metrics-contract.ts',
    metrics: ENGINE_METRICS_CONTRACT,
  };
  const operator = (await optionalCatalog('operator/metrics.ts', 'OPERATOR_METRICS')) ?? (await operatorRegistryCatalog()) ?? {
    source: 'dashboards/metrics-contract.ts',
    metrics: OPERATOR_METRICS_CONTRACT,
  };
  return { engine, operator, process: await defaultProcessMetrics() };
}

/** Every metric name of the catalog; histograms and summaries also under their series names. */
export function seriesNames(catalog: MetricsCatalog): Map<string, MetricDef> {
  const out = new Map<string, MetricDef>();
  for (const part of [catalog.engine, catalog.operator, catalog.process]) {
    for (const m of part.metrics) {
      out.set(m.name, m);
      if (m.type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) out.set(m.name + s, m);
      if (m.type === 'summary') for (const s of ['_sum', '_count']) out.set(m.name + s, m);
    }
  }
  return out;
}
