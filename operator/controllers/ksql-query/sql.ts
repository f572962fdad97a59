/**
 * A KsqlQuery's SQL as the plan reads it, pure: `spec.sql` compiled with the
 * engine's parser into statements, a change classified against the SQL last
 * applied and decided by the upgrade policy, and the statements set against
 * what the engine runs (what is still to submit, which queries and
 * streams/tables are the KsqlQuery's, whether the engine runs exactly them).
 */
import { KsqlError, parseScript, type Statement } from 'ksetl/engine';
import type { UpgradePolicy } from '../../api/ksql-query.js';

/** A statement kind a KsqlQuery may hold. */
export type PlannedKind = 'CreateSource' | 'CreateAsSelect' | 'InsertInto' | 'CreateType' | 'SetProperty' | 'UnsetProperty';

export interface PlannedStatement {
  readonly kind: PlannedKind;
  /** the stream/table/type the statement creates or writes; the property name for SET/UNSET */
  readonly target: string;
  readonly sourceType: 'STREAM' | 'TABLE' | null;
  readonly text: string;
  readonly line: number;
  readonly column: number;
  /** SET: the value */
  readonly value?: string;
}

/** An error in `spec.sql`, with its 1-based position. `reason` is PascalCase, for conditions. */
export interface SqlProblem {
  readonly reason: string;
  readonly message: string;
  readonly line?: number;
  readonly column?: number;
}

export type CompileResult = { readonly ok: true; readonly statements: readonly PlannedStatement[] } | { readonly ok: false; readonly error: SqlProblem };

const REASON_BY_ENGINE: Record<string, string> = {
  ParseError: 'SqlSyntaxError',
  StatementError: 'SqlInvalid',
  TypeError: 'SqlTypeError',
  NotFound: 'SqlReferenceNotFound',
  AlreadyExists: 'SqlAlreadyExists',
  Unsupported: 'SqlUnsupported',
};

/** The condition reason for an engine error's typed reason (SqlInvalid for any other). */
export function problemReason(engineReason: string | undefined): string {
  return REASON_BY_ENGINE[engineReason ?? ''] ?? 'SqlInvalid';
}

/** A problem from an engine error (reason from its typed reason, never from the message). */
export function problemOf(e: unknown): SqlProblem {
  if (e instanceof KsqlError) {
    return { reason: problemReason(e.reason), message: e.message, ...(e.loc ? { line: e.loc.line, column: e.loc.column } : {}) };
  }
  return { reason: 'SqlInvalid', message: e instanceof Error ? e.message : String(e) };
}

/** `line L:C: ` in front of a message that does not carry its position yet. */
export function withPosition(p: SqlProblem): string {
  if (p.line === undefined || /^line \d+:\d+/.test(p.message)) return p.message;
  return `line ${p.line}:${p.column ?? 1}: ${p.message}`;
}

function planned(st: Statement): PlannedStatement | SqlProblem {
  const at = { text: st.text, line: st.loc.line, column: st.loc.column };
  switch (st.kind) {
    case 'CreateSource':
    case 'CreateAsSelect':
      return { kind: st.kind, target: st.name, sourceType: st.sourceType, ...at };
    case 'InsertInto':
      return { kind: st.kind, target: st.target, sourceType: null, ...at };
    case 'CreateType':
      return { kind: st.kind, target: st.name, sourceType: null, ...at };
    case 'SetProperty':
      return { kind: st.kind, target: st.name, sourceType: null, value: st.value, ...at };
    case 'UnsetProperty':
      return { kind: st.kind, target: st.name, sourceType: null, ...at };
    default:
      return {
        reason: 'UnsupportedStatement',
        message: `a KsqlQuery holds CREATE STREAM/TABLE [AS SELECT], INSERT INTO ... SELECT, CREATE TYPE and SET/UNSET statements; ${st.kind} is not one of them (the operator runs the others itself)`,
        line: st.loc.line,
        column: st.loc.column,
      };
  }
}

/** Parses `sql` with the engine's parser; syntax errors and unsupported statements come back with their position. */
export function compileSql(sql: string): CompileResult {
  let parsed: Statement[];
  try {
    parsed = parseScript(sql);
  } catch (e) {
    return { ok: false, error: problemOf(e) };
  }
  if (parsed.length === 0) return { ok: false, error: { reason: 'SqlEmpty', message: 'spec.sql holds no statement' } };
  const out: PlannedStatement[] = [];
  for (const st of parsed) {
    const p = planned(st);
    if ('reason' in p) return { ok: false, error: p };
    out.push(p);
  }
  return { ok: true, statements: out };
}

/**
 * A statement's identity for "is this already applied": whitespace collapsed,
 * no trailing semicolon, `CREATE OR REPLACE` read as `CREATE` (an in-place
 * upgrade stores the replacing text).
 */
export function canonical(text: string): string {
  return text
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/\s*;$/, '')
    .replace(/^CREATE OR REPLACE /i, 'CREATE ');
}

/** The persistent queries' statements (the ones that run): CSAS/CTAS and INSERT INTO. */
export const isQueryStatement = (s: PlannedStatement): boolean => s.kind === 'CreateAsSelect' || s.kind === 'InsertInto';

