/**
 * Registered schemas ⇄ columns: infer columns from an Avro, Protobuf or JSON
 * schema (CREATE without columns; field names upper-cased as ksqlDB does), and
 * generate the schema ksqlDB registers for a sink's columns.
 */
import protobuf from 'protobufjs';
import { decimal, type SqlType, type StructField } from '../types/sql-type.js';
import { avroSchemaFor } from './avro.js';
import { jsonSchemaFor } from './json-sr.js';
import { parseProto, protobufSchemaFor, type ParsedProto } from './protobuf.js';
import { SerdeError, type FormatName, type RegisteredSchema, type SerdeColumn } from './types.js';

/** How a schema's field name becomes a column / struct field name. */
type FieldNamer = (name: string) => string;
const upper: FieldNamer = (n) => n.toUpperCase();

// -------------------------------------------------------------------- Avro

function avroToSql(s: unknown, named: Map<string, unknown>, ns: string, nm: FieldNamer): SqlType | null {
  if (typeof s === 'string') {
    switch (s) {
      case 'boolean':
        return { kind: 'BOOLEAN' };
      case 'int':
        return { kind: 'INTEGER' };
      case 'long':
        return { kind: 'BIGINT' };
      case 'float':
      case 'double':
        return { kind: 'DOUBLE' };
      case 'string':
        return { kind: 'STRING' };
      case 'bytes':
        return { kind: 'BYTES' };
      case 'null':
        return null;
      default: {
        const ref = named.get(s) ?? named.get(`${ns}.${s}`);
        if (ref === undefined) throw new SerdeError(`Unknown Avro type: ${s}`);
        return avroToSql(ref, named, ns, nm);
      }
    }
  }
  if (Array.isArray(s)) {
    const branches = s.filter((b) => b !== 'null');
    if (branches.length === 1) return avroToSql(branches[0], named, ns, nm);
    // a multi-branch union: a struct with one optional field per branch, named as Connect's
    // AvroData names union members (a named type by its name, any other by its type name)
    return {
      kind: 'STRUCT',
      fields: branches.map((b) => ({ name: nm(avroUnionMemberName(b)), type: avroToSql(b, named, ns, nm) ?? { kind: 'STRING' } })),
    };
  }
  const o = s as Record<string, unknown>;
  const type = o['type'];
  const logical = o['logicalType'];
  if (logical === 'decimal') return decimal(Number(o['precision'] ?? 64), Number(o['scale'] ?? 0));
  if (logical === 'date') return { kind: 'DATE' };
  if (logical === 'time-millis') return { kind: 'TIME' };
  if (logical === 'timestamp-millis') return { kind: 'TIMESTAMP' };
  switch (type) {
    case 'record':
    case 'error': {
      const name = String(o['name'] ?? '');
      const space = typeof o['namespace'] === 'string' ? (o['namespace'] as string) : ns;
      if (name) {
        named.set(name, s);
        named.set(`${space}.${name}`, s);
      }
      return { kind: 'STRUCT', fields: avroFields(o['fields'] as unknown[], named, space, nm) };
    }
    case 'enum':
      if (o['name']) named.set(String(o['name']), 'string');
      return { kind: 'STRING' };
    case 'fixed':
      if (o['name']) named.set(String(o['name']), 'bytes');
      return { kind: 'BYTES' };
    case 'array': {
      const el = avroToSql(o['items'], named, ns, nm) ?? { kind: 'STRING' };
      return { kind: 'ARRAY', element: el };
    }
    case 'map':
      return { kind: 'MAP', key: { kind: 'STRING' }, value: avroToSql(o['values'], named, ns, nm) ?? { kind: 'STRING' } };
    default:
      return avroToSql(type, named, ns, nm);
  }
}

function avroFields(fields: unknown[], named: Map<string, unknown>, ns: string, nm: FieldNamer): StructField[] {
  const out: StructField[] = [];
  for (const f of fields) {
    const fo = f as { name: string; type: unknown };
    const t = avroToSql(fo.type, named, ns, nm);
    if (t) out.push({ name: nm(fo.name), type: t });
  }
  return out;
}

