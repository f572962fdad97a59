import { KsqlError } from '../errors.js';
import type { FunctionRegistry } from '../functions/types.js';
import type { Expr } from '../sql/ast/expression.js';
import type { Query } from '../sql/ast/query.js';
import { columnRefs, rewrite } from './expr-utils.js';
import { qualifyRefs } from './qualify.js';
import { rowScope } from './scope.js';
import { checkReservedAliases, expandSelect, type ExpandedItem, type SelectSources } from './select-items.js';

/** The clauses of a query with every column reference qualified (so structural comparisons are exact). */
export interface AnalyzedClauses {
  readonly selectItems: ExpandedItem[];
  readonly where: Expr | null;
  readonly groupBy: readonly Expr[] | null;
  readonly partitionBy: readonly Expr[] | null;
  readonly having: Expr | null;
}

/**
 * The first analysis of a query over its FROM clause, as ksqlDB's Analyzer
 * makes it before any planning: `*` expanded, column references qualified,
 * aliases that are not reserved names, qualifiers that name a source of the
 * FROM clause and functions that exist.
 */
export function analyzeClauses(query: Query, from: SelectSources & { readonly pseudoQualifier: string | null }, functions: FunctionRegistry): AnalyzedClauses {
  const fromScope = rowScope(from.schema, from.pseudoQualifier);
  const qualify = (e: Expr): Expr => qualifyRefs(e, fromScope);
  const selectItems = expandSelect(query.select, from, fromScope, functions, query.partitionBy, query.window !== null).map((i) => ({ ...i, expr: qualify(i.expr) }));
  checkReservedAliases(selectItems, from.isJoin);
  const aliases = new Set(from.sources.map((s) => s.alias));
  for (const e of [...selectItems.map((i) => i.expr), ...(query.where ? [query.where] : []), ...(query.groupBy ?? []), ...(query.partitionBy ?? []), ...(query.having ? [query.having] : [])]) {
    for (const r of columnRefs(e)) {
      if (r.source && !aliases.has(r.source)) throw new KsqlError(`Failed to prepare statement: '${r.source}' is not a valid stream/table name or alias.`, r.loc);
    }
    rewrite(e, (x) => {
      if (x.kind === 'FunctionCall' && !functions.get(x.name)) throw new KsqlError(`Can't find any functions with the name '${x.name}'`, x.loc, 'NotFound');
      return undefined;
    });
  }
  return {
    selectItems,
    where: query.where ? qualify(query.where) : null,
    groupBy: query.groupBy ? query.groupBy.map(qualify) : null,
    partitionBy: query.partitionBy ? query.partitionBy.map(qualify) : null,
    having: query.having ? qualify(query.having) : null,
  };
}
