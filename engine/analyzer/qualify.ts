import type { Expr } from '../sql/ast/expression.js';
import { rewrite } from './expr-utils.js';
import type { ExprScope } from './scope.js';

/** Fills in the qualifier of every column reference that resolves in `scope` (lambda parameters excepted). */
export function qualifyRefs(e: Expr, scope: ExprScope, lambdaParams: ReadonlySet<string> = new Set()): Expr {
  return rewrite(e, (x) => {
    if (x.kind === 'Lambda') {
      const inner = new Set([...lambdaParams, ...x.params]);
      return { ...x, body: qualifyRefs(x.body, scope, inner) };
    }
    if (x.kind !== 'ColumnRef' || x.source || lambdaParams.has(x.name)) return x.kind === 'ColumnRef' ? x : undefined;
    const matches = scope.columns.filter((c) => c.name === x.name);
    if (matches.length >= 1 && matches[0]!.qualifier) {
      const quals = new Set(matches.map((m) => m.qualifier));
      if (quals.size === 1) return { ...x, source: matches[0]!.qualifier };
    }
    return x;
  });
}
