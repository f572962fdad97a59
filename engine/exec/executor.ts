import { columnRefs } from '../analyzer/expr-utils.js';
import { resolveType } from '../analyzer/resolve-type.js';
import { analyzeTableElements, checkSourceSchema } from '../analyzer/table-elements.js';
import { rowScope } from '../analyzer/scope.js';
import type { Column, DataSource, TimestampColumn, WindowInfo } from '../catalog/data-source.js';
import { Metastore } from '../catalog/metastore.js';
import type { ProduceRecord } from '../driver/broker.js';
import type { StatementResult } from '../engine.js';
import { KsqlError } from '../errors.js';
import { castValue, formatTypeForMessage } from '../types/cast.js';
import { compileExpression } from '../expr/compile.js';
import { typeExpression } from '../expr/typer.js';
import type { FunctionRegistry } from '../functions/types.js';
import { mapKeyMessage, planQuery, type PlanContext, type PlannedQuery } from '../plan/plan-query.js';
import { createSerde, schemaToColumns, validateFormatProperties, windowedKeySerde } from '../serde/index.js';
import { referencedSchemas } from '../serde/schema-registry.js';
import type { FormatInfo, FormatName, SchemaRegistry } from '../serde/types.js';
import { parseScript } from '../sql/index.js';
import type { Expr } from '../sql/ast/expression.js';
import type { AlterSource, CreateAsSelect, CreateSource, InsertInto, InsertValues, Properties, PropertyValue, Statement } from '../sql/ast/statement.js';
import type { SinkStep, Step } from '../topology/topology.js';
import { containsMap, formatType, typeEquals, type SqlType } from '../types/sql-type.js';
import { explainPlan } from '../plan/explain.js';
import { checkQueryUpgrade } from '../plan/query-upgrade.js';

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

