import type { BrokerRecord } from '../driver/broker.js';
import { murmur2Partition } from '../driver/broker.js';
import { compileOverRecord } from '../runtime/compile-step-expr.js';
import type { RuntimeContext } from '../runtime/context.js';
import { keyString } from '../runtime/key-string.js';
import { buildTopology } from '../runtime/build.js';
import { makeKeySerde } from '../runtime/operators/source-sink.js';
import { logProcessingError } from '../runtime/operators/stateless.js';
import { needsJoinRepartition, repartitionOf, type RepartitionSide } from '../topology/internal-names.js';
import type { Emit, Rec } from '../runtime/record.js';
import type { AggregateStep, JoinStep, SourceStep, Step } from '../topology/topology.js';
import { decodeValue, encodeValue } from './codec.js';

/**
 * A persistent query as Kafka Streams runs it: the topology cut into
 * sub-topologies where records must move to the task owning their new key
 * (before a GROUP BY; on the stream side of a join on a non-key column). A
 * cut is a repartition topic: the upstream part writes each record to the
 * partition of its new key, the downstream part reads it back. Every other
 * step runs in the task of the input partition, with the runtime's own
 * operators.
 */
export interface DistributedPlan {
  /** user topics the query reads */
  readonly sourceTopics: readonly string[];
  readonly repartitions: readonly RepartitionPlan[];
  /** topic groups that must have the same partition count (the two sides of a join) */
  readonly copartitioned: readonly (readonly string[])[];
}

export interface RepartitionPlan {
  /** the repartition's name, declared by the plan (names the topic, see topology/internal-names.ts) */
  readonly name: string;
  /** the step the cut sits before */
  readonly stepId: string;
  /** 'broadcast': every record goes to every partition (a foreign-key join's right table) */
  readonly routing: 'key' | 'broadcast';
  /** the user topics whose partition count the repartition topic takes (the largest) */
  readonly partitionsLike: readonly string[];
}

export function planDistributed(root: Step): DistributedPlan {
  const sourceTopics: string[] = [];
  const repartitions: RepartitionPlan[] = [];
  const copartitioned: string[][] = [];
  // returns the topics the step's records are partitioned like (empty after a cut: its own topic)
  const walk = (step: Step): string[] => {
    switch (step.kind) {
      case 'Source':
        if (!sourceTopics.includes(step.topic)) sourceTopics.push(step.topic);
        return [step.topic];
      case 'Filter':
      case 'Project':
      case 'FlatMap':
      case 'Rekey':
      case 'Suppress':
      case 'Sink':
        return walk(step.input);
      case 'Aggregate': {
        const like = walk(step.input);
        const cutBefore = repartitionOf(step, 'input');
        if (cutBefore === undefined) return like;
        repartitions.push({ name: cutBefore.name, stepId: step.id, routing: 'key', partitionsLike: like.length > 0 ? like : sourceTopics.slice() });
        return [];
      }
      case 'Join': {
        if (step.variant === 'FK_TABLE_TABLE') {
          // the right table is broadcast to every task of the left table (see broadcastRouter)
          const l = walk(step.left);
          walk(step.right);
          repartitions.push({ name: repartitionOf(step, 'right')!.name, stepId: step.id, routing: 'broadcast', partitionsLike: l.length > 0 ? l : sourceTopics.slice() });
          return l;
        }
        const l = walk(step.left);
        const r = walk(step.right);
        const lCut = needsJoinRepartition(step, 'left');
        const rCut = needsJoinRepartition(step, 'right');
        if (lCut) repartitions.push({ name: repartitionOf(step, 'left')!.name, stepId: step.id, routing: 'key', partitionsLike: rCut ? [...l, ...r] : r });
        if (rCut) repartitions.push({ name: repartitionOf(step, 'right')!.name, stepId: step.id, routing: 'key', partitionsLike: lCut ? [...l, ...r] : l });
        if (!lCut && !rCut) copartitioned.push([...l, ...r]);
        return lCut || rCut ? [] : [...l, ...r];
      }
    }
  };
  walk(root);
  return { sourceTopics, repartitions, copartitioned };
}

/**
 * The task partition that holds a group behind an aggregation's repartition:
 * the repartition topic is keyed and partitioned by the group key's key
 * string (groupByRouter), so the group's store lives in that partition's task.
 */
export function groupPartition(key: readonly unknown[], partitions: number): number {
  return murmur2Partition(Buffer.from(keyString(key), 'utf8'), partitions);
}

