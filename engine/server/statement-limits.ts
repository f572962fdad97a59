import { KsqlError } from '../errors.js';
import type { ServerLimits } from './limits.js';

/**
 * Refuses a statement text past the server's limits before it is parsed (the
 * parser and the expression compiler recurse once per nesting level) and so
 * before anything reaches the command topic: the depth of parentheses and
 * brackets, and the elements of one list (`IN (...)`, `ARRAY[...]`, a
 * function's arguments). One linear pass that skips string literals, quoted
 * identifiers and comments.
 */
export function checkStatementText(text: string, limits: Pick<ServerLimits, 'statementMaxNestingDepth' | 'statementMaxListElements'>): void {
  const elements: number[] = [1];
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const ch = text.charCodeAt(i);
    switch (ch) {
      case 0x27: // 'string'
      case 0x22: // "identifier"
      case 0x60: {
        // `identifier`
        i++;
        while (i < n) {
          if (text.charCodeAt(i) === ch) {
            if (text.charCodeAt(i + 1) === ch) i++;
            else break;
          }
          i++;
        }
        break;
      }
      case 0x2d: // -- comment
        if (text.charCodeAt(i + 1) === 0x2d) {
          const nl = text.indexOf('\n', i);
          i = nl < 0 ? n : nl;
        }
        break;
      case 0x2f: // /* comment */
        if (text.charCodeAt(i + 1) === 0x2a) {
          const end = text.indexOf('*/', i + 2);
          i = end < 0 ? n : end + 1;
        }
        break;
      case 0x28: // (
      case 0x5b: // [
        depth++;
        if (depth > limits.statementMaxNestingDepth)
          throw new KsqlError(`The statement nests parentheses or brackets more than ${limits.statementMaxNestingDepth} deep (ksetl.statement.max.nesting.depth).`);
        elements.push(1);
        break;
      case 0x29: // )
      case 0x5d: // ]
        if (depth > 0) {
          depth--;
          elements.pop();
        }
        break;
      case 0x2c: {
        // ,
        const k = elements.length - 1;
        const c = elements[k]! + 1;
        elements[k] = c;
        if (depth > 0 && c > limits.statementMaxListElements)
          throw new KsqlError(`A list in the statement has more than ${limits.statementMaxListElements} elements (ksetl.statement.max.list.elements).`);
        break;
      }
      default:
        break;
    }
  }
}
