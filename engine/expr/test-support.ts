import { MapFunctionRegistry } from '../functions/registry.js';
import { ResolveError, type ArgInfo, type LambdaValue, type SqlFunction } from '../functions/types.js';
import { parseExpression } from '../sql/parser.js';
import type { ExprScope } from '../analyzer/scope.js';
import { formatType, INTEGER, type SqlType } from '../types/sql-type.js';
import { compileExpression } from './compile.js';
import { typeExpression } from './typer.js';
import type { TypedExpr } from './typed-expr.js';

/** Tiny fake functions for expression tests (the real built-ins live in functions/). */
export function fakeFunctions(): MapFunctionRegistry {
  const typeList = (args: readonly ArgInfo[]): string => args.map((a) => (a.type ? formatType(a.type) : 'null')).join(', ');
  const fns: SqlFunction[] = [
    {
      name: 'INC',
      description: 'x + 1 for INTEGER',
      kind: 'scalar',
      resolve: (args) => {
        if (args.length !== 1 || (args[0]!.type && args[0]!.type.kind !== 'INTEGER')) {
          throw new ResolveError(`Function 'INC' does not accept parameters (${typeList(args)}).`);
        }
        return { returnType: INTEGER, invoke: (x) => ((x as number) + 1) | 0 };
      },
    },
    {
      name: 'COALESCE',
      description: 'first non-null',
      kind: 'scalar',
      resolve: (args) => ({ returnType: args.find((a) => a.type)?.type ?? INTEGER, nullSafe: true, invoke: (...xs) => xs.find((x) => x !== null) ?? null }),
    },
    {
      name: 'TRANSFORM',
      description: 'map array elements',
      kind: 'scalar',
      lambdaParams: (args) => {
        const t = args[0]!.type;
        return [t && t.kind === 'ARRAY' ? t.element : INTEGER];
      },
      resolve: (args) => ({
        returnType: { kind: 'ARRAY', element: args[1]!.type ?? INTEGER },
        invoke: (arr, fn) => (arr as unknown[]).map((x) => (fn as LambdaValue)(x)),
      }),
    },
    {
      name: 'SUM',
      description: 'aggregate',
      kind: 'aggregate',
      resolve: () => {
        throw new Error('not used');
      },
    },
  ];
  return new MapFunctionRegistry(fns);
}

export function scopeOf(cols: readonly [string, SqlType, string?][]): ExprScope {
  return { columns: cols.map(([name, type, q]) => ({ name, type, qualifier: q ?? null })) };
}

export function typeOf(sql: string, scope: ExprScope = { columns: [] }): TypedExpr {
  return typeExpression(parseExpression(sql), scope, fakeFunctions());
}

export function evalSql(sql: string, scope: ExprScope = { columns: [] }, row: unknown[] = []): unknown {
  return compileExpression(typeOf(sql, scope))(row);
}
