import type { Column, DataSource } from '../catalog/data-source.js';
import { KsqlError } from '../errors.js';
import type { SqlFunction } from '../functions/types.js';
import type { Describe, DescribeFunction, Show } from '../sql/ast/statement.js';
import type { SqlType } from '../types/sql-type.js';
import { queryState, type KsqlBackend } from './backend.js';
import { shownValue } from './redact.js';

/**
 * The entities of SHOW / LIST / DESCRIBE, shaped as ksqlDB's REST API returns
 * them (KsqlEntity subtypes, discriminated by "@type").
 */
export type Entity = Record<string, unknown> & { readonly '@type': string };

export function showEntity(st: Show, b: KsqlBackend): Entity {
  const base = { statementText: st.text, warnings: [] as unknown[] };
  const sources = [...b.metastore.sources()].sort((x, y) => x.name.localeCompare(y.name));
  switch (st.what) {
    case 'STREAMS':
      if (st.extended) return { '@type': 'source_descriptions', ...base, sourceDescriptions: sources.filter((s) => s.sourceType === 'STREAM').map((s) => sourceDescription(s, b, true)) };
      return { '@type': 'streams', ...base, streams: sources.filter((s) => s.sourceType === 'STREAM').map(sourceInfo) };
    case 'TABLES':
      if (st.extended) return { '@type': 'source_descriptions', ...base, sourceDescriptions: sources.filter((s) => s.sourceType === 'TABLE').map((s) => sourceDescription(s, b, true)) };
      return { '@type': 'tables', ...base, tables: sources.filter((s) => s.sourceType === 'TABLE').map(sourceInfo) };
    case 'TOPICS':
      return {
        '@type': 'kafka_topics',
        ...base,
        topics: b.topics().filter((t) => !t.name.startsWith('_')).map((t) => ({ name: t.name, replicaInfo: Array.from({ length: t.partitions }, () => 1) })),
      };
    case 'QUERIES':
      return {
        '@type': 'queries',
        ...base,
        queries: b.metastore.queries().map((q) => {
          const sink = q.sink ? b.metastore.source(q.sink) : undefined;
          const state = queryState(b, q);
          return {
            queryString: q.sql,
            sinks: q.sink ? [q.sink] : [],
            sinkKafkaTopics: sink ? [sink.topic] : [],
            id: q.id,
            statusCount: { [state]: 1 },
            queryType: 'PERSISTENT',
            state,
          };
        }),
      };
    case 'PROPERTIES': {
      const props = { ...DEFAULT_PROPERTIES, ...b.properties };
      return {
        '@type': 'properties',
        ...base,
        properties: Object.keys(props)
          .sort()
          // secrets as ksqlDB shows a PASSWORD config: [hidden]
          .map((name) => ({ name, scope: name.startsWith('ksql.streams.') ? 'STREAMS' : 'KSQL', value: shownValue(name, props[name]!) })),
        overwrittenProperties: Object.keys(b.properties).sort(),
        defaultProperties: Object.keys(DEFAULT_PROPERTIES).filter((k) => !(k in b.properties)).sort(),
      };
    }
    case 'FUNCTIONS':
      return {
        '@type': 'function_names',
        ...base,
        functions: [...b.functions.list()]
          .sort((x, y) => x.name.localeCompare(y.name))
          .map((f) => ({ name: f.name.toUpperCase(), type: functionType(f), category: functionCategory(f) })),
      };
    case 'TYPES': {
      const types: Record<string, unknown> = {};
      for (const [name, t] of [...b.metastore.types().entries()].sort(([x], [y]) => x.localeCompare(y))) types[name] = schemaInfo(t);
      return { '@type': 'type_list', ...base, types };
    }
    case 'VARIABLES':
      return { '@type': 'variables', ...base, variables: [] };
    case 'CONNECTORS':
      return { '@type': 'connector_list', ...base, connectors: [] };
  }
}

export function describeEntity(st: Describe, b: KsqlBackend): Entity {
  const base = { statementText: st.text, warnings: [] as unknown[] };
  if (st.target.kind === 'All') {
    const want = st.target.what === 'STREAMS' ? 'STREAM' : 'TABLE';
    const list = [...b.metastore.sources()].filter((s) => s.sourceType === want).sort((x, y) => x.name.localeCompare(y.name));
    return { '@type': 'source_descriptions', ...base, sourceDescriptions: list.map((s) => sourceDescription(s, b, st.extended)) };
  }
  const s = b.metastore.source(st.target.name);
  if (!s) throw new KsqlError(`Could not find STREAM/TABLE '${st.target.name}' in the Metastore`, st.loc, 'NotFound');
  return { '@type': 'sourceDescription', ...base, sourceDescription: sourceDescription(s, b, st.extended) };
}

