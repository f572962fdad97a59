import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import type { Series } from './metrics.js';
import type { Unit } from './panels.js';

const COLORS = ['#3274d9', '#e0752d', '#56a64b', '#c4162a', '#8f3bb8', '#f2cc0c', '#1f9ea8', '#b877d9'];

function fmt(unit: Unit, v: number | null): string {
  if (v === null || !Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  const si = (x: number, suffix: string): string => (a >= 1e9 ? `${(x / 1e9).toFixed(1)}G` : a >= 1e6 ? `${(x / 1e6).toFixed(1)}M` : a >= 1e3 ? `${(x / 1e3).toFixed(1)}k` : `${+x.toFixed(2)}`) + suffix;
  switch (unit) {
    case 'ops':
      return si(v, '/s');
    case 'Bps':
      return si(v, 'B/s');
    case 'bytes':
      return si(v, 'B');
    case 's':
      return a >= 1 ? `${+v.toFixed(2)} s` : `${+(v * 1000).toFixed(1)} ms`;
    case 'percentunit':
      return `${+(v * 100).toFixed(1)}%`;
    case 'short':
      return si(v, '');
  }
}

/** A uPlot time-series chart of aligned series; redrawn when the series' labels change, updated in place otherwise. */
export function Chart(props: { title: string; unit: Unit; series: Series; testId?: string }) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const labels = props.series.lines.map((l) => l.label).join('\n');
  const hasData = props.series.lines.some((l) => l.values.some((v) => v !== null && v > 0));

  useEffect(() => {
    if (!host.current) return;
    const opts: uPlot.Options = {
      width: Math.max(320, host.current.clientWidth),
      height: 200,
      legend: { show: true },
      scales: { x: { time: true } },
      axes: [{}, { values: (_u, vals) => vals.map((v) => fmt(props.unit, v)), size: 64 }],
      series: [{}, ...props.series.lines.map((l, i) => ({ label: l.label || props.title, stroke: COLORS[i % COLORS.length], width: 1.5, points: { show: true, size: 4 }, value: (_u: uPlot, v: number | null) => fmt(props.unit, v) }))],
    };
    const p = new uPlot(opts, data(props.series), host.current);
    plot.current = p;
    return () => p.destroy();
  }, [labels]);

  useEffect(() => {
    plot.current?.setData(data(props.series));
  }, [props.series]);

  return (
    <div class="panel" data-testid={props.testId} data-has-data={hasData ? 'true' : 'false'}>
      <div class="panel-title">{props.title}</div>
      <div ref={host} />
      {props.series.lines.length === 0 ? <div class="muted no-data">no data</div> : null}
    </div>
  );
}

function data(s: Series): uPlot.AlignedData {
  return [s.xs as number[], ...s.lines.map((l) => l.values as (number | null)[])];
}
