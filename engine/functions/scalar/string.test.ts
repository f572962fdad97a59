import { describe, expect, it } from 'vitest';
import { BYTES, INTEGER, STRING } from '../../types/sql-type.js';
import { resolve, run } from './test-util.js';

const b64 = (s: string) => Buffer.from(s, 'base64');

describe('string functions', () => {
  it('CONCAT and CONCAT_WS skip NULLs', () => {
    expect(run('CONCAT', [STRING, null, STRING], 'prefix-', null, 's1')).toBe('prefix-s1');
    expect(run('CONCAT_WS', [STRING, STRING, STRING, null, STRING], 'SEP', 'foo', null, null, 'literal')).toBe('fooSEPliteral');
    expect(run('CONCAT_WS', [STRING, STRING], null, 'foo')).toBeNull();
    expect((run('CONCAT_WS', [BYTES, BYTES, BYTES, BYTES], b64('YQ=='), b64('Yg=='), b64(''), b64('bm8=')) as Buffer).toString('base64')).toBe('YmFhbm8=');
  });

  it('SUBSTRING positions', () => {
    expect(run('SUBSTRING', [STRING, INTEGER], 'some_string', 6)).toBe('string');
    expect(run('SUBSTRING', [STRING, INTEGER, INTEGER], 'another', 6, 3)).toBe('er');
    expect(run('SUBSTRING', [STRING, INTEGER, INTEGER], 'some string', 0, 2)).toBe('so');
    expect(run('SUBSTRING', [STRING, INTEGER], 'short', 6)).toBe('');
    expect(run('SUBSTRING', [STRING, INTEGER], 'short', -3)).toBe('ort');
    expect((run('SUBSTRING', [BYTES, INTEGER, INTEGER], b64('c29tZV9zdHJpbmc='), 6, 3) as Buffer).toString('base64')).toBe('c3Ry');
  });

  it('INSTR, INITCAP, TRIM, LEN, case', () => {
    expect(run('INSTR', [STRING, STRING, INTEGER], 'corporate floor', 'or', -4)).toBe(5);
    expect(run('INSTR', [STRING, STRING, INTEGER, INTEGER], 'corporate floor', 'or', 3, 2)).toBe(14);
    expect(run('INSTR', [STRING, STRING], 'short', 'or')).toBe(3);
    expect(run('INITCAP', [STRING], 'the   Quick br0wn fOx')).toBe('The   Quick Br0wn Fox');
    expect(run('TRIM', [STRING], ' \t x \n')).toBe('x');
    expect(run('LEN', [STRING], 'abc')).toBe(3);
    expect(run('UCASE', [STRING], 'abc')).toBe('ABC');
  });

  it('LPAD / RPAD', () => {
    expect(run('LPAD', [STRING, INTEGER, STRING], 'foo', 7, 'Bar')).toBe('BarBfoo');
    expect(run('LPAD', [STRING, INTEGER, STRING], 'foo', 2, 'Bar')).toBe('fo');
    expect(run('RPAD', [STRING, INTEGER, STRING], 'foo', 5, 'Bar')).toBe('fooBa');
    expect(run('RPAD', [STRING, INTEGER, STRING], 'foo', -1, 'Bar')).toBeNull();
    expect(run('RPAD', [STRING, INTEGER, STRING], 'foo', 5, '')).toBeNull();
    expect((run('LPAD', [BYTES, INTEGER, BYTES], Buffer.from('foo'), 5, Buffer.from('ab')) as Buffer).toString()).toBe('abfoo');
  });

  it('MASK family', () => {
    expect(run('MASK', [STRING], 'AbC-12 x')).toBe('XxX-nn-x');
    expect(run('MASK', [STRING, STRING, STRING, STRING, STRING], 'AbC-12', '*', null, '#', null)).toBe('*b*-##');
    expect(run('MASK_LEFT', [STRING, INTEGER], 'AbCd12', 3)).toBe('XxXd12');
    expect(run('MASK_RIGHT', [STRING, INTEGER], 'AbCd12', 3)).toBe('AbCxnn');
    expect(run('MASK_KEEP_LEFT', [STRING, INTEGER], 'AbCd12', 3)).toBe('AbCxnn');
    expect(run('MASK_KEEP_RIGHT', [STRING, INTEGER], 'AbCd12', 3)).toBe('XxXd12');
  });

  it('regular expressions', () => {
    expect(run('REGEXP_EXTRACT', [STRING, STRING], 'test.', 'some_test_string')).toBe('test_');
    expect(run('REGEXP_EXTRACT', [STRING, STRING], 'test.', 'anothertest')).toBeNull();
    expect(run('REGEXP_EXTRACT', [STRING, STRING, INTEGER], '(.*) (.*)', 'steven zhang', 2)).toBe('zhang');
    expect(run('REGEXP_EXTRACT_ALL', [STRING, STRING, INTEGER], '(\\w+) (\\w*)', 'apurva mehta agavra ', 2)).toEqual(['mehta', '']);
    expect(run('REGEXP_REPLACE', [STRING, STRING, STRING], 'baabbabaa', '(ab)+', 'cat')).toBe('bacatbcataa');
    expect(run('REGEXP_REPLACE', [STRING, STRING, STRING], 'john smith', '(\\w+) (\\w+)', '$2, $1')).toBe('smith, john');
    expect(run('REGEXP_SPLIT_TO_ARRAY', [STRING, STRING], 'aabcda', '(ab|cd)')).toEqual(['a', '', 'a']);
    expect(run('REGEXP_EXTRACT', [STRING, STRING], '(?i)TEST', 'a test')).toBe('test');
  });

  it('SPLIT and SPLIT_TO_MAP', () => {
    expect(run('SPLIT', [STRING, STRING], '..a..', '.')).toEqual(['', '', 'a', '', '']);
    expect(run('SPLIT', [STRING, STRING], 'abc', '')).toEqual(['a', 'b', 'c']);
    expect((run('SPLIT', [BYTES, BYTES], b64('YS5iLmM='), Buffer.from('.')) as Buffer[]).map((b) => b.toString('base64'))).toEqual([
      'YQ==',
      'Yg==',
      'Yw==',
    ]);
    expect(run('SPLIT_TO_MAP', [STRING, STRING, STRING], 'a=1;b=2;c', ';', '=')).toEqual(new Map([['a', '1'], ['b', '2']]));
  });

  it('CHR, REPLACE, MD5, ENCODE, UUID', () => {
    expect(run('CHR', [INTEGER], 99000)).toBe('\ud820\udeb8');
    expect(run('CHR', [INTEGER], -1)).toBeNull();
    expect(run('CHR', [STRING], '\\ud820\\udeb8')).toBe('\ud820\udeb8');
    expect(run('CHR', [STRING], '004b')).toBeNull();
    expect(run('REPLACE', [STRING, STRING, STRING], 'anaconda', 'a', 'o')).toBe('onocondo');
    expect(run('MD5', [STRING], 'r1')).toBe('7c92cf1eee8d99cc85f8355a3d6e4b86');
    expect(run('ENCODE', [STRING, STRING, STRING], '4578616d706C6521', 'hex', 'base64')).toBe('RXhhbXBsZSE=');
    expect(run('ENCODE', [STRING, STRING, STRING], 'c39c6265726d656e736368', 'hex', 'ascii')).toBe('\ufffd\ufffdbermensch');
    expect(run('ENCODE', [STRING, STRING, STRING], 'Ελλάδα', 'ascii', 'hex')).toBe('3f3f3f3f3f3f');
    expect(run('ENCODE', [STRING, STRING, STRING], 'RXhhbXBsZSE=', 'base64', 'null')).toBeNull();
    // hex input also as 0x.. (an odd digit count gets a leading 0) and X'..'
    expect(run('ENCODE', [STRING, STRING, STRING], '0x578616d706C6521', 'hex', 'base64')).toBe('BXhhbXBsZSE=');
    expect(run('ENCODE', [STRING, STRING, STRING], "x'4578616d706C6521'", 'hex', 'utf8')).toBe('Example!');
    expect(run('ENCODE', [STRING, STRING, STRING], "X''", 'hex', 'utf8')).toBe('');
    // an odd count otherwise is an error (the row's value becomes null)
    expect(() => run('ENCODE', [STRING, STRING, STRING], "x'578616d706C6521'", 'hex', 'utf8')).toThrow('Invalid hex string');
    expect(() => run('ENCODE', [STRING, STRING, STRING], '578616d706C6521', 'hex', 'utf8')).toThrow('Invalid hex string');
    expect(resolve('UUID', []).volatile).toBe(true);
    expect(run('UUID', [])).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });
});

describe('bytes functions', () => {
  it('TO_BYTES / FROM_BYTES', () => {
    expect(run('FROM_BYTES', [BYTES, STRING], b64('GrI='), 'hex')).toBe('1AB2');
    expect((run('TO_BYTES', [STRING, STRING], '1aB2', 'hex') as Buffer).toString('base64')).toBe('GrI=');
    expect(run('FROM_BYTES', [BYTES, STRING], b64('IQ=='), 'utf8')).toBe('!');
  });

  it('numeric decoders', () => {
    expect(run('INT_FROM_BYTES', [BYTES], b64('AAAH5Q=='))).toBe(2021);
    expect(run('BIGINT_FROM_BYTES', [BYTES], b64('AAAAASoF8gA='))).toBe(5000000000n);
    expect(run('DOUBLE_FROM_BYTES', [BYTES], b64('QICm/ZvJ9YI='))).toBe(532.8738323);
    expect(run('INT_FROM_BYTES', [BYTES, STRING], Buffer.from([0xe5, 0x07, 0, 0]), 'LITTLE_ENDIAN')).toBe(2021);
    expect(() => run('INT_FROM_BYTES', [BYTES], Buffer.from([1]))).toThrow('Number of bytes must be equal to 4');
  });
});
