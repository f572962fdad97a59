import { columnRefs } from '../analyzer/expr-utils.js';
import type { Expr } from '../sql/ast/expression.js';
import type { Step } from '../topology/topology.js';
import type { RuntimeContext } from './context.js';
import { aggregateOperator, suppressOperator } from './operators/aggregate.js';
import { joinOperator } from './operators/join.js';
import { sinkOperator, sourceOperator } from './operators/source-sink.js';
import { filterOperator, flatMapOperator, isTableStep, projectOperator, rekeyOperator } from './operators/stateless.js';
import type { Emit } from './record.js';

/**
 * Instantiates the operators of a topology, from the root down to the sources,
 * and subscribes the sources through the context. `emit` receives the root's
 * output (the sink writes to its topic itself and emits nothing further).
 */
export function buildTopology(root: Step, ctx: RuntimeContext, emit: Emit = () => {}, hooks: TopologyHooks = {}): void {
  // the root's consumer is not known here (a transient query shows retractions): it gets previous values
  build(root, ctx, emit, hooks, true, null);
}

/** Where a distributed runtime changes the wiring (e.g. a repartition topic in front of an aggregation). */
export interface TopologyHooks {
  /**
   * Called where an aggregation or a join side reads its input, with the operator's
   * input `emit`; returns what the input step emits into (the same `emit` when unchanged).
   */
  readonly input?: (consumer: Extract<Step, { kind: 'Aggregate' | 'Join' }>, side: 'input' | 'left' | 'right', emit: Emit) => Emit;
}

/**
 * `sendOld`: whether the consumer of this step's table changes reads their
 * previous values (`Rec.old`), as Kafka Streams' sendOldValues: a table filter
 * does (a row that stops matching becomes a delete), a sink does not. Steps
 * whose consumer does not need them may leave them out.
 *
 * `reads`: the columns of this step's records its consumer reads, by name
 * (null: all of them, or not known); a source decodes only those.
 */
function build(step: Step, ctx: RuntimeContext, downstream: Emit, hooks: TopologyHooks, sendOld: boolean, reads: ReadonlySet<string> | null): void {
  const input = hooks.input ?? ((_c: unknown, _s: unknown, e: Emit): Emit => e);
  const next = (s: Step, d: Emit, old: boolean, r: ReadonlySet<string> | null = null): void => build(s, ctx, d, hooks, old, r);
  switch (step.kind) {
    case 'Source':
      sourceOperator(step, ctx, downstream, reads);
      return;
    case 'Filter':
      // records pass through whole: the filter reads its predicate's columns and its consumer the rest
      next(step.input, filterOperator(step, ctx, downstream, sendOld), isTableStep(step), reads === null ? null : referenced([step.predicate], reads));
      return;
    case 'Project':
      next(step.input, projectOperator(step, ctx, downstream, sendOld), sendOld, referenced(step.exprs));
      return;
    case 'FlatMap':
      next(step.input, flatMapOperator(step, ctx, downstream), false);
      return;
    case 'Rekey':
      next(step.input, rekeyOperator(step, ctx, downstream), false);
      return;
    case 'Aggregate':
      // a table aggregation retracts each row's previous value
      next(
        step.input,
        input(step, 'input', aggregateOperator(step, ctx, downstream, sendOld)),
        step.inputType === 'TABLE',
        referenced([...step.groupBy, ...step.aggregates.flatMap((a) => a.args)]),
      );
      return;
    case 'Suppress': {
      const window = findAggregate(step.input)?.window;
      if (!window) throw new Error(`${step.id}: EMIT FINAL needs a windowed aggregation below it`);
      next(step.input, suppressOperator(step, ctx, downstream, window), false, reads);
      return;
    }
    case 'Join': {
      const { left, right } = joinOperator(step, ctx, downstream);
      next(step.left, input(step, 'left', left), isTableStep(step.left));
      next(step.right, input(step, 'right', right), isTableStep(step.right));
      return;
    }
    case 'Sink': {
      const write = sinkOperator(step, ctx);
      next(
        step.input,
        (rec) => {
          write(rec);
          downstream(rec);
        },
        false,
      );
      return;
    }
  }
}

/** The column names the expressions reference (lambda parameters excepted), with `also`. */
function referenced(exprs: readonly Expr[], also: Iterable<string> = []): Set<string> {
  const names = new Set(also);
  for (const e of exprs) for (const c of columnRefs(e)) names.add(c.name);
  return names;
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
