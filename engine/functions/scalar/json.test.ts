import { Decimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { BIGINT, BYTES, DATE, INTEGER, STRING, TIME, TIMESTAMP, array, decimal, map, struct } from '../../types/sql-type.js';
import { run } from './test-util.js';

describe('json functions', () => {
  it('EXTRACTJSONFIELD', () => {
    const src = '{"name": "cdd", "version": "2", "@type": "VAL"}}';
    expect(run('EXTRACTJSONFIELD', [STRING, STRING], src, '$.name')).toBe('cdd');
    expect(run('EXTRACTJSONFIELD', [STRING, STRING], src, '$.@type')).toBe('VAL');
    expect(run('EXTRACTJSONFIELD', [STRING, STRING], '{"array": [1.23450]}', '$.array[0]')).toBe('1.23450');
    expect(run('EXTRACTJSONFIELD', [STRING, STRING], '{"array": [1, 2]}', '$.array[-1]')).toBeNull();
    expect(run('EXTRACTJSONFIELD', [STRING, STRING], '{"a": {"b": [1, {"c": true}]}}', '$.a.b[1]')).toBe('{"c":true}');
    expect(run('EXTRACTJSONFIELD', [STRING, STRING], 'not json', '$.a')).toBeNull();
  });

  it('JSON_* helpers', () => {
    expect(run('JSON_ARRAY_LENGTH', [STRING], '["Red", "Green"]')).toBe(2);
    expect(run('JSON_ARRAY_LENGTH', [STRING], '{}')).toBeNull();
    expect(run('JSON_CONCAT', [STRING, STRING], '{"a": {"5": 6}}', '{"a": {"3": 4}}')).toBe('{"a":{"3":4}}');
    expect(run('JSON_CONCAT', [STRING, STRING], '[1, 2]', '[3]')).toBe('[1,2,3]');
    expect(run('JSON_KEYS', [STRING], '{"Red": 3, "Green": 5}')).toEqual(['Red', 'Green']);
    expect(run('JSON_RECORDS', [STRING], '{"Red": 3, "s": "x"}')).toEqual(new Map([['Red', '3'], ['s', 'x']]));
    expect(run('JSON_ITEMS', [STRING], '[{"type": "A"}, 1]')).toEqual(['{"type":"A"}', '1']);
    expect(run('IS_JSON_STRING', [STRING], '{"a": 1}')).toBe(true);
    expect(run('IS_JSON_STRING', [STRING], '{"a": 1')).toBe(false);
    expect(run('IS_JSON_STRING', [STRING], null)).toBe(false);
    expect(run('JSON_ARRAY_CONTAINS', [STRING, INTEGER], '[1, 2, 3]', 2)).toBe(true);
    expect(run('JSON_ARRAY_CONTAINS', [STRING, STRING], '["a"]', 'b')).toBe(false);
  });

  it('TO_JSON_STRING by type', () => {
    expect(run('TO_JSON_STRING', [INTEGER], null)).toBe('null');
    expect(run('TO_JSON_STRING', [STRING], 'abc')).toBe('"abc"');
    expect(run('TO_JSON_STRING', [BIGINT], 123n)).toBe('123');
    expect(run('TO_JSON_STRING', [decimal(6, 3)], new Decimal('123.456'))).toBe('123.456');
    expect(run('TO_JSON_STRING', [BYTES], Buffer.from('!'))).toBe('"IQ=="');
    expect(run('TO_JSON_STRING', [TIME], 60220000)).toBe('"16:43:40"');
    expect(run('TO_JSON_STRING', [DATE], 1000)).toBe('"1972-09-27"');
    expect(run('TO_JSON_STRING', [TIMESTAMP], 60220000000)).toBe('"1971-11-28T23:46:40.000"');
    expect(run('TO_JSON_STRING', [array(INTEGER)], [1, 2, 3])).toBe('[1,2,3]');
    const s = struct([
      { name: 'ID', type: INTEGER },
      { name: 'NAME', type: STRING },
    ]);
    expect(run('TO_JSON_STRING', [s], { ID: 1, NAME: 'Alice' })).toBe('{"ID":1,"NAME":"Alice"}');
    expect(run('TO_JSON_STRING', [map(STRING, INTEGER)], new Map([['id', 1]]))).toBe('{"id":1}');
    expect(run('TO_JSON_STRING', [{ kind: 'DOUBLE' }], 1)).toBe('1.0');
  });
});
