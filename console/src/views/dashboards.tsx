import { useEffect, useState } from 'preact/hooks';
import { getJson } from '../api.js';
import { Chart } from '../chart.js';
import type { Series } from '../metrics.js';
import { localSeries, PANELS, promSeries, selector, type PromMatrix } from '../panels.js';
import { metrics, type ConsoleConfig } from '../state.js';

const RANGE_S = 15 * 60;
const STEP_S = 5;

/** The dashboards' panels: from Prometheus when the engine names one, else from the engine's own recent metrics. */
export function DashboardsPane(props: { config: ConsoleConfig | null }) {
  const prom = props.config?.prometheus === true;
  const [series, setSeries] = useState<Record<string, Series>>({});
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!props.config) return;
    if (!prom) {
      const update = (): void => setSeries(Object.fromEntries(PANELS.map((p) => [p.id, localSeries(p, metrics.history)])));
      update();
      return metrics.listen(update);
    }
    const sel = selector(props.config.serviceId);
    const load = async (): Promise<void> => {
      const end = Math.floor(Date.now() / 1000 / STEP_S) * STEP_S;
      const start = end - RANGE_S;
      const out: Record<string, Series> = {};
      for (const p of PANELS) {
        const targets = await Promise.all(
          p.targets.map(async (t) => {
            const q = new URLSearchParams({ query: t.expr(sel), start: String(start), end: String(end), step: String(STEP_S) });
            const r = await getJson<{ data: PromMatrix }>(`/console/api/prometheus/query_range?${q}`);
            return { legend: t.legend, data: r.data };
          }),
        );
        out[p.id] = promSeries(targets, start, end, STEP_S);
      }
      setSeries(out);
      setError(null);
    };
    const run = (): void => void load().catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)));
    run();
    const t = setInterval(run, STEP_S * 1000);
    return () => clearInterval(t);
  }, [props.config, prom]);

  return (
    <div>
      <div class="toolbar">
        <span class="muted">{prom ? 'From Prometheus (ksetl.console.prometheus.url), last 15 minutes' : "From this engine's /metrics, scraped every 2 s since the console opened"}</span>
      </div>
      {error ? <div class="error-box">{error}</div> : null}
      <div class="panels">
        {PANELS.map((p) => (
          <Chart key={p.id} title={p.title} unit={p.unit} series={series[p.id] ?? { xs: [], lines: [] }} testId={`panel-${p.id}`} />
        ))}
      </div>
    </div>
  );
}
