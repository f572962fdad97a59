import { describe, expect, it } from 'vitest';
import { tokenize } from './lexer.js';
import { ParseError } from './parse-error.js';

const kinds = (s: string): string[] => tokenize(s).map((t) => `${t.kind}:${t.value}`);

describe('tokenize', () => {
  it('words, quoted identifiers, strings', () => {
    expect(kinds("select `My``Col`, \"x\"\"y\", 'it''s' from t1")).toEqual([
      'word:SELECT',
      'quoted:My`Col',
      'symbol:,',
      'quoted:x"y',
      'symbol:,',
      "string:it's",
      'word:FROM',
      'word:T1',
      'eof:<EOF>',
    ]);
  });

  it('numbers', () => {
    expect(kinds('1 1.5 .5 1e3 2.5E-2 1abc')).toEqual(['integer:1', 'decimal:1.5', 'decimal:.5', 'double:1e3', 'double:2.5E-2', 'word:1ABC', 'eof:<EOF>']);
  });

  it('operators', () => {
    expect(kinds('a->b => := <> != <= >= || ${v}')).toEqual([
      'word:A',
      'symbol:->',
      'word:B',
      'symbol:=>',
      'symbol::=',
      'symbol:<>',
      'symbol:<>',
      'symbol:<=',
      'symbol:>=',
      'symbol:||',
      'variable:v',
      'eof:<EOF>',
    ]);
  });

  it('skips comments and tracks positions', () => {
    const toks = tokenize('-- c\n  /* multi\nline */ x');
    expect(toks[0]).toMatchObject({ value: 'X', line: 3, column: 9, start: 24 });
  });

  it('reports unterminated literals', () => {
    expect(() => tokenize("'abc")).toThrow(ParseError);
    expect(() => tokenize('`abc')).toThrow(/unterminated quoted identifier/);
    expect(() => tokenize('/* x')).toThrow(/unterminated comment/);
  });
});
