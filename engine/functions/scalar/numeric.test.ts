import { Decimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { BIGINT, DOUBLE, INTEGER, STRING, DATE, decimal } from '../../types/sql-type.js';
import { resolve, run } from './test-util.js';

describe('numeric functions', () => {
  it('ABS keeps the argument type', () => {
    expect(run('ABS', [INTEGER], -1)).toBe(1);
    expect(run('ABS', [BIGINT], -2n)).toBe(2n);
    expect(run('ABS', [DOUBLE], -3.1)).toBe(3.1);
    expect(resolve('ABS', [decimal(2, 1)]).returnType).toEqual(decimal(2, 1));
    expect((run('ABS', [decimal(2, 1)], new Decimal('-3.2')) as Decimal).toString()).toBe('3.2');
  });

  it('widens INT and BIGINT to DOUBLE for math functions', () => {
    expect(resolve('EXP', [INTEGER]).returnType).toEqual(DOUBLE);
    expect(run('EXP', [INTEGER], -1)).toBe(0.36787944117144233);
    expect(run('EXP', [BIGINT], -2n)).toBe(0.1353352832366127);
    expect(run('SQRT', [INTEGER], -1)).toBeNaN();
    expect(run('LN', [INTEGER], 0)).toBe(-Infinity);
    expect(run('CBRT', [BIGINT], -3n)).toBe(-1.4422495703074083);
  });

  it('FLOOR and CEIL by type', () => {
    expect(run('FLOOR', [DOUBLE], -1.1)).toBe(-2);
    expect(run('CEIL', [DOUBLE], 1.1)).toBe(2);
    expect(resolve('CEIL', [decimal(2, 1)]).returnType).toEqual(decimal(2, 1));
    expect((run('FLOOR', [decimal(2, 1)], new Decimal('-1.5')) as Decimal).toFixed(1)).toBe('-2.0');
  });

  it('ROUND follows Math.round and HALF_UP with scale', () => {
    expect(resolve('ROUND', [DOUBLE]).returnType).toEqual(BIGINT);
    expect(run('ROUND', [DOUBLE], 1.5)).toBe(2n);
    expect(run('ROUND', [DOUBLE], -1.5)).toBe(-1n);
    expect(run('ROUND', [DOUBLE, INTEGER], 1.234567, 2)).toBe(1.23);
    expect(run('ROUND', [DOUBLE, INTEGER], 111, -1)).toBe(110);
    expect(run('ROUND', [DOUBLE, INTEGER], 111, -2)).toBe(100);
    expect(run('ROUND', [DOUBLE, INTEGER], -1.25, 1)).toBe(-1.2);
  });

  it('ROUND on large DECIMAL values', () => {
    const t = decimal(33, 16);
    const v = new Decimal('12345678987654321.2345678987654321');
    expect(resolve('ROUND', [t]).returnType).toEqual(decimal(17, 0));
    expect((run('ROUND', [t], v) as Decimal).toFixed()).toBe('12345678987654321');
    expect(resolve('ROUND', [t, INTEGER]).returnType).toEqual(t);
    expect((run('ROUND', [t, INTEGER], v, 10) as Decimal).toFixed(16)).toBe('12345678987654321.2345678988000000');
    expect((run('ROUND', [t, INTEGER], v, -2) as Decimal).toFixed(16)).toBe('12345678987654300.0000000000000000');
  });

  it('TRUNC', () => {
    expect(run('TRUNC', [DOUBLE], -1.7)).toBe(-1n);
    expect(run('TRUNC', [DOUBLE, INTEGER], 1.234567, 2)).toBe(1.23);
    expect(run('TRUNC', [INTEGER], 12345)).toBe(12345);
  });

  it('LOG with a custom base', () => {
    expect(run('LOG', [INTEGER, INTEGER], 15, 13)).toBe(0.9471572411831843);
    expect(run('LOG', [DOUBLE, DOUBLE], 1, 13)).toBeNaN();
    expect(run('LOG', [DOUBLE, DOUBLE], 15, 0)).toBe(-Infinity);
  });

  it('GREATEST / LEAST resolution follows ksqlDB', () => {
    expect(run('GREATEST', [INTEGER, INTEGER, INTEGER, null, INTEGER], 1, 2147483647, null, null, 5)).toBe(2147483647);
    expect(() => resolve('GREATEST', [INTEGER, BIGINT])).toThrow(
      "Function 'greatest' cannot be resolved due to ambiguous method parameters (INTEGER, BIGINT).",
    );
    expect(() => resolve('GREATEST', [null, null, null, null])).toThrow('ambiguous method parameters (null, null, null, null)');
    expect(() => resolve('GREATEST', [])).toThrow("Function 'greatest' does not accept parameters ().");
    expect(() => resolve('LEAST', [STRING, INTEGER])).toThrow("Function 'least' does not accept parameters (STRING, INTEGER).");
    const impl = resolve('GREATEST', [INTEGER, BIGINT, decimal(30, 18), DOUBLE, null]);
    expect(impl.returnType).toEqual(DOUBLE);
    expect(impl.invoke(1, 10n, new Decimal('55555.555555555555'), 3.5, null)).toBe(55555.555555555555);
    expect(run('LEAST', [STRING, STRING, STRING], 'b', null, 'a')).toBe('a');
  });

  it('GREATEST coerces string literals to DATE', () => {
    const impl = resolve('GREATEST', [DATE, DATE, { type: STRING, literal: '2022-06-14' }]);
    expect(impl.returnType).toEqual(DATE);
    expect(impl.invoke(19000, null, '2022-06-14')).toBe(19157);
  });

  it('GEO_DISTANCE accepts widened numbers and rejects strings', () => {
    const d = run('GEO_DISTANCE', [DOUBLE, DOUBLE, INTEGER, INTEGER], 37.4439, -122.1663, 51, 0) as number;
    expect(d).toBeCloseTo(8682.459061368269, 6);
    expect(() => resolve('GEO_DISTANCE', [DOUBLE, DOUBLE, STRING, INTEGER])).toThrow("Function 'geo_distance' does not accept parameters");
    expect(run('GEO_DISTANCE', [DOUBLE, DOUBLE, DOUBLE, DOUBLE, STRING], 0, 0, 0, 1, 'mi')).toBeCloseTo(69.0975, 3);
  });

  it('GENERATE_SERIES', () => {
    expect(run('GENERATE_SERIES', [INTEGER, INTEGER], 4, 0)).toEqual([4, 3, 2, 1, 0]);
    expect(run('GENERATE_SERIES', [INTEGER, INTEGER, INTEGER], 1, -2, -2)).toEqual([1, -1]);
    expect(run('GENERATE_SERIES', [BIGINT, BIGINT], 1n, 3n)).toEqual([1n, 2n, 3n]);
  });

  it('SIGN, PI, RANDOM', () => {
    expect(run('SIGN', [DOUBLE], -0.5)).toBe(-1);
    expect(run('SIGN', [decimal(3, 1)], new Decimal(0))).toBe(0);
    expect(run('PI', [])).toBe(Math.PI);
    expect(resolve('RANDOM', []).volatile).toBe(true);
  });
});

describe('numeric functions as ksqlDB computes them', () => {
  it('GEO_DISTANCE uses JDK 8 radians and asin; a null unit is kilometres', () => {
    expect(run('GEO_DISTANCE', [DOUBLE, DOUBLE, DOUBLE, DOUBLE], 37.4439, -122.1663, 51.5257, -0.1122)).toBe(8634.659796579544);
    expect(run('GEO_DISTANCE', [DOUBLE, DOUBLE, DOUBLE, DOUBLE], 39.18660374, -76.73262144, 39.18660374, -76.73222145)).toBe(0.03447366811448324);
    expect(run('GEO_DISTANCE', [DOUBLE, DOUBLE, DOUBLE, DOUBLE, STRING], 37.4439, -122.1663, 51, 0, null)).toBe(8682.459061368269);
  });
  it('LN and one-argument LOG are the correctly rounded natural logarithm', () => {
    expect(run('LN', [DOUBLE], 3)).toBe(1.0986122886681098);
    expect(run('LOG', [INTEGER], 13)).toBe(2.5649493574615367);
    expect(run('LOG', [DOUBLE], 0)).toBe(-Infinity);
    expect(run('LOG', [DOUBLE], -1)).toBeNaN();
  });
});
