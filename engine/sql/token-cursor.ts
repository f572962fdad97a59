import type { TimeUnit } from './ast/expression.js';
import type { Duration } from './ast/query.js';
import { RESERVED } from './keywords.js';
import { tokenLoc, type Token } from './lexer.js';
import { ParseError } from './parse-error.js';

/** Time unit words, singular and plural, with their length in milliseconds. */
export const UNITS: Readonly<Record<string, { unit: TimeUnit; ms: number }>> = {
  MILLISECOND: { unit: 'MILLISECONDS', ms: 1 },
  MILLISECONDS: { unit: 'MILLISECONDS', ms: 1 },
  SECOND: { unit: 'SECONDS', ms: 1000 },
  SECONDS: { unit: 'SECONDS', ms: 1000 },
  MINUTE: { unit: 'MINUTES', ms: 60_000 },
  MINUTES: { unit: 'MINUTES', ms: 60_000 },
  HOUR: { unit: 'HOURS', ms: 3_600_000 },
  HOURS: { unit: 'HOURS', ms: 3_600_000 },
  DAY: { unit: 'DAYS', ms: 86_400_000 },
  DAYS: { unit: 'DAYS', ms: 86_400_000 },
};
const UNIT_NAMES = Object.keys(UNITS).map((u) => `'${u}'`);

export function display(t: Token): string {
  return t.kind === 'eof' ? '<EOF>' : t.text;
}

/**
 * A position in the token list of one statement (ending with `;` or `eof`),
 * with the small matching helpers and the error builders every parsing
 * function shares. The parsing functions themselves live one construct per
 * file: parse-expression.ts, parse-type.ts, parse-query.ts, parse-statement.ts.
 */
export class TokenCursor {
  pos = 0;

  constructor(private readonly tokens: readonly Token[]) {}

  peek(k = 0): Token {
    const i = Math.min(this.pos + k, this.tokens.length - 1);
    return this.tokens[i]!;
  }

  next(): Token {
    const t = this.peek();
    if (this.pos < this.tokens.length - 1) this.pos++;
    return t;
  }

  isWord(w: string, k = 0): boolean {
    const t = this.peek(k);
    return t.kind === 'word' && t.value === w;
  }

  isSym(s: string, k = 0): boolean {
    const t = this.peek(k);
    return t.kind === 'symbol' && t.value === s;
  }

  acceptWord(w: string): boolean {
    if (this.isWord(w)) {
      this.pos++;
      return true;
    }
    return false;
  }

  acceptSym(s: string): boolean {
    if (this.isSym(s)) {
      this.pos++;
      return true;
    }
    return false;
  }

  expectWord(w: string): Token {
    if (this.isWord(w)) return this.next();
    throw this.mismatch([`'${w}'`]);
  }

  expectSym(s: string): Token {
    if (this.isSym(s)) return this.next();
    throw this.mismatch([`'${s}'`]);
  }

  atEnd(): boolean {
    const t = this.peek();
    return t.kind === 'eof' || (t.kind === 'symbol' && t.value === ';');
  }

  atEndAfter(k: number): boolean {
    const t = this.peek(k);
    return t.kind === 'eof' || (t.kind === 'symbol' && t.value === ';');
  }

  /** No alternative of a choice matches the current token. */
  noViable(t: Token = this.peek()): ParseError {
    return new ParseError(tokenLoc(t), `Syntax error at or near '${display(t)}' at line ${t.line}:${t.column}`);
  }

  /** The current token is not one of `expected`. */
  mismatch(expected: readonly string[], t: Token = this.peek()): ParseError {
    if (expected.length === 1) {
      const after = this.peek(1);
      const want = expected[0]!;
      if (t.kind !== 'eof' && `'${after.value}'` === want && after.kind !== 'string') {
        return new ParseError(tokenLoc(t), `extraneous input '${display(t)}' expecting ${want}`);
      }
      if (want.startsWith("'") && (t.kind === 'symbol' || t.kind === 'eof')) {
        return new ParseError(tokenLoc(t), `missing ${want} at '${display(t)}'`);
      }
    }
    if (t.kind === 'word' && RESERVED.has(t.value)) {
      return new ParseError(
        tokenLoc(t),
        `Syntax error at or near '${display(t)}' at line ${t.line}:${t.column}\nExpecting {${expected.join(', ')}}`,
      );
    }
    return new ParseError(tokenLoc(t), `Expecting {${expected.join(', ')}}`);
  }

  duration(): Duration {
    const value = this.integer();
    const t = this.peek();
    const u = t.kind === 'word' ? UNITS[t.value] : undefined;
    if (u === undefined) throw this.mismatch(UNIT_NAMES);
    this.next();
    return { value, unit: u.unit, ms: value * u.ms };
  }

  integer(): number {
    const t = this.peek();
    if (t.kind !== 'integer') throw this.mismatch(['INTEGER_VALUE']);
    this.next();
    return Number(t.value);
  }

  stringLiteral(): string {
    const t = this.peek();
    if (t.kind !== 'string') throw this.mismatch(['STRING']);
    this.next();
    return t.value;
  }

  /** An identifier: unquoted (upper-cased, not reserved) or quoted (as written). */
  identifier(): string {
    const t = this.peek();
    if (t.kind === 'quoted') {
      this.next();
      return t.value;
    }
    if (t.kind === 'word') {
      if (RESERVED.has(t.value)) throw this.noViable(t);
      this.next();
      return t.value;
    }
    throw this.mismatch(['IDENTIFIER']);
  }

  /** After a standalone expression, only the end of input may follow. */
  expectEnd(): void {
    if (this.peek().kind !== 'eof') throw this.mismatch(['<EOF>']);
  }
}
