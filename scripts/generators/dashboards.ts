/**
 * dashboards/generated/: each dashboard's JSON (<uid>.json, what Grafana
 * imports) and the alert rule file, from the builders in dashboards/.
 */
import { ALERTS_FILE, renderRuleFile } from '../../dashboards/alerts.js';
import { DASHBOARDS, GENERATED_DIR, dashboardJson } from '../../dashboards/index.js';
import type { GeneratedFile, Generator } from './types.js';

export function renderDashboardFiles(): GeneratedFile[] {
  return [
    ...DASHBOARDS.map((d) => ({ path: `${GENERATED_DIR}/${d.uid}.json`, content: dashboardJson(d.build()) })),
    { path: ALERTS_FILE, content: renderRuleFile() },
  ];
}

export const dashboardsGenerator: Generator = {
  name: 'dashboards',
  async generate() {
    return renderDashboardFiles();
  },
};
