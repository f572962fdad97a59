/** Position of a node in the statement text: 1-based line and column. */
export interface Loc {
  readonly line: number;
  readonly column: number;
}