/** The source a step's records come from without a repartition or a join between (null: there is none). */
export function sourceOf(step: Step): SourceStep | null {
  switch (step.kind) {
    case 'Source':
      return step;
    case 'Filter':
    case 'Project':
    case 'FlatMap':
    case 'Rekey':
    case 'Suppress':
    case 'Sink':
      return sourceOf(step.input);
    case 'Aggregate':
    case 'Join':
      return null;
  }
}

export interface Repartitioned {
  readonly topic: string;
  readonly partitions: number;
}

/**
 * Instantiates the operators of one task, as runtime/build.ts does, plus the
 * repartition cuts of `planDistributed`: `repartitions` maps a cut's name
 * to its topic and partition count.
 */
export function buildTaskTopology(root: Step, ctx: RuntimeContext, repartitions: ReadonlyMap<string, Repartitioned>, partitionTime?: (topic: string) => number | undefined): void {
  const cut = (step: Step, side: RepartitionSide): Repartitioned => {
    const name = repartitionOf(step, side)?.name;
    const r = name === undefined ? undefined : repartitions.get(name);
    if (!r) throw new Error(`no repartition topic planned before ${step.id} (${side})`);
    return r;
  };
  // The input topics of a step's sub-topology (Kafka Streams' task): its sources up to the
  // repartition cuts before it. One task here runs every sub-topology of a partition number,
  // so a step's stream time resumes from the partition times of its own sub-topology's topics.
  const topicsOf = (step: Step): string[] => {
    switch (step.kind) {
      case 'Source':
        return [step.topic];
      case 'Filter':
      case 'Project':
      case 'FlatMap':
      case 'Rekey':
      case 'Suppress':
      case 'Sink':
        return topicsOf(step.input);
      case 'Aggregate':
        return repartitionOf(step, 'input') === undefined ? topicsOf(step.input) : [cut(step, 'input').topic];
      case 'Join': {
        const cuts = step.variant === 'FK_TABLE_TABLE' ? { left: false, right: true } : { left: needsJoinRepartition(step, 'left'), right: needsJoinRepartition(step, 'right') };
        return [...(cuts.left ? [cut(step, 'left').topic] : topicsOf(step.left)), ...(cuts.right ? [cut(step, 'right').topic] : topicsOf(step.right))];
      }
    }
  };
  const resumed = partitionTime
    ? (step: Step): number => Math.max(Number.NEGATIVE_INFINITY, ...topicsOf(step).map((t) => partitionTime(t) ?? Number.NEGATIVE_INFINITY))
    : undefined;
  buildTopology(root, resumed ? { ...ctx, resumedStreamTime: resumed } : ctx, () => {}, {
    input: (step, side, emit) => {
      if (step.kind === 'Aggregate') {
        if (repartitionOf(step, 'input') === undefined) return emit;
        const r = cut(step, 'input');
        readRepartition(ctx, r.topic, emit);
        return groupByRouter(step, ctx, r);
      }
      const s = side === 'right' ? 'right' : 'left';
      if (step.variant === 'FK_TABLE_TABLE') {
        if (s === 'left') return emit;
        const r = cut(step, 'right');
        readRepartition(ctx, r.topic, emit);
        return broadcastRouter(ctx, r);
      }
      if (!needsJoinRepartition(step, s)) return emit;
      const r = cut(step, s);
      readRepartition(ctx, r.topic, emit);
      return joinKeyRouter(step, s, s === 'left' ? step.right : step.left, ctx, r);
    },
  });
}


// ------------------------------------------------------------ repartition records

/**
 * A repartition record's value (codec.ts): the record's key, value, old value,
 * source partition and offset, window, headers and GROUP BY values (computed
 * once where the record was routed), as one array, in the codec's binary
 * encoding. Before issue 14 it was the object `WireRec` in the codec's JSON:
 * records written so (a repartition topic read across an upgrade) still decode.
 */
type Wire = [k: readonly unknown[], v: readonly unknown[] | null, p: number, off: number, w: { start: number; end: number } | null, h: readonly { key: string; value: Buffer | null }[], o: readonly unknown[] | null | undefined, g: readonly unknown[] | undefined];

/** The JSON-era repartition value. */
interface WireRec {
  readonly k: readonly unknown[];
  readonly v: readonly unknown[] | null;
  readonly o?: readonly unknown[] | null;
  readonly p: number;
  readonly off: number;
  readonly w: { start: number; end: number } | null;
  readonly h: readonly { key: string; value: Buffer | null }[];
  readonly g?: readonly unknown[];
}

