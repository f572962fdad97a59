import { formatExpr } from '../analyzer/expr-utils.js';
import { internalTopicSuffix, internalTopics, queryStores } from '../topology/internal-names.js';
import { stepInputs, type SchemaColumn, type Step, type WindowSpec } from '../topology/topology.js';
import { formatType } from '../types/sql-type.js';

function cols(schema: { key: readonly SchemaColumn[]; value: readonly SchemaColumn[] }): string {
  const c = (x: SchemaColumn, key: boolean): string => `${x.qualifier ? x.qualifier + '.' : ''}${x.name} ${formatType(x.type)}${key ? ' KEY' : ''}`;
  return [...schema.key.map((k) => c(k, true)), ...schema.value.map((v) => c(v, false))].join(', ');
}

/**
 * The execution plan as text: one line per step (its id, what it does, its
 * schema), inputs indented below; then the query's state stores and internal
 * topics, named as the plan declares them (a Kafka runtime prefixes the
 * topics with the query's application id).
 */
export function explainPlan(root: Step): string {
  const stores = queryStores(root);
  const topics = internalTopics(root);
  const lines = [explainStep(root)];
  lines.push('', 'State stores:', ...(stores.length === 0 ? ['  (none)'] : stores.map((s) => `  ${s.name} | Step: ${s.stepId} | ${s.kind === 'window' ? 'window' : 'key-value'}`)));
  lines.push('', 'Internal topics:', ...(topics.length === 0 ? ['  (none)'] : topics.map((t) => `  <query application id>-${internalTopicSuffix(t)} | Step: ${t.stepId}`)));
  return lines.join('\n');
}

/** The steps as text: one line per step, inputs indented below, with schemas. */
export function explainStep(step: Step, depth = 0): string {
  const pad = ' '.repeat(depth * 2);
  const head = `${pad}> [ ${describe(step)} ] | Id: ${step.id} | Schema: ${cols(step.schema)}${step.schema.window ? ` | Window: ${step.schema.window.kind}` : ''}`;
  const inputs = stepInputs(step).map((c) => explainStep(c, depth + 1));
  return [head, ...inputs].join('\n');
}

function describe(step: Step): string {
  switch (step.kind) {
    case 'Source':
      return `SOURCE ${step.sourceName} AS ${step.alias} (topic ${step.topic}, ${step.sourceType})`;
    case 'Filter':
      return `FILTER ${step.clause} ${formatExpr(step.predicate)}`;
    case 'Project':
      return `PROJECT ${step.exprs.map(formatExpr).join(', ')}`;
    case 'FlatMap':
      return `FLAT_MAP ${step.calls.map(formatExpr).join(', ')}`;
    case 'Rekey':
      return `PARTITION BY ${step.keyExprs.map(formatExpr).join(', ') || 'null'}`;
    case 'Aggregate':
      return `AGGREGATE GROUP BY ${step.groupBy.map(formatExpr).join(', ')} AGGREGATES ${step.aggregates
        .map((a) => `${a.name}(${a.args.map(formatExpr).join(', ')})`)
        .join(', ')}${step.window ? ` WINDOW ${describeWindow(step.window)}` : ''}`;
    case 'Join':
      return `${step.joinType} JOIN ${step.variant} ON ${formatExpr(step.leftKey)} = ${formatExpr(step.rightKey)}${
        step.within ? ` WITHIN (${step.within.beforeMs}ms, ${step.within.afterMs}ms)${step.within.graceMs !== null ? ` GRACE ${step.within.graceMs}ms` : ''}` : ''
      }`;
    case 'Suppress':
      return 'SUPPRESS UNTIL WINDOW CLOSES';
    case 'Sink':
      return `SINK ${step.sinkName} (topic ${step.topic}, key ${step.keyFormat.format}, value ${step.valueFormat.format})`;
  }
}

function describeWindow(w: WindowSpec): string {
  const parts = [`${w.kind} SIZE ${w.sizeMs}ms`];
  if (w.kind === 'HOPPING') parts.push(`ADVANCE ${w.advanceMs}ms`);
  if (w.graceMs !== null) parts.push(`GRACE ${w.graceMs}ms`);
  if (w.retentionMs !== null) parts.push(`RETENTION ${w.retentionMs}ms`);
  return parts.join(' ');
}
