/**
 * KsqlCluster `spec.monitoring` (issue 5): how Prometheus finds the engine
 * pods, the Grafana dashboards provisioned per team, and the alert rules.
 */
import { z } from 'zod';

/**
 * How Prometheus is told to scrape the engine pods.
 * `Auto`: a ServiceMonitor when the Prometheus Operator CRDs exist, scrape
 * annotations otherwise.
 */
export const ScrapeMode = z
  .enum(['Auto', 'ServiceMonitor', 'PodMonitor', 'Annotations'])
  .describe('How Prometheus is told to scrape the engine pods. Auto: a ServiceMonitor when the Prometheus Operator CRDs exist, scrape annotations otherwise');
export type ScrapeMode = z.infer<typeof ScrapeMode>;

export const Scrape = z
  .object({
    mode: ScrapeMode.default('Auto'),
    interval: z
      .string()
      .regex(/^([0-9]+(ms|s|m|h))+$/, 'must be a Prometheus duration such as 30s')
      .default('30s')
      .describe('Scrape interval (a Prometheus duration)'),
    /** extra labels on the ServiceMonitor/PodMonitor, for the Prometheus' selector */
    labels: z.record(z.string()).optional().describe("Extra labels on the ServiceMonitor/PodMonitor, for the Prometheus' selector"),
  })
  .strict()
  .describe('How Prometheus scrapes the engines');

export const GrafanaDashboards = z
  .object({
    enabled: z.boolean().default(true).describe('Render the dashboards as ConfigMaps'),
    /** the label the Grafana dashboard sidecar watches ConfigMaps for */
    label: z.string().min(1).max(63).default('grafana_dashboard').describe('The label the Grafana dashboard sidecar watches ConfigMaps for'),
    labelValue: z.string().max(63).default('1').describe("That label's value"),
    /** Grafana folder (annotation `grafana_folder`); defaults to the namespace (the team) */
    folder: z.string().min(1).max(253).optional().describe('Grafana folder (annotation grafana_folder); defaults to the namespace'),
    /** Grafana base URL; when set, status.dashboards carries each dashboard's URL */
    grafanaUrl: z.string().url().optional().describe("Grafana's base URL; when set, status.dashboards carries each dashboard's URL"),
  })
  .strict()
  .describe('Grafana dashboards provisioned as ConfigMaps for the Grafana sidecar');

export const PrometheusRule = z
  .object({
    enabled: z.boolean().default(true).describe('Render the alert rules as a PrometheusRule (with the Prometheus Operator)'),
    /** extra labels on the PrometheusRule, for the Prometheus' ruleSelector */
    labels: z.record(z.string()).optional().describe("Extra labels on the PrometheusRule, for the Prometheus' ruleSelector"),
    stalledAfter: z
      .string()
      .regex(/^([0-9]+(ms|s|m|h))+$/, 'must be a Prometheus duration such as 10m')
      .optional()
      .describe(
        'How long a query may have lag and consume nothing (KsetlQueryStalled), or consume and produce nothing (KsetlQueryNoOutput), before the alert fires; default 10m',
      ),
  })
  .strict()
  .describe('The alert rules of the cluster');

export const Monitoring = z
  .object({
    enabled: z.boolean().default(true).describe('Monitoring objects for this cluster at all'),
    scrape: Scrape.default({}),
    grafanaDashboards: GrafanaDashboards.default({}),
    prometheusRule: PrometheusRule.default({}),
  })
  .strict()
  .describe('Metrics scraping, Grafana dashboards and alert rules provisioned for this cluster');
export type Monitoring = z.infer<typeof Monitoring>;
