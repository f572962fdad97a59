import { describe, expect, it } from 'vitest';
import { KsqlError } from '../errors.js';
import { astError, ClauseError, inClauseMessage, semanticError } from './errors.js';

const loc = { line: 2, column: 30 };

describe('semantic errors', () => {
  it('carry their code and ksqlDB text', () => {
    const e = semanticError('UntypedNull', {}, loc);
    expect(e).toBeInstanceOf(KsqlError);
    expect(e.code).toBe('UntypedNull');
    expect(e.message).toBe("Can't infer a type of null. Please explicitly cast it to a required type, e.g. CAST(null AS VARCHAR).");
  });

  it('put the position first where ksqlDB locates the error', () => {
    expect(semanticError('UnknownColumn', { clause: 'SELECT', column: 'X' }, loc).message).toBe("Line: 2, Col: 30: SELECT column 'X' cannot be resolved.");
    expect(semanticError('UnknownColumn', { clause: 'SELECT', column: 'X' }, null).message).toBe("SELECT column 'X' cannot be resolved.");
  });

  it('word literal range errors as the AST builder does', () => {
    expect(astError('DoubleOverflow', { text: '1.8E308' }, loc).message).toBe('Failed to prepare statement: line 2:31: Number overflows DOUBLE: 1.8E308');
  });

  it('are reworded per clause by code, not by text', () => {
    const cmp = semanticError('ComparisonTypes', { message: 'Cannot compare A (INTEGER) to B (STRING) with EQUAL.' });
    expect(inClauseMessage('WHERE', cmp)).toBe('Error in WHERE expression: Cannot compare A (INTEGER) to B (STRING) with EQUAL.');
    expect(inClauseMessage('SELECT', cmp)).toBeNull();
    expect(inClauseMessage('SELECT', semanticError('CastNotSupported', { message: 'Cast of X' }))).toBe('Invalid Select: Cast of X');
    // a message that merely starts like one is not reworded
    expect(inClauseMessage('WHERE', new KsqlError('Cannot compare, says a user function'))).toBeNull();
    const wrapped = new ClauseError('Error in WHERE expression: x', 'WHERE', cmp);
    expect(wrapped.code).toBe('ComparisonTypes');
    expect(wrapped.inner).toBe(cmp);
  });
});
