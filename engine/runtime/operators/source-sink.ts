import type { Column } from '../../catalog/data-source.js';
import { storeName } from '../../topology/internal-names.js';
import type { BrokerRecord, Header } from '../../driver/broker.js';
import { createSerde, windowedKeySerde } from '../../serde/index.js';
import type { FormatInfo, Serde, WindowBounds } from '../../serde/types.js';
import type { SinkStep, SourceStep } from '../../topology/topology.js';
import type { WindowInfo } from '../../catalog/data-source.js';
import type { RuntimeContext } from '../context.js';
import { keyString } from '../key-string.js';
import { rowsIncluded } from '../processing-log.js';
import type { Emit, Rec } from '../record.js';
import { STRING, type SqlType } from '../../types/sql-type.js';

export interface KeySerde {
  serialize(values: readonly unknown[], window: WindowBounds | null): Buffer | null;
  deserialize(bytes: Buffer | null): { values: unknown[]; window: WindowBounds | null };
}

export function makeKeySerde(ctx: RuntimeContext, topic: string, format: FormatInfo, columns: readonly Column[], window: WindowInfo | null): KeySerde {
  const inner = createSerde(format, columns.map((c) => ({ name: c.name, type: c.type })), { topic, isKey: true, registry: ctx.registry });
  if (!window) {
    return {
      serialize: (values) => (columns.length === 0 ? null : inner.serialize(values)),
      deserialize: (bytes) => ({ values: columns.length === 0 ? [] : inner.deserialize(bytes) ?? columns.map(() => null), window: null }),
    };
  }
  const w = windowedKeySerde(inner, window.kind, window.sizeMs);
  return {
    serialize: (values, bounds) => w.serialize({ values, window: bounds ?? { start: 0, end: 0 } }),
    deserialize: (bytes) => {
      const r = w.deserialize(bytes);
      return r ? { values: r.values ?? columns.map(() => null), window: r.window } : { values: columns.map(() => null), window: null };
    },
  };
}

export function makeValueSerde(ctx: RuntimeContext, topic: string, format: FormatInfo, columns: readonly Column[], used?: readonly boolean[]): Serde {
  const wrap = format.properties['WRAP_SINGLE_VALUE'];
  return createSerde(
    format,
    columns.map((c) => ({ name: c.name, type: c.type })),
    { topic, isKey: false, registry: ctx.registry, ...(wrap !== undefined ? { wrapSingleValue: wrap.toLowerCase() === 'true' } : {}), ...(used ? { used } : {}) },
  );
}

/** The bad record for the processing log: its position, and its bytes only with ksql.logging.processing.rows.include. */
function describeRecord(r: BrokerRecord, withRow: boolean): string {
  const position = { topic: r.topic, partition: r.partition, offset: r.offset };
  return JSON.stringify(withRow ? { ...position, key: r.key?.toString('base64') ?? null, value: r.value?.toString('base64') ?? null } : position);
}

/**
 * A row of a table source's store: its value columns and where it came from
 * (ROWTIME, ROWPARTITION, ROWOFFSET), which a join reading the store (a value
 * getter, see joinReadsTable) puts in the joined row, as Kafka Streams keeps
 * a ValueAndTimestamp.
 */
export interface StoredRow {
  readonly v: readonly unknown[];
  readonly t: number;
  readonly p: number;
  readonly o: number;
}

/** A stored row; one stored before the position was kept (its value columns only) comes with time, partition and offset 0. */
export function storedRow(s: StoredRow | readonly unknown[]): StoredRow {
  return Array.isArray(s) ? { v: s as readonly unknown[], t: 0, p: 0, o: 0 } : (s as StoredRow);
}

/**
 * Reads a source topic: deserializes, extracts event time, materializes tables.
 * `reads`: the value columns the query reads (null: all); a stream's other
 * columns are checked but not decoded. A table's rows are kept whole (its
 * store is the table's, and its changelog).
 */
