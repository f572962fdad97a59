import { rowScope } from '../analyzer/scope.js';
import { compileExpression } from '../expr/compile.js';
import { typeExpression } from '../expr/typer.js';
import type { CompiledExpr, TypedExpr } from '../expr/typed-expr.js';
import type { FunctionRegistry } from '../functions/types.js';
import type { Expr } from '../sql/ast/expression.js';
import type { Step } from '../topology/topology.js';

/** Types and compiles an expression over the row of `input` (its key, value and pseudo columns). */
export function compileOver(expr: Expr, input: Step, functions: FunctionRegistry): { fn: CompiledExpr; typed: TypedExpr } {
  const scope = rowScope(input.schema, pseudoQualifierOf(input));
  const typed = typeExpression(expr, scope, functions);
  return { fn: compileExpression(typed), typed };
}

/** Pseudo columns stay reachable through the source alias until a join or an aggregation. */
export function pseudoQualifierOf(step: Step): string | null {
  switch (step.kind) {
    case 'Source':
      return step.alias;
    case 'Filter':
    case 'Project':
    case 'FlatMap':
    case 'Rekey':
    case 'Suppress':
    case 'Sink':
      return pseudoQualifierOf(step.input);
    case 'Aggregate':
    case 'Join':
      return null;
  }
}