/** Streams and tables the statements create, in order. */
export function createdSources(statements: readonly PlannedStatement[]): PlannedStatement[] {
  return statements.filter((s) => s.kind === 'CreateSource' || s.kind === 'CreateAsSelect');
}

// ---- change classification ---------------------------------------------------------------

export type SqlChange =
  /** nothing ran before */
  | { readonly kind: 'Create' }
  /** the same statements (whitespace aside) */
  | { readonly kind: 'Unchanged' }
  /** changed CREATE [AS SELECT] bodies under the same names and kinds, maybe new statements after them: `CREATE OR REPLACE` */
  | { readonly kind: 'InPlace'; readonly replaced: readonly string[]; readonly added: readonly string[] }
  /** anything else: statements removed or renamed, a source kind or statement kind changed, an INSERT INTO changed */
  | { readonly kind: 'Recreate'; readonly why: string };

const identity = (s: PlannedStatement): string => `${s.kind}:${s.sourceType ?? ''}:${s.target}`;

/** How the SQL changed between what was applied and what is wanted. Pure. */
export function classifySqlChange(applied: readonly PlannedStatement[] | null, wanted: readonly PlannedStatement[]): SqlChange {
  if (applied === null) return { kind: 'Create' };
  const a = applied.filter((s) => s.kind !== 'SetProperty' && s.kind !== 'UnsetProperty');
  const w = wanted.filter((s) => s.kind !== 'SetProperty' && s.kind !== 'UnsetProperty');
  const props = (l: readonly PlannedStatement[]) => l.filter((s) => s.kind === 'SetProperty' || s.kind === 'UnsetProperty').map((s) => canonical(s.text)).join('\n');
  const sameProps = props(applied) === props(wanted);
  if (sameProps && a.length === w.length && a.every((s, i) => canonical(s.text) === canonical(w[i]!.text))) return { kind: 'Unchanged' };
  if (w.length < a.length) return { kind: 'Recreate', why: `statements removed (${a.length} → ${w.length})` };
  const replaced: string[] = [];
  for (let i = 0; i < a.length; i++) {
    const old = a[i]!;
    const now = w[i]!;
    if (identity(old) !== identity(now)) return { kind: 'Recreate', why: `statement ${i + 1} changed from ${old.kind} ${old.target} to ${now.kind} ${now.target}` };
    if (canonical(old.text) === canonical(now.text)) continue;
    if (old.kind === 'InsertInto') return { kind: 'Recreate', why: `INSERT INTO ${old.target} changed (an INSERT INTO query cannot be replaced in place)` };
    if (old.kind === 'CreateType') return { kind: 'Recreate', why: `type ${old.target} changed` };
    replaced.push(old.target);
  }
  if (!sameProps && replaced.length === 0 && w.length === a.length) return { kind: 'Recreate', why: 'query properties (SET) changed' };
  return { kind: 'InPlace', replaced, added: w.slice(a.length).map((s) => s.target) };
}

export type UpgradeAction =
  | { readonly kind: 'Apply'; readonly mode: 'create' | 'replace' }
  | { readonly kind: 'Recreate'; readonly why: string }
  | { readonly kind: 'Refuse'; readonly reason: 'SqlChangeRefused' | 'UpgradeNotInPlace'; readonly message: string };

/** What the upgrade policy makes of a change. Pure. */
export function decideUpgrade(change: SqlChange, policy: UpgradePolicy): UpgradeAction {
  switch (change.kind) {
    case 'Create':
    case 'Unchanged':
      return { kind: 'Apply', mode: 'create' };
    case 'InPlace':
      if (policy === 'Refuse') return { kind: 'Refuse', reason: 'SqlChangeRefused', message: 'upgradePolicy is Refuse: spec.sql changed; status.lastAppliedSql keeps running' };
      if (policy === 'Recreate') return { kind: 'Recreate', why: `changed: ${[...change.replaced, ...change.added].join(', ')}` };
      return { kind: 'Apply', mode: 'replace' };
    case 'Recreate':
      if (policy === 'Refuse') return { kind: 'Refuse', reason: 'SqlChangeRefused', message: 'upgradePolicy is Refuse: spec.sql changed; status.lastAppliedSql keeps running' };
      if (policy === 'ReplaceInPlace') {
        return { kind: 'Refuse', reason: 'UpgradeNotInPlace', message: `the change cannot be made in place (${change.why}); set upgradePolicy: Recreate to terminate and recreate the queries` };
      }
      return { kind: 'Recreate', why: change.why };
  }
}

// ---- submission against the engine's state ---------------------------------------------------

/** What the reconciler read from the engine. */
export interface EngineState {
  /** streams and tables by name, with the statement that created them */
  readonly sources: ReadonlyMap<string, { readonly statement: string; readonly sourceType: 'STREAM' | 'TABLE'; readonly topic: string }>;
  readonly queries: readonly EngineQuery[];
  readonly types: ReadonlySet<string>;
}