export function sourceOperator(step: SourceStep, ctx: RuntimeContext, emit: Emit, reads: ReadonlySet<string> | null = null): void {
  const keyCols = step.columns.filter((c) => c.namespace === 'KEY');
  const valueCols = step.columns.filter((c) => c.namespace === 'VALUE');
  const extraCols = step.columns.filter((c) => c.namespace !== 'KEY');
  const keySerde = makeKeySerde(ctx, step.topic, step.keyFormat, keyCols, step.schema.window);
  const used = reads !== null && !step.materialize ? valueCols.map((c) => reads.has(c.name) || c.name === step.timestamp?.column) : undefined;
  const valueSerde = makeValueSerde(ctx, step.topic, step.valueFormat, valueCols, used);
  const store = step.materialize ? ctx.stores.keyValue<StoredRow | readonly unknown[]>(storeName(step, 'table')) : null;
  // the event-time column may be a value or a key column
  const tsIndex = step.timestamp ? extraCols.findIndex((c) => c.name === step.timestamp!.column) : -1;
  const tsKeyIndex = step.timestamp ? keyCols.findIndex((c) => c.name === step.timestamp!.column) : -1;
  const tsType = tsIndex >= 0 ? extraCols[tsIndex]!.type : tsKeyIndex >= 0 ? keyCols[tsKeyIndex]!.type : null;
  const eventTime = timestampOf(ctx, step.timestamp?.format ?? null, tsType);

  ctx.subscribe(step.topic, (r) => {
    let key: { values: unknown[]; window: WindowBounds | null };
    let value: unknown[] | null;
    let part: 'key' | 'value' = 'key';
    try {
      key = keySerde.deserialize(r.key);
      part = 'value';
      value = r.value === null ? null : valueSerde.deserialize(r.value);
    } catch (e) {
      ctx.log.log({
        logger: `${ctx.queryId}.KsqlTopic.Source.deserializer`,
        level: 'ERROR',
        time: Date.now(),
        type: 'DESERIALIZATION_ERROR',
        message: `Failed to deserialize ${part} from topic: ${step.topic}. ${(e as Error).message}`,
        topic: step.topic,
        record: describeRecord(r, rowsIncluded(ctx.properties)),
      });
      return;
    }
    if (value !== null && extraCols.length > valueCols.length) {
      // header columns sit among the value columns in declaration order
      const decoded = value;
      let vi = 0;
      value = extraCols.map((c) => (c.namespace === 'HEADERS' ? headerValue(r.headers, c) : decoded[vi++]));
    }
    let ts = r.timestamp;
    if (tsIndex >= 0 || tsKeyIndex >= 0) {
      if (value === null && tsKeyIndex < 0) {
        if (step.sourceType === 'STREAM') return;
      } else {
        const raw = tsKeyIndex >= 0 ? key.values[tsKeyIndex] : value![tsIndex];
        try {
          ts = eventTime(raw);
        } catch (e) {
          ctx.log.log({
            logger: `${ctx.queryId}.KsqlTopic.Source`,
            level: 'ERROR',
            time: Date.now(),
            type: 'RECORD_PROCESSING_ERROR',
            message: `Failed to extract timestamp from row: ${(e as Error).message}`,
            topic: step.topic,
            record: describeRecord(r, rowsIncluded(ctx.properties)),
          });
          return;
        }
      }
    }
    if (ts < 0) return; // Kafka Streams drops records with negative timestamps
    const nullKey = r.key === null ? true : undefined;
    if (store) {
      if (keyCols.length > 0 && key.values.every((v) => v === null)) return; // a table row needs a key
      const k = keyString(key.values) + (key.window ? `@${key.window.start}` : '');
      const stored = store.get(k);
      const old = stored === undefined ? null : storedRow(stored).v;
      if (value === null) {
        if (old === null) return;
        store.delete(k);
      } else store.put(k, { v: value, t: ts, p: r.partition, o: r.offset } satisfies StoredRow);
      emit({ key: key.values, value, old, ts, partition: r.partition, offset: r.offset, window: key.window, headers: r.headers, nullKey });
      return;
    }
    // a stream passes a null value on as a null row
    emit({ key: key.values, value, old: undefined, ts, partition: r.partition, offset: r.offset, window: key.window, headers: r.headers, nullKey });
  });
}

function headerValue(headers: readonly Header[], c: Column): unknown {
  if (c.headerKey !== undefined && c.headerKey !== null) {
    let found: Buffer | null = null;
    for (const h of headers) if (h.key === c.headerKey) found = h.value;
    return found;
  }
  return headers.map((h) => ({ KEY: h.key, VALUE: h.value }));
}

