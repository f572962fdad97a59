import { useEffect, useState } from 'preact/hooks';
import { getJson, ksql } from '../api.js';
import { layoutGraph, type PlacedGraph, type QueryGraph } from '../graph-layout.js';

const FILL: Record<PlacedGraph['nodes'][number]['kind'], string> = {
  topic: '#e8f1fd',
  step: '#ffffff',
  store: '#fdf3e6',
  repartition: '#f0f0f0',
  changelog: '#f0f0f0',
};

/** A persistent query's topology from its plan: sources, steps, stores, repartition and changelog topics. */
export function GraphPane(props: { queryId: string | null; select: (id: string) => void }) {
  const [ids, setIds] = useState<string[]>([]);
  const [graph, setGraph] = useState<PlacedGraph | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    void ksql('SHOW QUERIES;').then((es) => {
      const list = ((es[0]?.['queries'] ?? []) as { id: string }[]).map((q) => q.id);
      setIds(list);
      if (!props.queryId && list[0]) props.select(list[0]);
    });
  }, []);
  useEffect(() => {
    setGraph(null);
    setError(null);
    if (!props.queryId) return;
    getJson<QueryGraph>(`/console/api/topology/${encodeURIComponent(props.queryId)}`).then(
      (g) => setGraph(layoutGraph(g)),
      (e: unknown) => setError(e instanceof Error ? e.message : String(e)),
    );
  }, [props.queryId]);
  return (
    <div>
      <div class="toolbar">
        <label>
          Query{' '}
          <select value={props.queryId ?? ''} onChange={(e) => props.select((e.target as HTMLSelectElement).value)} data-testid="graph-query">
            {ids.map((id) => (
              <option key={id} value={id}>
                {id}
              </option>
            ))}
          </select>
        </label>
        <span class="legend">
          {Object.entries(FILL).map(([k, c]) => (
            <span key={k}>
              <i style={{ background: c }} /> {k}
            </span>
          ))}
        </span>
      </div>
      {ids.length === 0 ? <div class="muted pad">No persistent query runs.</div> : null}
      {error ? <div class="error-box">{error}</div> : null}
      {graph ? (
        <svg width={graph.width} height={graph.height} class="graph" data-testid="graph">
          <defs>
            <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
              <path d="M 0 0 L 10 5 L 0 10 z" fill="#888" />
            </marker>
          </defs>
          {graph.edges.map((e, i) => (
            <polyline key={i} points={e.points.map((p) => `${p.x},${p.y}`).join(' ')} fill="none" stroke="#888" marker-end="url(#arrow)" />
          ))}
          {graph.nodes.map((n) => (
            <g key={n.id} class={`node ${n.kind}`} data-kind={n.kind}>
              <rect x={n.x} y={n.y} width={n.width} height={n.height} rx={n.kind === 'step' ? 4 : 14} fill={FILL[n.kind]} stroke={n.kind === 'step' ? '#3274d9' : '#999'} stroke-dasharray={n.kind === 'repartition' || n.kind === 'changelog' ? '4 3' : undefined} />
              <text x={n.x + 10} y={n.y + 18} class="node-label">
                {n.label}
              </text>
              <text x={n.x + 10} y={n.y + 34} class="node-detail">
                {n.detail}
              </text>
            </g>
          ))}
        </svg>
      ) : null}
    </div>
  );
}
