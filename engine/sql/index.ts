export type * from './ast/index.js';
export { parseStatements, parseScript, parseExpression, sliceStatements } from './parser.js';
export { TokenCursor } from './token-cursor.js';
export { splitStatements, type StatementText } from './split.js';
export { substituteVariables } from './variables.js';
export { ParseError } from './parse-error.js';
export { tokenize, type Token, type TokenKind } from './lexer.js';
export { RESERVED } from './keywords.js';
