import { describe, expect, it } from 'vitest';
import { array, BIGINT, decimal, INTEGER, map, STRING, struct } from '../../types/sql-type.js';
import { matchType, parseSqlType, parseTypePattern, substitute, TypeParseError } from './type-parser.js';

describe('parseSqlType', () => {
  it('parses primitives and aliases', () => {
    expect(parseSqlType('int')).toEqual(INTEGER);
    expect(parseSqlType(' VARCHAR ')).toEqual(STRING);
    expect(parseSqlType('BIGINT')).toEqual(BIGINT);
    expect(parseSqlType('DECIMAL(4,2)')).toEqual(decimal(4, 2));
  });

  it('parses nested types', () => {
    expect(parseSqlType('ARRAY<STRING>')).toEqual(array(STRING));
    expect(parseSqlType('MAP<STRING, ARRAY<DECIMAL(10, 0)>>')).toEqual(map(STRING, array(decimal(10, 0))));
    expect(parseSqlType('STRUct<a INT, `b c` STRUCT<X BIGINT>>')).toEqual(
      struct([
        { name: 'A', type: INTEGER },
        { name: 'b c', type: struct([{ name: 'X', type: BIGINT }]) },
      ]),
    );
    expect(parseSqlType('STRUCT<>')).toEqual(struct([]));
  });

  it('rejects bad input', () => {
    for (const bad of ['', 'NOPE', 'ARRAY<INT', 'DECIMAL(2,3)', 'MAP<INT>', 'INT INT', 'ANY', 'ARRAY<T>', 'DECIMAL', 'INT$']) {
      expect(() => parseSqlType(bad), bad).toThrow(TypeParseError);
    }
  });
});

describe('patterns', () => {
  it('binds type variables and substitutes them', () => {
    const b = new Map();
    expect(matchType(parseTypePattern('MAP<K, ARRAY<V>>'), map(STRING, array(INTEGER)), b)).toBe(true);
    expect(substitute(parseTypePattern('MAP<V, K>'), b)).toEqual(map(INTEGER, STRING));
    expect(matchType(parseTypePattern('T'), STRING, new Map([['T', INTEGER]]))).toBe(false);
  });

  it('matches ANY, bare DECIMAL and unknown argument types', () => {
    expect(matchType(parseTypePattern('ANY'), array(STRING), new Map())).toBe(true);
    expect(matchType(parseTypePattern('DECIMAL'), decimal(3, 1), new Map())).toBe(true);
    expect(matchType(parseTypePattern('DECIMAL(3, 1)'), decimal(3, 2), new Map())).toBe(false);
    expect(matchType(parseTypePattern('INT'), null, new Map())).toBe(true);
    expect(matchType(parseTypePattern('INT'), { kind: 'NULL' }, new Map())).toBe(true);
  });
});
