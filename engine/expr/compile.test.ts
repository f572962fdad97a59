import { Decimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { array, BIGINT, BOOLEAN, decimal, DOUBLE, INTEGER, map, STRING, struct, TIMESTAMP } from '../types/sql-type.js';
import { compileExpression, constantFold, evaluateConstant, generatedSource, compileLike } from './compile.js';
import { evalSql, scopeOf, typeOf } from './test-support.js';

const S = scopeOf([
  ['I', INTEGER],
  ['L', BIGINT],
  ['D', DOUBLE],
  ['S', STRING],
  ['B', BOOLEAN],
  ['DEC', decimal(4, 2)],
  ['A', array(INTEGER)],
  ['M', map(STRING, INTEGER)],
  ['ST', struct([{ name: 'F0', type: INTEGER }, { name: 'INNER', type: struct([{ name: 'N', type: STRING }]) }])],
  ['TS', TIMESTAMP],
]);
const row = (o: Partial<Record<string, unknown>>): unknown[] =>
  S.columns.map((c) => (c.name in o ? o[c.name] : null));
const ev = (sql: string, o: Partial<Record<string, unknown>> = {}): unknown => evalSql(sql, S, row(o));

describe('compileExpression', () => {
  it('generates code, not an interpreter', () => {
    expect(generatedSource(typeOf('I + 1', S))).toContain('row[0]');
  });
  it('arithmetic with Java semantics', () => {
    expect(ev('I + 1', { I: 2147483647 })).toBe(-2147483648);
    expect(ev('I * L', { I: 3, L: 4n })).toBe(12n);
    expect(ev('I / 2', { I: -7 })).toBe(-3);
    expect(ev('I % 2', { I: -7 })).toBe(-1);
    expect(ev('D + 10', { D: 3.21 })).toBeCloseTo(13.21);
    expect(ev('I + 1', {})).toBe(null);
    expect(ev('12 * 4 + 2')).toBe(50);
    expect(ev('S + \'x\'', { S: 'a' })).toBe('ax');
    expect(() => ev('I / 0', { I: 1 })).toThrow('/ by zero');
    expect(String(ev('DEC + DEC', { DEC: new Decimal('10.01') }))).toBe('20.02');
    expect(String(ev('DEC / 0.00', { DEC: new Decimal('10.01') }))).toBe('null');
    expect(String(ev('DEC + I', { DEC: new Decimal('10.01'), I: 5 }))).toBe('15.01');
    expect(ev('-I', { I: 5 })).toBe(-5);
    expect(String(ev('-DEC', { DEC: new Decimal('1.5') }))).toBe('-1.5');
  });
  it('comparisons are false with nulls', () => {
    expect(ev('I = 1', { I: 1 })).toBe(true);
    expect(ev('I = L', { I: 1, L: 1n })).toBe(true);
    expect(ev('I < D', { I: 1, D: 1.5 })).toBe(true);
    expect(ev('I = 1', {})).toBe(false);
    expect(ev('I <> 1', {})).toBe(false);
    expect(ev('I IS DISTINCT FROM 1', {})).toBe(true);
    expect(ev('I IS NOT DISTINCT FROM I', {})).toBe(true);
    expect(ev('DEC < 10.012', { DEC: new Decimal('10.01') })).toBe(true);
    expect(ev('DEC = 10.010', { DEC: new Decimal('10.01') })).toBe(true);
    expect(ev("TS > '1970-01-01T00:00:00.010'", { TS: 11 })).toBe(true);
    expect(ev('A = ARRAY[1, 2]', { A: [1, 2] })).toBe(true);
    expect(ev("S BETWEEN 'b' AND 'c'", { S: 'ba' })).toBe(true);
    expect(ev('I BETWEEN 2 AND 4', {})).toBe(false);
    expect(ev('I NOT BETWEEN 2 AND 4', { I: 5 })).toBe(true);
  });
  it('three-valued logic', () => {
    expect(ev('B AND false', {})).toBe(false);
    expect(ev('B AND true', {})).toBe(null);
    expect(ev('B OR true', {})).toBe(true);
    expect(ev('B OR false', {})).toBe(null);
    expect(ev('NOT B', {})).toBe(null);
    expect(ev('NOT B', { B: false })).toBe(true);
    expect(ev('true OR false AND true')).toBe(true);
    expect(ev('I IS NULL', {})).toBe(true);
    expect(ev('I IS NOT NULL', { I: 0 })).toBe(true);
  });
  it('IN, LIKE, CASE', () => {
    expect(ev('I IN (1, 2, I * 2)', { I: 2 })).toBe(true);
    expect(ev('I IN (1, 2.0, 5.10)', { I: 5 })).toBe(false);
    expect(ev('I IN (1, 2.0, 5.10)', { I: 2 })).toBe(true);
    expect(ev("I IN (1, '4')", { I: 4 })).toBe(true);
    expect(ev("S IN (true, 10, 10.30)", { S: '10.30' })).toBe(true);
    expect(ev('I NOT IN (1, 2)', { I: 3 })).toBe(true);
    expect(ev('I IN (1, 2)', {})).toBe(false);
    expect(ev("S LIKE '%foo%'", { S: 'a foo b' })).toBe(true);
    expect(ev("S LIKE 'f_o'", { S: 'fao' })).toBe(true);
    expect(ev("S NOT LIKE 'f_o'", { S: 'fo' })).toBe(true);
    expect(ev("S LIKE 'a!%b' ESCAPE '!'", { S: 'a%b' })).toBe(true);
    expect(ev("S LIKE 'a!%b' ESCAPE '!'", { S: 'axb' })).toBe(false);
    expect(ev("CASE WHEN I < 2 THEN 'small' WHEN I < 10 THEN 'medium' ELSE 'large' END", { I: 5 })).toBe('medium');
    expect(ev("CASE WHEN I < 2 THEN 'small' END", {})).toBe(null);
    expect(ev('CASE I WHEN 1 THEN 10 WHEN 2 THEN 20.5 END', { I: 2 })!.toString()).toBe('20.5');
    expect(compileLike('a.b', null).test('axb')).toBe(false);
  });
  it('LIKE: `_` is one code point, `%` any run, and no pattern backtracks exponentially', () => {
    expect(compileLike('_', null).test('\u{1F600}')).toBe(true);
    expect(compileLike('__', null).test('\u{1F600}')).toBe(false);
    expect(compileLike('a%', null).test('a\nb')).toBe(true);
    expect(compileLike('%%b', null).test('b')).toBe(true);
    expect(compileLike('%a%b', null).test('xaxbx')).toBe(false);
    expect(compileLike('!_%', '!').test('_x')).toBe(true);
    expect(compileLike('!_%', '!').test('xx')).toBe(false);
    // exponential for a backtracking regex; at most value × pattern steps here
    expect(compileLike('%a%a%a%a%a%_b', null).test('a'.repeat(20_000))).toBe(false);
  });
  it('collections, structs, subscripts', () => {
    expect(ev('A[1]', { A: [10, 20] })).toBe(10);
    expect(ev('A[-1]', { A: [10, 20] })).toBe(20);
    expect(ev('A[3]', { A: [10, 20] })).toBe(null);
    expect(ev('A[0]', { A: [10, 20] })).toBe(null);
    expect(ev("M['x']", { M: new Map([['x', 1]]) })).toBe(1);
    expect(ev("M['y']", { M: new Map([['x', 1]]) })).toBe(null);
    expect(ev("M['y']", {})).toBe(null);
    expect(ev('ST->INNER->N', { ST: { F0: 1, INNER: { N: 'n' } } })).toBe('n');
    expect(ev('ST->INNER->N', { ST: { F0: 1, INNER: null } })).toBe(null);
    expect(ev('ARRAY[1, I, 3]', { I: 2 })).toEqual([1, 2, 3]);
    expect(ev('ARRAY[1, L]', { L: 2n })).toEqual([1n, 2n]);
    expect(ev("MAP('a' := 1, 'b' := I)", { I: 2 })).toEqual(new Map([['a', 1], ['b', 2]]));
    expect(ev('STRUCT(X := I, Y := S)', { I: 1, S: 's' })).toEqual({ X: 1, Y: 's' });
  });
  it('casts', () => {
    expect(ev('CAST(I AS STRING)', { I: 5 })).toBe('5');
    expect(ev('CAST(D AS STRING)', { D: 1 })).toBe('1.0');
    expect(ev('CAST(I AS STRING)', {})).toBe(null);
    expect(() => ev('CAST(S AS INT)', { S: 'abc' })).toThrow();
    expect(ev('CAST(A AS STRING)', { A: [1, 3] })).toBe('[1, 3]');
    expect(ev('CAST(NULL AS INT)')).toBe(null);
  });
  it('functions and lambdas', () => {
    expect(ev('INC(I)', { I: 1 })).toBe(2);
    expect(ev('INC(I)', {})).toBe(null);
    expect(ev('COALESCE(I, 7)', {})).toBe(7);
    expect(ev('TRANSFORM(A, x => x * I)', { A: [1, 2], I: 3 })).toEqual([3, 6]);
    expect(ev('TRANSFORM(A, x => TRANSFORM(ARRAY[x], y => y + x))', { A: [1, 2] })).toEqual([[2], [4]]);
  });
  it('constants', () => {
    expect(evaluateConstant(typeOf('1 + 2'))).toBe(3);
    const folded = constantFold(typeOf('I + (1 + 2)', S));
    expect(folded.kind === 'Arithmetic' && folded.right.kind).toBe('Literal');
    expect(compileExpression(folded)(row({ I: 1 }))).toBe(4);
  });
});

describe('ksqlDB evaluation details', () => {
  it('keeps a null MAP key', () => {
    expect(ev("MAP(S := 1, NULL := 2)", { S: 'a' })).toEqual(new Map<unknown, unknown>([['a', 1], [null, 2]]));
  });
  it('a null operand of lambda arithmetic fails the function call', () => {
    expect(() => ev('TRANSFORM(A, x => x + 5)', { A: [5, null] })).toThrow('NullPointerException');
    expect(ev('TRANSFORM(A, x => x + 5)', { A: [3, 6] })).toEqual([8, 11]);
    expect(ev('I + 5', { I: null })).toBe(null);
  });
  it('an element that fails makes only that constructor element null', () => {
    expect(ev('ARRAY[I, TRANSFORM(A, x => x + 1)[1]]', { I: 1, A: [null] })).toEqual([1, null]);
  });
});
