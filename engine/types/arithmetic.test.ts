import { Decimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { ArithmeticError, bigintOp, decimalOp, intOp } from './arithmetic.js';
import { decimalArithmeticType } from './decimal.js';
import { commonType, comparisonType } from './coercion.js';
import { BIGINT, decimal, DOUBLE, INTEGER, STRING, array, formatType } from './sql-type.js';

describe('arithmetic', () => {
  it('wraps like Java', () => {
    expect(intOp('+', 2147483647, 1)).toBe(-2147483648);
    expect(intOp('*', 65536, 65536)).toBe(0);
    expect(intOp('/', -7, 2)).toBe(-3);
    expect(intOp('%', -7, 2)).toBe(-1);
    expect(intOp('/', -2147483648, -1)).toBe(-2147483648);
    expect(() => intOp('/', 1, 0)).toThrow(ArithmeticError);
    expect(bigintOp('+', 9223372036854775807n, 1n)).toBe(-9223372036854775808n);
  });
  it('decimal types and values', () => {
    const d42 = decimal(4, 2) as never;
    expect(formatType(decimalArithmeticType('+', d42, d42))).toBe('DECIMAL(5, 2)');
    expect(formatType(decimalArithmeticType('*', d42, d42))).toBe('DECIMAL(9, 4)');
    expect(formatType(decimalArithmeticType('/', d42, d42))).toBe('DECIMAL(11, 7)');
    expect(formatType(decimalArithmeticType('%', d42, d42))).toBe('DECIMAL(4, 2)');
    const div = decimalArithmeticType('/', d42, d42);
    expect(decimalOp('/', new Decimal('10.1'), new Decimal('2'), div)!.toString()).toBe('5.05');
    expect(decimalOp('/', new Decimal('10.1'), new Decimal('0'), div)).toBe(null);
    expect(decimalOp('%', new Decimal('10.1'), new Decimal('-2'), decimalArithmeticType('%', d42, d42))!.toString()).toBe('0.1');
    expect(decimalOp('/', new Decimal('1'), new Decimal('3'), div)!.toString()).toBe('0.3333333');
  });
  it('coercion', () => {
    expect(commonType(INTEGER, BIGINT)).toEqual(BIGINT);
    expect(commonType(INTEGER, decimal(4, 2))).toEqual(decimal(12, 2));
    expect(commonType(decimal(4, 2), DOUBLE)).toEqual(DOUBLE);
    expect(commonType(STRING, INTEGER)).toBe(null);
    expect(commonType(array(INTEGER), array(BIGINT))).toEqual(array(BIGINT));
    expect(comparisonType('<', array(INTEGER), array(INTEGER))).toBe(null);
    expect(comparisonType('=', array(INTEGER), array(INTEGER))).toEqual(array(INTEGER));
  });
});
