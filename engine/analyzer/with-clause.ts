import type { Column, DataSource, TimestampColumn, WindowInfo } from '../catalog/data-source.js';
import { KsqlError } from '../errors.js';
import type { FormatInfo, FormatName } from '../serde/types.js';
import type { Loc } from '../sql/ast/node.js';
import type { Properties, PropertyValue } from '../sql/ast/statement.js';

/**
 * The WITH clause of CREATE STREAM/TABLE [AS SELECT] (docs: CREATE STREAM,
 * CREATE TABLE, "WITH properties"; Serialization formats): formats and
 * their properties, windowed keys, the TIMESTAMP column, checked as ksqlDB
 * checks them.
 */

const FORMATS: readonly FormatName[] = ['JSON', 'DELIMITED', 'KAFKA', 'NONE', 'AVRO', 'PROTOBUF', 'PROTOBUF_NOSR', 'JSON_SR'];

/** The properties of a WITH clause, names upper-cased, values as text. */
export function propMap(p: Properties): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(p)) out[k.toUpperCase()] = propString(v.value);
  return out;
}

function propString(v: PropertyValue): string {
  return typeof v === 'string' ? v : String(v);
}

export function parseFormat(name: string, loc: Loc | null): FormatName {
  const f = name.toUpperCase() as FormatName;
  if (!FORMATS.includes(f)) throw new KsqlError(`Unknown format: ${name.toUpperCase()}`, loc);
  return f;
}

/** KEY_FORMAT, VALUE_FORMAT or FORMAT of a WITH clause (or inherited, or the configured defaults), with their properties. */
export function formatsFrom(
  p: Readonly<Record<string, string>>,
  props: Readonly<Record<string, string>>,
  inherited: { keyFormat: FormatInfo; valueFormat: FormatInfo } | null,
  loc: Loc | null,
): { keyFormat: FormatInfo; valueFormat: FormatInfo } {
  if (p['FORMAT'] !== undefined && (p['KEY_FORMAT'] !== undefined || p['VALUE_FORMAT'] !== undefined)) {
    throw new KsqlError(`Cannot supply both '${p['KEY_FORMAT'] !== undefined ? 'KEY_FORMAT' : 'VALUE_FORMAT'}' and 'FORMAT' properties, as 'FORMAT' sets both key and value formats. Either use just 'FORMAT', or use 'KEY_FORMAT' and 'VALUE_FORMAT'.`, loc);
  }
  const keyName = p['KEY_FORMAT'] ?? p['FORMAT'] ?? (inherited ? null : props['ksql.persistence.default.format.key'] ?? 'KAFKA');
  const valueName = p['VALUE_FORMAT'] ?? p['FORMAT'] ?? (inherited ? null : props['ksql.persistence.default.format.value'] ?? null);
  if (!inherited && valueName === null) {
    throw new KsqlError("Statement is missing the 'VALUE_FORMAT' property from the WITH clause. Either provide one or set a default via the 'ksql.persistence.default.format.value' config.", loc);
  }
  const keyProps: Record<string, string> = {};
  const valueProps: Record<string, string> = {};
  const delim = (v: string, which: string): string => {
    if (v === '') throw new KsqlError(`Failed to prepare statement: Configuration ${which} is invalid: Delimiter cannot be empty, if you meant to have a tab or space for delimiter, please use the special values 'TAB' or 'SPACE'\nExample valid value: ';'`, loc);
    return v;
  };
  if (p['KEY_DELIMITER'] !== undefined) keyProps['DELIMITER'] = delim(p['KEY_DELIMITER'], 'KEY_DELIMITER');
  if (p['VALUE_DELIMITER'] !== undefined) valueProps['DELIMITER'] = delim(p['VALUE_DELIMITER'], 'VALUE_DELIMITER');
  if (p['WRAP_SINGLE_VALUE'] !== undefined) valueProps['WRAP_SINGLE_VALUE'] = p['WRAP_SINGLE_VALUE'];
  for (const [k, v] of Object.entries(p)) {
    if (k.startsWith('KEY_') && k !== 'KEY_FORMAT' && k !== 'KEY_DELIMITER') keyProps[k.slice(4)] = v;
    if (k.startsWith('VALUE_') && k !== 'VALUE_FORMAT' && k !== 'VALUE_DELIMITER') valueProps[k.slice(6)] = v;
    if (k === 'VALUE_AVRO_SCHEMA_FULL_NAME') valueProps['SCHEMA_FULL_NAME'] = v;
  }
  const keyFormat: FormatInfo = keyName !== null ? { format: parseFormat(keyName, loc), properties: keyProps } : { ...inherited!.keyFormat, properties: { ...inherited!.keyFormat.properties, ...keyProps } };
  const valueFormat: FormatInfo =
    valueName !== null ? { format: parseFormat(valueName, loc), properties: valueProps } : { ...inherited!.valueFormat, properties: { ...stripSchemaProps(inherited!.valueFormat.properties), ...valueProps } };
  return { keyFormat, valueFormat };
}

