import { filterKeepsPresence, storeName } from '../../topology/internal-names.js';

import { carriesOld, isTableStep } from '../../topology/table-steps.js';
import type { FilterStep, FlatMapStep, ProjectStep, RekeyStep } from '../../topology/topology.js';
import { compileOverRecord, pseudoQualifierOf, recordLayout, type RecordExpr } from '../compile-step-expr.js';
import type { RuntimeContext } from '../context.js';
import { keyString } from '../key-string.js';
import { withValue, type Emit, type Rec } from '../record.js';
import type { TableImpl } from '../../functions/types.js';
import { typeExpression } from '../../expr/typer.js';
import { compileWithLayout } from '../../expr/compile.js';
import { rowScope } from '../../analyzer/scope.js';
import type { FunctionCall } from '../../sql/ast/expression.js';

export { carriesOld, isTableStep };

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export function logProcessingError(ctx: RuntimeContext, what: string, e: unknown): void {
  ctx.log.log({
    logger: `${ctx.queryId}.${what}`,
    level: 'ERROR',
    time: Date.now(),
    type: 'RECORD_PROCESSING_ERROR',
    message: `Error computing expression ${what}: ${errorMessage(e)}`,
  });
}

/**
 * WHERE / HAVING. On a table, as Kafka Streams' KTableFilter with old values:
 * a row that stops matching becomes a delete downstream, a row that never
 * matched sends nothing. The previous value comes with the change when the
 * input carries it (see carriesOld); otherwise the filter keeps, per key,
 * whether the row last matched.
 */
export function filterOperator(step: FilterStep, ctx: RuntimeContext, emit: Emit, sendOld = true): Emit {
  const { fn } = compileOverRecord(step.predicate, step.input, ctx.functions);
  const isTable = isTableStep(step);
  const present = filterKeepsPresence(step) ? ctx.stores.keyValue<true>(storeName(step, 'present')) : null;
  const test = (key: readonly unknown[], value: readonly unknown[], rec: Rec): boolean => {
    try {
      return fn(key, value, rec) === true;
    } catch (e) {
      logProcessingError(ctx, step.clause, e);
      return false;
    }
  };
  return (rec) => {
    if (!isTable) {
      if (rec.value !== null && test(rec.key, rec.value, rec)) emit(rec);
      return;
    }
    const passes = rec.value !== null && test(rec.key, rec.value, rec);
    if (present === null || rec.old !== undefined) {
      const old = rec.old !== undefined && rec.old !== null && test(rec.key, rec.old, rec) ? rec.old : null;
      if (!passes && old === null) return;
      // a consumer that reads no previous value takes the change as it came
      emit(passes && !sendOld ? rec : withValue(rec, passes ? rec.value : null, sendOld ? old : undefined));
      return;
    }
    const k = keyString(rec.key) + (rec.window ? `@${rec.window.start}` : '');
    if (passes) present.put(k, true);
    else if (present.get(k)) present.delete(k);
    else return;
    emit(withValue(rec, passes ? rec.value : null, undefined));
  };
}

export function projectOperator(step: ProjectStep, ctx: RuntimeContext, emit: Emit, sendOld = true): Emit {
  const fns = step.exprs.map((e) => compileOverRecord(e, step.input, ctx.functions).fn);
  const names = step.schema.value.map((c) => c.name);
  const n = fns.length;
  const project = (key: readonly unknown[], value: readonly unknown[], rec: Rec): unknown[] => {
    const out = new Array<unknown>(n);
    for (let i = 0; i < n; i++) {
      try {
        out[i] = fns[i]!(key, value, rec);
      } catch (e) {
        logProcessingError(ctx, names[i]!, e);
        out[i] = null;
      }
    }
    return out;
  };
  return (rec) => {
    const value = rec.value === null ? null : project(rec.key, rec.value, rec);
    const old = !sendOld ? undefined : rec.old === undefined || rec.old === null ? rec.old : project(rec.key, rec.old, rec);
    emit(withValue(rec, value, old));
  };
}

export function flatMapOperator(step: FlatMapStep, ctx: RuntimeContext, emit: Emit): Emit {
  const scope = rowScope(step.input.schema, pseudoQualifierOf(step.input));
  const layout = recordLayout(step.input.schema.key.length, step.input.schema.value.length);
  const calls = step.calls.map((c) => {
    const call = c as FunctionCall;
    const fn = ctx.functions.get(call.name);
    if (!fn || fn.kind !== 'table') throw new Error(`not a table function: ${call.name}`);
    const typedArgs = call.args.map((a) => typeExpression(a, scope, ctx.functions));
    const impl: TableImpl = fn.resolve(typedArgs.map((t) => (t.kind === 'Literal' ? { type: t.type, literal: t.value } : { type: t.type })));
    return { impl, args: typedArgs.map((t) => compileWithLayout<RecordExpr>(t, layout)) };
  });
  return (rec) => {
    if (rec.value === null) return;
    const value = rec.value;
    let results: (readonly unknown[])[];
    try {
      results = calls.map((c) => {
        const args = c.args.map((a) => a(rec.key, value, rec));
        return c.impl.invoke(...args) ?? [];
      });
    } catch (e) {
      logProcessingError(ctx, 'table function', e);
      return;
    }
    const n = Math.max(0, ...results.map((r) => r.length));
    for (let i = 0; i < n; i++) {
      emit({ ...rec, value: [...rec.value, ...results.map((r) => (i < r.length ? r[i] ?? null : null))] });
    }
  };
}

export function rekeyOperator(step: RekeyStep, ctx: RuntimeContext, emit: Emit): Emit {
  const fns = step.keyExprs.map((e) => compileOverRecord(e, step.input, ctx.functions).fn);
  const nulls = new Array<unknown>(step.input.schema.value.length).fill(null);
  return (rec) => {
    const value = rec.value ?? nulls;
    const key = fns.map((f) => {
      try {
        return f(rec.key, value, rec);
      } catch (e) {
        logProcessingError(ctx, 'PARTITION BY', e);
        return null;
      }
    });
    // the new row: values, then the old key columns (see the planner's Rekey schema)
    emit({ ...rec, key, value: rec.value === null ? null : [...rec.value, ...rec.key], nullKey: false });
  };
}

