import type { Loc } from './node.js';

/** A type as written in SQL; `Named` refers to a user type made with CREATE TYPE. */
export type TypeNode =
  | { readonly kind: 'Primitive'; readonly name: 'BOOLEAN' | 'INTEGER' | 'BIGINT' | 'DOUBLE' | 'STRING' | 'BYTES' | 'DATE' | 'TIME' | 'TIMESTAMP'; readonly loc: Loc }
  | { readonly kind: 'Decimal'; readonly precision: number; readonly scale: number; readonly loc: Loc }
  | { readonly kind: 'Array'; readonly element: TypeNode; readonly loc: Loc }
  | { readonly kind: 'Map'; readonly key: TypeNode; readonly value: TypeNode; readonly loc: Loc }
  | { readonly kind: 'Struct'; readonly fields: readonly { readonly name: string; readonly type: TypeNode }[]; readonly loc: Loc }
  | { readonly kind: 'Named'; readonly name: string; readonly loc: Loc };
