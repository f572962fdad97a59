import type { Expr } from './ast/expression.js';
import type { Loc } from './ast/node.js';
import type { Statement } from './ast/statement.js';
import { tokenLoc, tokenize, type Token } from './lexer.js';
import { ParseError } from './parse-error.js';
import { parseExpr } from './parse-expression.js';
import { parseStatementTokens } from './parse-statement.js';
import { TokenCursor } from './token-cursor.js';
import { substituteVariables } from './variables.js';

/** The source text of one statement and its tokens (ending with `;` or `eof`). */
export interface StatementSlice {
  readonly text: string;
  readonly loc: Loc;
  readonly tokens: readonly Token[];
}

/**
 * Splits a token stream at top-level `;`. Each slice's token list ends with its
 * `;` when present, otherwise with a synthetic `eof`.
 */
export function sliceStatements(source: string, tokens: readonly Token[]): StatementSlice[] {
  const out: StatementSlice[] = [];
  let cur: Token[] = [];
  for (const t of tokens) {
    if (t.kind === 'eof') {
      if (cur.length > 0) {
        const first = cur[0]!;
        const last = cur[cur.length - 1]!;
        out.push({ text: source.slice(first.start, last.end), loc: tokenLoc(first), tokens: [...cur, t] });
      }
      break;
    }
    if (t.kind === 'symbol' && t.value === ';') {
      if (cur.length > 0) {
        const first = cur[0]!;
        out.push({ text: source.slice(first.start, t.end), loc: tokenLoc(first), tokens: [...cur, t] });
      }
      cur = [];
      continue;
    }
    cur.push(t);
  }
  return out;
}
/**
 * Parses a script of `;`-separated statements. `origin` is where `text` starts
 * when it was cut from a larger script (e.g. a piece from splitStatements), so
 * that locations and error positions stay relative to that script.
 */
export function parseStatements(text: string, origin: Loc = { line: 1, column: 1 }): Statement[] {
  const tokens = tokenize(text, origin);
  const out: Statement[] = [];
  for (const slice of sliceStatements(text, tokens)) {
    const c = new TokenCursor(slice.tokens);
    try {
      out.push(parseStatementTokens(c, slice.text));
    } catch (e) {
      if (e instanceof ParseError) throw e.withStatement(slice.text);
      throw e;
    }
  }
  return out;
}

/**
 * Parses a script the way ksqlDB runs one: statement by statement, replacing
 * `${name}` references with the variables defined so far. DEFINE and UNDEFINE
 * statements update `vars` (in place) as they are met, and are returned too.
 * A substituted statement's `text` is the text after substitution.
 */
export function parseScript(text: string, vars: Map<string, string> = new Map()): Statement[] {
  const tokens = tokenize(text);
  const out: Statement[] = [];
  for (const slice of sliceStatements(text, tokens)) {
    let { text: stText, tokens: stTokens } = slice;
    if (vars.size > 0 && slice.tokens.some((t) => t.kind === 'variable' || ((t.kind === 'string' || t.kind === 'quoted') && t.value.includes('${')))) {
      stText = substituteVariables(slice.text, vars);
      stTokens = tokenize(stText, slice.loc);
    }
    const c = new TokenCursor(stTokens);
    let st: Statement;
    try {
      st = parseStatementTokens(c, stText);
    } catch (e) {
      if (e instanceof ParseError) throw e.withStatement(stText);
      throw e;
    }
    if (st.kind === 'DefineVariable') vars.set(st.name, st.value);
    else if (st.kind === 'UndefineVariable') {
      for (const k of [...vars.keys()]) if (k.toUpperCase() === st.name.toUpperCase()) vars.delete(k);
    }
    out.push(st);
  }
  return out;
}

/** Parses one expression, e.g. as stored in a plan. */
export function parseExpression(text: string): Expr {
  const c = new TokenCursor(tokenize(text));
  const e = parseExpr(c);
  c.expectEnd();
  return e;
}