function writeRepartition(ctx: RuntimeContext, r: Repartitioned, routingKey: Buffer, rec: Rec, partition = murmur2Partition(routingKey, r.partitions), group?: readonly unknown[]): void {
  const wire: Wire = [rec.key, rec.value, rec.partition, rec.offset, rec.window, rec.headers, rec.old, group];
  ctx.produce(r.topic, { key: routingKey, value: encodeValue(wire), timestamp: Math.max(0, rec.ts), partition });
}

/**
 * A foreign-key join's right table, sent to every partition: each task of the
 * left table holds the whole right table, so a left row finds the row its
 * foreign key names whichever partition that row lives in, and a right
 * update reaches every left row that references it. (Kafka Streams routes
 * subscriptions and responses through two topics instead and keeps one copy
 * of the right table; this keeps one per task.)
 */
function broadcastRouter(ctx: RuntimeContext, r: Repartitioned): Emit {
  return (rec) => {
    const key = Buffer.from(keyString(rec.key), 'utf8');
    for (let p = 0; p < r.partitions; p++) writeRepartition(ctx, r, key, rec, p);
  };
}

function readRepartition(ctx: RuntimeContext, topic: string, emit: Emit): void {
  ctx.subscribe(topic, (r: BrokerRecord) => {
    if (r.value === null) return;
    const d = decodeValue<Wire | WireRec>(r.value);
    const w: Wire = Array.isArray(d) ? d : [d.k, d.v, d.p, d.off, d.w, d.h, d.o, d.g];
    emit({ key: w[0], value: w[1], ...(w[6] !== undefined ? { old: w[6] } : {}), ts: r.timestamp, partition: w[2], offset: w[3], window: w[4], headers: w[5], ...(w[7] !== undefined ? { group: w[7] } : {}) });
  });
}

/** Sends each record to the partition of its group; a table update whose group changes becomes a retraction for the old group and an addition for the new. */
function groupByRouter(step: AggregateStep, ctx: RuntimeContext, r: Repartitioned): Emit {
  const fns = step.groupBy.map((g) => compileOverRecord(g, step.input, ctx.functions).fn);
  /** the group's values and its routing key; the values travel with the record, so the aggregation does not evaluate GROUP BY again */
  const groupOf = (rec: Rec, values: readonly unknown[]): { values: unknown[]; bytes: Buffer } | null => {
    try {
      const key = fns.map((f) => f(rec.key, values, rec));
      return key.some((k) => k === null) ? null : { values: key, bytes: Buffer.from(keyString(key), 'utf8') };
    } catch (e) {
      logProcessingError(ctx, 'GROUP BY', e);
      return null;
    }
  };
  return (rec) => {
    if (step.inputType !== 'TABLE') {
      if (rec.value === null) return;
      const g = groupOf(rec, rec.value);
      if (g) writeRepartition(ctx, r, g.bytes, rec, undefined, g.values);
      return;
    }
    const oldG = rec.old ? groupOf(rec, rec.old) : null;
    const newG = rec.value ? groupOf(rec, rec.value) : null;
    if (oldG && newG && oldG.bytes.equals(newG.bytes)) {
      writeRepartition(ctx, r, newG.bytes, rec, undefined, newG.values);
      return;
    }
    if (oldG) writeRepartition(ctx, r, oldG.bytes, { ...rec, value: null }, undefined, oldG.values);
    if (newG) writeRepartition(ctx, r, newG.bytes, { ...rec, old: null }, undefined, newG.values);
  };
}

/**
 * Sends a stream record to the partition its join key has in the other side's
 * topic: the key serialized as the other side's source serializes its key,
 * hashed as Kafka's default partitioner does.
 */
function joinKeyRouter(step: JoinStep, side: 'left' | 'right', other: Step, ctx: RuntimeContext, r: Repartitioned): Emit {
  const input = side === 'left' ? step.left : step.right;
  const keyFn = compileOverRecord(side === 'left' ? step.leftKey : step.rightKey, input, ctx.functions).fn;
  const otherSource = needsJoinRepartition(step, side === 'left' ? 'right' : 'left') ? null : sourceOf(other);
  const otherKeyCols = otherSource?.columns.filter((c) => c.namespace === 'KEY') ?? [];
  const serde = otherSource ? makeKeySerde(ctx, otherSource.topic, otherSource.keyFormat, otherKeyCols, null) : null;
  return (rec) => {
    if (rec.value === null) return;
    let key: unknown;
    try {
      key = keyFn(rec.key, rec.value, rec);
    } catch (e) {
      logProcessingError(ctx, 'join key', e);
      return;
    }
    if (key === null) return; // a null join key never matches
    const bytes = serde ? serde.serialize([key], null) : Buffer.from(keyString([key]), 'utf8');
    writeRepartition(ctx, r, bytes ?? Buffer.alloc(0), rec);
  };
}
