import { rowScope } from '../analyzer/scope.js';
import { compileWithLayout, type SlotLayout } from '../expr/compile.js';
import { typeExpression } from '../expr/typer.js';
import type { TypedExpr } from '../expr/typed-expr.js';
import type { FunctionRegistry } from '../functions/types.js';
import type { Expr } from '../sql/ast/expression.js';
import type { Step } from '../topology/topology.js';
import type { Rec } from './record.js';

/** An expression over a record's key and value columns (and its pseudo columns, read from the record). */
export type RecordExpr = (key: readonly unknown[], value: readonly unknown[], rec: Rec) => unknown;

/**
 * The row an expression sees (key, value, ROWTIME, ROWPARTITION, ROWOFFSET,
 * WINDOWSTART, WINDOWEND; see analyzer/scope.ts rowScope) read in place from
 * the record: no row array per record, pseudo columns computed only where read.
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
