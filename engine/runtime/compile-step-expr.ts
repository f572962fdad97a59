import { rowScope } from '../analyzer/scope.js';
import { compileExpression, compileWithLayout, type SlotLayout } from '../expr/compile.js';
import { typeExpression } from '../expr/typer.js';
import type { CompiledExpr, TypedExpr } from '../expr/typed-expr.js';
import type { FunctionRegistry } from '../functions/types.js';
import type { Expr } from '../sql/ast/expression.js';
import type { Step } from '../topology/topology.js';
import type { Rec } from './record.js';

/**
 * Types and compiles an expression over the row of `input` (its key, value and
 * pseudo columns). `pseudo` tells whether the expression reads a pseudo column,
 * so operators build the (allocating) pseudo part of a row only when needed.
 */
export function compileOver(expr: Expr, input: Step, functions: FunctionRegistry): { fn: CompiledExpr; typed: TypedExpr; pseudo: boolean } {
  const scope = rowScope(input.schema, pseudoQualifierOf(input));
  const typed = typeExpression(expr, scope, functions);
  return { fn: compileExpression(typed), typed, pseudo: readsColumnFrom(typed, input.schema.key.length + input.schema.value.length) };
}

/** An expression over a record's key and value columns (and its pseudo columns, read from the record). */
export type RecordExpr = (key: readonly unknown[], value: readonly unknown[], rec: Rec) => unknown;

/**
 * The layout of `toRow` (key, value, ROWTIME, ROWPARTITION, ROWOFFSET,
 * WINDOWSTART, WINDOWEND) read in place from the record: no row array per record.
 */
export function recordLayout(keyColumns: number, valueColumns: number): SlotLayout {
  const pseudo = [
    'BigInt(p_rec.ts)',
    'p_rec.partition',
    'BigInt(p_rec.offset)',
    '(p_rec.window === null ? null : BigInt(p_rec.window.start))',
    '(p_rec.window === null ? null : BigInt(p_rec.window.end))',
  ];
  return {
    params: ['p_key', 'p_value', 'p_rec'],
    slot: (i) => {
      if (i < keyColumns) return `p_key[${i}]`;
      if (i < keyColumns + valueColumns) return `p_value[${i - keyColumns}]`;
      const p = pseudo[i - keyColumns - valueColumns];
      if (p === undefined) throw new Error(`no column slot ${i}`);
      return p;
    },
  };
}

/** Types and compiles an expression over the records of `input`, reading their columns in place. */
export function compileOverRecord(expr: Expr, input: Step, functions: FunctionRegistry): { fn: RecordExpr; typed: TypedExpr } {
  const scope = rowScope(input.schema, pseudoQualifierOf(input));
  const typed = typeExpression(expr, scope, functions);
  return { fn: compileWithLayout<RecordExpr>(typed, recordLayout(input.schema.key.length, input.schema.value.length)), typed };
}

/** Whether a typed expression reads any row slot at or beyond `index`. */
export function readsColumnFrom(e: unknown, index: number): boolean {
  if (Array.isArray(e)) return e.some((x) => readsColumnFrom(x, index));
  if (e === null || typeof e !== 'object') return false;
  const node = e as { kind?: unknown; index?: unknown };
  if (node.kind === 'Column' && typeof node.index === 'number') return node.index >= index;
  for (const [k, v] of Object.entries(e)) {
    if (k === 'impl' || k === 'type' || k === 'value') continue;
    if (typeof v === 'object' && readsColumnFrom(v, index)) return true;
  }
  return false;
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
