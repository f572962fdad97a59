import { describe, expect, it } from 'vitest';
import { parseExpression } from '../sql/parser.js';
import { array, BIGINT, BOOLEAN, decimal, formatType, INTEGER, map, STRING, struct } from '../types/sql-type.js';
import { fakeFunctions, scopeOf, typeOf } from './test-support.js';
import { ColumnNotFoundError, NonScalarFunctionError, typeExpression } from './typer.js';

const S = scopeOf([
  ['ID', INTEGER, 'I1'],
  ['F0', INTEGER, 'I1'],
  ['F0', STRING, 'I2'],
  ['L', BIGINT],
  ['V', STRING],
  ['DEC', decimal(4, 2)],
  ['A', array(BIGINT)],
  ['M', map(STRING, BIGINT)],
  ['ST', struct([{ name: 'F0', type: BIGINT }])],
  ['B', BOOLEAN],
]);
const t = (sql: string): string => formatType(typeOf(sql, S).type);
const fails = (sql: string, msg: string): void => {
  expect(() => typeOf(sql, S)).toThrow(msg);
};

describe('typeExpression', () => {
  it('types literals', () => {
    expect(t('1')).toBe('INTEGER');
    expect(t('2147483648')).toBe('BIGINT');
    expect(t('1.5')).toBe('DECIMAL(2, 1)');
    expect(t('0.05')).toBe('DECIMAL(2, 2)');
    expect(t('1.5E3')).toBe('DOUBLE');
    fails('9223372036854775808', 'Invalid numeric literal: 9223372036854775808');
    // the literal starts at column 5; ksqlDB's AST-builder errors print one more
    fails('1 + 9223372036854775808', 'line 1:6: Invalid numeric literal');
  });
  it('resolves columns', () => {
    const c = typeOf('I1.F0', S);
    expect(c).toMatchObject({ kind: 'Column', index: 1 });
    expect(typeOf('I2.F0', S)).toMatchObject({ kind: 'Column', index: 2 });
    fails('F0', "Column 'F0' is ambiguous. Could be I1.F0 or I2.F0.");
    fails('NOPE', "Column 'NOPE' cannot be resolved.");
    expect(() => typeOf('X.ID', S)).toThrow(ColumnNotFoundError);
  });
  it('types operators', () => {
    expect(t('ID + L')).toBe('BIGINT');
    expect(t('DEC + DEC')).toBe('DECIMAL(5, 2)');
    expect(t('DEC / DEC')).toBe('DECIMAL(11, 7)');
    expect(t('DEC + ID')).toBe('DECIMAL(13, 2)');
    expect(t('DEC + 1.5E0')).toBe('DOUBLE');
    expect(t("V + 'x'")).toBe('STRING');
    fails('5.0 / null', 'Error processing expression: (5.0 / null). Arithmetic on types DECIMAL(2, 1) and null are not supported.');
    fails('null * null', 'Arithmetic on types null and null are not supported.');
    fails("ID = '10'", "Cannot compare ID (INTEGER) to '10' (STRING) with EQUAL.");
    fails('A < A', 'Cannot compare A (ARRAY<BIGINT>) to A (ARRAY<BIGINT>) with LESS_THAN.');
    fails('NULL <> NULL', 'Comparison with NULL not supported: NULL <> NULL');
    expect(t('ID = NULL')).toBe('BOOLEAN');
  });
  it('IN lists follow ksqlDB coercion messages', () => {
    fails("ID IN (10, '10 - not a number')", 'invalid input syntax for type INTEGER: "10 - not a number"');
    fails('ID IN (10, V)', 'operator does not exist: INTEGER = STRING (V)');
    fails('DEC IN (10, true)', 'operator does not exist: DECIMAL(12, 2) = BOOLEAN (true)');
    fails("A IN (A, ARRAY['10', 'not 10'])", 'invalid input syntax for type BIGINT: "not 10"');
    fails('A IN (A, ARRAY[B])', 'operator does not exist: ARRAY<BIGINT> = ARRAY<BOOLEAN> (ARRAY[B])');
    fails("M IN (M, MAP('10' := 'not 10'))", 'invalid input syntax for type BIGINT: "not 10"');
    fails('ST IN (STRUCT(F0 := B))', 'operator does not exist: STRUCT<`F0` BIGINT> = STRUCT<`F0` BOOLEAN> (STRUCT(F0:=B))');
    expect(t('ST IN (STRUCT(F0 := 10), STRUCT(`f0` := 20))')).toBe('BOOLEAN');
    expect(t("B IN (true, 'TrUe', 'tr', 'Y')")).toBe('BOOLEAN');
  });
  it('constructors and CASE', () => {
    expect(t('ARRAY[1, L]')).toBe('ARRAY<BIGINT>');
    expect(t('ARRAY[1, NULL]')).toBe('ARRAY<INTEGER>');
    fails('ARRAY[NULL]', 'Cannot construct an array with all NULL elements');
    fails("ARRAY[1, 'not a number']", 'invalid input syntax for type INTEGER: "not a number"');
    fails("MAP('a' := NULL)", 'Cannot construct a map with all NULL values');
    fails('MAP(NULL := 1)', 'Cannot construct a map with all NULL keys');
    expect(t("MAP('a' := 1)")).toBe('MAP<STRING, INTEGER>');
    expect(t('STRUCT(A := 1, B := V)')).toBe('STRUCT<A INTEGER, B STRING>');
    expect(t('CASE WHEN B THEN 1 ELSE 2.5 END')).toBe('DECIMAL(11, 1)');
    expect(t('CASE WHEN B THEN NULL ELSE 2 END')).toBe('INTEGER');
    fails('CASE WHEN B THEN null ELSE null END', 'Invalid Case expression. All case branches have NULL type');
  });
  it('casts, subscripts, dereference, LIKE', () => {
    expect(t('CAST(ID AS STRING)')).toBe('STRING');
    fails('CAST(V AS MAP<STRING, INT>)', 'Cast of STRING to MAP<STRING, INTEGER> is not supported');
    fails('CAST(V AS STRUCT<F0 STRING, F1 INT>)', 'Cast of STRING to STRUCT<`F0` STRING, `F1` INTEGER> is not supported');
    expect(t('A[1]')).toBe('BIGINT');
    expect(t("M['x']")).toBe('BIGINT');
    expect(t('ST->F0')).toBe('BIGINT');
    fails('ID LIKE 12', 'Like condition must be between strings');
  });
  it('functions', () => {
    expect(t('INC(ID)')).toBe('INTEGER');
    fails("INC('x')", "Function 'INC' does not accept parameters (STRING).");
    fails('NOPE(1)', "Can't find any functions with the name 'NOPE'");
    expect(() => typeOf('SUM(ID)', S)).toThrow(NonScalarFunctionError);
    expect(t('TRANSFORM(A, x => x + 1)')).toBe('ARRAY<BIGINT>');
    const lam = typeOf('TRANSFORM(A, x => TRANSFORM(ARRAY[x], y => x + y))', S);
    expect(JSON.stringify(lam, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).toContain('"depth":1');
    // the analyzer's hook substitutes aggregate calls
    const hooked = typeExpression(parseExpression('SUM(ID) + 1'), S, fakeFunctions(), {
      resolveCall: (c) => (c.name === 'SUM' ? { kind: 'Column', type: BIGINT, index: 3, name: 'KSQL_AGG_0' } : undefined),
    });
    expect(formatType(hooked.type)).toBe('BIGINT');
  });
  it('types through NULL', () => {
    expect(t('COALESCE(NULL, 1)')).toBe('INTEGER');
    expect(t('NOT B')).toBe('BOOLEAN');
    expect(t('B AND (ID > 1 OR NULL)')).toBe('BOOLEAN');
    expect(t("V BETWEEN 'a' AND 'b'")).toBe('BOOLEAN');
    fails("ID BETWEEN 'a' AND 2", 'Cannot compare ID (INTEGER)');
    expect(t('DEC IS NULL')).toBe('BOOLEAN');
  });
});

describe('ksqlDB message and coercion details', () => {
  const single = scopeOf([
    ['VAL0', INTEGER, 'INPUT'],
    ['A', array(INTEGER), 'INPUT'],
    ['ROWTIME', BIGINT, 'INPUT'],
    ['S', STRING, 'INPUT'],
  ]);
  const joined = scopeOf([
    ['BAR', INTEGER, 'I1'],
    ['BAR', STRING, 'I2'],
  ]);
  it('names single-source columns unqualified and join columns by their joined name', () => {
    expect(() => typeOf('INPUT.A < INPUT.A', single)).toThrow('Cannot compare A (ARRAY<INTEGER>) to A (ARRAY<INTEGER>) with LESS_THAN.');
    expect(() => typeOf('I1.BAR > I2.BAR', joined)).toThrow('Cannot compare I1_BAR (INTEGER) to I2_BAR (STRING) with GREATER_THAN.');
  });
  it('prefixes IN list errors with Invalid Predicate', () => {
    expect(() => typeOf('INPUT.VAL0 IN (INPUT.S)', single)).toThrow('Invalid Predicate: operator does not exist: INTEGER = STRING (S)');
    expect(() => typeOf("INPUT.VAL0 IN ('x')", single)).toThrow('Invalid Predicate: invalid input syntax for type INTEGER: "x".');
  });
  it('reads timestamp text compared with ROWTIME as epoch millis', () => {
    const e = typeOf("INPUT.ROWTIME >= '2018-01-01T00:00:00.001'", single);
    expect(e.kind === 'Comparison' && e.right.kind === 'Literal' ? e.right.value : undefined).toBe(1514764800001n);
    expect(() => typeOf("INPUT.S >= '2018-01-01'", single)).not.toThrow();
  });
  it('widens a list with a numeric string that does not fit to DECIMAL', () => {
    expect(formatType(typeOf("ARRAY[null, 10, '2e1', INPUT.VAL0, CAST(1 AS BIGINT)]", single).type)).toBe('ARRAY<DECIMAL(19, 0)>');
    expect(formatType(typeOf("ARRAY[10, '20']", single).type)).toBe('ARRAY<INTEGER>');
  });
  it('STRUCT constructors in a list meet on the union of their fields', () => {
    expect(formatType(typeOf('ARRAY[STRUCT(X := 1, Y := 2), STRUCT(Y := 3, Z := 4)]', single).type)).toBe('ARRAY<STRUCT<X INTEGER, Y INTEGER, Z INTEGER>>');
  });
});
