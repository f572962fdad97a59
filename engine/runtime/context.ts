import type { BrokerRecord, ProduceRecord } from '../driver/broker.js';
import type { FunctionRegistry } from '../functions/types.js';
import type { SchemaRegistry } from '../serde/types.js';
import type { ProcessingLogger } from './processing-log.js';
import type { Step } from '../topology/topology.js';
import type { StoreFactory } from './store.js';

/** What a runtime gives the operators of one query: its ports to the outside. */
export interface RuntimeContext {
  readonly queryId: string;
  readonly functions: FunctionRegistry;
  readonly registry: SchemaRegistry;
  readonly log: ProcessingLogger;
  readonly stores: StoreFactory;
  /** deliver every record of `topic` (from the query's start position) to `handler`, in offset order per partition */
  subscribe(topic: string, handler: (r: BrokerRecord) => void): void;
  produce(topic: string, rec: ProduceRecord): void;
  /**
   * The stream time `step` resumes at: the greatest partition time the
   * committed offsets of its sub-topology's input topics carry (Kafka Streams
   * writes each partition's time in the commit's metadata), so windows closed
   * before a restart stay closed. Read when the first record is processed;
   * none (or -Infinity): from scratch.
   */
  readonly resumedStreamTime?: (step: Step) => number;
  /** engine properties */
  readonly properties: Readonly<Record<string, string>>;
}
