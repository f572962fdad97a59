import { DEFAULT_REGEX_BUDGET_MS } from '../functions/scalar/regex-sandbox.js';

/**
 * The limits of what one request may ask of the server, checked before
 * anything is written (docs/rest-api.md lists them). Each is a server property.
 */
export interface ServerLimits {
  /** `ksetl.server.request.max.bytes`: the body of a request (413 beyond) */
  readonly requestMaxBytes: number;
  /** `ksetl.server.inserts.row.max.bytes`: one row of /inserts-stream as JSON text (an error ack beyond) */
  readonly insertRowMaxBytes: number;
  /** `ksetl.statement.max.nesting.depth`: parentheses, brackets and nested expressions in a statement (400 beyond) */
  readonly statementMaxNestingDepth: number;
  /** `ksetl.statement.max.list.elements`: the elements of one IN list, ARRAY[...], MAP(...) or STRUCT(...) in a statement */
  readonly statementMaxListElements: number;
  /**
   * `ksetl.server.request.max.memory.bytes`: what one request may make the
   * server hold: a pull query's result, a push query's rows its client has not
   * read yet (the query ends with an error beyond), the rows of an
   * /inserts-stream not yet acknowledged (the request is not read further).
   */
  readonly requestMaxMemoryBytes: number;
  /**
   * `ksetl.functions.regex.backtracking.budget.ms`: the time one match of a
   * regular expression that must run on the backtracking engine may take (the
   * record fails into the processing log beyond; functions/scalar/regex-sandbox.ts)
   */
  readonly regexBacktrackingBudgetMs: number;
}

export const DEFAULT_LIMITS: ServerLimits = {
  requestMaxBytes: 2 * 1024 * 1024,
  insertRowMaxBytes: 1024 * 1024,
  statementMaxNestingDepth: 100,
  statementMaxListElements: 10_000,
  requestMaxMemoryBytes: 64 * 1024 * 1024,
  regexBacktrackingBudgetMs: DEFAULT_REGEX_BUDGET_MS,
};

export const LIMIT_PROPERTIES: Readonly<Record<keyof ServerLimits, string>> = {
  requestMaxBytes: 'ksetl.server.request.max.bytes',
  insertRowMaxBytes: 'ksetl.server.inserts.row.max.bytes',
  statementMaxNestingDepth: 'ksetl.statement.max.nesting.depth',
  statementMaxListElements: 'ksetl.statement.max.list.elements',
  requestMaxMemoryBytes: 'ksetl.server.request.max.memory.bytes',
  regexBacktrackingBudgetMs: 'ksetl.functions.regex.backtracking.budget.ms',
};

/** The limits set in `props` (positive integers), the defaults for the others. */
export function limitsFrom(props: Readonly<Record<string, string>>): ServerLimits {
  const out: Record<string, number> = { ...DEFAULT_LIMITS };
  for (const [k, name] of Object.entries(LIMIT_PROPERTIES)) {
    const v = props[name];
    if (v === undefined) continue;
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got ${v}`);
    out[k] = n;
  }
  return out as unknown as ServerLimits;
}
