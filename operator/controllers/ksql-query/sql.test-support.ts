/** SQL and engine states the sql.ts and plan.ts tests share. */
import { compileSql, type EngineQuery, type EngineState, type PlannedStatement } from './sql.js';

export const SRC = `CREATE STREAM src (user_id VARCHAR KEY, service VARCHAR) WITH (KAFKA_TOPIC='signups', VALUE_FORMAT='JSON');`;
export const SINK = (cols: string) => `CREATE STREAM by_service WITH (KAFKA_TOPIC='by-service', VALUE_FORMAT='JSON') AS SELECT ${cols} FROM src EMIT CHANGES;`;
export const INSERT = `INSERT INTO by_service SELECT user_id, service FROM src EMIT CHANGES;`;

export function statements(sql: string): readonly PlannedStatement[] {
  const c = compileSql(sql);
  if (!c.ok) throw new Error(c.error.message);
  return c.statements;
}

/** An engine that ran `sql` (texts as submitted, with engine-side whitespace), optionally without some of its queries. */
export function engineAfter(sql: string, opts: { withoutQueries?: readonly string[] } = {}): EngineState {
  const sources = new Map<string, { statement: string; sourceType: 'STREAM' | 'TABLE'; topic: string }>();
  const queries: EngineQuery[] = [];
  let n = 0;
  for (const st of statements(sql)) {
    if (st.kind === 'CreateSource' || st.kind === 'CreateAsSelect') sources.set(st.target, { statement: `${st.text.replace(/ /g, '  ')}\n`, sourceType: st.sourceType!, topic: st.target.toLowerCase() });
    if ((st.kind === 'CreateAsSelect' || st.kind === 'InsertInto') && !opts.withoutQueries?.includes(st.target)) {
      queries.push({ id: `${st.kind === 'InsertInto' ? 'INSERTQUERY' : 'CSAS'}_${st.target}_${n++}`, sql: st.text, sinks: [st.target], sinkTopics: [st.target.toLowerCase()], state: 'RUNNING' });
    }
  }
  return { sources, queries, types: new Set() };
}

export const EMPTY: EngineState = { sources: new Map(), queries: [], types: new Set() };
