import { KsqlError } from '../errors.js';
import type { Loc } from './ast/node.js';

/**
 * A syntax error. The message follows ksqlDB's layout:
 *
 *     line L:C: Syntax Error
 *     <detail>
 *     Statement: <statement text>
 *
 * `loc` is 1-based and relative to the whole script that was parsed.
 */
export class ParseError extends KsqlError {
  constructor(
    loc: Loc,
    /** the part after `Syntax Error\n`, e.g. `mismatched input 'FROM' expecting ...` */
    readonly detail: string,
    /** the source text of the statement that failed, when known */
    readonly statementText: string | null = null,
  ) {
    super(formatMessage(loc, detail, statementText), loc, 'ParseError');
  }

  /** The same error, with the failing statement's text appended to the message. */
  withStatement(text: string): ParseError {
    if (this.statementText !== null) return this;
    return new ParseError(this.loc ?? { line: 1, column: 1 }, this.detail, text);
  }
}

function formatMessage(loc: Loc, detail: string, statementText: string | null): string {
  const head = `line ${loc.line}:${loc.column}: Syntax Error\n${detail}`;
  return statementText === null ? head : `${head}\nStatement: ${statementText}`;
}
