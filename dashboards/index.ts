/**
 * Every ksetl dashboard: stable UIDs, and the files `npm run gen` writes
 * (dashboards/generated/<uid>.json). Per-cluster copies (the operator's
 * ConfigMaps) pass a UID suffix and variable defaults.
 */
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { CLUSTER_OVERVIEW_UID, clusterOverview } from './cluster-overview.js';
import { OPERATOR_UID, operatorDashboard } from './operator.js';
import type { DashboardOptions } from './panels.js';
import { QUERY_DETAIL_UID, queryDetail } from './query-detail.js';

export interface DashboardDef {
  /** short name: ConfigMap keys, file names */
  readonly name: string;
  readonly uid: string;
  /** whether a KsqlCluster gets its own copy (the operator view is installed once, with the operator) */
  readonly perCluster: boolean;
  readonly build: (opts?: DashboardOptions) => dashboard.Dashboard;
}

export const DASHBOARDS: readonly DashboardDef[] = [
  { name: 'cluster-overview', uid: CLUSTER_OVERVIEW_UID, perCluster: true, build: clusterOverview },
  { name: 'query', uid: QUERY_DETAIL_UID, perCluster: true, build: queryDetail },
  { name: 'operator', uid: OPERATOR_UID, perCluster: false, build: operatorDashboard },
];

export const GENERATED_DIR = 'dashboards/generated';

/** Dashboard JSON as Grafana imports it (stable key order from the builders, 2-space indent, trailing newline). */
export function dashboardJson(d: dashboard.Dashboard): string {
  return JSON.stringify(d, null, 2) + '\n';
}

/** Every PromQL expression of a dashboard's panels (rows included), with where it comes from. */
export interface PanelExpr {
  readonly dashboard: string;
  readonly panel: string;
  readonly refId: string;
  readonly expr: string;
}

interface PanelLike {
  readonly title?: string;
  readonly targets?: readonly { readonly expr?: unknown; readonly refId?: string }[];
  readonly panels?: readonly PanelLike[];
}

export function panelExpressions(d: dashboard.Dashboard): PanelExpr[] {
  const out: PanelExpr[] = [];
  const visit = (p: PanelLike): void => {
    for (const t of p.targets ?? []) {
      if (typeof t.expr === 'string') out.push({ dashboard: d.uid ?? d.title ?? '', panel: p.title ?? '', refId: t.refId ?? '', expr: t.expr });
    }
    for (const c of p.panels ?? []) visit(c);
  };
  for (const p of (d.panels ?? []) as PanelLike[]) visit(p);
  return out;
}

/** The label_values() selectors of a dashboard's query variables. */
export function variableQueries(d: dashboard.Dashboard): { name: string; selector: string; label: string }[] {
  const out: { name: string; selector: string; label: string }[] = [];
  for (const v of d.templating?.list ?? []) {
    const def = (v as { definition?: unknown }).definition;
    if (v.type !== 'query' || typeof def !== 'string') continue;
    const m = /^label_values\((.*),\s*(\w+)\)$/.exec(def);
    if (m) out.push({ name: v.name, selector: m[1]!, label: m[2]! });
  }
  return out;
}
