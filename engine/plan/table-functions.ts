import type { ResolvedTableFunctions } from '../analyzer/resolved-query.js';
import type { FlatMapStep, Step } from '../topology/topology.js';

/** Table functions: a flat-map over the stream, one KSQL_SYNTH_n value column per call. */
export function planTableFunctions(input: Step, tf: ResolvedTableFunctions): FlatMapStep {
  return { kind: 'FlatMap', id: 'FlatMap', input, calls: tf.calls, schema: tf.schema };
}
