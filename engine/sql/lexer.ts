import type { Loc } from './ast/node.js';
import { ParseError } from './parse-error.js';

export type TokenKind =
  /** an unquoted word: keyword or identifier; `value` is upper-cased */
  | 'word'
  /** a `back-ticked` or "double-quoted" identifier; `value` is unescaped, case kept */
  | 'quoted'
  /** a 'single-quoted' string literal; `value` is unescaped */
  | 'string'
  | 'integer'
  | 'decimal'
  | 'double'
  /** punctuation and operators; `value` is the symbol */
  | 'symbol'
  /** `${name}`; `value` is the name */
  | 'variable'
  | 'eof';

export interface Token {
  readonly kind: TokenKind;
  readonly value: string;
  /** the source text of the token */
  readonly text: string;
  /** offset of the first character in the source */
  readonly start: number;
  /** offset just past the last character */
  readonly end: number;
  readonly line: number;
  readonly column: number;
}

export function tokenLoc(t: Token): Loc {
  return { line: t.line, column: t.column };
}

const SYMBOLS = ['<>', '!=', '<=', '>=', '->', '=>', ':=', '||', '=', '<', '>', '+', '-', '*', '/', '%', '(', ')', '[', ']', ',', '.', ';', ':'];

function isLetter(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c.charCodeAt(0) > 127;
}
function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}
function isWordChar(c: string): boolean {
  return isLetter(c) || isDigit(c) || c === '_' || c === '@';
}

/**
 * Splits SQL text into tokens, dropping white space and `--` / `/* *\/` comments.
 * The last token is always `eof`. Lines and columns are 1-based; `origin` is the
 * position of the text's first character when it was cut from a larger script.
 */
export function tokenize(text: string, origin: Loc = { line: 1, column: 1 }): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  // `origin` places the text inside a larger script: columns of its first line are shifted
  let line = origin.line;
  let lineStart = -(origin.column - 1);
  const n = text.length;

  const locAt = (offset: number): Loc => {
    // only valid for offsets on the current line or later lines already scanned via advanceTo
    return { line, column: offset - lineStart + 1 };
  };
  /** move `pos` to `to`, counting newlines */
  const advanceTo = (to: number): void => {
    for (let i = pos; i < to; i++) {
      if (text[i] === '\n') {
        line++;
        lineStart = i + 1;
      }
    }
    pos = to;
  };
  const push = (kind: TokenKind, value: string, start: number, end: number, tl: number, tc: number): void => {
    tokens.push({ kind, value, text: text.slice(start, end), start, end, line: tl, column: tc });
  };

  while (pos < n) {
    const c = text[pos]!;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n' || c === '\f' || c === '\v' || c === '\u00a0' || c === '\ufeff') {
      advanceTo(pos + 1);
      continue;
    }
    if (c === '-' && text[pos + 1] === '-') {
      let e = text.indexOf('\n', pos);
      if (e < 0) e = n;
      advanceTo(e);
      continue;
    }
    if (c === '/' && text[pos + 1] === '*') {
      const e = text.indexOf('*/', pos + 2);
      if (e < 0) throw new ParseError(locAt(pos), `unterminated comment`);
      advanceTo(e + 2);
      continue;
    }
    const start = pos;
    const tl = line;
    const tc = pos - lineStart + 1;

    if (isLetter(c) || c === '_') {
      let e = pos + 1;
      while (e < n && isWordChar(text[e]!)) e++;
      const raw = text.slice(pos, e);
      push('word', raw.toUpperCase(), start, e, tl, tc);
      advanceTo(e);
      continue;
    }
    if (isDigit(c) || (c === '.' && isDigit(text[pos + 1] ?? ''))) {
      let e = pos;
      while (e < n && isDigit(text[e]!)) e++;
      let kind: TokenKind = 'integer';
      if (text[e] === '.' && !(text[e + 1] === '.')) {
        kind = 'decimal';
        e++;
        while (e < n && isDigit(text[e]!)) e++;
      }
      if ((text[e] === 'e' || text[e] === 'E') && (isDigit(text[e + 1] ?? '') || ((text[e + 1] === '+' || text[e + 1] === '-') && isDigit(text[e + 2] ?? '')))) {
        kind = 'double';
        e += 2;
        while (e < n && isDigit(text[e]!)) e++;
      }
      if (kind === 'integer' && e < n && isWordChar(text[e]!)) {
        // a digit-led identifier such as `1ABC`
        while (e < n && isWordChar(text[e]!)) e++;
        push('word', text.slice(pos, e).toUpperCase(), start, e, tl, tc);
        advanceTo(e);
        continue;
      }
      push(kind, text.slice(pos, e), start, e, tl, tc);
      advanceTo(e);
      continue;
    }
    if (c === "'" || c === '`' || c === '"') {
      let e = pos + 1;
      let value = '';
      for (;;) {
        if (e >= n) {
          const what = c === "'" ? 'string literal' : 'quoted identifier';
          throw new ParseError({ line: tl, column: tc }, `unterminated ${what} at or near '${text.slice(start, Math.min(n, start + 20))}'`);
        }
        const ch = text[e]!;
        if (ch === c) {
          if (text[e + 1] === c) {
            value += c;
            e += 2;
            continue;
          }
          e++;
          break;
        }
        value += ch;
        e++;
      }
      push(c === "'" ? 'string' : 'quoted', value, start, e, tl, tc);
      advanceTo(e);
      continue;
    }
    if (c === '$' && text[pos + 1] === '{') {
      const e = text.indexOf('}', pos + 2);
      if (e < 0) throw new ParseError({ line: tl, column: tc }, `unterminated variable reference`);
      push('variable', text.slice(pos + 2, e).trim(), start, e + 1, tl, tc);
      advanceTo(e + 1);
      continue;
    }
    const sym = SYMBOLS.find((s) => text.startsWith(s, pos));
    if (sym === undefined) {
      throw new ParseError({ line: tl, column: tc }, `token recognition error at: '${c}'`);
    }
    push('symbol', sym === '!=' ? '<>' : sym, start, pos + sym.length, tl, tc);
    advanceTo(pos + sym.length);
  }
  tokens.push({ kind: 'eof', value: '<EOF>', text: '', start: n, end: n, line, column: n - lineStart + 1 });
  return tokens;
}
