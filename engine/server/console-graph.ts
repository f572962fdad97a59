import { formatExpr } from '../analyzer/expr-utils.js';
import { internalTopicSuffix, stepRepartitions, stepStores } from '../topology/internal-names.js';
import { stepInputs, type Step } from '../topology/topology.js';

/**
 * A persistent query's topology as a graph the console draws (GET
 * /console/api/topology/:queryId): one node per plan step, per source and
 * sink topic, per state store and per internal topic (repartition,
 * subscription, changelog), with edges in the direction records flow. Built
 * from the plan, as EXPLAIN's text is; the console lays it out.
 */
export interface QueryGraph {
  readonly queryId: string;
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly GraphEdge[];
}

export type GraphNodeKind = 'topic' | 'step' | 'store' | 'repartition' | 'changelog';

export interface GraphNode {
  readonly id: string;
  readonly kind: GraphNodeKind;
  /** a short title: the step kind, a topic or store name */
  readonly label: string;
  /** one line of detail: the step's expressions, the store's kind, the topic's role */
  readonly detail: string;
}

export interface GraphEdge {
  readonly from: string;
  readonly to: string;
}

export function queryGraph(queryId: string, root: Step): QueryGraph {
  const nodes = new Map<string, GraphNode>();
  const edges: GraphEdge[] = [];
  const add = (n: GraphNode): void => void (nodes.has(n.id) || nodes.set(n.id, n));
  const visit = (step: Step): string => {
    const id = `step:${step.id}`;
    if (nodes.has(id)) return id;
    add({ id, kind: 'step', label: stepLabel(step), detail: stepDetail(step) });
    for (const input of stepInputs(step)) {
      const from = visit(input);
      // a repartition sits between the step and the input it re-keys
      const cut = stepRepartitions(step).find((r) => r.side === 'input' || (step.kind === 'Join' && input === (r.side === 'left' ? step.left : step.right)));
      if (cut) {
        const t = `internal:${cut.name}`;
        add({ id: t, kind: 'repartition', label: internalTopicSuffix({ name: cut.name, kind: cut.routing === 'broadcast' ? 'subscription' : 'repartition' }), detail: `${cut.routing === 'broadcast' ? 'subscription' : 'repartition'} topic` });
        edges.push({ from, to: t }, { from: t, to: id });
      } else edges.push({ from, to: id });
    }
    if (step.kind === 'Source') {
      const t = `topic:${step.topic}`;
      add({ id: t, kind: 'topic', label: step.topic, detail: `source topic of ${step.sourceName} (${step.valueFormat.format})` });
      edges.push({ from: t, to: id });
    }
    if (step.kind === 'Sink') {
      const t = `topic:${step.topic}`;
      add({ id: t, kind: 'topic', label: step.topic, detail: `sink topic of ${step.sinkName} (${step.valueFormat.format})` });
      edges.push({ from: id, to: t });
    }
    for (const s of stepStores(step)) {
      const sid = `store:${s.name}`;
      add({ id: sid, kind: 'store', label: s.name, detail: `${s.kind === 'window' ? 'window' : 'key-value'} store (${s.role})` });
      edges.push({ from: id, to: sid });
      const c = `internal:${s.name}:changelog`;
      add({ id: c, kind: 'changelog', label: internalTopicSuffix({ name: s.name, kind: 'changelog' }), detail: 'changelog topic' });
      edges.push({ from: sid, to: c });
    }
    return id;
  };
  visit(root);
  return { queryId, nodes: [...nodes.values()], edges };
}

function stepLabel(step: Step): string {
  switch (step.kind) {
    case 'Source':
      return `Source ${step.sourceName}`;
    case 'Sink':
      return `Sink ${step.sinkName}`;
    case 'Rekey':
      return step.repartition ? 'PartitionBy' : 'Rekey';
    case 'Join':
      return `${step.joinType} Join`;
    case 'Filter':
    case 'Project':
    case 'FlatMap':
    case 'Aggregate':
    case 'Suppress':
      return step.kind;
  }
}

function stepDetail(step: Step): string {
  switch (step.kind) {
    case 'Source':
      return `${step.sourceType} ${step.alias}`;
    case 'Filter':
      return `${step.clause} ${formatExpr(step.predicate)}`;
    case 'Project':
      return step.exprs.map(formatExpr).join(', ');
    case 'FlatMap':
      return step.calls.map(formatExpr).join(', ');
    case 'Rekey':
      return step.keyExprs.map(formatExpr).join(', ');
    case 'Aggregate':
      return `GROUP BY ${step.groupBy.map(formatExpr).join(', ')}: ${step.aggregates.map((a) => `${a.name}(${a.args.map(formatExpr).join(', ')})`).join(', ')}${step.window ? ` WINDOW ${step.window.kind}` : ''}`;
    case 'Join':
      return `${step.variant} ON ${formatExpr(step.leftKey)} = ${formatExpr(step.rightKey)}`;
    case 'Suppress':
      return 'EMIT FINAL';
    case 'Sink':
      return `${step.sinkType} (key ${step.keyFormat.format}, value ${step.valueFormat.format})`;
  }
}
