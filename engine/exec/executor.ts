import { resolveType } from '../analyzer/resolve-type.js';
import {
  analyzeAlterSource,
  analyzeDropSource,
  analyzeInsertTarget,
  analyzeInsertValues,
  checkCreateAsSelect,
  checkCreateSource,
  checkCreateType,
  checkDroppable,
  checkDropType,
  checkExplainedQuery,
  checkInsertColumn,
  checkInsertKeys,
  checkInsertSchema,
  checkQueryKnown,
  checkQueryResult,
  checkResultType,
  checkSchemaIds,
  checkSourceColumns,
  checkUpgradeCompatible,
  explainedQuery,
  requiredTopic,
} from '../analyzer/statements.js';
import { analyzeTableElements, checkSourceSchema } from '../analyzer/table-elements.js';
import { formatsFrom, inheritFormats, propMap, supportsInference, timestampFrom, windowFrom } from '../analyzer/with-clause.js';
import { rowScope } from '../analyzer/scope.js';
import type { Column, DataSource } from '../catalog/data-source.js';
import { Metastore } from '../catalog/metastore.js';
import type { ProduceRecord } from '../driver/broker.js';
import type { StatementResult } from '../engine.js';
import { KsqlError } from '../errors.js';
import { castValue, formatTypeForMessage } from '../types/cast.js';
import { compileExpression } from '../expr/compile.js';
import { typeExpression } from '../expr/typer.js';
import type { FunctionRegistry } from '../functions/types.js';
import { planQuery, type PlanContext, type PlannedQuery } from '../plan/plan-query.js';
import { createSerde, schemaToColumns, validateFormatProperties, windowedKeySerde } from '../serde/index.js';
import { referencedSchemas } from '../serde/schema-registry.js';
import type { FormatInfo, SchemaRegistry } from '../serde/types.js';
import { parseScript } from '../sql/index.js';
import type { Expr } from '../sql/ast/expression.js';
import type { AlterSource, CreateAsSelect, CreateSource, InsertInto, InsertValues, Statement } from '../sql/ast/statement.js';
import type { SinkStep, Step } from '../topology/topology.js';
import { formatType, typeEquals, type SqlType } from '../types/sql-type.js';
import { explainPlan } from '../plan/explain.js';
import { checkQueryUpgrade } from '../analyzer/query-upgrade.js';

/** What the executor needs from a runtime (in-memory or Kafka). */
export interface RuntimePort {
  topicPartitions(name: string): number | undefined;
  createTopic(name: string, partitions: number, config?: Record<string, string>): void;
  deleteTopic(name: string): void;
  /** `properties`: the statement's (streamsProperties); a runtime takes its per-query tuning from them */
  startQuery(queryId: string, root: Step, opts: { readonly earliest: boolean; readonly properties?: Readonly<Record<string, string>> }): void;
  /**
   * `keepState`: the query is being replaced by a compatible one under the same
   * id (CREATE OR REPLACE), which takes over its consumer group, state stores
   * and changelogs; otherwise (TERMINATE) the query's internal state goes.
   */
  stopQuery(queryId: string, opts?: { readonly keepState: boolean }): void;
  produce(topic: string, rec: ProduceRecord): void;
}

/**
 * Runs statements against the metastore and a runtime: the engine's
 * statement layer, shared by the in-memory and the Kafka drivers.
 */
export class StatementExecutor {
  readonly metastore = new Metastore();
  readonly #vars = new Map<string, string>();
  readonly #props: Record<string, string>;
  #queryCounter = 0;
  /** the topology of each running persistent query (what a CREATE OR REPLACE must stay compatible with) */
  readonly #roots = new Map<string, Step>();

  constructor(
    readonly functions: FunctionRegistry,
    readonly registry: SchemaRegistry,
    readonly runtime: RuntimePort,
    properties: Readonly<Record<string, string>> = {},
  ) {
    this.#props = { ...properties };
  }
  /** The plan (topology root) of a running persistent query (EXPLAIN, the console's query graph). */
  queryPlan(queryId: string): Step | undefined {
    return this.#roots.get(queryId);
  }


