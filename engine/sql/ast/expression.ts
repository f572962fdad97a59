import type { Loc } from './node.js';
import type { TypeNode } from './type-node.js';

/**
 * Untyped expression AST, as parsed. Identifiers are already normalised:
 * unquoted names upper-cased, quoted (`back-ticked`) names kept as written.
 */
export type Expr =
  | NumberLiteral
  | StringLiteral
  | BooleanLiteral
  | NullLiteral
  | ColumnRef
  | Dereference
  | Subscript
  | FunctionCall
  | Lambda
  | Arithmetic
  | Negate
  | Comparison
  | Logical
  | Not
  | IsNull
  | Between
  | InList
  | Like
  | SearchedCase
  | SimpleCase
  | Cast
  | ArrayConstructor
  | MapConstructor
  | StructConstructor
  | IntervalUnit
  | Variable;

export type ExprKind = Expr['kind'];

/** `123` (INTEGER or BIGINT by magnitude), `1.5` (DECIMAL), `1.5E3` (DOUBLE). `text` is as written, without sign. */
export interface NumberLiteral {
  readonly kind: 'NumberLiteral';
  readonly text: string;
  readonly loc: Loc;
}
export interface StringLiteral {
  readonly kind: 'StringLiteral';
  readonly value: string;
  readonly loc: Loc;
}
export interface BooleanLiteral {
  readonly kind: 'BooleanLiteral';
  readonly value: boolean;
  readonly loc: Loc;
}
export interface NullLiteral {
  readonly kind: 'NullLiteral';
  readonly loc: Loc;
}
/** `COL` or `SRC.COL` (source may be an alias). Lambda parameters also parse as ColumnRef. */
export interface ColumnRef {
  readonly kind: 'ColumnRef';
  readonly source: string | null;
  readonly name: string;
  readonly loc: Loc;
}
/** `base->field` */
export interface Dereference {
  readonly kind: 'Dereference';
  readonly base: Expr;
  readonly field: string;
  readonly loc: Loc;
}
/** `base[index]`: 1-based array index (negative from the end) or map key. */
export interface Subscript {
  readonly kind: 'Subscript';
  readonly base: Expr;
  readonly index: Expr;
  readonly loc: Loc;
}
/** `NAME(args)`, `COUNT(*)` (star), `COUNT(DISTINCT x)` is not ksqlDB; ksqlDB uses COUNT_DISTINCT. */
export interface FunctionCall {
  readonly kind: 'FunctionCall';
  readonly name: string;
  readonly args: readonly Expr[];
  readonly star: boolean;
  readonly loc: Loc;
}
/** `x => body`, `(x, y) => body` */
export interface Lambda {
  readonly kind: 'Lambda';
  readonly params: readonly string[];
  readonly body: Expr;
  readonly loc: Loc;
}
export interface Arithmetic {
  readonly kind: 'Arithmetic';
  readonly op: '+' | '-' | '*' | '/' | '%';
  readonly left: Expr;
  readonly right: Expr;
  readonly loc: Loc;
}
export interface Negate {
  readonly kind: 'Negate';
  readonly operand: Expr;
  readonly loc: Loc;
}
export type ComparisonOp = '=' | '<>' | '<' | '<=' | '>' | '>=' | 'IS DISTINCT FROM' | 'IS NOT DISTINCT FROM';
export interface Comparison {
  readonly kind: 'Comparison';
  readonly op: ComparisonOp;
  readonly left: Expr;
  readonly right: Expr;
  readonly loc: Loc;
}
export interface Logical {
  readonly kind: 'Logical';
  readonly op: 'AND' | 'OR';
  readonly left: Expr;
  readonly right: Expr;
  readonly loc: Loc;
}
export interface Not {
  readonly kind: 'Not';
  readonly operand: Expr;
  readonly loc: Loc;
}
export interface IsNull {
  readonly kind: 'IsNull';
  readonly operand: Expr;
  readonly negated: boolean;
  readonly loc: Loc;
}
export interface Between {
  readonly kind: 'Between';
  readonly operand: Expr;
  readonly low: Expr;
  readonly high: Expr;
  readonly negated: boolean;
  readonly loc: Loc;
}
export interface InList {
  readonly kind: 'InList';
  readonly operand: Expr;
  readonly list: readonly Expr[];
  readonly negated: boolean;
  readonly loc: Loc;
}
export interface Like {
  readonly kind: 'Like';
  readonly operand: Expr;
  readonly pattern: Expr;
  readonly escape: string | null;
  readonly negated: boolean;
  readonly loc: Loc;
}
export interface WhenClause {
  readonly when: Expr;
  readonly then: Expr;
}
export interface SearchedCase {
  readonly kind: 'SearchedCase';
  readonly whens: readonly WhenClause[];
  readonly else: Expr | null;
  readonly loc: Loc;
}
export interface SimpleCase {
  readonly kind: 'SimpleCase';
  readonly operand: Expr;
  readonly whens: readonly WhenClause[];
  readonly else: Expr | null;
  readonly loc: Loc;
}
export interface Cast {
  readonly kind: 'Cast';
  readonly operand: Expr;
  readonly type: TypeNode;
  readonly loc: Loc;
}
/** `ARRAY[a, b]` */
export interface ArrayConstructor {
  readonly kind: 'ArrayConstructor';
  readonly items: readonly Expr[];
  readonly loc: Loc;
}
/** `MAP(k := v, ...)` */
export interface MapConstructor {
  readonly kind: 'MapConstructor';
  readonly entries: readonly { readonly key: Expr; readonly value: Expr }[];
  readonly loc: Loc;
}
/** `STRUCT(name := v, ...)` */
export interface StructConstructor {
  readonly kind: 'StructConstructor';
  readonly fields: readonly { readonly name: string; readonly value: Expr }[];
  readonly loc: Loc;
}
/** A time unit keyword used as a function argument: `TIMESTAMPADD(SECONDS, 5, ts)`. */
export interface IntervalUnit {
  readonly kind: 'IntervalUnit';
  readonly unit: TimeUnit;
  readonly loc: Loc;
}
/** `${name}`: a variable reference left unsubstituted (substitution normally happens before parsing). */
export interface Variable {
  readonly kind: 'Variable';
  readonly name: string;
  readonly loc: Loc;
}

export type TimeUnit = 'MILLISECONDS' | 'SECONDS' | 'MINUTES' | 'HOURS' | 'DAYS';