export function describeFunctionEntity(st: DescribeFunction, b: KsqlBackend): Entity {
  const f = b.functions.get(st.name);
  if (!f) throw new KsqlError(`Can't find any functions with the name '${st.name}'`, st.loc, 'NotFound');
  return {
    '@type': 'describe_function',
    statementText: st.text,
    warnings: [],
    name: f.name.toUpperCase(),
    description: f.description,
    author: 'Confluent',
    version: '',
    path: 'internal',
    functions: [{ arguments: [], returnType: '', description: f.description, argumentTypes: [] }],
    type: functionType(f),
  };
}

function sourceInfo(s: DataSource): Record<string, unknown> {
  return { type: s.sourceType, name: s.name, topic: s.topic, keyFormat: s.keyFormat.format, valueFormat: s.valueFormat.format, isWindowed: s.window !== null };
}

export function sourceDescription(s: DataSource, b: KsqlBackend, extended: boolean): Record<string, unknown> {
  const queries = b.metastore.queries();
  const ref = (q: (typeof queries)[number]): Record<string, unknown> => ({ queryString: q.sql, sinks: q.sink ? [q.sink] : [], sinkKafkaTopics: q.sink ? [b.metastore.source(q.sink)?.topic ?? q.sink] : [], id: q.id, statusCount: { [queryState(b, q)]: 1 }, queryType: 'PERSISTENT', state: queryState(b, q) });
  const topic = b.topics().find((t) => t.name === s.topic);
  return {
    name: s.name,
    windowType: s.window?.kind ?? null,
    readQueries: queries.filter((q) => q.sources.includes(s.name)).map(ref),
    writeQueries: queries.filter((q) => q.sink === s.name).map(ref),
    fields: fields(s.columns),
    type: s.sourceType,
    timestamp: s.timestamp?.column ?? '',
    statistics: '',
    errorStats: '',
    extended,
    keyFormat: s.keyFormat.format,
    valueFormat: s.valueFormat.format,
    topic: s.topic,
    partitions: extended ? topic?.partitions ?? 0 : 0,
    replication: extended ? 1 : 0,
    statement: s.sql,
    queryOffsetSummaries: [],
    sourceConstraints: [],
    clusterStatistics: [],
    clusterErrorStats: [],
  };
}

function fields(columns: readonly Column[]): Record<string, unknown>[] {
  return columns.map((c) => ({
    name: c.name,
    schema: schemaInfo(c.type),
    ...(c.namespace === 'KEY' ? { type: 'KEY' } : c.namespace === 'HEADERS' ? { type: 'HEADER', headerKey: c.headerKey ?? null } : {}),
  }));
}

/** ksqlDB's SchemaInfo: {type, fields, memberSchema}. */
export function schemaInfo(t: SqlType): Record<string, unknown> {
  switch (t.kind) {
    case 'ARRAY':
      return { type: 'ARRAY', fields: null, memberSchema: schemaInfo(t.element) };
    case 'MAP':
      return { type: 'MAP', fields: null, memberSchema: schemaInfo(t.value) };
    case 'STRUCT':
      return { type: 'STRUCT', fields: t.fields.map((f) => ({ name: f.name, schema: schemaInfo(f.type) })), memberSchema: null };
    case 'DECIMAL':
      return { type: 'DECIMAL', fields: null, memberSchema: null, parameters: { precision: t.precision, scale: t.scale } };
    case 'STRING':
      return { type: 'STRING', fields: null, memberSchema: null };
    default:
      return { type: t.kind, fields: null, memberSchema: null };
  }
}

function functionType(f: SqlFunction): string {
  return f.kind === 'scalar' ? 'SCALAR' : f.kind === 'aggregate' ? 'AGGREGATE' : 'TABLE';
}

function functionCategory(f: SqlFunction): string {
  return f.kind === 'aggregate' ? 'AGGREGATE' : f.kind === 'table' ? 'TABLE' : 'OTHER';
}

export const DEFAULT_PROPERTIES: Readonly<Record<string, string>> = {
  'ksql.service.id': 'default_',
  'ksql.streams.auto.offset.reset': 'latest',
  'ksql.query.pull.table.scan.enabled': 'true',
  'ksql.query.pull.range.scan.enabled': 'true',
  'ksql.query.pull.stream.enabled': 'true',
  'ksql.persistence.wrap.single.values': 'true',
};
