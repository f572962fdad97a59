import type { DataSource } from '../catalog/data-source.js';
import { KsqlError } from '../errors.js';
import type { ColumnRef, Expr } from '../sql/ast/expression.js';
import type { Query } from '../sql/ast/query.js';
import type { FunctionRegistry } from '../functions/types.js';
import { ClauseError } from './errors.js';
import { checkPullBetween, checkPullLimitEnabled, checkPullQueriesEnabled, checkSourcesExist } from './pull-rules.js';
import { columnRefs, formatExpr, rewrite, walk } from './expr-utils.js';

/**
 * ksqlDB's rules for pull queries (docs: SELECT (pull query); the
 * `ksql.query.pull.*` configuration): the clauses they take, the columns
 * they may read, and what their WHERE clause must say of the key when table
 * scans are disabled. How a pull query reads its keys is exec/pull-access.ts.
 */

const PULL_DISALLOWED = ['ROWPARTITION', 'ROWOFFSET'];
const MORE_INFO = 'See https://cnfl.io/queries for more info.';
const PUSH_HINT = `${MORE_INFO}\nAdd EMIT CHANGES if you intended to issue a push query.`;

function propTrue(props: Readonly<Record<string, string>>, name: string, dflt: boolean): boolean {
  const v = props[name];
  if (v === undefined) return dflt;
  return String(v).toLowerCase() === 'true';
}

/** Checks a pull query against what ksqlDB allows, with its messages. */
export function validatePull(query: Query, ctx: { readonly source: (name: string) => DataSource | undefined; readonly functions: FunctionRegistry }, props: Readonly<Record<string, string>>): DataSource {
  if (query.emit !== null) throw new KsqlError('Not a pull query: add no EMIT clause.', query.loc);
  checkPullQueriesEnabled(props, query);
  checkSourcesExist(query.from, ctx.source);
  if (query.from.kind === 'Join') throw new KsqlError(`Pull queries don't support JOIN clauses. ${PUSH_HINT}`, query.from.loc);
  if (query.window) throw new KsqlError(`Pull queries don't support WINDOW clauses. ${PUSH_HINT}`, query.window.loc);
  if (query.groupBy) throw new KsqlError(`Pull queries don't support GROUP BY clauses. ${PUSH_HINT}`, query.loc);
  if (query.partitionBy) throw new KsqlError(`Pull queries don't support PARTITION BY clauses. ${PUSH_HINT}`, query.loc);
  if (query.having) throw new KsqlError(`Pull queries don't support HAVING clauses. ${PUSH_HINT}`, query.loc);
  if (query.limit !== null && query.limit < 0) throw new KsqlError(`Pull queries don't support negative integers in the LIMIT clause. ${MORE_INFO}`, query.loc);
  checkPullLimitEnabled(props, query);
  const source = ctx.source(query.from.name);
  if (!source) throw new KsqlError(`${query.from.name} does not exist.`, query.from.loc, 'NotFound');
  checkPullColumns(query.select.flatMap((i) => (i.kind === 'SingleColumn' || i.kind === 'AllFields' ? [i.expr] : [])), 'SELECT');
  if (query.where) checkPullColumns([query.where], 'WHERE');
  if (source.sourceType === 'STREAM') {
    if (!propTrue(props, 'ksql.query.pull.stream.enabled', true)) {
      throw new KsqlError(`Pull queries on streams are disabled. To create a push query on the stream, add EMIT CHANGES to the end. For more information, see https://cnfl.io/queries.`, query.loc);
    }
    return source;
  }
  if (!source.isSink && !source.isSource) {
    throw new KsqlError(
      `The \`${source.name}\` table isn't queryable. To derive a queryable table, you can do 'CREATE TABLE QUERYABLE_${source.name} AS SELECT * FROM ${source.name}'. ${MORE_INFO}`,
      query.from.loc,
    );
  }
  if (query.where && !source.window) {
    walk(query.where, (x) => {
      if (x.kind === 'ColumnRef' && (x.name === 'WINDOWSTART' || x.name === 'WINDOWEND')) throw new KsqlError(`WHERE column '${x.name}' cannot be resolved`, x.loc);
    });
  }
  checkPullBetween(query, source, ctx.functions);
  checkKeyLiterals(query, source);
  checkLike(query, source);
  checkKeyAccess(query, source, props);
  return source;
}

