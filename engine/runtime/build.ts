import { effectiveGrace } from '../plan/plan-query.js';
import type { Step } from '../topology/topology.js';
import type { RuntimeContext } from './context.js';
import { aggregateOperator, suppressOperator } from './operators/aggregate.js';
import { joinOperator } from './operators/join.js';
import { sinkOperator, sourceOperator } from './operators/source-sink.js';
import { filterOperator, flatMapOperator, projectOperator, rekeyOperator } from './operators/stateless.js';
import type { Emit } from './record.js';

/**
 * Instantiates the operators of a topology, from the root down to the sources,
 * and subscribes the sources through the context. `emit` receives the root's
 * output (the sink writes to its topic itself and emits nothing further).
 */
export function buildTopology(root: Step, ctx: RuntimeContext, emit: Emit = () => {}): void {
  build(root, ctx, emit);
}

function build(step: Step, ctx: RuntimeContext, downstream: Emit): void {
  switch (step.kind) {
    case 'Source':
      sourceOperator(step, ctx, downstream);
      return;
    case 'Filter':
      build(step.input, ctx, filterOperator(step, ctx, downstream));
      return;
    case 'Project':
      build(step.input, ctx, projectOperator(step, ctx, downstream));
      return;
    case 'FlatMap':
      build(step.input, ctx, flatMapOperator(step, ctx, downstream));
      return;
    case 'Rekey':
      build(step.input, ctx, rekeyOperator(step, ctx, downstream));
      return;
    case 'Aggregate':
      build(step.input, ctx, aggregateOperator(step, ctx, downstream));
      return;
    case 'Suppress': {
      const agg = findAggregate(step.input);
      const grace = agg?.window ? effectiveGrace(agg.window) : 0;
      build(step.input, ctx, suppressOperator(step, ctx, downstream, grace));
      return;
    }
    case 'Join': {
      const { left, right } = joinOperator(step, ctx, downstream);
      build(step.left, ctx, left);
      build(step.right, ctx, right);
      return;
    }
    case 'Sink': {
      const write = sinkOperator(step, ctx);
      build(step.input, ctx, (rec) => {
        write(rec);
        downstream(rec);
      });
      return;
    }
  }
}

function findAggregate(step: Step): Extract<Step, { kind: 'Aggregate' }> | null {
  switch (step.kind) {
    case 'Aggregate':
      return step;
    case 'Filter':
    case 'Project':
    case 'Suppress':
    case 'FlatMap':
    case 'Rekey':
    case 'Sink':
      return findAggregate(step.input);
    case 'Source':
    case 'Join':
      return null;
  }
}