function avroColumns(text: string, isKey: boolean, nm: FieldNamer, deps: readonly string[] = []): SerdeColumn[] {
  const parse = (t: string): unknown => {
    try {
      return JSON.parse(t);
    } catch {
      return t.trim();
    }
  };
  const s = parse(text);
  const named = new Map<string, unknown>();
  // the named types of the schema's references, for the schema to use by name
  for (const d of deps) avroToSql(parse(d), named, '', nm);
  const t = avroToSql(s, named, '', nm);
  // keys are read unwrapped (UNWRAP_SINGLES): a record is one STRUCT key column
  if (t && t.kind === 'STRUCT' && isRecordSchema(s) && !isKey) return t.fields.map((f) => ({ name: f.name, type: f.type }));
  return t ? [{ name: isKey ? 'ROWKEY' : 'ROWVAL', type: t }] : [];
}

function isRecordSchema(s: unknown): boolean {
  if (Array.isArray(s)) {
    const b = s.filter((x) => x !== 'null');
    return b.length === 1 && isRecordSchema(b[0]);
  }
  return typeof s === 'object' && s !== null && (s as { type?: unknown }).type === 'record';
}

// ---------------------------------------------------------------- Protobuf

function protoFieldType(f: protobuf.Field, p: ParsedProto, nm: FieldNamer): SqlType {
  const base = protoTypeToSql(f, p, nm);
  if (f.map) return { kind: 'MAP', key: { kind: 'STRING' }, value: base };
  if (f.repeated) return { kind: 'ARRAY', element: base };
  return base;
}

function protoTypeToSql(f: protobuf.Field, p: ParsedProto, nm: FieldNamer): SqlType {
  const rt = f.resolvedType;
  if (rt instanceof protobuf.Enum) return { kind: 'STRING' };
  if (rt instanceof protobuf.Type) {
    const wk = rt.fullName.replace(/^\./, '');
    switch (wk) {
      case 'confluent.type.Decimal': {
        const m = p.decimals.get(f.name);
        return decimal(m?.precision ?? 64, m?.scale ?? 0);
      }
      case 'google.type.Date':
        return { kind: 'DATE' };
      case 'google.type.TimeOfDay':
        return { kind: 'TIME' };
      case 'google.protobuf.Timestamp':
        return { kind: 'TIMESTAMP' };
      case 'google.protobuf.BoolValue':
        return { kind: 'BOOLEAN' };
      case 'google.protobuf.Int32Value':
        return { kind: 'INTEGER' };
      case 'google.protobuf.UInt32Value':
      case 'google.protobuf.Int64Value':
      case 'google.protobuf.UInt64Value':
        return { kind: 'BIGINT' };
      case 'google.protobuf.DoubleValue':
      case 'google.protobuf.FloatValue':
        return { kind: 'DOUBLE' };
      case 'google.protobuf.StringValue':
        return { kind: 'STRING' };
      case 'google.protobuf.BytesValue':
        return { kind: 'BYTES' };
      default:
        return { kind: 'STRUCT', fields: rt.fieldsArray.map((x) => ({ name: nm(x.name), type: protoFieldType(x, p, nm) })) };
    }
  }
  switch (f.type) {
    case 'bool':
      return { kind: 'BOOLEAN' };
    case 'int32':
    case 'sint32':
    case 'sfixed32':
      return { kind: 'INTEGER' };
    case 'uint32':
    case 'fixed32':
    case 'int64':
    case 'sint64':
    case 'sfixed64':
    case 'uint64':
    case 'fixed64':
      return { kind: 'BIGINT' };
    case 'float':
    case 'double':
      return { kind: 'DOUBLE' };
    case 'string':
      return { kind: 'STRING' };
    case 'bytes':
      return { kind: 'BYTES' };
    default:
      throw new SerdeError(`Unsupported Protobuf type: ${f.type}`);
  }
}

