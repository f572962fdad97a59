import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderDashboardFiles } from '../scripts/generators/dashboards.js';
import { METRICS_DOC, renderMetricsFiles } from '../scripts/generators/metrics.js';
import { alertExpr, allAlertGroups, engineAlerts, ruleGroups } from './alerts.js';
import { loadCatalog, seriesNames } from './catalog.js';
import { DASHBOARDS, panelExpressions, variableQueries } from './index.js';
import { ENGINE_METRICS_CONTRACT, OPERATOR_METRICS_CONTRACT } from './metrics-contract.js';
import { metricNames, substituteVariables } from './promql.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Every PromQL expression the dashboards and alerts hold, with where it is. */
function allExpressions(): { where: string; expr: string }[] {
  const out: { where: string; expr: string }[] = [];
  for (const d of DASHBOARDS) {
    const built = d.build();
    for (const p of panelExpressions(built)) out.push({ where: `${d.uid} / ${p.panel} / ${p.refId}`, expr: p.expr });
    for (const v of variableQueries(built)) out.push({ where: `${d.uid} / $${v.name}`, expr: v.selector });
  }
  for (const g of allAlertGroups()) for (const a of g.alerts) out.push({ where: `alert ${a.alert}`, expr: alertExpr(a) });
  return out;
}

