import type { ResolvedAggregation } from '../analyzer/resolved-query.js';
import type { AggregateStep, FilterStep, Step, SuppressStep } from '../topology/topology.js';

/**
 * The aggregation (GROUP BY, WINDOW), then EMIT FINAL's suppression and
 * HAVING's filter over its results.
 */
export function planAggregation(input: Step, agg: ResolvedAggregation): Step {
  let step: Step = {
    kind: 'Aggregate',
    id: 'Aggregate/Aggregate',
    input,
    inputType: agg.inputType,
    groupBy: agg.groupBy,
    aggregates: agg.calls.map((c) => ({ name: c.name, args: c.args })),
    window: agg.window,
    schema: agg.schema,
  } satisfies AggregateStep;
  if (agg.suppressed) step = { kind: 'Suppress', id: 'Suppress', input: step, schema: step.schema } satisfies SuppressStep;
  if (agg.having) step = { kind: 'Filter', id: 'Aggregate/HavingFilter', schema: step.schema, input: step, predicate: agg.having, clause: 'HAVING' } satisfies FilterStep;
  return step;
}