  /** what the planner reads: sources, functions, topic partition counts */
  #catalog(): Pick<PlanContext, 'source' | 'functions' | 'partitions'> {
    return { source: (n) => this.metastore.source(n), functions: this.functions, partitions: (t) => this.runtime.topicPartitions(t) };
  }

  get properties(): Readonly<Record<string, string>> {
    return this.#props;
  }

  /** Splits, substitutes variables, parses and runs each statement in order. */
  execute(sql: string, overrides: Readonly<Record<string, string>> = {}): StatementResult[] {
    const results: StatementResult[] = [];
    for (const st of parseScript(sql, this.#vars)) results.push(this.executeStatement(st, overrides));
    return results;
  }

  executeStatement(st: Statement, overrides: Readonly<Record<string, string>> = {}): StatementResult {
    const props = { ...this.#props, ...overrides };
    const ok = (message: string, queryId: string | null = null, rows?: unknown[][]): StatementResult => ({ statement: st, message, queryId, ...(rows ? { rows } : {}) });
    switch (st.kind) {
      case 'CreateSource':
        this.createSource(st, props);
        return ok(st.sourceType === 'STREAM' ? 'Stream created' : 'Table created');
      case 'CreateAsSelect': {
        const id = this.createAsSelect(st, props);
        return ok(id ? `Created query with ID ${id}` : `${st.sourceType === 'STREAM' ? 'Stream' : 'Table'} created`, id);
      }
      case 'InsertInto': {
        const id = this.insertInto(st, props);
        return ok(`Created query with ID ${id}`, id);
      }
      case 'InsertValues':
        this.insertValues(st);
        return ok('');
      case 'CreateType': {
        if (!checkCreateType(st, this.metastore.type(st.name))) return ok(`Registered custom type with name '${st.name}'`);
        this.metastore.putType(st.name, resolveType(st.type, (n) => this.metastore.type(n)));
        return ok(`Registered custom type with name '${st.name}' and SQL type ${formatType(this.metastore.type(st.name)!)}`);
      }
      case 'DropType':
        checkDropType(st, this.metastore.type(st.name) !== undefined);
        this.metastore.dropType(st.name);
        return ok(`Dropped type '${st.name}'`);
      case 'DropSource': {
        const s = analyzeDropSource(st, this.metastore.source(st.name));
        if (!s) return ok(`${st.sourceType === 'STREAM' ? 'Stream' : 'Table'} ${st.name} does not exist.`);
        // as current ksqlDB: the query that created the source (CREATE ... AS SELECT) is terminated with it;
        // other queries reading or writing it still refuse the DROP (checked first: nothing is stopped then)
        const creator = this.metastore.queries().find((q) => q.sink === st.name && /^C[ST]AS_/.test(q.id) && !q.sources.includes(st.name));
        checkDroppable(st.name, this.metastore.users(st.name, creator?.id ?? null));
        if (creator) {
          this.runtime.stopQuery(creator.id);
          this.#roots.delete(creator.id);
          this.metastore.removeQuery(creator.id);
        }
        this.metastore.dropSource(st.name);
        if (st.deleteTopic) this.runtime.deleteTopic(s.topic);
        return ok(`Source \`${st.name}\` (topic: ${s.topic}) was dropped.`);
      }
      case 'Terminate': {
        const ids = st.queryId === null ? this.metastore.queries().map((q) => q.id) : [st.queryId];
        for (const asked of ids) {
          const id = this.metastore.query(asked)?.id;
          checkQueryKnown(asked, id !== undefined, st.loc);
          if (id === undefined) continue;
          this.runtime.stopQuery(id);
          this.#roots.delete(id);
          this.metastore.removeQuery(id);
        }
        return ok(st.queryId === null ? 'All queries terminated.' : `Query terminated.`);
      }
      case 'PauseResume': {
        const ids = st.queryId === null ? this.metastore.queries().map((q) => q.id) : [st.queryId];
        for (const id of ids) {
          const q = this.metastore.query(id);
          checkQueryKnown(id, q !== undefined, st.loc);
          if (q) q.state = st.action === 'PAUSE' ? 'PAUSED' : 'RUNNING';
        }
        return ok(`Query ${st.action === 'PAUSE' ? 'paused' : 'resumed'}.`);
      }
      case 'SetProperty':
        this.#props[st.name] = st.value;
        return ok(`Successfully changed local property '${st.name}' to '${st.value}'.`);
      case 'UnsetProperty':
        delete this.#props[st.name];
        return ok(`Successfully unset local property '${st.name}'.`);
      case 'DefineVariable':
        this.#vars.set(st.name, st.value);
        return ok('');
      case 'UndefineVariable':
        this.#vars.delete(st.name);
        return ok('');
      case 'Describe':
      case 'DescribeFunction':
      case 'Show':
        return ok('', null, []);
      case 'Explain': {
        if (st.target.kind === 'QueryId') {
          const q = this.metastore.query(st.target.queryId);
          checkExplainedQuery(st.target.queryId, q !== undefined, st.loc);
          return ok(q?.sql ?? '');
        }
        const inner = explainedQuery(st.target.statement, st.loc);
        const planned = planQuery(inner.query, { ...this.#catalog(), sinkName: inner.kind === 'QueryStatement' ? null : inner.kind === 'InsertInto' ? inner.target : inner.name });
        if (inner.kind === 'CreateAsSelect') checkResultType(inner, planned.resultType, null);
        return ok(explainPlan(planned.root));
      }
      case 'QueryStatement':
        planQuery(st.query, { ...this.#catalog(), sinkName: null });
        return ok('');
      case 'AssertStatement':
        return ok('');
      case 'AlterSource':
        this.alterSource(st);
        return ok(`${st.sourceType === 'STREAM' ? 'Stream' : 'Table'} ${st.name} altered.`);
    }
  }

  // ------------------------------------------------------------- DDL

  /** `ALTER STREAM|TABLE x ADD COLUMN ...`: value columns appended to a source that no query writes. */
  alterSource(st: AlterSource): void {
    const existing = this.metastore.source(st.name);
    const columns = analyzeAlterSource(st, existing, (n) => this.metastore.type(n));
    this.metastore.putSource({ ...existing!, columns });
  }

  createSource(st: CreateSource, props: Readonly<Record<string, string>>): DataSource {
    const existing = this.metastore.source(st.name);
    if (!checkCreateSource(st, existing)) return existing!;
    const p = propMap(st.properties);
    const topic = requiredTopic(p, st.loc);
    const { keyFormat, valueFormat } = formatsFrom(p, props, null, st.loc);
    let columns: Column[] = [];
    const userType = (n: string): SqlType | undefined => this.metastore.type(n);
    if (st.columns) columns = analyzeTableElements(st.sourceType, st.columns, userType, st.loc);
    checkSchemaIds(p, columns, keyFormat, valueFormat, st.loc);
    // Schema inference from the registry for formats that support it (by id when given, else
    // the subject's latest). A schema chosen by id keeps its field names as registered.
    const infer = (what: 'key' | 'value', format: FormatInfo): Column[] | null => {
      const idProp = what === 'key' ? 'KEY_SCHEMA_ID' : 'VALUE_SCHEMA_ID';
      const id = p[idProp];
      const schema = id !== undefined ? this.registry.byId(Number(id)) : this.registry.latest(`${topic}-${what}`);
      if (!schema) {
        if (id !== undefined) throw new KsqlError(`Schema with id ${id} does not exist in the Schema Registry.`, st.loc);
        return null;
      }
      const fullName = format.properties['SCHEMA_FULL_NAME'];
      const cols = schemaToColumns(schema.schemaType, schema.schema, what === 'key', fullName, { preserveFieldCase: id !== undefined, references: referencedSchemas(this.registry, schema) });
      return cols.map((c) => ({ ...c, namespace: what === 'key' ? ('KEY' as const) : ('VALUE' as const) }));
    };
    if (!columns.some((c) => c.namespace === 'VALUE') && supportsInference(valueFormat.format)) {
      const inferred = infer('value', valueFormat);
      if (inferred) columns = [...columns, ...inferred];
      else if (st.columns === null) throw new KsqlError(`Schema for message values on topic '${topic}' does not exist in the Schema Registry.`, st.loc);
    }
    if (!columns.some((c) => c.namespace === 'KEY') && supportsInference(keyFormat.format)) {
      const inferred = infer('key', keyFormat);
      if (inferred) columns = [...inferred, ...columns];
    }
    for (const f of [keyFormat, valueFormat]) {
      try {
        validateFormatProperties(f);
      } catch (e) {
        throw new KsqlError((e as Error).message, st.loc);
      }
    }
    checkSourceSchema(st.sourceType, columns, st.loc);
    const window = windowFrom(p, st.loc);
    const timestamp = timestampFrom(p, columns, st.loc);
    const source: DataSource = {
      name: st.name,
      sourceType: st.sourceType,
      columns: sortColumns(columns),
      topic,
      keyFormat: columns.some((c) => c.namespace === 'KEY') ? keyFormat : keyFormat.format === 'KAFKA' ? { format: 'KAFKA', properties: {} } : keyFormat,
      valueFormat: withWrapDefault(valueFormat, columns, props),
      window,
      timestamp,
      isSource: st.isSource,
      isSink: false,
      sql: st.text,
    };
    validateFormats(source, this.registry, st.loc);
    if (this.runtime.topicPartitions(topic) === undefined) {
      const partitions = p['PARTITIONS'] !== undefined ? Number(p['PARTITIONS']) : 1;
      this.runtime.createTopic(topic, partitions);
    }
    this.metastore.putSource(source);
    return source;
  }

  createAsSelect(st: CreateAsSelect, props: Readonly<Record<string, string>>): string | null {
    const existing = this.metastore.source(st.name);
    if (!checkCreateAsSelect(st, existing)) return null;
    const planned = planQuery(st.query, { ...this.#catalog(), sinkName: st.name, statementLabel: `CREATE ${st.sourceType} AS SELECT` });
    checkQueryResult(st, planned, null);
    const p = propMap(st.properties);
    const prefix = props['ksql.output.topic.name.prefix'] ?? '';
    const topic = p['KAFKA_TOPIC'] ?? prefix + st.name;
    const inherited = inheritFormats(planned.primary, planned.key.length > 0, props, st.loc);
    const { keyFormat, valueFormat } = formatsFrom(p, props, inherited, st.loc);
    const columns: Column[] = [
      ...planned.key.map((c) => ({ name: c.name, type: c.type, namespace: 'KEY' as const })),
      ...planned.value.map((c) => ({ name: c.name, type: c.type, namespace: 'VALUE' as const })),
    ];
    const sink: DataSource = {
      name: st.name,
      sourceType: st.sourceType,
      columns,
      topic,
      keyFormat: planned.key.length === 0 ? { format: 'NONE', properties: {} } : keyFormat,
      valueFormat: withWrapDefault(valueFormat, columns, props),
      window: planned.window,
      timestamp: timestampFrom(p, columns, st.loc),
      isSource: false,
      isSink: true,
      sql: st.text,
    };
    validateFormats(sink, this.registry, st.loc);
    // CREATE OR REPLACE keeps the query (its id, hence its consumer group and position, its
    // state stores and changelogs) and allows only compatible changes: the same key, value
    // columns added at the end, and the same stateful steps (see checkQueryUpgrade).
    const replaced = existing && st.orReplace ? this.metastore.queries().find((x) => x.sink === st.name) : undefined;
    if (existing && st.orReplace) checkUpgradeCompatible(existing, sink, st.loc);
    const replacedRoot = replaced ? this.#roots.get(replaced.id) : undefined;
    if (replacedRoot) checkQueryUpgrade(replacedRoot, this.#sinkStep(planned, sink), st.loc);
    // a quoted sink name's other characters become '_': the id can be written unquoted (TERMINATE CSAS_MY_STREAM_0)
    const queryId = replaced?.id ?? `${st.sourceType === 'STREAM' ? 'CSAS' : 'CTAS'}_${st.name.replace(/[^A-Za-z0-9_]/g, '_')}_${this.#queryCounter++}`;
    if (replaced) {
      this.runtime.stopQuery(replaced.id, { keepState: true });
      this.#roots.delete(replaced.id);
      this.metastore.removeQuery(replaced.id);
    }
    const partitions = p['PARTITIONS'] !== undefined ? Number(p['PARTITIONS']) : props['ksql.sink.partitions'] !== undefined ? Number(props['ksql.sink.partitions']) : this.runtime.topicPartitions(planned.primary.topic) ?? 1;
    if (this.runtime.topicPartitions(topic) === undefined) this.runtime.createTopic(topic, partitions);
    this.metastore.putSource(sink);
    this.start(queryId, st.text, planned, sink, replaced ? { ...props, 'ksql.streams.auto.offset.reset': 'latest' } : props);
    return queryId;
  }

  insertInto(st: InsertInto, props: Readonly<Record<string, string>>): string {
    const target = analyzeInsertTarget(st, this.metastore.source(st.target));
    const sinkValueType = (name: string): SqlType | undefined => target.columns.find((c) => c.namespace === 'VALUE' && c.name === name)?.type;
    const planned = planQuery(st.query, { ...this.#catalog(), sinkName: st.target, sinkColumnType: sinkValueType });
    checkQueryResult(st, planned, target);
    checkInsertSchema(st, target, planned);
    const queryId = `INSERTQUERY_${this.#queryCounter++}`;
    this.start(queryId, st.text, planned, target, props);
    return queryId;
  }

  #sinkStep(planned: PlannedQuery, sink: DataSource): SinkStep {
    return {
      kind: 'Sink',
      id: 'Sink',
      input: planned.root,
      sinkName: sink.name,
      topic: sink.topic,
      keyFormat: sink.keyFormat,
      valueFormat: sink.valueFormat,
      sinkType: sink.sourceType,
      timestamp: sink.timestamp,
      columns: sink.columns,
      schema: planned.root.schema,
    };
  }

  private start(queryId: string, sql: string, planned: PlannedQuery, sink: DataSource, props: Readonly<Record<string, string>>): void {
    const root = this.#sinkStep(planned, sink);
    const reset = props['ksql.streams.auto.offset.reset'] ?? props['auto.offset.reset'] ?? 'latest';
    this.metastore.putQuery({ id: queryId, sql, sink: sink.name, sources: planned.sources.map((s) => s.name), state: 'RUNNING' });
    try {
      this.runtime.startQuery(queryId, root, { earliest: reset === 'earliest', properties: props });
      this.#roots.set(queryId, root);
    } catch (e) {
      this.metastore.removeQuery(queryId);
      throw e instanceof KsqlError ? e : new KsqlError((e as Error).message);
    }
  }

  insertValues(st: InsertValues): void {
    const { target, writable, assignments } = analyzeInsertValues(st, this.metastore.source(st.target), this.metastore.source(st.target.toUpperCase()));
    const values = new Map<string, unknown>();
    let ts = Date.now();
    for (const { name: n, column, expr } of assignments) {
      if (n === 'ROWTIME') {
        const v = this.#constant(expr, { kind: 'BIGINT' }, n);
        if (v !== null) ts = Number(v);
        continue;
      }
      const col = checkInsertColumn(st, n, column);
      values.set(n, this.#constant(expr, col.type, n));
    }
    const keyCols = writable.filter((c) => c.namespace === 'KEY');
    const valueCols = writable.filter((c) => c.namespace === 'VALUE');
    checkInsertKeys(st, target, keyCols.filter((c) => values.get(c.name) === null || values.get(c.name) === undefined).map((c) => c.name));
    if (target.timestamp) {
      const t = values.get(target.timestamp.column);
      if (t !== null && t !== undefined && typeof t !== 'string') ts = Number(t);
    }
    const keySerde = createSerde(target.keyFormat, keyCols, { topic: target.topic, isKey: true, registry: this.registry });
    const wrap = target.valueFormat.properties['WRAP_SINGLE_VALUE'];
    const valueSerde = createSerde(target.valueFormat, valueCols, { topic: target.topic, isKey: false, registry: this.registry, ...(wrap !== undefined ? { wrapSingleValue: wrap.toLowerCase() === 'true' } : {}) });
    let key: Buffer | null;
    let value: Buffer | null;
    try {
      const kv = keyCols.map((c) => values.get(c.name) ?? null);
      key = keyCols.length === 0 ? null : target.window ? windowedKeySerde(keySerde, target.window.kind, target.window.sizeMs).serialize({ values: kv, window: { start: 0, end: 0 } }) : keySerde.serialize(kv);
      value = valueSerde.serialize(valueCols.map((c) => values.get(c.name) ?? null));
    } catch (e) {
      throw new KsqlError(`Failed to insert values into '${target.name}'. ${(e as Error).message}`, st.loc);
    }
    this.runtime.produce(target.topic, { key, value, timestamp: ts });
  }

  #constant(expr: Expr, type: SqlType, column: string): unknown {
    const typed = typeExpression(expr, rowScope({ key: [], value: [], window: null }, null), this.functions);
    const v = compileExpression(typed)([]);
    if (v === null || v === undefined) return null;
    if (typeEquals(typed.type, type)) return v;
    try {
      return castValue(v, typed.type, type);
    } catch {
      throw new KsqlError(`Expected type ${formatType(type)} for field ${column} but got ${v} (${formatType(typed.type)})`);
    }
  }
}

/** `ksql.persistence.wrap.single.values` applies to sources with exactly one value column. */
function withWrapDefault(format: FormatInfo, columns: readonly Column[], props: Readonly<Record<string, string>>): FormatInfo {
  const dflt = props['ksql.persistence.wrap.single.values'];
  if (dflt === undefined || format.properties['WRAP_SINGLE_VALUE'] !== undefined) return format;
  if (columns.filter((c) => c.namespace === 'VALUE').length !== 1) return format;
  return { ...format, properties: { ...format.properties, WRAP_SINGLE_VALUE: dflt } };
}

function sortColumns(cols: readonly Column[]): Column[] {
  return [...cols.filter((c) => c.namespace === 'KEY'), ...cols.filter((c) => c.namespace !== 'KEY')];
}

/**
 * The source's columns against its formats: the statement's rules first
 * (analyzer), then whether each format's serde takes the columns (what the
 * serde layer supports, reported in ksqlDB's words).
 */
function validateFormats(s: DataSource, registry: SchemaRegistry, loc: CreateSource['loc']): void {
  checkSourceColumns(s, loc);
  const keys = s.columns.filter((c) => c.namespace === 'KEY');
  const values = s.columns.filter((c) => c.namespace === 'VALUE');
  try {
    createSerde(s.keyFormat, keys, { topic: s.topic, isKey: true, registry });
  } catch (e) {
    if (keys.length === 0) throw new KsqlError((e as Error).message, loc);
    const schema = keys.map((k) => `\`${k.name}\` ${formatTypeForMessage(k.type)} KEY`).join(', ');
    throw new KsqlError(`Key format does not support schema.\nformat: ${s.keyFormat.format}\nschema: Persistence{columns=[${schema}], features=[]}\nreason: ${(e as Error).message}`, loc);
  }
  try {
    createSerde(s.valueFormat, values, { topic: s.topic, isKey: false, registry });
  } catch (e) {
    throw new KsqlError((e as Error).message, loc);
  }
}

