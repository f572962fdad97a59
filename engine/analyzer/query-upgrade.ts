import type { Loc } from '../sql/ast/node.js';
import { formatExpr } from './expr-utils.js';
import { KsqlError } from '../errors.js';
import { isTableStep } from '../topology/table-steps.js';
import { stepInputs, type JoinStep, type Step, type WindowSpec } from '../topology/topology.js';

/**
 * Whether a running query's plan can be upgraded in place (`CREATE OR
 * REPLACE`) to a new plan, as ksqlDB decides it: the query keeps its id,
 * consumer group, state stores and changelogs, so every step that holds
 * state or decides where records go must stay as it was. What may change:
 * the projection (within what the sink's schema allows, checked apart) and
 * the filters (WHERE, HAVING): they hold no state of their own. What may not:
 * the sources, the GROUP BY, the aggregations, the window, the joins,
 * PARTITION BY, table functions, EMIT FINAL.
 *
 * Refusals carry ksqlDB's text: "Query is not upgradeable. Plan step of type
 * <ksqlDB step> must have matching <property>. Values differ: <old> vs. <new>".
 */
export function checkQueryUpgrade(existing: Step, next: Step, loc: Loc | null): void {
  const a = skeleton(existing);
  const b = skeleton(next);
  const refuse = (step: Step, property: string, was: string, now: string): never => {
    throw new KsqlError(`Query is not upgradeable. Plan step of type ${stepType(step)} must have matching ${property}. Values differ: ${was} vs. ${now}`, loc);
  };
  if (stepType(a) !== stepType(b)) refuse(a, 'type', stepType(a), stepType(b));
  for (const [property, of] of properties(a)) {
    const was = of(a);
    const now = of(b);
    if (was !== now) refuse(a, property, was, now);
  }
  const ai = stepInputs(a);
  const bi = stepInputs(b);
  ai.forEach((input, i) => checkQueryUpgrade(input, bi[i]!, loc));
}

/** The first step below `step` (or itself) that is not a filter or a projection. */
function skeleton(step: Step): Step {
  return step.kind === 'Filter' || step.kind === 'Project' ? skeleton(step.input) : step;
}

/** ksqlDB's name for the execution step a plan step becomes. */
function stepType(step: Step): string {
  switch (step.kind) {
    case 'Source':
      return `${step.schema.window ? 'Windowed' : ''}${step.sourceType === 'STREAM' ? 'Stream' : 'Table'}Source`;
    case 'Filter':
      return isTableStep(step) ? 'TableFilter' : 'StreamFilter';
    case 'Project':
      return isTableStep(step) ? 'TableSelect' : 'StreamSelect';
    case 'FlatMap':
      return 'StreamFlatMap';
    case 'Rekey':
      return 'StreamSelectKey';
    case 'Aggregate':
      return step.inputType === 'TABLE' ? 'TableAggregate' : step.window ? 'StreamWindowedAggregate' : 'StreamAggregate';
    case 'Join':
      return joinType(step);
    case 'Suppress':
      return 'TableSuppress';
    case 'Sink':
      return step.sinkType === 'STREAM' ? 'StreamSink' : 'TableSink';
  }
}

function joinType(step: JoinStep): string {
  switch (step.variant) {
    case 'STREAM_STREAM':
      return 'StreamStreamJoin';
    case 'STREAM_TABLE':
      return 'StreamTableJoin';
    case 'TABLE_TABLE':
      return 'TableTableJoin';
    case 'FK_TABLE_TABLE':
      return 'ForeignKeyTableTableJoin';
  }
}

type Property = readonly [name: string, of: (s: Step) => string];

const list = (xs: readonly string[]): string => `[${xs.join(', ')}]`;

/** The properties of a step that must not change, named as ksqlDB's steps name them. */
function properties(step: Step): readonly Property[] {
  switch (step.kind) {
    case 'Source':
      return [['topicName', (s) => (s as typeof step).topic]];
    case 'Rekey':
      return [['keyExpression', (s) => list((s as typeof step).keyExprs.map(formatExpr))]];
    case 'FlatMap':
      return [['tableFunctions', (s) => list((s as typeof step).calls.map(formatExpr))]];
    case 'Aggregate':
      return [
        ['groupByExpressions', (s) => list((s as typeof step).groupBy.map(formatExpr))],
        ['aggregationFunctions', (s) => list((s as typeof step).aggregates.map((c) => `${c.name}(${c.args.map(formatExpr).join(', ')})`))],
        ['windowExpression', (s) => windowText((s as typeof step).window)],
      ];
    case 'Join':
      return [
        ['joinType', (s) => (s as typeof step).joinType],
        ['leftJoinExpression', (s) => formatExpr((s as typeof step).leftKey)],
        ['rightJoinExpression', (s) => formatExpr((s as typeof step).rightKey)],
        ['window', (s) => { const w = (s as typeof step).within; return w ? `(${w.beforeMs}, ${w.afterMs}, ${w.graceMs ?? 'default'})` : 'none'; }],
      ];
    case 'Sink':
      return [['topicName', (s) => (s as typeof step).topic]];
    case 'Suppress':
    case 'Filter':
    case 'Project':
      return [];
  }
}

function windowText(w: WindowSpec | null): string {
  if (!w) return 'none';
  const parts = [`${w.kind} SIZE ${w.sizeMs}`];
  if (w.kind === 'HOPPING') parts.push(`ADVANCE ${w.advanceMs}`);
  if (w.graceMs !== null) parts.push(`GRACE ${w.graceMs}`);
  if (w.retentionMs !== null) parts.push(`RETENTION ${w.retentionMs}`);
  return parts.join(' ');
}
