import { KsqlError } from '../../errors.js';
import { propMap } from '../../analyzer/with-clause.js';
import { parseScript } from '../../sql/index.js';
import type { Statement } from '../../sql/ast/statement.js';
import { queryState } from '../backend.js';
import { describeEntity, describeFunctionEntity, showEntity, type Entity } from '../describe.js';
import { HttpError, jsonTypeFor, sendJson, type Route } from '../http/router.js';
import type { HttpRequest, HttpResponse } from '../http/listener.js';
import { checkStatementText } from '../statement-limits.js';
import { requestProperties, sessionVariables, type CommandStatus, type ServerState } from './state.js';

const WRONG_ENDPOINT = "The following statement types should be issued to the websocket endpoint '/query':\n\t* PRINT\n\t* SELECT";

/** POST /ksql: statements → a list of KsqlEntity (currentStatus, streams, ...). */
export function ksqlRoutes(state: ServerState): Route[] {
  return [{ method: 'POST', path: '/ksql', handle: ({ req, res, body }) => ksql(state, req, res, body) }];
}

/** The fields of a request body that must be an object with a string `field` (400 otherwise, as ksqlDB's request deserialisation). */
export function requestBody(body: unknown, field: string): Record<string, unknown> & { readonly text: string } {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, 40000, `Invalid JSON in request: expected an object with a "${field}" field`);
  const o = body as Record<string, unknown>;
  const text = o[field];
  if (typeof text !== 'string') throw new HttpError(400, 40000, `Invalid JSON in request: "${field}" must be a string, got ${text === undefined ? 'none' : JSON.stringify(text)?.slice(0, 40)}`);
  for (const k of ['streamsProperties', 'properties', 'sessionVariables']) {
    const v = o[k];
    if (v !== undefined && v !== null && (typeof v !== 'object' || Array.isArray(v))) throw new HttpError(400, 40000, `Invalid JSON in request: "${k}" must be an object`);
  }
  return { ...o, text };
}

async function ksql(state: ServerState, req: HttpRequest, res: HttpResponse, raw: unknown): Promise<void> {
  const body = requestBody(raw, 'ksql');
  const props = requestProperties(state, body['streamsProperties']);
  const entities: Entity[] = [];
  let statements: Statement[];
  try {
    // refused before anything is parsed or written (the parser recurses per level)
    checkStatementText(body.text, state.limits);
    statements = parseScript(body.text, sessionVariables(body['sessionVariables']));
  } catch (e) {
    sendStatementError(req, res, e, body.text, entities);
    return;
  }
  for (const st of statements) {
    try {
      const entity = await execute(state, st, props);
      if (entity) entities.push(entity);
    } catch (e) {
      sendStatementError(req, res, e, st.text, entities);
      return;
    }
  }
  sendJson(res, 200, JSON.stringify(entities), jsonTypeFor(req));
}

/** Runs one statement; null when ksqlDB answers with no entity (INSERT VALUES, DEFINE, ...). */
async function execute(state: ServerState, st: Statement, props: Record<string, string>): Promise<Entity | null> {
  const b = state.backend;
  switch (st.kind) {
    case 'Show':
      return showEntity(st, b);
    case 'Describe':
      return describeEntity(st, b);
    case 'DescribeFunction':
      return describeFunctionEntity(st, b);
    case 'QueryStatement':
      throw new KsqlError(WRONG_ENDPOINT, st.loc);
    case 'SetProperty':
      props[st.name] = st.value;
      return null;
    case 'UnsetProperty':
      delete props[st.name];
      return null;
    case 'DefineVariable':
    case 'UndefineVariable':
      return null;
    case 'InsertValues':
      await b.executeStatement(st, props);
      return null;
    case 'Explain': {
      const r = await b.executeStatement(st, props);
      const q = st.target.kind === 'QueryId' ? b.metastore.query(st.target.queryId) : undefined;
      return {
        '@type': 'queryDescription',
        statementText: st.text,
        warnings: [],
        queryDescription: {
          id: q?.id ?? '',
          statementText: q?.sql ?? (st.target.kind === 'Statement' ? st.target.statement.text : ''),
          windowType: null,
          fields: [],
          sources: q ? [...q.sources] : [],
          sinks: q?.sink ? [q.sink] : [],
          topology: '',
          executionPlan: st.target.kind === 'Statement' ? r.message : '',
          overriddenProperties: {},
          ksqlHostQueryStatus: {},
          queryType: q ? 'PERSISTENT' : 'PUSH',
          queryErrors: q ? (b.queryStatus?.(q.id)?.errors ?? []) : [],
          tasksMetadata: [],
          state: q ? queryState(b, q) : 'RUNNING',
        },
      };
    }
    default: {
      if ((st.kind === 'CreateAsSelect' || st.kind === 'InsertInto') && st.query.limit !== null) {
        const what = st.kind === 'InsertInto' ? 'INSERT INTO' : `CREATE ${st.sourceType} AS SELECT`;
        throw new KsqlError(`${what} statements don't support LIMIT clause.`, st.loc);
      }
      if (st.kind === 'CreateSource') await requireTopicOrPartitions(state, st);
      const r = await b.executeStatement(st, props);
      const commandId = commandIdOf(st, r.queryId);
      const status: CommandStatus = { status: 'SUCCESS', message: r.message, queryId: r.queryId };
      state.commands.set(commandId, status);
      return {
        '@type': 'currentStatus',
        statementText: st.text,
        commandId,
        commandStatus: { ...status },
        // the command topic's offset where there is one, as ksqlDB
        commandSequenceNumber: r.commandSequenceNumber ?? state.nextSequence(),
        warnings: [],
      };
    }
  }
}

