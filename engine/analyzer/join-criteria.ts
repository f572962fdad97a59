import { KsqlError } from '../errors.js';
import type { DataSource } from '../catalog/data-source.js';
import type { Expr } from '../sql/ast/expression.js';
import type { Relation } from '../sql/ast/query.js';
import { columnRefs, formatExpr } from './expr-utils.js';
import { rowScope, sourceSchema, type ExprScope } from './scope.js';

/**
 * ksqlDB analyses the criteria of every join before it plans any of them:
 * each side of the equality references exactly one source, not the same one,
 * and one side references the source being joined. What does not resolve
 * (unknown sources or columns, self joins) is left to analyzeFrom's messages (from.ts).
 */
export function checkJoinCriteria(rel: Relation, ctx: { readonly source: (name: string) => DataSource | undefined }): { alias: string; scope: ExprScope }[] | null {
  if (rel.kind === 'Source') {
    const src = ctx.source(rel.name);
    if (!src) return null;
    const alias = rel.alias ?? rel.name;
    return [{ alias, scope: rowScope(sourceSchema(src, alias), alias) }];
  }
  const left = checkJoinCriteria(rel.left, ctx);
  const right = checkJoinCriteria(rel.right, ctx);
  if (!left || !right) return null;
  const all = [...left, ...right];
  if (new Set(all.map((s) => s.alias)).size !== all.length) return null;
  const on = rel.on;
  if (on.kind !== 'Comparison' || on.op !== '=') return all;
  // the sources an expression reads; null when a column does not resolve to exactly one
  const sourcesOf = (e: Expr): Set<string> | null => {
    const out = new Set<string>();
    for (const r of columnRefs(e)) {
      const has = (s: { alias: string; scope: ExprScope }): boolean => s.scope.columns.some((c) => c.name === r.name && c.qualifier === s.alias);
      const hits = all.filter((s) => (r.source === null || s.alias === r.source) && has(s));
      if (hits.length !== 1) return null;
      out.add(hits[0]!.alias);
    }
    return out;
  };
  const a = sourcesOf(on.left);
  const b = sourcesOf(on.right);
  if (!a || !b) return all;
  for (const [side, used] of [[on.left, a] as const, [on.right, b] as const]) {
    if (used.size !== 1) {
      throw new KsqlError(
        `Invalid comparison expression '${formatExpr(side)}' in join '${formatExpr(on)}'. Each side of the join comparision must contain references from exactly one source.`,
        on.loc,
      );
    }
  }
  const [sa] = a;
  const [sb] = b;
  if (sa === sb) throw new KsqlError(`Each side of the join must reference exactly one source and not the same source. Left side references \`${sa}\` and right references \`${sb}\``, on.loc);
  const joined = rel.right.alias ?? rel.right.name;
  if (sa !== joined && sb !== joined) {
    throw new KsqlError(
      `A join criteria is expected to reference the source (\`${joined}\`) in the FROM clause, instead the right source references \`${sb}\` and the left source references \`${sa}\``,
      on.loc,
    );
  }
  return all;
}
