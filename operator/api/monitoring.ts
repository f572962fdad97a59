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
export const ScrapeMode = z.enum(['Auto', 'ServiceMonitor', 'PodMonitor', 'Annotations']);
export type ScrapeMode = z.infer<typeof ScrapeMode>;

export const Scrape = z
  .object({
    mode: ScrapeMode.default('Auto'),
    interval: z
      .string()
      .regex(/^([0-9]+(ms|s|m|h))+$/, 'must be a Prometheus duration such as 30s')
      .default('30s'),
    /** extra labels on the ServiceMonitor/PodMonitor, for the Prometheus' selector */
    labels: z.record(z.string()).optional(),
  })
  .strict();

export const GrafanaDashboards = z
  .object({
    enabled: z.boolean().default(true),
    /** the label the Grafana dashboard sidecar watches ConfigMaps for */
    label: z.string().min(1).max(63).default('grafana_dashboard'),
    labelValue: z.string().max(63).default('1'),
    /** Grafana folder (annotation `grafana_folder`); defaults to the namespace (the team) */
    folder: z.string().min(1).max(253).optional(),
    /** Grafana base URL; when set, status.dashboards carries each dashboard's URL */
    grafanaUrl: z.string().url().optional(),
  })
  .strict();

export const PrometheusRule = z
  .object({
    enabled: z.boolean().default(true),
    /** extra labels on the PrometheusRule, for the Prometheus' ruleSelector */
    labels: z.record(z.string()).optional(),
    stalledAfter: z
      .string()
      .regex(/^([0-9]+(ms|s|m|h))+$/, 'must be a Prometheus duration such as 10m')
      .optional()
      .describe(
        'How long a query may have lag and consume nothing (KsetlQueryStalled), or consume and produce nothing (KsetlQueryNoOutput), before the alert fires; default 10m',
      ),
  })
  .strict();

export const Monitoring = z
  .object({
    enabled: z.boolean().default(true),
    scrape: Scrape.default({}),
    grafanaDashboards: GrafanaDashboards.default({}),
    prometheusRule: PrometheusRule.default({}),
  })
  .strict()
  .describe('Metrics scraping, Grafana dashboards and alert rules provisioned for this cluster');
export type Monitoring = z.infer<typeof Monitoring>;
