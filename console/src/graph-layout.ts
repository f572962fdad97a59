import { Graph, layout } from '@dagrejs/dagre';

/** The query graph of GET /console/api/topology/:queryId (engine/server/console-graph.ts). */
export interface QueryGraph {
  readonly queryId: string;
  readonly nodes: readonly { readonly id: string; readonly kind: 'topic' | 'step' | 'store' | 'repartition' | 'changelog'; readonly label: string; readonly detail: string }[];
  readonly edges: readonly { readonly from: string; readonly to: string }[];
}

export interface PlacedNode {
  readonly id: string;
  readonly kind: QueryGraph['nodes'][number]['kind'];
  readonly label: string;
  readonly detail: string;
  /** top-left corner and size */
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface PlacedGraph {
  readonly width: number;
  readonly height: number;
  readonly nodes: readonly PlacedNode[];
  readonly edges: readonly { readonly from: string; readonly to: string; readonly points: readonly { x: number; y: number }[] }[];
}

/** approximate text widths: the bold 12px label and the 11px monospace detail */
const LABEL_CHAR = 7.6;
const DETAIL_CHAR = 6.8;
const MAX_CHARS = 56;
const clip = (s: string, n: number): string => (s.length > n ? s.slice(0, n - 1) + '…' : s);

/** Lays the graph out top to bottom with dagre (sizes from the texts, clipped to MAX_CHARS characters). */
export function layoutGraph(g: QueryGraph): PlacedGraph {
  const dg = new Graph();
  dg.setGraph({ rankdir: 'TB', nodesep: 24, ranksep: 36, marginx: 12, marginy: 12 });
  dg.setDefaultEdgeLabel(() => ({}));
  for (const n of g.nodes) {
    const width = Math.max(120, Math.min(MAX_CHARS, n.label.length) * LABEL_CHAR + 24, Math.min(MAX_CHARS, n.detail.length) * DETAIL_CHAR + 24);
    dg.setNode(n.id, { width, height: 44 });
  }
  for (const e of g.edges) dg.setEdge(e.from, e.to);
  layout(dg);
  const nodes = g.nodes.map((n) => {
    const p = dg.node(n.id) as { x: number; y: number; width: number; height: number };
    return { id: n.id, kind: n.kind, label: clip(n.label, MAX_CHARS), detail: clip(n.detail, MAX_CHARS), x: p.x - p.width / 2, y: p.y - p.height / 2, width: p.width, height: p.height };
  });
  const edges = g.edges.map((e) => ({ from: e.from, to: e.to, points: ((dg.edge(e.from, e.to) as { points?: { x: number; y: number }[] }).points ?? []).map((p) => ({ x: p.x, y: p.y })) }));
  const label = dg.graph() as { width?: number; height?: number };
  return { width: label.width ?? 0, height: label.height ?? 0, nodes, edges };
}
