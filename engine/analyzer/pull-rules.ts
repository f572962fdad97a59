import type { DataSource } from '../catalog/data-source.js';
import { KsqlError } from '../errors.js';
import { describeExpr, typeExpression } from '../expr/typer.js';
import type { FunctionRegistry } from '../functions/types.js';
import type { Expr } from '../sql/ast/expression.js';
import type { Query, Relation } from '../sql/ast/query.js';
import { formatTypeForMessage } from '../types/cast.js';
import { comparisonType } from '../types/coercion.js';
import { formatExpr, walk } from './expr-utils.js';
import { qualifyRefs } from './qualify.js';
import { rowScope, sourceSchema } from './scope.js';

/**
 * ksqlDB's rules for transient queries that are not about the WHERE clause's
 * key access (that is exec/transient.ts's checkKeyAccess and
 * exec/pull-access.ts): the feature gates of pull queries and the checks
 * ksqlDB makes on a transient query before planning it, with its texts.
 *
 * Sources: ksqlDB docs, SELECT (pull query)
 * (https://docs.ksqldb.io/en/latest/developer-guide/ksqldb-reference/select-pull-query/),
 * SELECT (push query) (.../select-push-query/), and the server configuration
 * reference (https://docs.ksqldb.io/en/latest/reference/server-configuration/).
 */

const PULL_SYNTAX_HELP = 'See https://cnfl.io/queries for more info.\nAdd EMIT CHANGES if you intended to issue a push query.';

function propTrue(props: Readonly<Record<string, string>>, name: string, dflt: boolean): boolean {
  const v = props[name];
  return v === undefined ? dflt : String(v).toLowerCase() === 'true';
}

/**
 * `ksql.pull.queries.enable` (default true): with it false, a server refuses
 * every pull query, over a table or a stream, before looking at it further.
 */
export function checkPullQueriesEnabled(props: Readonly<Record<string, string>>, query: Query): void {
  if (propTrue(props, 'ksql.pull.queries.enable', true)) return;
  throw new KsqlError(`Pull queries are disabled. ${PULL_SYNTAX_HELP}\nPlease set ksql.pull.queries.enable=true to enable this feature.\n`, query.loc);
}

/**
 * `ksql.query.pull.limit.clause.enabled` (default true): with it false, a
 * pull query with a LIMIT clause is refused. (The text is ksetl's: the
 * documentation names the setting, not its error.)
 */
export function checkPullLimitEnabled(props: Readonly<Record<string, string>>, query: Query): void {
  if (query.limit === null || propTrue(props, 'ksql.query.pull.limit.clause.enabled', true)) return;
  throw new KsqlError(`LIMIT clause in pull queries is disabled. To enable it, set ksql.query.pull.limit.clause.enabled=true. ${PULL_SYNTAX_HELP}`, query.loc);
}

/**
 * A pull query over a table reads `x BETWEEN a AND b` as `x >= a AND x <=
 * b`; a bound of a type `x` does not compare with is reported as that
 * comparison, as ksqlDB does ("Invalid expression: Cannot compare V0
 * (STRING) to 10 (INTEGER) with GREATER_THAN_OR_EQUAL"). Window bounds take
 * datetime text and are left to the pull query's own rewriting.
 */
export function checkPullBetween(query: Query, source: DataSource, functions: FunctionRegistry): void {
  if (query.where === null || query.from.kind !== 'Source') return;
  const alias = query.from.alias ?? query.from.name;
  const scope = rowScope(sourceSchema(source, alias), alias);
  const failures: KsqlError[] = [];
  walk(query.where, (x) => {
    if (failures.length > 0 || x.kind !== 'Between') return;
    if (x.operand.kind === 'ColumnRef' && (x.operand.name === 'WINDOWSTART' || x.operand.name === 'WINDOWEND')) return;
    const type = (e: Expr): ReturnType<typeof typeExpression> | null => {
      try {
        return typeExpression(qualifyRefs(e, scope), scope, functions);
      } catch {
        return null; // the query's own typing reports it
      }
    };
    const operand = type(x.operand);
    if (operand === null) return;
    for (const [bound, op, name] of [
      [x.low, '>=', 'GREATER_THAN_OR_EQUAL'],
      [x.high, '<=', 'LESS_THAN_OR_EQUAL'],
    ] as const) {
      const b = type(bound);
      if (b === null || b.type.kind === 'NULL' || comparisonType(op, operand.type, b.type) !== null) continue;
      const left = describeExpr(x.operand, scope).split(`${alias}.`).join('');
      failures.push(new KsqlError(`Invalid expression: Cannot compare ${left} (${formatTypeForMessage(operand.type)}) to ${describeExpr(bound, scope)} (${formatTypeForMessage(b.type)}) with ${name}`, x.loc));
      return;
    }
  });
  if (failures.length > 0) throw failures[0]!;
}

