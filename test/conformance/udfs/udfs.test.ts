import { describe, expect, it } from 'vitest';
import { loadTestFunctions, qttRegistry } from '../../../engine/testing/qtt/engine-deps.js';
import type { AggregateFunction, ArgInfo, ScalarFunction, TableFunction } from '../../../engine/functions/types.js';
import { BIGINT, BOOLEAN, INTEGER, STRING, decimal, struct, type SqlType } from '../../../engine/types/sql-type.js';
import { Decimal } from 'decimal.js';

const arg = (type: SqlType, literal?: unknown): ArgInfo => (literal === undefined ? { type } : { type, literal });

describe('QTT test functions', () => {
  it('loads every family into the case registry', async () => {
    const names = (await loadTestFunctions()).map((f) => f.name.toUpperCase()).sort();
    expect(names).toEqual(
      ['BAD_UDF', 'FIVE_ARG', 'FOUR_ARG', 'GENERIC_VAR_ARG', 'MID_VAR_ARG', 'MULTI_ARG', 'OBJ_COL_ARG', 'TEST_UDAF', 'TEST_UDF', 'TEST_UDTF', 'THROWING_UDTF', 'TOSTRUCT', 'VAR_ARG', 'WHENCONDITION', 'WHENRESULT'].sort(),
    );
    expect(qttRegistry().get('explode')).toBeDefined();
  });

  it('TEST_UDF picks overloads like ksqlDB', () => {
    const f = qttRegistry().get('test_udf') as ScalarFunction;
    expect(f.resolve([arg(BIGINT), { type: null }]).invoke(1n, null)).toBe('doStuffLongString');
    expect(f.resolve([arg(BIGINT), arg(BIGINT), arg(BIGINT)]).invoke(1n, 1n, 1n)).toBe('doStuffLongVarargs');
    expect(f.resolve([]).invoke()).toEqual({ A: 'foo' });
  });

  it('BAD_UDF(STRING) returns null on every other call, per call site', () => {
    const f = qttRegistry().get('bad_udf') as ScalarFunction;
    const impl = f.resolve([arg(STRING)]);
    expect(['a', 'b', 'c', 'd'].map((s) => impl.invoke(s))).toEqual([null, 'b', null, 'd']);
    expect(f.resolve([arg(STRING)]).invoke('x')).toBeNull();
    expect(() => f.resolve([arg(BOOLEAN)]).invoke(true)).toThrow();
  });

  it('MID_VAR_ARG takes its trailing INT literals as the initial value', () => {
    const f = qttRegistry().get('mid_var_arg') as AggregateFunction;
    const impl = f.resolve([arg(BIGINT), arg(STRING), arg(INTEGER, 7), arg(INTEGER, 3)]);
    expect(impl.valueArgs).toBe(2);
    const ctx = { sequence: 0, timestamp: 0 };
    expect(impl.result(impl.add(impl.init(), [6n, 'hi'], ctx))).toBe(18n);
    expect(() => f.resolve([arg(BIGINT), arg(STRING), arg(STRING), arg(INTEGER, 3)])).toThrow(
      "Function 'MID_VAR_ARG' does not accept parameters (BIGINT, STRING, STRING, INTEGER).",
    );
  });

  it('TEST_UDTF renders each argument as Java text', () => {
    const f = qttRegistry().get('test_udtf') as TableFunction;
    const types = [INTEGER, BIGINT, { kind: 'DOUBLE' } as SqlType, BOOLEAN, STRING, decimal(20, 10), struct([{ name: 'A', type: STRING }])];
    const rows = f.resolve(types.map((t) => arg(t))).invoke(1, 2n, 3.1, true, 'foo', new Decimal('123.456'), { A: 'bar' });
    expect(rows).toEqual(['1', '2', '3.1', 'true', 'foo', '123.4560000000', 'Struct{A=bar}']);
  });

  it('TEST_UDTF widens numeric arguments as ksqlDB resolves overloads (INT -> BIGINT -> DECIMAL -> DOUBLE)', () => {
    const f = qttRegistry().get('test_udtf') as TableFunction;
    const types = [INTEGER, INTEGER, BIGINT, BOOLEAN, STRING, INTEGER, struct([{ name: 'A', type: STRING }])];
    const rows = f.resolve(types.map((t) => arg(t))).invoke(1, 2, 3n, true, 'foo', 4, { A: 'bar' });
    expect(rows).toEqual(['1', '2', '3.0', 'true', 'foo', '4', 'Struct{A=bar}']);
    expect(() => f.resolve([BIGINT, BIGINT, BIGINT, BOOLEAN, STRING, decimal(4, 1), struct([{ name: 'A', type: STRING }])].map((t) => arg(t)))).toThrow(/does not accept/);
  });
});
