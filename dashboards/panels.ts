/**
 * The building blocks every ksetl dashboard shares, on top of the Grafana
 * Foundation SDK builders: the Prometheus datasource variable, the
 * namespace/cluster/query_id variables (label_values queries), label
 * selectors, and small panel helpers so a dashboard file reads as a list of
 * panels with their PromQL.
 */
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';

/** The datasource variable's name; every panel queries `${datasource}`. */
export const DATASOURCE_VAR = 'datasource';
export const DATASOURCE: common.DataSourceRef = { type: 'prometheus', uid: `\${${DATASOURCE_VAR}}` };

/** Defaults for the variables: a per-cluster dashboard preselects its own namespace and cluster. */
export interface VariableDefaults {
  readonly namespace?: string;
  readonly cluster?: string;
}

/** Options of a dashboard build: a UID suffix and variable defaults for per-cluster copies. */
export interface DashboardOptions {
  /** appended to each dashboard's stable UID (`ksetl-overview` → `ksetl-overview-<suffix>`); UIDs stay ≤ 40 characters */
  readonly uidSuffix?: string;
  /** a title suffix, e.g. ` (team-ads/ads)` */
  readonly titleSuffix?: string;
  readonly defaults?: VariableDefaults;
}

export function uid(base: string, opts: DashboardOptions): string {
  const u = opts.uidSuffix ? `${base}-${opts.uidSuffix}` : base;
  if (u.length > 40) throw new Error(`dashboard UID ${u} is longer than 40 characters`);
  return u;
}

export function datasourceVariable(): dashboard.DatasourceVariableBuilder {
  return new dashboard.DatasourceVariableBuilder(DATASOURCE_VAR).label('Data source').type('prometheus');
}

const option = (value: string): dashboard.VariableOption => ({ selected: true, text: value, value });

/** A query variable over `label_values(<selector>, <label>)`. */
export function labelValuesVariable(
  name: string,
  label: string,
  selector: string,
  opts: { readonly title: string; readonly default?: string; readonly multi?: boolean },
): dashboard.QueryVariableBuilder {
  const query = `label_values(${selector}, ${label})`;
  const v = new dashboard.QueryVariableBuilder(name)
    .label(opts.title)
    .datasource(DATASOURCE)
    // a plain string: every Grafana version reads it as a classic label_values() query
    .query(query)
    .definition(query)
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.AlphabeticalAsc);
  if (opts.multi) v.multi(true).includeAll(true).allValue('.*');
  if (opts.default !== undefined) v.current(option(opts.default));
  return v;
}

/** Label matchers of the engine series of the selected namespace and cluster. */
export const CLUSTER_SELECTOR = 'namespace="$namespace", cluster="$cluster"';
/** ... and of the selected queries (a multi-value variable: a regex). */
export const QUERY_SELECTOR = `${CLUSTER_SELECTOR}, query_id=~"$query_id"`;

/** `name{matchers}` */
export const sel = (metric: string, ...matchers: string[]): string => `${metric}{${matchers.filter((m) => m !== '').join(', ')}}`;

export interface Target {
  readonly expr: string;
  readonly legend?: string;
  /** an instant query (stat and table panels) */
  readonly instant?: boolean;
}

function target(t: Target, refId: string): prometheus.DataqueryBuilder {
  const q = new prometheus.DataqueryBuilder().refId(refId).datasource(DATASOURCE).expr(t.expr);
  if (t.legend !== undefined) q.legendFormat(t.legend);
  if (t.instant) q.instant().format(prometheus.PromQueryFormat.Table);
  else q.range();
  return q;
}

export interface PanelSpec {
  readonly title: string;
  readonly description: string;
  readonly unit?: string;
  readonly targets: readonly Target[];
  /** grid width (of 24) and height */
  readonly w?: number;
  readonly h?: number;
}

const refIds = 'ABCDEFGH';

/** Numbers panels in build order (Grafana wants unique ids per dashboard). */
export class PanelIds {
  private next = 1;
  take(): number {
    return this.next++;
  }
}

export function timeseriesPanel(ids: PanelIds, p: PanelSpec & { readonly stack?: boolean; readonly min?: number }): timeseries.PanelBuilder {
  const b = new timeseries.PanelBuilder()
    .id(ids.take())
    .title(p.title)
    .description(p.description)
    .datasource(DATASOURCE)
    .span(p.w ?? 12)
    .height(p.h ?? 8)
    .lineWidth(1)
    .fillOpacity(p.stack ? 30 : 10)
    .legend(new common.VizLegendOptionsBuilder().showLegend(true).displayMode(common.LegendDisplayMode.Table).placement(common.LegendPlacement.Bottom).calcs(['lastNotNull', 'max']))
    .tooltip(new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Descending));
  if (p.unit) b.unit(p.unit);
  if (p.min !== undefined) b.min(p.min);
  if (p.stack) b.stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal));
  p.targets.forEach((t, i) => b.withTarget(target(t, refIds[i]!)));
  return b;
}

export interface Threshold {
  readonly value: number | null;
  readonly color: string;
}

export function statPanel(ids: PanelIds, p: PanelSpec & { readonly thresholds?: readonly Threshold[] }): stat.PanelBuilder {
  const b = new stat.PanelBuilder()
    .id(ids.take())
    .title(p.title)
    .description(p.description)
    .datasource(DATASOURCE)
    .span(p.w ?? 4)
    .height(p.h ?? 4)
    .graphMode(common.BigValueGraphMode.Area)
    .colorMode(common.BigValueColorMode.Background)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false));
  if (p.unit) b.unit(p.unit);
  if (p.thresholds) {
    b.thresholds(
      new dashboard.ThresholdsConfigBuilder()
        .mode(dashboard.ThresholdsMode.Absolute)
        .steps(p.thresholds.map((t) => ({ value: t.value, color: t.color }))),
    );
  }
  p.targets.forEach((t, i) => b.withTarget(target(t, refIds[i]!)));
  return b;
}

export function tablePanel(ids: PanelIds, p: PanelSpec): table.PanelBuilder {
  const b = new table.PanelBuilder()
    .id(ids.take())
    .title(p.title)
    .description(p.description)
    .datasource(DATASOURCE)
    .span(p.w ?? 24)
    .height(p.h ?? 8)
    .withTransformation({ id: 'labelsToFields', options: {} })
    .withTransformation({ id: 'organize', options: { excludeByName: { Time: true, __name__: true } } });
  if (p.unit) b.unit(p.unit);
  p.targets.forEach((t, i) => b.withTarget(target({ ...t, instant: true }, refIds[i]!)));
  return b;
}

export function row(ids: PanelIds, title: string): dashboard.RowBuilder {
  return new dashboard.RowBuilder(title).id(ids.take());
}

/** Settings every ksetl dashboard shares. */
export function baseDashboard(title: string, uidValue: string, description: string): dashboard.DashboardBuilder {
  return new dashboard.DashboardBuilder(title)
    .uid(uidValue)
    .description(description)
    .tags(['ksetl', 'generated'])
    .editable()
    .refresh('30s')
    .time({ from: 'now-1h', to: 'now' })
    .timezone('browser')
    .tooltip(dashboard.DashboardCursorSync.Crosshair);
}