describe('generated dashboards, alerts and metrics catalog', () => {
  it('match the committed files (run npm run gen)', async () => {
    for (const f of [...renderDashboardFiles(), ...(await renderMetricsFiles())]) {
      expect(readFileSync(join(root, f.path), 'utf8'), f.path).toBe(f.content);
    }
  });

  it('have stable, unique UIDs and unique panel ids', () => {
    expect(DASHBOARDS.map((d) => d.uid)).toEqual(['ksetl-cluster-overview', 'ksetl-query', 'ksetl-operator']);
    for (const d of DASHBOARDS) {
      const built = d.build();
      expect(built.uid).toBe(d.uid);
      const ids: number[] = [];
      const visit = (ps: readonly { id?: number; panels?: unknown[] }[]): void => {
        for (const p of ps) {
          if (p.id !== undefined) ids.push(p.id);
          visit((p.panels ?? []) as { id?: number }[]);
        }
      };
      visit((built.panels ?? []) as { id?: number }[]);
      expect(new Set(ids).size, d.uid).toBe(ids.length);
    }
  });

  it('offer the namespace, cluster and query_id variables', () => {
    const names = (uid: string) => (DASHBOARDS.find((d) => d.uid === uid)!.build().templating?.list ?? []).map((v) => v.name);
    expect(names('ksetl-cluster-overview')).toEqual(['datasource', 'namespace', 'cluster']);
    expect(names('ksetl-query')).toEqual(['datasource', 'namespace', 'cluster', 'query_id']);
    expect(names('ksetl-operator')).toEqual(['datasource', 'namespace']);
  });

  it('per-cluster copies get their own UID and preselect the cluster', () => {
    const d = DASHBOARDS[0]!.build({ uidSuffix: 'a1b2c3d4', titleSuffix: ' (team-ads/ads)', defaults: { namespace: 'team-ads', cluster: 'ads' } });
    expect(d.uid).toBe('ksetl-cluster-overview-a1b2c3d4');
    expect(d.title).toBe('ksetl / Cluster overview (team-ads/ads)');
    const cluster = d.templating?.list?.find((v) => v.name === 'cluster');
    expect(cluster?.current).toEqual({ selected: true, text: 'ads', value: 'ads' });
    expect(() => DASHBOARDS[0]!.build({ uidSuffix: 'x'.repeat(30) })).toThrow(/longer than 40/);
  });

  it('reference only metrics of the catalog (and of the agreed contract)', async () => {
    const catalog = seriesNames(await loadCatalog());
    const contract = seriesNames({
      engine: { source: '', metrics: ENGINE_METRICS_CONTRACT },
      operator: { source: '', metrics: OPERATOR_METRICS_CONTRACT },
      process: (await loadCatalog()).process,
    });
    const missing: string[] = [];
    for (const { where, expr } of allExpressions()) {
      const names = metricNames(expr);
      expect(names.length, `${where}: no metric in ${expr}`).toBeGreaterThan(0);
      for (const n of names) {
        if (!catalog.has(n)) missing.push(`${where}: ${n} (catalog)`);
        if (!contract.has(n)) missing.push(`${where}: ${n} (contract)`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('the engine and operator catalogs, where they exist, keep the agreed contract (names, types, labels)', async () => {
    const catalog = await loadCatalog();
    for (const [part, contract] of [
      [catalog.engine, ENGINE_METRICS_CONTRACT],
      [catalog.operator, OPERATOR_METRICS_CONTRACT],
    ] as const) {
      const got = new Map(part.metrics.map((m) => [m.name, m]));
      for (const m of contract) {
        const g = got.get(m.name);
        expect(g, `${part.source}: ${m.name}`).toBeDefined();
        expect({ type: g?.type, labels: [...(g?.labels ?? [])].sort() }, `${part.source}: ${m.name}`).toEqual({ type: m.type, labels: [...m.labels].sort() });
      }
    }
  });

  it('the catalog is docs/metrics.md', () => {
    expect(METRICS_DOC).toBe('docs/metrics.md');
    const doc = readFileSync(join(root, METRICS_DOC), 'utf8');
    for (const m of [...ENGINE_METRICS_CONTRACT, ...OPERATOR_METRICS_CONTRACT]) expect(doc).toContain(`| \`${m.name}\` |`);
  });
});

describe('alerts', () => {
  it('render a Prometheus rule file with severities and annotations', () => {
    const file = parse(renderDashboardFiles().find((f) => f.path.endsWith('.rules.yaml'))!.content) as { groups: { name: string; rules: Record<string, unknown>[] }[] };
    expect(file.groups.map((g) => g.name)).toEqual(['ksetl-engine', 'ksetl-operator']);
    const names = file.groups.flatMap((g) => g.rules.map((r) => r['alert']));
    expect(names).toEqual(expect.arrayContaining(['KsetlQueryError', 'KsetlConsumerLagGrowing', 'KsetlProcessingErrors', 'KsetlStateRestoreSlow', 'KsetlProcessNotReady', 'KsetlOperatorReconcileErrors']));
    for (const r of file.groups.flatMap((g) => g.rules)) {
      expect(r['labels']).toHaveProperty('severity');
      expect(r['annotations']).toHaveProperty('summary');
    }
  });

  it('join conditions with and, and put the threshold after each', () => {
    const lag = engineAlerts().alerts.find((a) => a.alert === 'KsetlConsumerLagGrowing')!;
    expect(alertExpr(lag)).toBe(
      '(sum by (namespace, cluster, query_id) (ksetl_query_consumer_lag) > 0) and (sum by (namespace, cluster, query_id) (deriv(ksetl_query_consumer_lag[10m])) > 0)',
    );
  });

  it('catch a stuck query: lag unless consuming, consuming unless producing; for: and windows tunable', () => {
    const byName = (g: ReturnType<typeof engineAlerts>, name: string) => g.alerts.find((a) => a.alert === name)!;
    const def = engineAlerts();
    expect(alertExpr(byName(def, 'KsetlQueryStalled'))).toBe(
      '(sum by (namespace, cluster, query_id) (ksetl_query_consumer_lag) > 0) unless (sum by (namespace, cluster, query_id) (increase(ksetl_query_records_in_total[10m])) > 0)',
    );
    expect(byName(def, 'KsetlQueryStalled').for).toBe('10m');
    expect(alertExpr(byName(def, 'KsetlQueryNoOutput'))).toContain('unless (sum by (namespace, cluster, query_id) (increase(ksetl_query_records_out_total[10m])) > 0)');
    const tuned = engineAlerts({ namespace: 'n', cluster: 'c' }, { stalledAfter: '2m', restarts: { window: '5m', count: 0 }, for: '20s' });
    expect(new Set(tuned.alerts.map((a) => a.for))).toEqual(new Set(['20s']));
    expect(alertExpr(byName(tuned, 'KsetlQueryStalled'))).toContain('increase(ksetl_query_records_in_total{namespace="n", cluster="c"}[2m])');
    expect(alertExpr(byName(tuned, 'KsetlProcessRestarting'))).toBe(
      'sum by (namespace, cluster, instance) (changes(process_start_time_seconds{namespace="n", cluster="c"}[5m])) > 0',
    );
    expect(byName(engineAlerts(undefined, { stalledAfter: '3m' }), 'KsetlQueryNoOutput').for).toBe('3m');
  });

  it('scoped to a cluster, select only its series', () => {
    const g = engineAlerts({ namespace: 'team-ads', cluster: 'ads' });
    expect(g.name).toBe('ksetl-engine-team-ads-ads');
    for (const a of g.alerts) {
      const expr = alertExpr(a);
      if (a.source === 'engine') expect(expr, a.alert).toContain('namespace="team-ads", cluster="ads"');
      else expect(expr, a.alert).toContain('namespace="team-ads", name="ads"');
    }
    const rules = ruleGroups([g]).groups[0]!['rules'] as { expr: string }[];
    expect(rules[0]!.expr).toBe('max by (namespace, cluster, query_id) (ksetl_query_state{namespace="team-ads", cluster="ads", state="ERROR"}) == 1');
  });
});

describe('promql helpers', () => {
  it('find the metric names of an expression', () => {
    expect(metricNames('sum by (query_id, le) (rate(ksetl_x_bucket{namespace="$namespace", a=~"b|c"}[$__rate_interval]))')).toEqual(['ksetl_x_bucket']);
    expect(metricNames('histogram_quantile(0.99, sum without (instance) (rate(a_bucket[5m]))) > 1e3 and on (job) b offset 5m')).toEqual(['a_bucket', 'b']);
    expect(metricNames('count(x{state="ERROR"} == 1) or vector(0)')).toEqual(['x']);
    expect(metricNames('sum(rate(c[1m])) / ignoring (kind) group_left (x) sum(d) unless bool e')).toEqual(['c', 'd', 'e']);
    expect(metricNames('label_values(ksetl_query_state{namespace="$namespace"}, query_id)')).toEqual(['ksetl_query_state', 'query_id']);
  });

  it('substitute Grafana variables and built-in intervals', () => {
    expect(substituteVariables('rate(x{a="$namespace", b=~"${query_id}"}[$__rate_interval])', { namespace: 'ns', query_id: 'Q1' })).toBe('rate(x{a="ns", b=~"Q1"}[1m])');
    expect(() => substituteVariables('x{a="$nope"}', {})).toThrow(/\$nope/);
  });
});
