import { describe, expect, it } from 'vitest';
import { INTEGER, STRING, array } from '../../types/sql-type.js';
import { resolve, run } from './test-util.js';

describe('null functions', () => {
  it('COALESCE / IFNULL / NULLIF', () => {
    expect(run('COALESCE', [INTEGER, INTEGER, INTEGER], null, 2, 1)).toBe(2);
    expect(run('COALESCE', [array(INTEGER), array(INTEGER)], null, [10, 20])).toEqual([10, 20]);
    expect(resolve('COALESCE', [STRING, null]).returnType).toEqual(STRING);
    expect(run('IFNULL', [STRING, STRING], null, 'x')).toBe('x');
    expect(run('NULLIF', [array(INTEGER), array(INTEGER)], [1, 2, 3], [1, 2, 3])).toBeNull();
    expect(run('NULLIF', [INTEGER, INTEGER], 1, 10)).toBe(1);
    expect(() => resolve('IFNULL', [STRING, INTEGER])).toThrow("Function 'ifnull' does not accept parameters (STRING, INTEGER).");
  });

  it('AS_VALUE is the identity', () => {
    expect(run('AS_VALUE', [STRING], 'k')).toBe('k');
  });
});
