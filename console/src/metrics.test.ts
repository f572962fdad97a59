import { describe, expect, it } from 'vitest';
import { histogramQuantile, MetricsHistory, parsePrometheusText } from './metrics.js';
import { localSeries, PANELS, promSeries, selector } from './panels.js';

const text = (inN: number, lag: number, le: [string, number][]): string =>
  [
    '# HELP ksetl_query_records_in_total Records consumed.',
    '# TYPE ksetl_query_records_in_total counter',
    `ksetl_query_records_in_total{namespace="",cluster="",service_id="s_",query_id="Q1"} ${inN}`,
    `ksetl_query_consumer_lag{service_id="s_",query_id="Q1",topic="t",partition="0"} ${lag}`,
    `ksetl_query_consumer_lag{service_id="s_",query_id="Q1",topic="t",partition="1"} 1`,
    ...le.map(([b, n]) => `ksetl_query_e2e_latency_seconds_bucket{le="${b}",query_id="Q1"} ${n}`),
    'nodejs_eventloop_lag_seconds 0.002',
  ].join('\n');

describe('engine metrics history', () => {
  it('parses Prometheus text', () => {
    const s = parsePrometheusText(text(5, 2, [['+Inf', 3]]));
    expect(s[0]).toEqual({ name: 'ksetl_query_records_in_total', labels: { namespace: '', cluster: '', service_id: 's_', query_id: 'Q1' }, value: 5 });
    expect(s.find((x) => x.labels['le'] === '+Inf')!.value).toBe(3);
    expect(s.at(-1)).toEqual({ name: 'nodejs_eventloop_lag_seconds', labels: {}, value: 0.002 });
  });

  it('computes rates, gauge sums and quantiles as the panels PromQL would', () => {
    const h = new MetricsHistory();
    h.add({ t: 100, samples: parsePrometheusText(text(10, 4, [['0.1', 0], ['1', 0], ['+Inf', 0]])) });
    h.add({ t: 102, samples: parsePrometheusText(text(30, 2, [['0.1', 5], ['1', 10], ['+Inf', 10]])) });
    expect(h.rate('ksetl_query_records_in_total', ['query_id']).get('Q1')).toEqual([null, 10]);
    expect(h.gauge('ksetl_query_consumer_lag', ['query_id']).get('Q1')).toEqual([5, 3]);
    // 10 observations, 5 up to 0.1 s and 5 in (0.1, 1]: the median is 0.1, p90 0.82
    expect(h.quantile(0.5, 'ksetl_query_e2e_latency_seconds', ['query_id']).get('Q1')![1]).toBeCloseTo(0.1);
    expect(h.quantile(0.9, 'ksetl_query_e2e_latency_seconds', ['query_id']).get('Q1')![1]).toBeCloseTo(0.82);
    const panel = PANELS.find((p) => p.id === 'records-in')!;
    expect(localSeries(panel, h)).toEqual({ xs: [100, 102], lines: [{ label: 'Q1', values: [null, 10] }] });
  });

  it('histogramQuantile follows Prometheus: null without observations, the lower bound for +Inf', () => {
    expect(histogramQuantile(0.5, [{ le: 1, count: 0 }, { le: Infinity, count: 0 }])).toBeNull();
    expect(histogramQuantile(0.99, [{ le: 1, count: 1 }, { le: Infinity, count: 10 }])).toBe(1);
  });

  it('aligns Prometheus matrices on the step grid and fills legends', () => {
    const s = promSeries([{ legend: 'in {{query_id}}', data: { result: [{ metric: { query_id: 'Q1' }, values: [[30, '2'], [60, '4']] }] } }], 0, 60, 30);
    expect(s).toEqual({ xs: [0, 30, 60], lines: [{ label: 'in Q1', values: [null, 2, 4] }] });
    expect(PANELS.find((p) => p.id === 'records-in')!.targets[0]!.expr(selector('team_"a'))).toBe('sum by (query_id) (rate(ksetl_query_records_in_total{service_id="team_\\"a"}[1m]))');
  });
});