export interface EngineQuery {
  readonly id: string;
  readonly sql: string;
  readonly sinks: readonly string[];
  readonly sinkTopics: readonly string[];
  /** RUNNING, PAUSED, ERROR, ... */
  readonly state: string;
}

export interface Submission {
  readonly statement: PlannedStatement;
  /** the text to send (CREATE rewritten to CREATE OR REPLACE for an in-place upgrade) */
  readonly text: string;
  /** properties in effect (spec.properties, then SET/UNSET before the statement) */
  readonly properties: Readonly<Record<string, string>>;
}

/** `CREATE [SOURCE] STREAM ...` → `CREATE OR REPLACE [SOURCE] STREAM ...`. */
export function orReplace(text: string): string {
  return /^\s*CREATE\s+OR\s+REPLACE\b/i.test(text) ? text : text.replace(/^(\s*CREATE)\b/i, '$1 OR REPLACE');
}

/**
 * The statements still to submit so the engine runs `wanted`: a statement
 * whose source (or INSERT INTO query) already exists with the same text is
 * skipped, which makes a reconcile interrupted midway safe to repeat (no
 * duplicate queries). In `replace` mode a changed CREATE becomes
 * `CREATE OR REPLACE`. Pure.
 */
export function submissions(wanted: readonly PlannedStatement[], engine: EngineState, mode: 'create' | 'replace', baseProperties: Readonly<Record<string, string>>): Submission[] {
  const props: Record<string, string> = { ...baseProperties };
  const out: Submission[] = [];
  for (const st of wanted) {
    switch (st.kind) {
      case 'SetProperty':
        props[st.target] = st.value ?? '';
        continue;
      case 'UnsetProperty':
        delete props[st.target];
        continue;
      case 'CreateType':
        if (engine.types.has(st.target.toUpperCase())) continue;
        out.push({ statement: st, text: st.text, properties: { ...props } });
        continue;
      case 'CreateSource':
      case 'CreateAsSelect': {
        const existing = engine.sources.get(st.target);
        if (existing && canonical(existing.statement) === canonical(st.text)) {
          // a CSAS whose query is gone (terminated by hand) is replaced to start it again
          if (st.kind === 'CreateAsSelect' && !engine.queries.some((q) => q.sinks.includes(st.target))) out.push({ statement: st, text: orReplace(st.text), properties: { ...props } });
          continue;
        }
        out.push({ statement: st, text: existing && mode === 'replace' ? orReplace(st.text) : st.text, properties: { ...props } });
        continue;
      }
      case 'InsertInto':
        if (engine.queries.some((q) => canonical(q.sql) === canonical(st.text))) continue;
        out.push({ statement: st, text: st.text, properties: { ...props } });
        continue;
    }
  }
  return out;
}

/**
 * The engine's sources and queries that belong to a KsqlQuery: the sources
 * its statements create (applied or wanted) and the queries writing them or
 * matching its INSERT INTO statements.
 */
export function ownedByStatements(statements: readonly PlannedStatement[], engine: EngineState): { sources: string[]; queries: EngineQuery[] } {
  const sources = createdSources(statements)
    .map((s) => s.target)
    .filter((n) => engine.sources.has(n));
  const sinks = new Set(statements.filter((s) => s.kind === 'CreateAsSelect').map((s) => s.target));
  const inserts = new Set(statements.filter((s) => s.kind === 'InsertInto').map((s) => canonical(s.text)));
  const queries = engine.queries.filter((q) => q.sinks.some((s) => sinks.has(s)) || inserts.has(canonical(q.sql)));
  return { sources: [...new Set(sources)], queries };
}

/** Sources of the engine that `statements` created before (same text), e.g. by a reconcile that stopped before writing status. */
export function alreadyApplied(statements: readonly PlannedStatement[], engine: EngineState): string[] {
  return createdSources(statements)
    .filter((s) => {
      const e = engine.sources.get(s.target);
      return e !== undefined && canonical(e.statement) === canonical(s.text);
    })
    .map((s) => s.target);
}

/**
 * Whether the engine runs exactly these statements: every stream/table they
 * create exists with the same text, every CREATE ... AS SELECT has a query
 * writing its sink, every INSERT INTO its query, every type exists. Pure.
 *
 * The reconciler uses it to recognise a Recreate that completed before the
 * operator could record it (killed between the submissions and the status
 * write): the engine runs the wanted SQL and no longer the applied one, so
 * there is nothing to terminate and recreate again.
 */
export function engineRuns(statements: readonly PlannedStatement[], engine: EngineState): boolean {
  return statements.every((st) => {
    switch (st.kind) {
      case 'SetProperty':
      case 'UnsetProperty':
        return true;
      case 'CreateType':
        return engine.types.has(st.target.toUpperCase());
      case 'CreateSource':
      case 'CreateAsSelect': {
        const existing = engine.sources.get(st.target);
        if (!existing || canonical(existing.statement) !== canonical(st.text)) return false;
        return st.kind === 'CreateSource' || engine.queries.some((q) => q.sinks.includes(st.target));
      }
      case 'InsertInto':
        return engine.queries.some((q) => canonical(q.sql) === canonical(st.text));
    }
  });
}
