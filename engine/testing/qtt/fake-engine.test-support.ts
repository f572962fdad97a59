/** A tiny stand-in engine for the runner's own tests (the real one: engine-deps.ts). */
import type { Column, DataSource } from '../../catalog/data-source.js';
import type { BrokerRecord, InMemoryBroker, ProduceRecord, TopicInfo } from '../../driver/broker.js';
import type { StatementResult } from '../../engine.js';
import type { RegisteredSchema, SchemaRegistry, Serde, WindowKind } from '../../serde/types.js';
import type { SqlType } from '../../types/sql-type.js';
import type { SerdeApi, WindowedSerde } from './codec.js';
import type { CaseEngine, RunnerDeps } from './run-case.js';

export class FakeRegistry implements SchemaRegistry {
  readonly #schemas: RegisteredSchema[] = [];
  register(subject: string, schemaType: RegisteredSchema['schemaType'], schema: string): RegisteredSchema {
    const s = { id: this.#schemas.length + 1, subject, version: 1, schemaType, schema };
    this.#schemas.push(s);
    return s;
  }
  latest(subject: string): RegisteredSchema | undefined {
    return [...this.#schemas].reverse().find((s) => s.subject === subject);
  }
  byId(id: number): RegisteredSchema | undefined {
    return this.#schemas.find((s) => s.id === id);
  }
  subjects(): readonly string[] {
    return [...new Set(this.#schemas.map((s) => s.subject))];
  }
}

export function col(name: string, type: SqlType, namespace: Column['namespace'] = 'VALUE'): Column {
  return { name, type, namespace };
}

export function source(name: string, topic: string, columns: Column[], extra: Partial<DataSource> = {}): DataSource {
  return {
    name,
    sourceType: 'STREAM',
    columns,
    topic,
    keyFormat: { format: 'KAFKA', properties: {} },
    valueFormat: { format: 'JSON', properties: {} },
    window: null,
    timestamp: null,
    isSource: false,
    isSink: false,
    sql: '',
    ...extra,
  };
}

/**
 * Statements understood: `SOURCE <name>` declares one of the given sources;
 * `PIPE <from> <to>` copies every record of topic <from> to topic <to>
 * (adding 1 to the timestamp); `LOOP <topic>` copies a topic onto itself
 * forever; anything containing `BAD` throws. Records are processed as they
 * are piped, synchronously.
 */
export function fakeEngine(broker: InMemoryBroker, available: readonly DataSource[]): CaseEngine {
  const declared: DataSource[] = [];
  // a plain object, not a class instance: tests wrap it with a spread
  return {
    registry: new FakeRegistry(),
    execute: (sql: string): StatementResult[] => {
      const [verb, a, b] = sql.trim().replace(/;$/, '').split(/\s+/);
      if (sql.includes('BAD')) throw new Error(`Syntax error at or near 'BAD'`);
      if (verb === 'SOURCE') {
        const s = available.find((x) => x.name === a);
        if (!s) throw new Error(`unknown source ${a}`);
        declared.push(s);
      } else if (verb === 'PIPE') {
        broker.subscribe(a!, (r) => void broker.produce(b!, { key: r.key, value: r.value, timestamp: r.timestamp + 1, headers: r.headers }));
      } else if (verb === 'LOOP') {
        broker.subscribe(a!, (r) => void broker.produce(a!, { key: r.key, value: r.value, timestamp: r.timestamp }));
      }
      return [];
    },
    source: (name: string): DataSource | undefined => declared.find((s) => s.name === name),
    sources: (): readonly DataSource[] => declared,
    createTopic: (name: string, partitions: number): void => void broker.createTopic(name, partitions),
    pipe: (topic: string, rec: ProduceRecord): void => void broker.produce(topic, rec),
    read: (topic: string): readonly BrokerRecord[] => broker.readInOrder(topic),
    topic: (name: string): TopicInfo | undefined => broker.topic(name),
    topics: (): readonly TopicInfo[] => broker.topics(),
    close: (): void => {},
  };
}

/** AVRO stand-in: JSON text of the column values (bigint as string); windows per ksqlDB's layouts. */
export const fakeSerde: SerdeApi = {
  createSerde: (_format, columns): Serde => ({
    serialize: (values) => (values === null ? null : Buffer.from(JSON.stringify(values, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)))),
    deserialize: (bytes) => {
      if (bytes === null) return null;
      const vals = JSON.parse(bytes.toString('utf8')) as unknown[];
      return vals.map((v, i) => (columns[i]?.type.kind === 'BIGINT' && v !== null ? BigInt(v as string) : v));
    },
  }),
  windowedKeySerde: (inner: Serde, kind: WindowKind): WindowedSerde => ({
    serialize: ({ values, window }) => {
      const k = inner.serialize(values) ?? Buffer.alloc(0);
      const t = Buffer.alloc(kind === 'SESSION' ? 16 : 8);
      if (kind === 'SESSION') {
        t.writeBigInt64BE(BigInt(window.end), 0);
        t.writeBigInt64BE(BigInt(window.start), 8);
      } else t.writeBigInt64BE(BigInt(window.start), 0);
      return Buffer.concat([k, t]);
    },
    deserialize: (bytes) => {
      if (bytes === null) return null;
      const n = kind === 'SESSION' ? 16 : 8;
      const values = inner.deserialize(bytes.subarray(0, bytes.length - n));
      const t = bytes.subarray(bytes.length - n);
      const window =
        kind === 'SESSION' ? { start: Number(t.readBigInt64BE(8)), end: Number(t.readBigInt64BE(0)) } : { start: Number(t.readBigInt64BE(0)), end: Number(t.readBigInt64BE(0)) + 1000 };
      return { values, window };
    },
  }),
};

export function fakeDeps(available: readonly DataSource[]): RunnerDeps {
  return { createEngine: ({ broker }) => fakeEngine(broker, available), serde: fakeSerde };
}