export function checkPullColumns(exprs: readonly Expr[], clause: 'SELECT' | 'WHERE'): void {
  const bad: string[] = [];
  for (const e of exprs) {
    walk(e, (x) => {
      if (x.kind === 'ColumnRef' && PULL_DISALLOWED.includes(x.name) && !bad.includes(x.name)) bad.push(x.name);
    });
  }
  if (bad.length > 0) throw new KsqlError(`Pull queries don't support the following columns in ${clause} clauses: ${bad.map((b) => `\`${b}\``).join(', ')}`);
}

/** Literal key values in IN lists must convert to the key's type; NULL keys are refused. */
function checkKeyLiterals(query: Query, source: DataSource): void {
  if (!query.where) return;
  const keys = source.columns.filter((c) => c.namespace === 'KEY');
  walk(query.where, (x) => {
    if (x.kind !== 'InList' || x.operand.kind !== 'ColumnRef') return;
    const key = keys.find((k) => k.name === (x.operand as ColumnRef).name);
    if (!key) return;
    for (const item of x.list) {
      if (item.kind === 'NullLiteral') throw new KsqlError(`Primary key columns can not be NULL: (${key.name} = null)`, item.loc);
      const numeric = ['INTEGER', 'BIGINT', 'DOUBLE', 'DECIMAL'].includes(key.type.kind);
      if (numeric && item.kind === 'StringLiteral' && !/^\s*-?\d+(\.\d+)?\s*$/.test(item.value)) {
        throw new KsqlError(`${formatExpr(item)} can not be converted to the type of the key column: ${key.name} ${key.type.kind} KEY`, item.loc);
      }
      if (numeric && item.kind === 'StringLiteral') {
        throw new KsqlError(`${formatExpr(item)} can not be converted to the type of the key column: ${key.name} ${key.type.kind} KEY`, item.loc);
      }
    }
  });
}

/** LIKE over a table scan needs a STRING column. */
function checkLike(query: Query, source: DataSource): void {
  if (!query.where) return;
  walk(query.where, (x) => {
    if (x.kind !== 'Like' || x.operand.kind !== 'ColumnRef') return;
    const c = source.columns.find((k) => k.name === (x.operand as ColumnRef).name);
    if (c && c.type.kind !== 'STRING') throw new KsqlError(`The column type for Like condition must be VARCHAR. The column type is ${c.type.kind}`, x.loc);
  });
}

/**
 * With table scans disabled, a pull query over a table must look keys up: every
 * disjunct of the WHERE clause must pin every key column with `=` or `IN`
 * (or a range on a STRING key when range scans are enabled).
 */
function checkKeyAccess(query: Query, source: DataSource, props: Readonly<Record<string, string>>): void {
  const tableScan = propTrue(props, 'ksql.query.pull.table.scan.enabled', true);
  if (tableScan) return;
  const rangeScan = propTrue(props, 'ksql.query.pull.range.scan.enabled', true);
  const needScan = (): never => {
    throw new KsqlError('Query requires table scan to be enabled. Table scans can be enabled by setting ksql.query.pull.table.scan.enabled=true', query.loc);
  };
  if (!query.where) needScan();
  const keys = source.columns.filter((c) => c.namespace === 'KEY');
  const keyNames = new Set(keys.map((k) => k.name));
  const isKeyRef = (e: Expr): e is ColumnRef => e.kind === 'ColumnRef' && keyNames.has(e.name);
  const hasKeyRef = (e: Expr): boolean => columnRefs(e).some((r) => keyNames.has(r.name));
  const hasRefs = (e: Expr): boolean => columnRefs(e).length > 0;
  for (const disjunct of splitOn(query.where!, 'OR')) {
    const conjuncts = splitOn(disjunct, 'AND');
    const pinned = new Map<string, number>();
    let ranged = false;
    for (const c of conjuncts) {
      if (c.kind === 'Like') throw new KsqlError('Like condition must be between strings', c.loc);
      if (!hasKeyRef(c)) continue;
      if (c.kind === 'Comparison') {
        const [k, other] = isKeyRef(c.left) ? [c.left, c.right] : isKeyRef(c.right) ? [c.right, c.left] : [null, null];
        if (!k) {
          if (hasKeyRef(c.left) && hasKeyRef(c.right)) throw new KsqlError('A comparison must be between a key column and a resolvable expression.', c.loc);
          throw new KsqlError('A comparison must directly reference a key column.', c.loc);
        }
        if (hasRefs(other!)) throw new KsqlError('A comparison must be between a key column and a resolvable expression.', c.loc);
        if (pinned.has(k.name)) throw new KsqlError('A comparison condition on the key column cannot be combined with other comparisons such as an IN predicate', c.loc);
        pinned.set(k.name, 1);
        if (c.op !== '=') {
          const keyType = keys.find((x) => x.name === k.name)!.type;
          if (!rangeScan || keyType.kind !== 'STRING') needScan();
          ranged = true;
        }
        continue;
      }
      if (c.kind === 'InList' && isKeyRef(c.operand)) {
        if (pinned.has(c.operand.name)) throw new KsqlError('A comparison condition on the key column cannot be combined with other comparisons such as an IN predicate', c.loc);
        pinned.set(c.operand.name, 1);
        continue;
      }
      needScan();
    }
    if (pinned.size === 0) throw new KsqlError(`WHERE clause missing key column for disjunct: ${formatExpr(disjunct)}`, disjunct.loc);
    if (pinned.size < keys.length) throw new KsqlError('Multi-column sources must specify every key in the WHERE clause.', disjunct.loc);
    if (ranged && (keys.length > 1 || source.window)) needScan();
  }
}

function splitOn(e: Expr, op: 'AND' | 'OR'): Expr[] {
  if (e.kind === 'Logical' && e.op === op) return [...splitOn(e.left, op), ...splitOn(e.right, op)];
  return [e];
}

/**
 * Pull queries accept window bounds as datetime text (`WINDOWSTART >=
 * '2020-02-23T22:45'`) and refuse comparisons with NULL, as ksqlDB does.
 */
export function pullWhere(where: Expr, source: DataSource): Expr {
  const isBound = (e: Expr): boolean => e.kind === 'ColumnRef' && (e.name === 'WINDOWSTART' || e.name === 'WINDOWEND');
  const toMillis = (e: Expr): Expr => {
    if (e.kind !== 'StringLiteral') return e;
    const ms = parseDatetime(e.value);
    if (ms === null) throw new KsqlError(`Failed to parse timestamp '${e.value}'`, e.loc);
    return ms < 0 ? { kind: 'Negate', operand: { kind: 'NumberLiteral', text: String(-ms), loc: e.loc }, loc: e.loc } : { kind: 'NumberLiteral', text: String(ms), loc: e.loc };
  };
  return rewrite(where, (x) => {
    if (x.kind === 'Comparison') {
      const [col, other] = x.left.kind === 'ColumnRef' ? [x.left, x.right] : [x.right, x.left];
      if (other.kind === 'NullLiteral' && col.kind === 'ColumnRef') {
        const c = source.columns.find((k) => k.name === col.name);
        const type = c ? c.type.kind : 'BIGINT';
        throw new KsqlError(`Error in WHERE expression: Comparison with NULL not supported: ${type} ${x.op} NULL\nUse 'IS NULL' or 'IS NOT NULL' instead.\nStatement: ${formatExpr(where)}`, x.loc);
      }
      if (isBound(x.left) || isBound(x.right)) return { ...x, left: isBound(x.left) ? x.left : toMillis(x.left), right: isBound(x.right) ? x.right : toMillis(x.right) };
      return undefined;
    }
    if (x.kind === 'Between' && isBound(x.operand)) return { ...x, low: toMillis(x.low), high: toMillis(x.high) };
    return undefined;
  });
}

/** ISO-8601 datetime text, possibly partial (`2020-02-23`, `2020-02-23T22:45`, `...T24`), with an optional offset; UTC by default. */
export function parseDatetime(text: string): number | null {
  const m = /^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?(?:T(\d{2})(?::?(\d{2}))?(?::?(\d{2}))?(?:\.(\d{1,9}))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/.exec(text.trim());
  if (!m) return null;
  const n = (i: number, d: number): number => (m[i] === undefined ? d : Number(m[i]));
  const ms = m[7] === undefined ? 0 : Number(m[7].padEnd(3, '0').slice(0, 3));
  let t = Date.UTC(n(1, 1970), n(2, 1) - 1, n(3, 1), n(4, 0), n(5, 0), n(6, 0), ms);
  const tz = m[8];
  if (tz && tz !== 'Z') {
    const sign = tz.startsWith('-') ? -1 : 1;
    const digits = tz.slice(1).replace(':', '');
    const off = (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0')) * 60000;
    t -= sign * off;
  }
  return t;
}

/** ksqlDB reports type errors of a pull query's WHERE with the clause that failed. */
export function wrapWhereError(e: unknown, query: Query): unknown {
  if (!(e instanceof KsqlError) || !query.where) return e;
  const inner = e instanceof ClauseError && e.clause === 'WHERE' ? e.inner : e;
  if (inner.code === 'ComparisonTypes') {
    return new KsqlError(`Error in WHERE expression: ${inner.message}\nStatement: ${formatExpr(query.where)}`, e.loc, e.reason);
  }
  return e;
}