/**
 * ksqlDB's TopicCreateInjector, before the command topic: a CREATE STREAM /
 * TABLE over a topic that does not exist must say how many partitions to
 * create it with (no silent one-partition topic).
 */
async function requireTopicOrPartitions(state: ServerState, st: Statement & { kind: 'CreateSource' }): Promise<void> {
  const p = propMap(st.properties);
  const topic = p['KAFKA_TOPIC'];
  if (topic === undefined || p['PARTITIONS'] !== undefined) return;
  const b = state.backend;
  if (b.topics().some((t) => t.name === topic)) return;
  if (b.topicExists && (await b.topicExists(topic))) return;
  throw new KsqlError(
    `Topic '${topic}' does not exist. If you want to create a new topic for the stream/table please re-run the statement providing the required 'PARTITIONS' configuration in the WITH clause (and optionally 'REPLICAS'). For example: CREATE ${st.sourceType} ${st.name} (...) WITH (KAFKA_TOPIC='${topic}', PARTITIONS=2, REPLICAS=1, ...);`,
    st.loc,
  );
}

function commandIdOf(st: Statement, queryId: string | null): string {
  switch (st.kind) {
    case 'CreateSource':
    case 'CreateAsSelect':
      return `${st.sourceType.toLowerCase()}/\`${st.name}\`/create`;
    case 'DropSource':
      return `${st.sourceType.toLowerCase()}/\`${st.name}\`/drop`;
    case 'InsertInto':
      return `stream/\`${st.target}\`/create`;
    case 'CreateType':
      return `type/\`${st.name}\`/create`;
    case 'DropType':
      return `type/\`${st.name}\`/drop`;
    case 'Terminate':
      return `terminate/${st.queryId ?? 'ALL'}/execute`;
    case 'PauseResume':
      return `${st.action.toLowerCase()}/${st.queryId ?? 'ALL'}/execute`;
    default:
      return `${st.kind.toLowerCase()}/${queryId ?? 'statement'}/execute`;
  }
}

/** ksqlDB's error entity: 400 + statement_error for refused statements, 500 + generic_error otherwise. */
export function sendStatementError(req: HttpRequest, res: HttpResponse, e: unknown, statementText: string, entities: readonly Entity[]): void {
  const type = jsonTypeFor(req);
  if (e instanceof KsqlError) {
    sendJson(res, 400, { '@type': 'statement_error', error_code: 40001, message: e.message, statementText, entities }, type);
    return;
  }
  if (e instanceof HttpError) {
    sendJson(res, e.status, { '@type': 'generic_error', error_code: e.errorCode, message: e.message }, type);
    return;
  }
  // a parser that runs out of stack on an input past the checks is the input's fault, not the server's
  if (e instanceof RangeError && /call stack/i.test(e.message)) {
    sendJson(res, 400, { '@type': 'statement_error', error_code: 40001, message: 'The statement is nested too deeply.', statementText, entities }, type);
    return;
  }
  const message = e instanceof Error ? e.message : String(e);
  sendJson(res, 500, { '@type': 'generic_error', error_code: 50000, message }, type);
}
