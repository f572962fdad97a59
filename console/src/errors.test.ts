import { describe, expect, it } from 'vitest';
import { errorMark } from './errors.js';

describe('errorMark', () => {
  it('places a syntax error at the line and column of the message, on the word there', () => {
    const script = 'SHOW STREAMS;\nCREATE STREAM X AS SELEC PAGE FROM CLICKS;';
    const m = errorMark(script, { '@type': 'statement_error', message: "line 2:20: Syntax Error\nExpecting {'SELECT'}", statementText: script });
    expect([m.line, m.column]).toEqual([2, 20]);
    expect(script.slice(m.from, m.to)).toBe('SELEC');
  });

  it('counts a position inside the failing statement from that statement', () => {
    const script = 'SHOW STREAMS;\n\nSELEC 1;';
    const m = errorMark(script, { '@type': 'statement_error', message: 'line 1:1: Syntax Error', statementText: 'SELEC 1;' });
    expect([m.line, m.column]).toEqual([3, 1]);
    expect(script.slice(m.from, m.to)).toBe('SELEC');
  });

  it('marks the whole statement an error without a position names', () => {
    const script = 'SHOW STREAMS;\nCREATE STREAM T AS SELECT NOPE FROM S;';
    const stmt = 'CREATE STREAM T AS SELECT NOPE FROM S;';
    const m = errorMark(script, { '@type': 'statement_error', message: "SELECT column 'NOPE' cannot be resolved.", statementText: stmt });
    expect([m.line, m.column]).toEqual([2, 1]);
    expect(script.slice(m.from, m.to)).toBe(stmt);
  });
});
