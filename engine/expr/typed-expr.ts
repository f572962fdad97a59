import type { ComparisonOp } from '../sql/ast/expression.js';
import type { AggregateImpl, ScalarImpl, TableImpl } from '../functions/types.js';
import type { SqlType } from '../types/sql-type.js';

/**
 * A resolved, typed expression: the analyzer's output and the compiler's input.
 * Column references point at a slot of the input row (`unknown[]`); lambda
 * parameters at a slot of the lambda's own frame. Implicit conversions are
 * explicit `Cast` nodes. Every node carries its result type.
 *
 * Typed expressions hold function implementations, so they are not JSON; the
 * topology stores the SQL text of expressions and re-analyzes against the
 * recorded input schema when it is loaded.
 */
export type TypedExpr =
  | { readonly kind: 'Literal'; readonly type: SqlType; readonly value: unknown }
  | { readonly kind: 'Column'; readonly type: SqlType; readonly index: number; readonly name: string }
  | { readonly kind: 'LambdaParam'; readonly type: SqlType; readonly depth: number; readonly index: number; readonly name: string }
  | { readonly kind: 'Field'; readonly type: SqlType; readonly base: TypedExpr; readonly field: string }
  | { readonly kind: 'ArrayIndex'; readonly type: SqlType; readonly base: TypedExpr; readonly index: TypedExpr }
  | { readonly kind: 'MapLookup'; readonly type: SqlType; readonly base: TypedExpr; readonly key: TypedExpr }
  | { readonly kind: 'Call'; readonly type: SqlType; readonly name: string; readonly impl: ScalarImpl; readonly args: readonly TypedExpr[] }
  | { readonly kind: 'Lambda'; readonly type: SqlType; readonly params: readonly SqlType[]; readonly body: TypedExpr }
  /** both operands already cast to the result type (DECIMAL operands keep their own precision/scale) */
  | { readonly kind: 'Arithmetic'; readonly type: SqlType; readonly op: '+' | '-' | '*' | '/' | '%'; readonly left: TypedExpr; readonly right: TypedExpr }
  | { readonly kind: 'Negate'; readonly type: SqlType; readonly operand: TypedExpr }
  /** operands cast to a common comparable type */
  | { readonly kind: 'Comparison'; readonly type: SqlType; readonly op: ComparisonOp; readonly left: TypedExpr; readonly right: TypedExpr }
  | { readonly kind: 'And'; readonly type: SqlType; readonly operands: readonly TypedExpr[] }
  | { readonly kind: 'Or'; readonly type: SqlType; readonly operands: readonly TypedExpr[] }
  | { readonly kind: 'Not'; readonly type: SqlType; readonly operand: TypedExpr }
  | { readonly kind: 'IsNull'; readonly type: SqlType; readonly operand: TypedExpr; readonly negated: boolean }
  | { readonly kind: 'Between'; readonly type: SqlType; readonly operand: TypedExpr; readonly low: TypedExpr; readonly high: TypedExpr; readonly negated: boolean }
  | { readonly kind: 'In'; readonly type: SqlType; readonly operand: TypedExpr; readonly list: readonly TypedExpr[]; readonly negated: boolean }
  | { readonly kind: 'Like'; readonly type: SqlType; readonly operand: TypedExpr; readonly pattern: TypedExpr; readonly escape: string | null; readonly negated: boolean }
  | { readonly kind: 'Case'; readonly type: SqlType; readonly whens: readonly { readonly when: TypedExpr; readonly then: TypedExpr }[]; readonly else: TypedExpr | null }
  | { readonly kind: 'Cast'; readonly type: SqlType; readonly operand: TypedExpr }
  | { readonly kind: 'MakeArray'; readonly type: SqlType; readonly items: readonly TypedExpr[] }
  | { readonly kind: 'MakeMap'; readonly type: SqlType; readonly entries: readonly { readonly key: TypedExpr; readonly value: TypedExpr }[] }
  | { readonly kind: 'MakeStruct'; readonly type: SqlType; readonly fields: readonly { readonly name: string; readonly value: TypedExpr }[] };

export type TypedExprKind = TypedExpr['kind'];

/** An aggregate call found in a SELECT/HAVING, resolved against the pre-aggregation row. */
export interface TypedAggregate {
  readonly name: string;
  readonly impl: AggregateImpl & { readonly valueArgs: number };
  readonly args: readonly TypedExpr[];
  readonly type: SqlType;
}

export interface TypedTableFunction {
  readonly name: string;
  readonly impl: TableImpl;
  readonly args: readonly TypedExpr[];
  readonly type: SqlType;
}

/** A compiled expression: evaluates over one input row. Throws on evaluation errors (e.g. a failing CAST). */
export type CompiledExpr = (row: readonly unknown[]) => unknown;
