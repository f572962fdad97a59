import type { ResolvedPartitionBy } from '../analyzer/resolved-query.js';
import type { RekeyStep, Step } from '../topology/topology.js';

/** PARTITION BY: the stream re-keyed (and repartitioned) by its expressions. */
export function planPartitionBy(input: Step, pb: ResolvedPartitionBy): RekeyStep {
  return { kind: 'Rekey', id: 'PartitionBy', input, keyExprs: pb.keyExprs, repartition: true, schema: pb.schema };
}
