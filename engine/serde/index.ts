/**
 * engine/serde: serializers for ksqlDB's key and value formats.
 * `createSerde` validates the columns against the format (ksqlDB's messages)
 * and dispatches to one file per format.
 */
import { formatTypeForMessage } from '../types/cast.js';
import { formatType, type SqlType } from '../types/sql-type.js';
import { avroSerde } from './avro.js';
import { delimitedSerde, parseDelimiter } from './delimited.js';
import { jsonSerde } from './json.js';
import { jsonSrSerde } from './json-sr.js';
import { checkKafkaColumns, kafkaSerde } from './kafka.js';
import { noneSerde } from './none.js';
import { protobufSerde } from './protobuf.js';
import { SerdeError, type FormatInfo, type Serde, type SerdeColumn, type SerdeOptions } from './types.js';

export * from './types.js';
export { InMemorySchemaRegistry, RestSchemaRegistryClient, type RestSchemaRegistryOptions } from './schema-registry.js';
export { windowedKeySerde, type WindowedKey, type WindowedSerde } from './windowed.js';
export { schemaToColumns, columnsToSchema, type GeneratedSchema, type SchemaToColumnsOptions } from './schema-columns.js';
export { parseDelimiter } from './delimited.js';
export { avroSchemaFor } from './avro.js';
export { protobufSchemaFor } from './protobuf.js';
export { jsonSchemaFor } from './json-sr.js';
export { coerce, javaDoubleToString } from './coerce.js';
export { writeJsonValue, parseJsonLossless } from './json.js';
export { toTestJson, fromTestJson } from './test-values.js';

function walk(t: SqlType, f: (t: SqlType) => void): void {
  f(t);
  if (t.kind === 'ARRAY') walk(t.element, f);
  else if (t.kind === 'MAP') {
    walk(t.key, f);
    walk(t.value, f);
  } else if (t.kind === 'STRUCT') for (const x of t.fields) walk(x.type, f);
}

function checkMapKeys(columns: readonly SerdeColumn[], message: string): void {
  for (const c of columns) walk(c.type, (t) => {
    if (t.kind === 'MAP' && t.key.kind !== 'STRING') throw new SerdeError(message);
  });
}

function prop(format: FormatInfo, ...names: string[]): string | undefined {
  for (const n of names) {
    const v = format.properties[n];
    if (v !== undefined) return v;
  }
  return undefined;
}

function wrapSetting(format: FormatInfo, opts: SerdeOptions): boolean | undefined {
  if (opts.wrapSingleValue !== undefined) return opts.wrapSingleValue;
  const p = format.properties['WRAP_SINGLE_VALUE'];
  return p === undefined ? undefined : p.toLowerCase() === 'true';
}

/** Reasons a format cannot carry some columns (ksqlDB's format-level checks). */
function checkColumns(name: FormatInfo['format'], columns: readonly SerdeColumn[], isKey: boolean): void {
  switch (name) {
    case 'DELIMITED':
      for (const c of columns) {
        if (c.type.kind === 'ARRAY' || c.type.kind === 'MAP' || c.type.kind === 'STRUCT') {
          throw new SerdeError(`The 'DELIMITED' format does not support type '${c.type.kind}', column: \`${c.name}\``);
        }
      }
      return;
    case 'KAFKA':
      checkKafkaColumns(columns, isKey);
      return;
    case 'JSON':
    case 'JSON_SR':
      checkMapKeys(columns, 'JSON only supports MAP types with STRING keys');
      return;
    case 'AVRO':
      checkMapKeys(columns, 'Avro only supports MAPs with STRING keys');
      return;
    case 'PROTOBUF':
    case 'PROTOBUF_NOSR':
      checkMapKeys(columns, 'PROTOBUF format only supports MAP types with STRING keys');
      return;
    case 'NONE':
      return;
  }
}

/** ksqlDB's `Persistence{columns=[...], features=[...]}` rendering of a key or value schema. */
function describePersistence(columns: readonly SerdeColumn[], isKey: boolean, unwrapped: boolean): string {
  const cols = columns.map((c) => `\`${c.name}\` ${formatTypeForMessage(c.type)}${isKey ? ' KEY' : ''}`).join(', ');
  return `Persistence{columns=[${cols}], features=[${unwrapped ? 'UNWRAP_SINGLES' : ''}]}`;
}

/**
 * Checks that the format can carry the columns and returns whether the single
 * column is written unwrapped. Throws SerdeError with ksqlDB's message: a
 * column the format cannot carry reads "Key (Value) format does not support
 * schema. format: ... schema: Persistence{...} reason: ...".
 */
export function validateFormat(format: FormatInfo, columns: readonly SerdeColumn[], opts: Pick<SerdeOptions, 'isKey' | 'wrapSingleValue'>): boolean {
  const wrap = opts.isKey ? undefined : wrapSetting(format, opts as SerdeOptions);
  const name = format.format;
  if (!opts.isKey && wrap !== undefined) {
    if (name === 'DELIMITED' && wrap) throw new SerdeError("Format 'DELIMITED' does not support 'WRAP_SINGLE_VALUE' set to 'true'.");
    if (name === 'KAFKA' && wrap) throw new SerdeError("Format 'KAFKA' does not support 'WRAP_SINGLE_VALUE' set to 'true'.");
    if ((name === 'PROTOBUF' || name === 'PROTOBUF_NOSR') && !wrap) throw new SerdeError(`Format '${name}' does not support 'WRAP_SINGLE_VALUE' set to 'false'.`);
  }
  const wrappable = name === 'JSON' || name === 'JSON_SR' || name === 'AVRO';
  const unwrapped = wrappable && columns.length === 1 && (opts.isKey ? true : wrap === false);
  try {
    checkColumns(name, columns, opts.isKey);
  } catch (e) {
    if (!(e instanceof SerdeError)) throw e;
    throw new SerdeError(
      `${opts.isKey ? 'Key' : 'Value'} format does not support schema.\nformat: ${name}\nschema: ${describePersistence(columns, opts.isKey, unwrapped)}\nreason: ${e.message}`,
    );
  }
  return unwrapped;
}

