import type { Expr, TimeUnit } from './expression.js';
import type { Loc } from './node.js';

export interface Duration {
  readonly value: number;
  readonly unit: TimeUnit;
  /** value in milliseconds */
  readonly ms: number;
}

export type WindowExpr =
  | { readonly kind: 'Tumbling'; readonly size: Duration; readonly retention: Duration | null; readonly grace: Duration | null; readonly loc: Loc }
  | { readonly kind: 'Hopping'; readonly size: Duration; readonly advance: Duration; readonly retention: Duration | null; readonly grace: Duration | null; readonly loc: Loc }
  | { readonly kind: 'Session'; readonly gap: Duration; readonly retention: Duration | null; readonly grace: Duration | null; readonly loc: Loc };

export type SelectItem =
  /** `*` or `alias.*` */
  | { readonly kind: 'AllColumns'; readonly source: string | null; readonly loc: Loc }
  | { readonly kind: 'SingleColumn'; readonly expr: Expr; readonly alias: string | null; readonly loc: Loc }
  /** `struct_expr->*`: every field of a struct, each as its own column */
  | { readonly kind: 'AllFields'; readonly expr: Expr; readonly loc: Loc };

export interface AliasedSource {
  readonly kind: 'Source';
  readonly name: string;
  readonly alias: string | null;
  readonly loc: Loc;
}

export type JoinType = 'INNER' | 'LEFT' | 'RIGHT' | 'FULL';

export interface WithinClause {
  readonly before: Duration;
  readonly after: Duration;
  readonly grace: Duration | null;
}

export interface JoinRelation {
  readonly kind: 'Join';
  readonly type: JoinType;
  readonly left: Relation;
  readonly right: AliasedSource;
  readonly within: WithinClause | null;
  readonly on: Expr;
  readonly loc: Loc;
}

export type Relation = AliasedSource | JoinRelation;

export interface Query {
  readonly select: readonly SelectItem[];
  readonly from: Relation;
  readonly window: WindowExpr | null;
  readonly where: Expr | null;
  readonly groupBy: readonly Expr[] | null;
  readonly partitionBy: readonly Expr[] | null;
  readonly having: Expr | null;
  /** `EMIT CHANGES` → 'CHANGES', `EMIT FINAL` → 'FINAL', none → null (a pull query when used alone) */
  readonly emit: 'CHANGES' | 'FINAL' | null;
  readonly limit: number | null;
  readonly loc: Loc;
}
