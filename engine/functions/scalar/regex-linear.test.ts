import { afterAll, describe, expect, it } from 'vitest';
import { javaRegex, javaReplace, nestsQuantifiers, regexExec, regexMatchAll, regexSplit } from './regex.js';
import { closeRegexSandbox, DEFAULT_REGEX_BUDGET_MS, regexBudgetMs, setRegexBudgetMs } from './regex-sandbox.js';

describe('regular expressions on the linear-time engine', () => {
  it('runs a pattern that backtracks exponentially in linear time', () => {
    const value = 'a'.repeat(5000) + 'b';
    // each extra character doubled the time on the backtracking engine (31 characters: 24 s)
    expect(javaRegex('(a+)+$').exec(value)).toBeNull();
    expect(javaRegex('^(a|aa)+$').exec(value)).toBeNull();
    expect(javaReplace(value, '(a*)*c', 'x')).toBe(value);
    expect(regexSplit(value, '(a+)+c')).toEqual([value]);
  });

  it('keeps the features the linear engine lacks on the backtracking one', () => {
    expect(javaRegex('(a)\\1').exec('xaa')?.[0]).toBe('aa');
    expect(javaRegex('a(?=b)').exec('ab')?.[0]).toBe('a');
    expect(javaRegex('\\p{L}+').exec('12été')?.[0]).toBe('été');
    expect(javaRegex('(?i)ABC').exec('xabc')?.[0]).toBe('abc');
  });
});

describe('possessive quantifiers', () => {
  it('are read as greedy ones, and a quantifier after a class or an escape stays one', () => {
    expect(javaRegex('a++b').exec('aab')?.[0]).toBe('aab');
    expect(javaRegex('a{1,2}+b').exec('aab')?.[0]).toBe('aab');
    expect(javaRegex('\\p{L}+').exec('12été')?.[0]).toBe('été');
    expect(javaRegex('\\++').exec('a+++')?.[0]).toBe('+++');
  });
});

describe('patterns left to the backtracking engine', () => {
  it('are refused when a repeated group repeats a quantifier, and run otherwise', () => {
    expect(() => javaRegex('(a+)+\\1')).toThrow(/exponential time/);
    expect(() => javaRegex('(?=x)(\\w*y)*')).toThrow(/exponential time/);
    expect(() => javaRegex('(\\p{L}+\\s?){2,}')).toThrow(/exponential time/);
    expect(javaRegex('(a)\\1+').exec('aaa')?.[0]).toBe('aaa');
    expect(javaRegex('(ab)?\\1').exec('abab')?.[0]).toBe('abab');
    expect(javaRegex('([a+]+)\\1').exec('++')?.[0]).toBe('++');
  });

  it('nestsQuantifiers reads escapes, classes and counted repeats', () => {
    expect(nestsQuantifiers('(a+)+')).toBe(true);
    expect(nestsQuantifiers('(a{2,})*')).toBe(true);
    expect(nestsQuantifiers('(a\\+)+')).toBe(false);
    expect(nestsQuantifiers('([+*])+')).toBe(false);
    expect(nestsQuantifiers('(a)+b*')).toBe(false);
    expect(nestsQuantifiers('(a?)')).toBe(false);
  });
});

describe('the time budget of the backtracking engine', () => {
  it('fails a match that runs past the budget, and the next matches still run', () => {
    // exponential on the backtracking engine, and not refused: the group repeats an alternation, not a quantifier
    const slow = '(?=a)(a|a)*b';
    const value = 'a'.repeat(60);
    expect(() => regexExec(slow, value)).toThrow(/took more than 100 ms .*ksetl\.functions\.regex\.backtracking\.budget\.ms/);
    expect(() => regexMatchAll(slow, value)).toThrow(/took more than/);
    expect(() => javaReplace(value, slow, 'x')).toThrow(/took more than/);
    expect(() => regexSplit(value, slow)).toThrow(/took more than/);
    // a new worker answers the next ones
    expect(regexExec(slow, 'aab')?.groups).toEqual(['aab', 'a']);
    expect(regexMatchAll('(?<=x)(a)', 'xaya xa').map((m) => [m.index, m.groups[0]])).toEqual([
      [1, 'a'],
      [6, 'a'],
    ]);
    expect(javaReplace('x1 x2 y3', '(?<=x)(\\d)', '<$1>')).toBe('x<1> x<2> y3');
    expect(regexSplit('a1b2c', '(?<=\\w)\\d')).toEqual(['a', 'b', 'c']);
    expect(regexExec('(?<n>a)\\k<n>', 'baa')?.named).toEqual({ n: 'a' });
  });

  it('keeps linear-engine patterns off the worker', () => {
    expect(javaRegex('(a+)+$').flags).toContain('l');
    expect(javaRegex('(a)\\1').flags).not.toContain('l');
  });

  it('takes its budget from the server property', () => {
    try {
      setRegexBudgetMs(5000);
      expect(regexBudgetMs()).toBe(5000);
      expect(() => setRegexBudgetMs(0)).toThrow(/positive/);
    } finally {
      setRegexBudgetMs(DEFAULT_REGEX_BUDGET_MS);
    }
  });
});

afterAll(() => closeRegexSandbox());
