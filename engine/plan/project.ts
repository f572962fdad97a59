import type { ResolvedProjection } from '../analyzer/resolved-query.js';
import type { ProjectStep, Step } from '../topology/topology.js';

/** The projection: the select list's value expressions over the rows before it. */
export function planProjection(input: Step, projection: ResolvedProjection): ProjectStep {
  return { kind: 'Project', id: 'Project', input, exprs: projection.exprs, schema: projection.schema };
}
