import type { SqlType } from '../types/sql-type.js';

export type FormatName = 'JSON' | 'DELIMITED' | 'KAFKA' | 'NONE' | 'AVRO' | 'PROTOBUF' | 'PROTOBUF_NOSR' | 'JSON_SR';

/** A key or value format with its properties (upper-cased WITH names: DELIMITER, SCHEMA_ID, FULL_SCHEMA_NAME, WRAP_SINGLE_VALUE, ...). */
export interface FormatInfo {
  readonly format: FormatName;
  readonly properties: Readonly<Record<string, string>>;
}

export interface SerdeColumn {
  readonly name: string;
  readonly type: SqlType;
}

export type WindowKind = 'TUMBLING' | 'HOPPING' | 'SESSION';

export interface WindowBounds {
  readonly start: number;
  readonly end: number;
}

/** Raised for bytes that cannot be read or values that cannot be written; goes to the processing log. */
export class SerdeError extends Error {
  override readonly name = 'SerdeError';
}

/** A registered schema, as a Confluent Schema Registry holds it. */
export interface RegisteredSchema {
  readonly id: number;
  readonly subject: string;
  readonly version: number;
  readonly schemaType: 'AVRO' | 'PROTOBUF' | 'JSON';
  readonly schema: string;
  /** schemas this one imports (Protobuf `import "name"`, Avro named types), by subject and version */
  readonly references?: readonly SchemaReference[];
}

/** A schema reference as Confluent's registry keeps it: the name the schema uses, and the subject version that defines it. */
export interface SchemaReference {
  readonly name: string;
  readonly subject: string;
  readonly version: number;
}

/**
 * Synchronous view of a schema registry: the in-process registry implements it
 * directly; a REST client implements it over a cache it fills before a query starts.
 */
export interface SchemaRegistry {
  register(subject: string, schemaType: RegisteredSchema['schemaType'], schema: string): RegisteredSchema;
  latest(subject: string): RegisteredSchema | undefined;
  byId(id: number): RegisteredSchema | undefined;
  /** a subject's schema at a version, where the registry keeps versions (schema references name one) */
  version?(subject: string, version: number): RegisteredSchema | undefined;
  subjects(): readonly string[];
}

export interface SerdeOptions {
  readonly topic: string;
  readonly isKey: boolean;
  readonly registry: SchemaRegistry;
  /** value WRAP_SINGLE_VALUE: undefined = the format's default */
  readonly wrapSingleValue?: boolean;
  /** used as record name when a schema is generated (e.g. Avro `KsqlDataSourceSchema`) */
  readonly schemaName?: string;
  /**
   * The columns the reader uses (default all): a format that can skip decoding
   * the others reads them as null (they are still checked, so a bad value
   * fails the record as a whole). JSON does.
   */
  readonly used?: readonly boolean[];
}

/**
 * Serializes a row's key or value columns (values in the representation of
 * `types/sql-type.ts`, in column order) to bytes and back. `null` row ⇔ null
 * bytes (a tombstone).
 */
export interface Serde {
  serialize(values: readonly unknown[] | null): Buffer | null;
  deserialize(bytes: Buffer | null): unknown[] | null;
}