/** Connect's name for a union member: a record, enum or fixed by its (simple) name, anything else by its type. */
export function avroUnionMemberName(b: unknown): string {
  if (typeof b === 'string') return b.includes('.') ? b.slice(b.lastIndexOf('.') + 1) : b;
  if (b !== null && typeof b === 'object' && !Array.isArray(b)) {
    const o = b as Record<string, unknown>;
    if ((o['type'] === 'record' || o['type'] === 'error' || o['type'] === 'enum' || o['type'] === 'fixed') && typeof o['name'] === 'string') {
      const n = o['name'];
      return n.includes('.') ? n.slice(n.lastIndexOf('.') + 1) : n;
    }
    return typeof o['type'] === 'string' ? avroUnionMemberName(o['type']) : 'union';
  }
  return 'union';
}

function protobufColumns(text: string, nm: FieldNamer, fullName?: string, deps: readonly string[] = []): SerdeColumn[] {
  const p = parseProto(text, deps);
  const t = fullName ? p.root.lookup(fullName) : p.messages[0];
  if (!(t instanceof protobuf.Type)) throw new SerdeError(`Schema does not contain message ${fullName ?? ''}`.trim());
  return t.fieldsArray.map((f) => ({ name: nm(f.name), type: protoFieldType(f, p, nm) }));
}

// ------------------------------------------------------------- JSON Schema

function jsonSchemaToSql(s: Record<string, unknown>, defs: Record<string, unknown>, nm: FieldNamer): SqlType | null {
  if (typeof s['$ref'] === 'string') {
    const name = (s['$ref'] as string).split('/').pop()!;
    const d = defs[name];
    return d ? jsonSchemaToSql(d as Record<string, unknown>, defs, nm) : { kind: 'STRING' };
  }
  const alts = (s['oneOf'] ?? s['anyOf']) as Record<string, unknown>[] | undefined;
  if (alts) {
    const nonNull = alts.filter((a) => a['type'] !== 'null');
    return nonNull.length === 1 ? jsonSchemaToSql(nonNull[0]!, defs, nm) : { kind: 'STRING' };
  }
  let type = s['type'];
  if (Array.isArray(type)) type = type.find((x) => x !== 'null');
  const title = s['title'];
  const ct = s['connect.type'];
  switch (type) {
    case 'null':
      return null;
    case 'boolean':
      return { kind: 'BOOLEAN' };
    case 'integer':
      if (title === 'org.apache.kafka.connect.data.Date') return { kind: 'DATE' };
      if (title === 'org.apache.kafka.connect.data.Time') return { kind: 'TIME' };
      if (title === 'org.apache.kafka.connect.data.Timestamp') return { kind: 'TIMESTAMP' };
      return ct === 'int32' || ct === 'int16' || ct === 'int8' ? { kind: 'INTEGER' } : { kind: 'BIGINT' };
    case 'number':
      if (title === 'org.apache.kafka.connect.data.Decimal') {
        const params = (s['connect.parameters'] ?? {}) as Record<string, string>;
        return decimal(Number(params['connect.decimal.precision'] ?? 64), Number(params['scale'] ?? 0));
      }
      return { kind: 'DOUBLE' };
    case 'string':
      return ct === 'bytes' ? { kind: 'BYTES' } : { kind: 'STRING' };
    case 'array':
      return { kind: 'ARRAY', element: jsonSchemaToSql((s['items'] ?? {}) as Record<string, unknown>, defs, nm) ?? { kind: 'STRING' } };
    case 'object': {
      const props = s['properties'] as Record<string, Record<string, unknown>> | undefined;
      if (props && (s['connect.type'] !== 'map')) {
        const fields: StructField[] = [];
        for (const [k, v] of Object.entries(props)) {
          const t = jsonSchemaToSql(v, defs, nm);
          if (t) fields.push({ name: nm(k), type: t });
        }
        return { kind: 'STRUCT', fields };
      }
      const ap = s['additionalProperties'];
      return { kind: 'MAP', key: { kind: 'STRING' }, value: (typeof ap === 'object' && ap !== null ? jsonSchemaToSql(ap as Record<string, unknown>, defs, nm) : null) ?? { kind: 'STRING' } };
    }
    default:
      return { kind: 'STRING' };
  }
}

