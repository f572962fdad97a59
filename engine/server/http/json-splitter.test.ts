import { describe, expect, it } from 'vitest';
import { JsonSplitter, type SplitValue } from './json-splitter.js';

function split(chunks: readonly string[], max = 1000): SplitValue[] {
  const out: SplitValue[] = [];
  const s = new JsonSplitter(max, (v) => out.push(v));
  for (const c of chunks) s.push(c);
  s.end();
  return out;
}

describe('JsonSplitter', () => {
  it('splits values across chunks, with or without separators, strings with braces and escapes kept', () => {
    const text = '{"target":"S"}\n{"A":"}{\\"x"}{"B":[1,{"c":2}]} [3]';
    const whole = split([text]);
    expect(whole).toEqual([
      { kind: 'value', text: '{"target":"S"}' },
      { kind: 'value', text: '{"A":"}{\\"x"}' },
      { kind: 'value', text: '{"B":[1,{"c":2}]}' },
      { kind: 'value', text: '[3]' },
    ]);
    // the same, one character per chunk
    expect(split([...text])).toEqual(whole);
  });

  it('marks a value over the limit as oversized without keeping it, and goes on after it', () => {
    const out = split(['{"a":"', 'x'.repeat(5000), '"}', '{"b":1}'], 100);
    expect(out).toEqual([{ kind: 'oversized', bytes: 5008 }, { kind: 'value', text: '{"b":1}' }]);
  });

  it('refuses top-level scalars and reports a truncated value at the end', () => {
    expect(split(['12 "x" {"a":1} {"b":'])).toEqual([
      { kind: 'invalid', text: '12' },
      { kind: 'invalid', text: '"x"' },
      { kind: 'value', text: '{"a":1}' },
      { kind: 'invalid', text: '{"b":' },
    ]);
  });

  it('takes a large value split in many chunks in linear time', () => {
    const chunks = ['{"v":"', ...Array.from({ length: 20_000 }, () => 'y'.repeat(1000)), '"}'];
    const out = split(chunks, 30_000_000);
    expect(out).toHaveLength(1);
    expect(out[0]!.kind === 'value' && out[0]!.text.length).toBe(20_000_008);
  });
});