const FORMATS: readonly FormatName[] = ['JSON', 'DELIMITED', 'KAFKA', 'NONE', 'AVRO', 'PROTOBUF', 'PROTOBUF_NOSR', 'JSON_SR'];

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
        if (this.metastore.type(st.name)) {
          if (st.ifNotExists) return ok(`Registered custom type with name '${st.name}'`);
          throw new KsqlError(`Cannot register custom type '${st.name}' since it is already registered with type: ${formatType(this.metastore.type(st.name)!)}`, st.loc);
        }
        this.metastore.putType(st.name, resolveType(st.type, (n) => this.metastore.type(n)));
        return ok(`Registered custom type with name '${st.name}' and SQL type ${formatType(this.metastore.type(st.name)!)}`);
      }
      case 'DropType':
        if (!this.metastore.dropType(st.name) && !st.ifExists) throw new KsqlError(`Type ${st.name} does not exist.`, st.loc, 'NotFound');
        return ok(`Dropped type '${st.name}'`);
      case 'DropSource': {
        const s = this.metastore.source(st.name);
        if (!s) {
          const what = st.sourceType === 'STREAM' ? 'Stream' : 'Table';
          if (st.ifExists) return ok(`${what} ${st.name} does not exist.`);
          throw new KsqlError(`${what} ${st.name} does not exist.`, st.loc, 'NotFound');
        }
        if (s.sourceType !== st.sourceType) {
          throw new KsqlError(`Incompatible data source type is ${s.sourceType}, but statement was DROP ${st.sourceType}`, st.loc);
        }
        if (st.deleteTopic && s.isSource) throw new KsqlError(`Cannot delete topic for read-only source: ${s.name}`, st.loc);
        // as current ksqlDB: the query that created the source (CREATE ... AS SELECT) is terminated with it;
        // other queries reading or writing it still refuse the DROP (checked first: nothing is stopped then)
        const creator = this.metastore.queries().find((q) => q.sink === st.name && /^C[ST]AS_/.test(q.id) && !q.sources.includes(st.name));
        this.metastore.checkDroppable(st.name, creator?.id ?? null);
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
          if (id === undefined) throw new KsqlError(`Unknown queryId: ${asked}`, st.loc, 'NotFound');
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
          if (!q) throw new KsqlError(`Unknown queryId: ${id}`, st.loc, 'NotFound');
          q.state = st.action === 'PAUSE' ? 'PAUSED' : 'RUNNING';
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
          if (!q) throw new KsqlError(`Query with id:${st.target.queryId} does not exist, use SHOW QUERIES to view the full set of queries.`, st.loc);
          return ok(q.sql);
        }
        const inner = st.target.statement;
        if (inner.kind !== 'CreateAsSelect' && inner.kind !== 'InsertInto' && inner.kind !== 'QueryStatement') {
          throw new KsqlError('The provided statement does not run a ksql query', st.loc);
        }
        const planned = planQuery(inner.query, { ...this.#catalog(), sinkName: inner.kind === 'QueryStatement' ? null : inner.kind === 'InsertInto' ? inner.target : inner.name });
        if (inner.kind === 'CreateAsSelect' && planned.resultType !== inner.sourceType) {
          throw new KsqlError(
            `Invalid result type. Your SELECT query produces a ${planned.resultType}. Please use CREATE ${planned.resultType} AS SELECT statement instead.`,
            inner.loc,
          );
        }
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
    const kind = st.sourceType === 'STREAM' ? 'stream' : 'table';
    if (!existing) throw new KsqlError(`Source ${st.name} does not exist.`, st.loc, 'NotFound');
    if (existing.sourceType !== st.sourceType) throw new KsqlError(`Incompatible data source type is ${existing.sourceType}, but statement was ALTER ${st.sourceType}`, st.loc);
    if (existing.isSource) throw new KsqlError(`Cannot alter ${kind} '${st.name}': ALTER operations are not supported on source ${kind}s.`, st.loc);
    if (existing.isSink) throw new KsqlError('ALTER command is not supported for CREATE ... AS statements.', st.loc);
    const columns = [...existing.columns];
    for (const c of st.addColumns) {
      if (columns.some((x) => x.name === c.name)) throw new KsqlError(`Cannot add column \`${c.name}\` to schema. A column with the same name already exists.`, c.loc);
      if (c.constraint.kind !== 'None') throw new KsqlError(`Cannot add key column \`${c.name}\`: ALTER only adds value columns.`, c.loc);
      const type = resolveType(c.type, (n) => this.metastore.type(n));
      const firstHeader = columns.findIndex((x) => x.namespace === 'HEADERS');
      columns.splice(firstHeader < 0 ? columns.length : firstHeader, 0, { name: c.name, type, namespace: 'VALUE' });
    }
    this.metastore.putSource({ ...existing, columns });
  }

  createSource(st: CreateSource, props: Readonly<Record<string, string>>): DataSource {
    if (st.orReplace && st.isSource) {
      const kind = st.sourceType === 'STREAM' ? 'stream' : 'table';
      throw new KsqlError(`Cannot add ${kind} '${st.name}': CREATE OR REPLACE is not supported on source ${kind}s.`, st.loc);
    }
    const existing = this.metastore.source(st.name);
    if (existing) {
      if (st.ifNotExists) return existing;
      if (!st.orReplace) {
        const kind = existing.sourceType === 'STREAM' ? 'stream' : 'table';
        throw new KsqlError(`Cannot add ${st.sourceType === 'STREAM' ? 'stream' : 'table'} '${st.name}': A ${kind} with the same name already exists`, st.loc, 'AlreadyExists');
      }
      if (existing.isSource || st.isSource) {
        const kind = st.sourceType === 'STREAM' ? 'stream' : 'table';
        throw new KsqlError(`Cannot add ${kind} '${st.name}': CREATE OR REPLACE is not supported on source ${kind}s.`, st.loc);
      }
    }
    const p = propMap(st.properties);
    const topic = p['KAFKA_TOPIC'];
    if (topic === undefined) throw new KsqlError('Missing required property "KAFKA_TOPIC" which has no default value.', st.loc);
    const { keyFormat, valueFormat } = formatsFrom(p, props, null, st.loc);
    let columns: Column[] = [];
    const userType = (n: string): SqlType | undefined => this.metastore.type(n);
    if (st.columns) columns = analyzeTableElements(st.sourceType, st.columns, userType, st.loc);
    for (const [prop, ns] of [['KEY_SCHEMA_ID', 'KEY'], ['VALUE_SCHEMA_ID', 'VALUE']] as const) {
      if (p[prop] !== undefined && columns.some((c) => c.namespace === ns)) {
        throw new KsqlError(`Table elements and ${prop} cannot both exist for create statement.`, st.loc);
      }
    }
    // Schema inference from the registry for formats that support it (by id when given, else
    // the subject's latest). A schema chosen by id keeps its field names as registered.
    if (p['VALUE_SCHEMA_ID'] && !supportsInference(valueFormat.format)) {
      throw new KsqlError(`VALUE_FORMAT should support schema inference when VALUE_SCHEMA_ID is provided. Current format is ${valueFormat.format}.`, st.loc);
    }
    if (p['KEY_SCHEMA_ID'] && !supportsInference(keyFormat.format)) {
      throw new KsqlError(`KEY_FORMAT should support schema inference when KEY_SCHEMA_ID is provided. Current format is ${keyFormat.format}.`, st.loc);
    }
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
    if (existing && st.orReplace && existing.sourceType !== st.sourceType) {
      const kind = existing.sourceType === 'STREAM' ? 'stream' : 'table';
      throw new KsqlError(`Cannot add ${st.sourceType === 'STREAM' ? 'stream' : 'table'} '${st.name}': A ${kind} with the same name already exists`, st.loc, 'AlreadyExists');
    }
    if (existing && !st.orReplace) {
      if (st.ifNotExists) return null;
      const kind = existing.sourceType === 'STREAM' ? 'stream' : 'table';
      throw new KsqlError(`Cannot add ${st.sourceType === 'STREAM' ? 'stream' : 'table'} '${st.name}': A ${kind} with the same name already exists`, st.loc, 'AlreadyExists');
    }
    const planned = planQuery(st.query, { ...this.#catalog(), sinkName: st.name, statementLabel: `CREATE ${st.sourceType} AS SELECT` });
    rejectWindowedTableSources(planned, st.loc);
    if (planned.resultType !== st.sourceType) {
      throw new KsqlError(
        `Invalid result type. Your SELECT query produces a ${planned.resultType}. Please use CREATE ${planned.resultType} AS SELECT statement instead.`,
        st.loc,
      );
    }
    const p = propMap(st.properties);
    const prefix = props['ksql.output.topic.name.prefix'] ?? '';
    const topic = p['KAFKA_TOPIC'] ?? prefix + st.name;
    const inherited = inheritFormats(planned, props, st.loc);
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
    const target = this.metastore.source(st.target);
    if (!target) throw new KsqlError(`Cannot insert into an unknown stream/table: ${st.target}`, st.loc, 'NotFound');
    if (target.sourceType === 'TABLE') throw new KsqlError(`INSERT INTO can only be used to insert into a stream. ${target.name} is a table.`, st.loc);
    if (target.isSource) throw new KsqlError(`Cannot insert into read-only ${target.sourceType.toLowerCase()}: ${target.name}`, st.loc);
    if (target.columns.some((c) => c.namespace === 'HEADERS')) throw new KsqlError(`Cannot insert into ${target.name} because it has header columns`, st.loc);
    const sinkValueType = (name: string): SqlType | undefined => target.columns.find((c) => c.namespace === 'VALUE' && c.name === name)?.type;
    const planned = planQuery(st.query, { ...this.#catalog(), sinkName: st.target, sinkColumnType: sinkValueType });
    rejectWindowedTableSources(planned, st.loc);
    if (planned.resultType !== 'STREAM') throw new KsqlError(`INSERT INTO can only be used to insert into a stream. ${target.name} is a table.`, st.loc);
    const want = target.columns.filter((c) => c.namespace !== 'HEADERS');
    const got = [...planned.key.map((c) => ({ ...c, ns: 'KEY' })), ...planned.value.map((c) => ({ ...c, ns: 'VALUE' }))];
    const same = want.length === got.length && want.every((c, i) => c.name === got[i]!.name && c.namespace === got[i]!.ns && typeEquals(c.type, got[i]!.type));
    if (!same) {
      const fmt = (cols: readonly { name: string; type: SqlType; ns?: string; namespace?: string }[]): string =>
        cols.map((c) => `\`${c.name}\` ${formatType(c.type)}${(c.ns ?? c.namespace) === 'KEY' ? ' KEY' : ''}`).join(', ');
      throw new KsqlError(`Incompatible schema between results and sink.\nResult schema is ${fmt(got)}\nSink schema is ${fmt(want)}`, st.loc);
    }
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
    const target = this.metastore.source(st.target);
    if (!target) {
      const upper = this.metastore.source(st.target.toUpperCase());
      const hint = upper && upper.name !== st.target ? `\nDid you mean ${upper.name}? Hint: try removing double quotes from the source name.` : '';
      throw new KsqlError(`Cannot insert values into an unknown stream/table: ${upper && upper.name !== st.target ? `\`${st.target}\`` : st.target}${hint}`, st.loc, 'NotFound');
    }
    if (target.isSource) throw new KsqlError(`Cannot insert values into read-only ${target.sourceType.toLowerCase()}: ${target.name}`, st.loc);
    const writable = target.columns.filter((c) => c.namespace !== 'HEADERS');
    const headerCols = target.columns.filter((c) => c.namespace === 'HEADERS').map((c) => c.name);
    const named = (st.columns ?? target.columns.map((c) => c.name)).filter((n) => headerCols.includes(n));
    if (named.length > 0) throw new KsqlError(`Cannot insert into HEADER columns: ${named.join(', ')}`, st.loc);
    const names = st.columns ?? writable.map((c) => c.name);
    if (names.length !== st.values.length) {
      const detail = st.columns ? `${names.length}, ${st.values.length}` : `[${names.join(', ')}], [${st.values.map(() => '?').join(', ')}]`;
      throw new KsqlError(`Failed to prepare statement: Expected number columns and values to match: ${detail}`, st.loc);
    }
    for (const n of names) if (n === 'ROWPARTITION' || n === 'ROWOFFSET') throw new KsqlError(`Inserting into column \`${n}\` is not allowed.`, st.loc);
    for (const v of st.values) {
      for (const r of columnRefs(v)) {
        if (r.source) throw new KsqlError(`Failed to prepare statement: '${r.source}' is not a valid stream/table name or alias.`, r.loc);
      }
    }
    const values = new Map<string, unknown>();
    let ts = Date.now();
    names.forEach((n, i) => {
      const expr = st.values[i]!;
      if (n === 'ROWTIME') {
        const v = this.#constant(expr, { kind: 'BIGINT' }, n);
        if (v !== null) ts = Number(v);
        return;
      }
      const col = writable.find((c) => c.name === n);
      if (!col) throw new KsqlError(`Column name ${n} does not exist.`, st.loc);
      values.set(n, this.#constant(expr, col.type, n));
    });
    const keyCols = writable.filter((c) => c.namespace === 'KEY');
    const valueCols = writable.filter((c) => c.namespace === 'VALUE');
    if (target.sourceType === 'TABLE') {
      const missingKeys = keyCols.filter((c) => values.get(c.name) === null || values.get(c.name) === undefined).map((c) => c.name);
      if (missingKeys.length > 0) throw new KsqlError(`Value for primary key column(s) ${missingKeys.join(', ')} is required for tables`, st.loc);
    }
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

function checkUpgradeCompatible(existing: DataSource, next: DataSource, loc: CreateSource['loc']): void {
  const fmt = (s: DataSource): string =>
    s.columns.filter((c) => c.namespace !== 'HEADERS').map((c) => `\`${c.name}\` ${formatType(c.type)}${c.namespace === 'KEY' ? ' KEY' : ''}`).join(', ');
  const keysOf = (s: DataSource): readonly Column[] => s.columns.filter((c) => c.namespace === 'KEY');
  const valuesOf = (s: DataSource): readonly Column[] => s.columns.filter((c) => c.namespace === 'VALUE');
  const same = (a: readonly Column[], b: readonly Column[]): boolean => a.every((c, i) => b[i] !== undefined && c.name === b[i]!.name && typeEquals(c.type, b[i]!.type));
  const ok = keysOf(existing).length === keysOf(next).length && same(keysOf(existing), keysOf(next)) && same(valuesOf(existing), valuesOf(next));
  if (!ok) {
    throw new KsqlError(
      `Cannot upgrade data source: DataSource '\`${existing.name}\`' has schema = ${fmt(existing)} which is not upgrade compatible with ${fmt(next)}.`,
      loc,
    );
  }
}

/** `ksql.persistence.wrap.single.values` applies to sources with exactly one value column. */
function withWrapDefault(format: FormatInfo, columns: readonly Column[], props: Readonly<Record<string, string>>): FormatInfo {
  const dflt = props['ksql.persistence.wrap.single.values'];
  if (dflt === undefined || format.properties['WRAP_SINGLE_VALUE'] !== undefined) return format;
  if (columns.filter((c) => c.namespace === 'VALUE').length !== 1) return format;
  return { ...format, properties: { ...format.properties, WRAP_SINGLE_VALUE: dflt } };
}

function supportsInference(f: FormatName): boolean {
  return f === 'AVRO' || f === 'PROTOBUF' || f === 'JSON_SR';
}

function sortColumns(cols: readonly Column[]): Column[] {
  return [...cols.filter((c) => c.namespace === 'KEY'), ...cols.filter((c) => c.namespace !== 'KEY')];
}

export function propMap(p: Properties): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(p)) out[k.toUpperCase()] = propString(v.value);
  return out;
}

function propString(v: PropertyValue): string {
  return typeof v === 'string' ? v : String(v);
}

function parseFormat(name: string, loc: CreateSource['loc']): FormatName {
  const f = name.toUpperCase() as FormatName;
  if (!FORMATS.includes(f)) throw new KsqlError(`Unknown format: ${name.toUpperCase()}`, loc);
  return f;
}

function formatsFrom(
  p: Readonly<Record<string, string>>,
  props: Readonly<Record<string, string>>,
  inherited: { keyFormat: FormatInfo; valueFormat: FormatInfo } | null,
  loc: CreateSource['loc'],
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

function inheritFormats(planned: PlannedQuery, props: Readonly<Record<string, string>>, loc: CreateSource['loc']): { keyFormat: FormatInfo; valueFormat: FormatInfo } {
  const src = planned.primary;
  let keyFormat = src.keyFormat;
  // a key where the source had none: the configured default key format
  if (keyFormat.format === 'NONE' && planned.key.length > 0) {
    const configured = props['ksql.persistence.default.format.key'];
    keyFormat = { format: configured === undefined ? 'KAFKA' : parseFormat(configured, loc), properties: {} };
  }
  return { keyFormat: { format: keyFormat.format, properties: stripSchemaProps(keyFormat.properties) }, valueFormat: src.valueFormat };
}

function windowFrom(p: Readonly<Record<string, string>>, loc: CreateSource['loc']): WindowInfo | null {
  const type = p['WINDOW_TYPE'];
  if (!type) return null;
  const kind = type.toUpperCase();
  if (kind !== 'TUMBLING' && kind !== 'HOPPING' && kind !== 'SESSION') throw new KsqlError(`WINDOW_TYPE property is not set correctly. value: ${type}, validValues: [SESSION, HOPPING, TUMBLING]`, loc);
  const size = p['WINDOW_SIZE'];
  if (kind !== 'SESSION' && !size) throw new KsqlError(`${kind} windows require 'WINDOW_SIZE' to be provided in the WITH clause. For example: 'WINDOW_SIZE'='10 SECONDS'`, loc);
  if (kind === 'SESSION' && size) throw new KsqlError(`'WINDOW_SIZE' should not be set for SESSION windows.`, loc);
  return { kind, sizeMs: size ? parseDuration(size, loc) : null };
}

function parseDuration(text: string, loc: CreateSource['loc']): number {
  const m = /^\s*(\d+)\s*([A-Za-z]+)\s*$/.exec(text);
  if (!m) throw new KsqlError(`Invalid duration: '${text}'`, loc);
  const n = Number(m[1]);
  const unit = m[2]!.toUpperCase().replace(/S$/, '');
  const mult: Record<string, number> = { MILLISECOND: 1, SECOND: 1000, MINUTE: 60000, HOUR: 3600000, DAY: 86400000 };
  if (mult[unit] === undefined) throw new KsqlError(`Configuration WINDOW_SIZE is invalid: Invalid duration: '${text}'. Unknown time unit: '${m[2]!.toUpperCase()}'`, loc);
  return n * mult[unit]!;
}

function timestampFrom(p: Readonly<Record<string, string>>, columns: readonly Column[], loc: CreateSource['loc']): TimestampColumn | null {
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

/** Persistent queries cannot read windowed tables (ksqlDB: a windowed table is only for pull queries). */
function rejectWindowedTableSources(planned: PlannedQuery, loc: Statement['loc']): void {
  if (planned.sources.some((x) => x.sourceType === 'TABLE' && x.window !== null)) throw new KsqlError('KSQL does not support persistent queries on windowed tables.', loc);
}

function validateFormats(s: DataSource, registry: SchemaRegistry, loc: CreateSource['loc']): void {
  const keys = s.columns.filter((c) => c.namespace === 'KEY');
  const values = s.columns.filter((c) => c.namespace === 'VALUE');
  for (const k of keys) {
    if (containsMap(k.type)) {
      throw new KsqlError(mapKeyMessage(k.name, k.type), loc);
    }
  }
  if (s.valueFormat.properties['WRAP_SINGLE_VALUE'] !== undefined && values.length !== 1) {
    throw new KsqlError("'WRAP_SINGLE_VALUE' is only valid for single-field value schemas", loc);
  }
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