function jsonColumns(text: string, isKey: boolean, nm: FieldNamer): SerdeColumn[] {
  let s: Record<string, unknown>;
  try {
    s = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new SerdeError(`Invalid JSON schema: ${(e as Error).message}`);
  }
  const defs = ((s['definitions'] ?? s['$defs'] ?? {}) as Record<string, unknown>);
  const t = jsonSchemaToSql(s, defs, nm);
  const isObject = s['type'] === 'object' && s['properties'] !== undefined;
  // keys are read unwrapped (UNWRAP_SINGLES): an object is one STRUCT key column
  if (t && t.kind === 'STRUCT' && isObject && !isKey) return t.fields.map((f) => ({ name: f.name, type: f.type }));
  return t ? [{ name: isKey ? 'ROWKEY' : 'ROWVAL', type: t }] : [];
}

// ------------------------------------------------------------------ public

export interface SchemaToColumnsOptions {
  /**
   * Keep field names as the schema spells them. ksqlDB does so when the schema
   * was named by KEY_SCHEMA_ID / VALUE_SCHEMA_ID (the physical schema is then
   * used as it is); inference from the subject's latest schema upper-cases them.
   */
  readonly preserveFieldCase?: boolean;
  /** the texts of the schema's references, dependencies first (see referencedSchemas) */
  readonly references?: readonly string[];
}

/**
 * Columns of a registered schema. A record / message / object schema gives
 * one column per field (names upper-cased unless `preserveFieldCase`); any
 * other schema one column named ROWVAL (ROWKEY when `isKey`). Avro and JSON
 * key schemas are unwrapped, as ksqlDB reads keys: a record key is one
 * ROWKEY STRUCT column; a Protobuf key message still gives a column per field.
 */
export function schemaToColumns(
  schemaType: RegisteredSchema['schemaType'],
  schemaText: string,
  isKey = false,
  fullSchemaName?: string,
  opts: SchemaToColumnsOptions = {},
): SerdeColumn[] {
  const nm: FieldNamer = opts.preserveFieldCase === true ? (n) => n : upper;
  switch (schemaType) {
    case 'AVRO':
      return avroColumns(schemaText, isKey, nm, opts.references);
    case 'PROTOBUF':
      return protobufColumns(schemaText, nm, fullSchemaName, opts.references);
    case 'JSON':
      return jsonColumns(schemaText, isKey, nm);
  }
}

export interface GeneratedSchema {
  readonly schemaType: RegisteredSchema['schemaType'];
  readonly schema: string;
}

/**
 * The schema ksqlDB registers for a sink with these columns, or null for
 * formats without a registry. `name`: the full record name (Avro) or message
 * name (Protobuf).
 */
export function columnsToSchema(
  format: FormatName,
  columns: readonly SerdeColumn[],
  name?: string,
  opts: { unwrapped?: boolean; wrapperNulls?: boolean; optionalNulls?: boolean } = {},
): GeneratedSchema | null {
  const unwrapped = opts.unwrapped ?? false;
  switch (format) {
    case 'AVRO':
      return { schemaType: 'AVRO', schema: JSON.stringify(avroSchemaFor(columns, unwrapped, name)) };
    case 'PROTOBUF':
    case 'PROTOBUF_NOSR':
      return { schemaType: 'PROTOBUF', schema: protobufSchemaFor(columns, { wrapperNulls: opts.wrapperNulls ?? false, optionalNulls: opts.optionalNulls ?? false, ...(name ? { name } : {}) }) };
    case 'JSON_SR':
      return { schemaType: 'JSON', schema: JSON.stringify(jsonSchemaFor(columns, unwrapped)) };
    default:
      return null;
  }
}