/**
 * A single-column key whose value is null is written as a null key, as a null
 * key read from a topic is written back by ksqlDB (and as the KAFKA format
 * does), rather than as an empty CSV record; both read back as a null column.
 */
function nullForNullSingleKey(inner: Serde): Serde {
  return {
    serialize: (values) => (values === null || (values[0] ?? null) === null ? null : inner.serialize(values)),
    deserialize: (bytes) => inner.deserialize(bytes),
  };
}

/** Format properties as ksqlDB names them in messages, and the formats that accept each. */
const FORMAT_CONFIGS: readonly { readonly config: string; readonly props: readonly string[]; readonly formats: readonly FormatInfo['format'][] }[] = [
  { config: 'delimiter', props: ['DELIMITER'], formats: ['DELIMITED'] },
  { config: 'fullSchemaName', props: ['FULL_SCHEMA_NAME', 'SCHEMA_FULL_NAME', 'AVRO_SCHEMA_FULL_NAME'], formats: ['AVRO', 'PROTOBUF', 'PROTOBUF_NOSR'] },
];

/** Rejects properties the format does not take, e.g. "JSON does not support the following configs: [delimiter]". */
function checkFormatConfigs(format: FormatInfo): void {
  const unsupported = FORMAT_CONFIGS.filter((c) => !c.formats.includes(format.format) && c.props.some((p) => format.properties[p] !== undefined)).map((c) => c.config);
  if (unsupported.length > 0) throw new SerdeError(`${format.format} does not support the following configs: [${unsupported.join(', ')}]`);
}

/**
 * The WITH-clause properties of a format, checked as ksqlDB checks them when it
 * prepares a statement (before it looks at columns): configs the format does not
 * take, a DELIMITED format's delimiter.
 */
export function validateFormatProperties(format: FormatInfo): void {
  checkFormatConfigs(format);
  if (format.format === 'DELIMITED') parseDelimiter(prop(format, 'DELIMITER'));
}

/** The serde for one side (key or value) of a source or sink. */
export function createSerde(format: FormatInfo, columns: readonly SerdeColumn[], opts: SerdeOptions): Serde {
  checkFormatConfigs(format);
  const unwrapped = validateFormat(format, columns, opts);
  const schemaIdText = prop(format, 'SCHEMA_ID');
  const schemaId = schemaIdText !== undefined ? Number(schemaIdText) : undefined;
  const fullName = prop(format, 'FULL_SCHEMA_NAME', 'SCHEMA_FULL_NAME', 'AVRO_SCHEMA_FULL_NAME');
  if (fullName !== undefined && fullName.trim() === '') {
    throw new SerdeError('fullSchemaName cannot be empty. Format configuration: {fullSchemaName=}');
  }
  const common = { topic: opts.topic, isKey: opts.isKey, registry: opts.registry, ...(schemaId !== undefined ? { schemaId } : {}) };
  switch (format.format) {
    case 'JSON':
      return jsonSerde(columns, { unwrapped, ...(opts.used ? { used: opts.used } : {}) });
    case 'JSON_SR':
      return jsonSrSerde(columns, { ...common, unwrapped });
    case 'DELIMITED': {
      const serde = delimitedSerde(columns, parseDelimiter(prop(format, 'DELIMITER')), opts.topic);
      return opts.isKey && columns.length === 1 ? nullForNullSingleKey(serde) : serde;
    }
    case 'KAFKA':
      return kafkaSerde(columns);
    case 'NONE':
      return noneSerde(columns, opts.isKey);
    case 'AVRO':
      return avroSerde(columns, { ...common, unwrapped, ...(fullName ?? opts.schemaName ? { fullSchemaName: (fullName ?? opts.schemaName)! } : {}) });
    case 'PROTOBUF':
    case 'PROTOBUF_NOSR': {
      const rep = (prop(format, 'PROTOBUF_NULLABLE_REPRESENTATION', 'NULLABLE_REPRESENTATION') ?? '').toUpperCase();
      return protobufSerde(columns, {
        ...common,
        registry: format.format === 'PROTOBUF' ? opts.registry : null,
        wrapperNulls: rep === 'WRAPPER',
        optionalNulls: rep === 'OPTIONAL',
        confluent: format.format === 'PROTOBUF',
        ...(fullName ? { fullSchemaName: fullName } : {}),
      });
    }
    default:
      throw new SerdeError(`Unknown format: ${String((format as { format: string }).format)}`);
  }
}

/** Human-readable column list for messages, e.g. `` `A` INTEGER, `B` STRING``. */
export function describeColumns(columns: readonly SerdeColumn[]): string {
  return columns.map((c) => `\`${c.name}\` ${formatType(c.type)}`).join(', ');
}