function stripSchemaProps(p: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(p)) if (k !== 'SCHEMA_ID' && k !== 'WRAP_SINGLE_VALUE' && k !== 'SCHEMA_FULL_NAME') out[k] = v;
  return out;
}

/** The formats a CREATE ... AS SELECT inherits from its (first) source: `hasKey`, whether the result has key columns. */
export function inheritFormats(src: DataSource, hasKey: boolean, props: Readonly<Record<string, string>>, loc: Loc | null): { keyFormat: FormatInfo; valueFormat: FormatInfo } {
  let keyFormat = src.keyFormat;
  // a key where the source had none: the configured default key format
  if (keyFormat.format === 'NONE' && hasKey) {
    const configured = props['ksql.persistence.default.format.key'];
    keyFormat = { format: configured === undefined ? 'KAFKA' : parseFormat(configured, loc), properties: {} };
  }
  return { keyFormat: { format: keyFormat.format, properties: stripSchemaProps(keyFormat.properties) }, valueFormat: src.valueFormat };
}

/** WINDOW_TYPE and WINDOW_SIZE of CREATE STREAM/TABLE over a windowed topic. */
export function windowFrom(p: Readonly<Record<string, string>>, loc: Loc | null): WindowInfo | null {
  const type = p['WINDOW_TYPE'];
  if (!type) return null;
  const kind = type.toUpperCase();
  if (kind !== 'TUMBLING' && kind !== 'HOPPING' && kind !== 'SESSION') throw new KsqlError(`WINDOW_TYPE property is not set correctly. value: ${type}, validValues: [SESSION, HOPPING, TUMBLING]`, loc);
  const size = p['WINDOW_SIZE'];
  if (kind !== 'SESSION' && !size) throw new KsqlError(`${kind} windows require 'WINDOW_SIZE' to be provided in the WITH clause. For example: 'WINDOW_SIZE'='10 SECONDS'`, loc);
  if (kind === 'SESSION' && size) throw new KsqlError(`'WINDOW_SIZE' should not be set for SESSION windows.`, loc);
  return { kind, sizeMs: size ? parseDuration(size, loc) : null };
}

function parseDuration(text: string, loc: Loc | null): number {
  const m = /^\s*(\d+)\s*([A-Za-z]+)\s*$/.exec(text);
  if (!m) throw new KsqlError(`Invalid duration: '${text}'`, loc);
  const n = Number(m[1]);
  const unit = m[2]!.toUpperCase().replace(/S$/, '');
  const mult: Record<string, number> = { MILLISECOND: 1, SECOND: 1000, MINUTE: 60000, HOUR: 3600000, DAY: 86400000 };
  if (mult[unit] === undefined) throw new KsqlError(`Configuration WINDOW_SIZE is invalid: Invalid duration: '${text}'. Unknown time unit: '${m[2]!.toUpperCase()}'`, loc);
  return n * mult[unit]!;
}

/** The WITH clause's TIMESTAMP column: it must exist, and be a BIGINT, a TIMESTAMP or a STRING with TIMESTAMP_FORMAT. */
export function timestampFrom(p: Readonly<Record<string, string>>, columns: readonly Column[], loc: Loc | null): TimestampColumn | null {
  const raw = p['TIMESTAMP'];
  if (!raw) return null;
  const name = raw.startsWith('`') ? raw.slice(1, -1) : raw.toUpperCase();
  const col = columns.find((c) => c.name === name);
  if (!col) throw new KsqlError(`The TIMESTAMP column set in the WITH clause does not exist in the schema: '${name}'`, loc);
  const format = p['TIMESTAMP_FORMAT'] ?? null;
  const ok = col.type.kind === 'BIGINT' || col.type.kind === 'TIMESTAMP' || (col.type.kind === 'STRING' && format !== null);
  if (!ok) throw new KsqlError(`Timestamp column, \`${name}\`, should be LONG(INT64), TIMESTAMP, or a String with a timestamp_format specified`, loc);
  return { column: name, format };
}

/** Formats whose schema can be read from the Schema Registry. */
export function supportsInference(f: FormatName): boolean {
  return f === 'AVRO' || f === 'PROTOBUF' || f === 'JSON_SR';
}