/**
 * Reads a TIMESTAMP column's value as epoch milliseconds: BIGINT and
 * TIMESTAMP as they are, a STRING through its TIMESTAMP_FORMAT. Throws on
 * null and on what does not parse.
 */
function timestampOf(ctx: RuntimeContext, format: string | null, type: SqlType | null): (raw: unknown) => number {
  let parse: ((s: string) => number) | null = null;
  if (format !== null && type?.kind === 'STRING') {
    const fn = ctx.functions.get('PARSE_TIMESTAMP');
    if (fn && fn.kind === 'scalar') {
      const impl = fn.resolve([{ type: STRING }, { type: STRING, literal: format }]);
      parse = (s) => impl.invoke(s, format) as number;
    }
  }
  return (raw) => {
    if (raw === null || raw === undefined) throw new Error('timestamp column is null');
    const ts = typeof raw === 'bigint' ? Number(raw) : typeof raw === 'string' ? (parse ? parse(raw) : Number.NaN) : (raw as number);
    if (!Number.isFinite(ts)) throw new Error(`invalid timestamp ${String(raw)}`);
    return ts;
  };
}

/** Serializes and writes records to the sink topic. */
export function sinkOperator(step: SinkStep, ctx: RuntimeContext): Emit {
  const keyCols = step.columns.filter((c) => c.namespace === 'KEY');
  const valueCols = step.columns.filter((c) => c.namespace === 'VALUE');
  const keySerde = makeKeySerde(ctx, step.topic, step.keyFormat, keyCols, step.schema.window);
  const valueSerde = makeValueSerde(ctx, step.topic, step.valueFormat, valueCols);
  const valueIdx = valueCols.map((c) => step.input.schema.value.findIndex((v) => v.name === c.name));
  const tsIdx = step.timestamp ? step.input.schema.value.findIndex((v) => v.name === step.timestamp!.column) : -1;
  const eventTime = timestampOf(ctx, step.timestamp?.format ?? null, tsIdx >= 0 ? step.input.schema.value[tsIdx]!.type : null);
  // the sink's value columns are usually its input's, in order: written as they are
  const identity = valueIdx.length === step.input.schema.value.length && valueIdx.every((x, i) => x === i);
  const values = (v: readonly unknown[]): readonly unknown[] => (identity && !v.includes(undefined) ? v : valueIdx.map((i) => v[i] ?? null));
  return (rec: Rec) => {
    let key: Buffer | null;
    let value: Buffer | null;
    let ts = rec.ts;
    if (tsIdx >= 0 && rec.value !== null && rec.value[tsIdx] !== null && rec.value[tsIdx] !== undefined) {
      try {
        ts = eventTime(rec.value[tsIdx]);
      } catch (e) {
        ctx.log.log({
          logger: `${ctx.queryId}.${step.sinkName}.timestamp`,
          level: 'ERROR',
          time: Date.now(),
          type: 'RECORD_PROCESSING_ERROR',
          message: `Failed to extract timestamp from row: ${(e as Error).message}`,
          topic: step.topic,
        });
        return;
      }
    }
    try {
      key = rec.nullKey && rec.key.every((v) => v === null) ? null : keySerde.serialize(rec.key, rec.window);
      value = rec.value === null ? null : valueSerde.serialize(values(rec.value));
    } catch (e) {
      ctx.log.log({
        logger: `${ctx.queryId}.${step.sinkName}.serializer`,
        level: 'ERROR',
        time: Date.now(),
        type: 'SERIALIZATION_ERROR',
        message: `Error serializing message to topic: ${step.topic}. ${(e as Error).message}`,
        topic: step.topic,
      });
      return;
    }
    if (ts < 0) {
      ctx.log.log({
        logger: `${ctx.queryId}.${step.sinkName}.producer`,
        level: 'ERROR',
        time: Date.now(),
        type: 'PRODUCTION_ERROR',
        message: `Invalid negative timestamp ${ts} for a record written to topic: ${step.topic}`,
        topic: step.topic,
      });
      return;
    }
    ctx.produce(step.topic, { key, value, timestamp: ts, headers: rec.headers });
  };
}
