import { describe, expect, it } from 'vitest';
import { STRING } from '../../types/sql-type.js';
import { run } from './test-util.js';

describe('url functions', () => {
  it('encode / decode parameters like URLEncoder', () => {
    expect(run('URL_ENCODE_PARAM', [STRING], '?foo $bar')).toBe('%3Ffoo+%24bar');
    expect(run('URL_DECODE_PARAM', [STRING], '%3Ffoo+%24bar')).toBe('?foo $bar');
  });

  it('extracts URI components', () => {
    const u = 'http://test@confluent.io:8080/nested/path?q=2&two=url%20encoded#frag';
    expect(run('URL_EXTRACT_HOST', [STRING], u)).toBe('confluent.io');
    expect(run('URL_EXTRACT_PORT', [STRING], u)).toBe(8080);
    expect(run('URL_EXTRACT_PORT', [STRING], 'http://test@confluent.io')).toBeNull();
    expect(run('URL_EXTRACT_PATH', [STRING], u)).toBe('/nested/path');
    expect(run('URL_EXTRACT_PATH', [STRING], 'http://www.test.com?query#fragment')).toBe('');
    expect(run('URL_EXTRACT_QUERY', [STRING], 'http://www.test.com/path?q1&q2')).toBe('q1&q2');
    expect(run('URL_EXTRACT_FRAGMENT', [STRING], u)).toBe('frag');
    expect(run('URL_EXTRACT_FRAGMENT', [STRING], 'http://www.nofragment.com')).toBeNull();
    expect(run('URL_EXTRACT_PROTOCOL', [STRING], 'www.confluent.io')).toBeNull();
    expect(run('URL_EXTRACT_PROTOCOL', [STRING], u)).toBe('http');
    expect(run('URL_EXTRACT_PARAMETER', [STRING, STRING], u, 'two')).toBe('url%20encoded');
    expect(run('URL_EXTRACT_PARAMETER', [STRING, STRING], u, 'three')).toBeNull();
  });
});
