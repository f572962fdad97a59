import type { Loc } from './ast/node.js';
import { tokenize } from './lexer.js';
import { sliceStatements } from './parser.js';

export interface StatementText {
  /** the statement's source, trimmed, with its trailing `;` when present */
  readonly text: string;
  /** position of its first token in the script */
  readonly loc: Loc;
}

/**
 * Splits a script at top-level `;` (ignoring those inside strings, quoted
 * identifiers and comments) without parsing the statements.
 * Throws ParseError only for lexical errors such as an unterminated string.
 */
export function splitStatements(text: string): StatementText[] {
  return sliceStatements(text, tokenize(text)).map(({ text: t, loc }) => ({ text: t, loc }));
}
