/**
 * JSON_SR format: JSON text behind the Confluent header (magic 0 + 4-byte
 * schema id). Writes register a JSON Schema generated from the columns (the
 * shape Kafka Connect's JsonSchemaData produces: `oneOf` null/T,
 * `connect.type`, `connect.index`); reads skip the header and coerce as JSON.
 */
import { assertNever, type SqlType } from '../types/sql-type.js';
import { confluentHeader, readConfluentHeader } from './avro.js';
import { jsonSerde } from './json.js';
import { SerdeError, type SchemaRegistry, type Serde, type SerdeColumn } from './types.js';

function jsonSchemaOf(t: SqlType): Record<string, unknown> {
  switch (t.kind) {
    case 'BOOLEAN':
      return { type: 'boolean', 'connect.type': 'boolean' };
    case 'INTEGER':
      return { type: 'integer', 'connect.type': 'int32' };
    case 'BIGINT':
      return { type: 'integer', 'connect.type': 'int64' };
    case 'DOUBLE':
      return { type: 'number', 'connect.type': 'float64' };
    case 'STRING':
      return { type: 'string', 'connect.type': 'string' };
    case 'BYTES':
      return { type: 'string', 'connect.type': 'bytes' };
    case 'DECIMAL':
      return { type: 'number', title: 'org.apache.kafka.connect.data.Decimal', 'connect.version': 1, 'connect.type': 'bytes', 'connect.parameters': { scale: String(t.scale), 'connect.decimal.precision': String(t.precision) } };
    case 'DATE':
      return { type: 'integer', title: 'org.apache.kafka.connect.data.Date', 'connect.version': 1, 'connect.type': 'int32' };
    case 'TIME':
      return { type: 'integer', title: 'org.apache.kafka.connect.data.Time', 'connect.version': 1, 'connect.type': 'int32' };
    case 'TIMESTAMP':
      return { type: 'integer', title: 'org.apache.kafka.connect.data.Timestamp', 'connect.version': 1, 'connect.type': 'int64' };
    case 'ARRAY':
      return { type: 'array', items: optional(jsonSchemaOf(t.element)) };
    case 'MAP':
      if (t.key.kind !== 'STRING') throw new SerdeError('JSON only supports MAP types with STRING keys');
      return { type: 'object', additionalProperties: optional(jsonSchemaOf(t.value)), 'connect.type': 'map' };
    case 'STRUCT':
      return objectSchema(t.fields);
    case 'NULL':
      return { type: 'null' };
    default:
      return assertNever(t, 'type');
  }
}

function optional(s: Record<string, unknown>): Record<string, unknown> {
  return { oneOf: [{ type: 'null' }, s] };
}

function objectSchema(fields: readonly { name: string; type: SqlType }[]): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  fields.forEach((f, i) => (properties[f.name] = { 'connect.index': i, ...optional(jsonSchemaOf(f.type)) }));
  return { type: 'object', properties };
}

/** The JSON Schema generated for the columns (single unwrapped column: its optional type). */
export function jsonSchemaFor(columns: readonly SerdeColumn[], unwrapped: boolean): Record<string, unknown> {
  if (unwrapped) return optional(jsonSchemaOf(columns[0]!.type));
  return objectSchema(columns);
}

export interface JsonSrSerdeOptions {
  readonly topic: string;
  readonly isKey: boolean;
  readonly registry: SchemaRegistry;
  readonly unwrapped: boolean;
  readonly schemaId?: number;
}

export function jsonSrSerde(columns: readonly SerdeColumn[], opts: JsonSrSerdeOptions): Serde {
  const subject = `${opts.topic}-${opts.isKey ? 'key' : 'value'}`;
  const schemaText = JSON.stringify(jsonSchemaFor(columns, opts.unwrapped));
  let id: number | undefined;
  const schemaId = (): number => {
    if (id === undefined) {
      if (opts.schemaId !== undefined) {
        if (!opts.registry.byId(opts.schemaId)) throw new SerdeError(`Schema with id ${opts.schemaId} does not exist in the Schema Registry.`);
        id = opts.schemaId;
      } else id = opts.registry.register(subject, 'JSON', schemaText).id;
    }
    return id;
  };
  return jsonSerde(columns, {
    unwrapped: opts.unwrapped,
    prefix: () => confluentHeader(schemaId()),
    stripPrefix: (bytes) => readConfluentHeader(bytes, 'JSON_SR').body,
  });
}