/**
 * A push query's WHERE clause filters the source's rows, before any
 * aggregation: over a source that is not windowed, window bounds do not
 * exist there, and ksqlDB reports the column as unknown in the WHERE
 * expression (a windowed aggregation's bounds exist only after it).
 */
export function checkPushWhere(query: Query, source: (name: string) => DataSource | undefined, functions: FunctionRegistry): void {
  if (query.where === null || query.from.kind !== 'Source') return;
  const src = source(query.from.name);
  if (src === undefined) return;
  checkNullComparisons(query.where, src, query.from.alias ?? query.from.name, functions);
  if (src.window !== null) return;
  let bound: string | null = null;
  walk(query.where, (x) => {
    if (bound === null && x.kind === 'ColumnRef' && (x.name === 'WINDOWSTART' || x.name === 'WINDOWEND')) bound = x.name;
  });
  if (bound !== null) throw new KsqlError(`Error in WHERE expression: Unknown column ${bound as string}.`, query.where.loc);
}

/**
 * A comparison with an untyped NULL (`K = NULL`) in a push query's WHERE
 * clause is refused, as in a pull query: ksqlDB's filter validation types
 * the clause and cannot compare with a value of no type ("Comparison with
 * NULL not supported: INTEGER = NULL / Use 'IS NULL' or 'IS NOT NULL'
 * instead."). IS [NOT] DISTINCT FROM NULL is left to the typer.
 */
function checkNullComparisons(where: Expr, src: DataSource, alias: string, functions: FunctionRegistry): void {
  const scope = rowScope(sourceSchema(src, alias), alias);
  const typeName = (e: Expr): string | null => {
    if (e.kind === 'NullLiteral') return 'NULL';
    try {
      return typeExpression(qualifyRefs(e, scope), scope, functions).type.kind;
    } catch {
      return null; // the query's own typing reports it
    }
  };
  let found: KsqlError | null = null;
  walk(where, (x) => {
    if (found !== null || x.kind !== 'Comparison' || x.op === 'IS DISTINCT FROM' || x.op === 'IS NOT DISTINCT FROM') return;
    if (x.left.kind !== 'NullLiteral' && x.right.kind !== 'NullLiteral') return;
    const [l, r] = [typeName(x.left), typeName(x.right)];
    if (l === null || r === null) return;
    found = new KsqlError(
      `Error in WHERE expression: Comparison with NULL not supported: ${l} ${x.op} ${r}\nUse 'IS NULL' or 'IS NOT NULL' instead.\nStatement: ${formatExpr(where)}`,
      x.loc,
    );
  });
  if (found !== null) throw found;
}

/**
 * The windowed sources of a join, by the alias they are read under: ksqlDB's
 * `*` over a join gives each windowed source's window bounds after its key
 * columns (`S1_WINDOWSTART`, `S1_WINDOWEND`), in transient queries as in
 * persistent ones (analyzer/select-items.ts).
 */
export function windowedJoinAliases(from: Relation, source: (name: string) => DataSource | undefined): ReadonlySet<string> {
  const out = new Set<string>();
  const visit = (r: Relation): void => {
    if (r.kind === 'Join') {
      visit(r.left);
      visit(r.right);
      return;
    }
    if (source(r.name)?.window) out.add(r.alias ?? r.name);
  };
  if (from.kind === 'Join') visit(from);
  return out;
}

/**
 * ksqlDB resolves a statement's sources while it builds the statement,
 * before any rule on its clauses: a pull query over a source that does not
 * exist is reported so, whatever else it holds.
 */
export function checkSourcesExist(from: Relation, source: (name: string) => DataSource | undefined): void {
  if (from.kind === 'Join') {
    checkSourcesExist(from.left, source);
    checkSourcesExist(from.right, source);
    return;
  }
  if (source(from.name) === undefined) throw new KsqlError(`${from.name} does not exist.`, from.loc, 'NotFound');
}

/** The sources of a FROM clause with the aliases they are read under. */
export function relationSources(from: Relation, source: (name: string) => DataSource | undefined): { readonly sources: readonly { readonly alias: string; readonly source: DataSource }[] } {
  const sources: { alias: string; source: DataSource }[] = [];
  const visit = (r: Relation): void => {
    if (r.kind === 'Join') {
      visit(r.left);
      visit(r.right);
      return;
    }
    const s = source(r.name);
    if (s !== undefined) sources.push({ alias: r.alias ?? r.name, source: s });
  };
  visit(from);
  return { sources };
}
