import type { Expr, WhenClause } from './ast/expression.js';
import { RESERVED } from './keywords.js';
import { tokenLoc } from './lexer.js';
import { parseType } from './parse-type.js';
import { UNITS, type TokenCursor } from './token-cursor.js';

const COMPARISON: Readonly<Record<string, '=' | '<>' | '<' | '<=' | '>' | '>='>> = {
  '=': '=',
  '<>': '<>',
  '<': '<',
  '<=': '<=',
  '>': '>',
  '>=': '>=',
};

/**
 * Expressions, loosest first: OR < AND < NOT < comparison / IS / BETWEEN / IN /
 * LIKE < + - || < * / % < unary - + < postfix [i] and -> < primary.
 */
export function parseExpr(c: TokenCursor): Expr {
  return parseOr(c);
}

function parseOr(c: TokenCursor): Expr {
  let left = parseAnd(c);
  while (c.isWord('OR')) {
    c.next();
    left = { kind: 'Logical', op: 'OR', left, right: parseAnd(c), loc: left.loc };
  }
  return left;
}

function parseAnd(c: TokenCursor): Expr {
  let left = parseNot(c);
  while (c.isWord('AND')) {
    c.next();
    left = { kind: 'Logical', op: 'AND', left, right: parseNot(c), loc: left.loc };
  }
  return left;
}

function parseNot(c: TokenCursor): Expr {
  if (c.isWord('NOT')) {
    const loc = tokenLoc(c.next());
    return { kind: 'Not', operand: parseNot(c), loc };
  }
  return parsePredicate(c);
}

function parsePredicate(c: TokenCursor): Expr {
  const operand = parseAdditive(c);
  const t = c.peek();
  const loc = operand.loc;
  if (t.kind === 'symbol') {
    const op = COMPARISON[t.value];
    if (op !== undefined) {
      c.next();
      return { kind: 'Comparison', op, left: operand, right: parseAdditive(c), loc };
    }
    return operand;
  }
  if (t.kind !== 'word') return operand;
  if (t.value === 'IS') {
    c.next();
    const negated = c.acceptWord('NOT');
    if (c.acceptWord('NULL')) return { kind: 'IsNull', operand, negated, loc };
    if (c.acceptWord('DISTINCT')) {
      c.expectWord('FROM');
      const right = parseAdditive(c);
      return { kind: 'Comparison', op: negated ? 'IS NOT DISTINCT FROM' : 'IS DISTINCT FROM', left: operand, right, loc };
    }
    throw c.mismatch(["'NULL'", "'DISTINCT'"]);
  }
  let negated = false;
  if (t.value === 'NOT' && c.peek(1).kind === 'word' && ['BETWEEN', 'IN', 'LIKE'].includes(c.peek(1).value)) {
    c.next();
    negated = true;
  }
  if (c.acceptWord('BETWEEN')) {
    const low = parseAdditive(c);
    c.expectWord('AND');
    const high = parseAdditive(c);
    return { kind: 'Between', operand, low, high, negated, loc };
  }
  if (c.acceptWord('IN')) {
    c.expectSym('(');
    const list: Expr[] = [];
    if (!c.isSym(')')) {
      do list.push(parseExpr(c));
      while (c.acceptSym(','));
    }
    c.expectSym(')');
    return { kind: 'InList', operand, list, negated, loc };
  }
  if (c.acceptWord('LIKE')) {
    const pattern = parseAdditive(c);
    let escape: string | null = null;
    if (c.acceptWord('ESCAPE')) escape = c.stringLiteral();
    return { kind: 'Like', operand, pattern, escape, negated, loc };
  }
  return operand;
}

export function parseAdditive(c: TokenCursor): Expr {
  let left = parseMultiplicative(c);
  for (;;) {
    const t = c.peek();
    if (t.kind !== 'symbol') return left;
    if (t.value === '+' || t.value === '-') {
      c.next();
      left = { kind: 'Arithmetic', op: t.value, left, right: parseMultiplicative(c), loc: left.loc };
    } else if (t.value === '||') {
      c.next();
      left = { kind: 'FunctionCall', name: 'CONCAT', args: [left, parseMultiplicative(c)], star: false, loc: left.loc };
    } else return left;
  }
}

function parseMultiplicative(c: TokenCursor): Expr {
  let left = parseUnary(c);
  for (;;) {
    const t = c.peek();
    if (t.kind !== 'symbol' || (t.value !== '*' && t.value !== '/' && t.value !== '%')) return left;
    c.next();
    left = { kind: 'Arithmetic', op: t.value, left, right: parseUnary(c), loc: left.loc };
  }
}

function parseUnary(c: TokenCursor): Expr {
  const t = c.peek();
  if (t.kind === 'symbol' && t.value === '-') {
    c.next();
    return { kind: 'Negate', operand: parseUnary(c), loc: tokenLoc(t) };
  }
  if (t.kind === 'symbol' && t.value === '+') {
    c.next();
    return parseUnary(c);
  }
  return parsePostfix(c);
}

function parsePostfix(c: TokenCursor): Expr {
  let base = parsePrimary(c);
  for (;;) {
    const t = c.peek();
    if (t.kind === 'symbol' && t.value === '[') {
      c.next();
      const index = parseExpr(c);
      c.expectSym(']');
      base = { kind: 'Subscript', base, index, loc: base.loc };
    } else if (t.kind === 'symbol' && t.value === '->' && !c.isSym('*', 1)) {
      c.next();
      const f = c.peek();
      if (f.kind !== 'word' && f.kind !== 'quoted') throw c.mismatch(['IDENTIFIER']);
      c.next();
      base = { kind: 'Dereference', base, field: f.value, loc: base.loc };
    } else return base;
  }
}

function parsePrimary(c: TokenCursor): Expr {
  const t = c.peek();
  const loc = tokenLoc(t);
  switch (t.kind) {
    case 'integer':
    case 'decimal':
    case 'double':
      c.next();
      return { kind: 'NumberLiteral', text: t.value, loc };
    case 'string':
      c.next();
      return { kind: 'StringLiteral', value: t.value, loc };
    case 'variable':
      c.next();
      return { kind: 'Variable', name: t.value, loc };
    case 'quoted':
      return parseNameExpr(c);
    case 'symbol':
      if (t.value === '(') return parseParenthesised(c);
      throw c.noViable(t);
    case 'eof':
      throw c.noViable(t);
    case 'word':
      break;
  }
  switch (t.value) {
    case 'TRUE':
    case 'FALSE':
      c.next();
      return { kind: 'BooleanLiteral', value: t.value === 'TRUE', loc };
    case 'NULL':
      c.next();
      return { kind: 'NullLiteral', loc };
    case 'CASE':
      return parseCaseExpr(c);
    case 'CAST': {
      c.next();
      c.expectSym('(');
      const operand = parseExpr(c);
      c.expectWord('AS');
      const type = parseType(c);
      c.expectSym(')');
      return { kind: 'Cast', operand, type, loc };
    }
    case 'ARRAY':
      if (c.isSym('[', 1)) {
        c.next();
        c.next();
        const items: Expr[] = [];
        if (!c.isSym(']')) {
          do items.push(parseExpr(c));
          while (c.acceptSym(','));
        }
        c.expectSym(']');
        return { kind: 'ArrayConstructor', items, loc };
      }
      break;
    case 'MAP':
      if (c.isSym('(', 1)) {
        c.next();
        c.next();
        const entries: { key: Expr; value: Expr }[] = [];
        if (!c.isSym(')')) {
          do {
            const key = parseExpr(c);
            c.expectSym(':=');
            entries.push({ key, value: parseExpr(c) });
          } while (c.acceptSym(','));
        }
        c.expectSym(')');
        return { kind: 'MapConstructor', entries, loc };
      }
      break;
    case 'STRUCT':
      if (c.isSym('(', 1)) {
        c.next();
        c.next();
        const fields: { name: string; value: Expr }[] = [];
        if (!c.isSym(')')) {
          do {
            const name = parseFieldName(c);
            c.expectSym(':=');
            fields.push({ name, value: parseExpr(c) });
          } while (c.acceptSym(','));
        }
        c.expectSym(')');
        return { kind: 'StructConstructor', fields, loc };
      }
      break;
    default:
      break;
  }
  if (RESERVED.has(t.value)) throw c.noViable(t);
  return parseNameExpr(c);
}

/** A struct field name in STRUCT(name := v): any word, reserved or not. */
function parseFieldName(c: TokenCursor): string {
  const t = c.peek();
  if (t.kind === 'word' || t.kind === 'quoted') {
    c.next();
    return t.value;
  }
  throw c.mismatch(['IDENTIFIER']);
}

/** A column reference, function call or single-parameter lambda. */
function parseNameExpr(c: TokenCursor): Expr {
  const t = c.peek();
  const loc = tokenLoc(t);
  if (c.isSym('=>', 1)) {
    c.next();
    c.next();
    return { kind: 'Lambda', params: [t.value], body: parseExpr(c), loc };
  }
  if (c.isSym('(', 1)) {
    c.next();
    c.next();
    if (c.acceptSym('*')) {
      c.expectSym(')');
      return { kind: 'FunctionCall', name: t.value, args: [], star: true, loc };
    }
    const args: Expr[] = [];
    if (!c.isSym(')')) {
      args.push(parseFunctionArgument(c, true));
      while (c.acceptSym(',')) args.push(parseFunctionArgument(c, false));
    }
    if (!c.isSym(')')) throw c.mismatch(["','", "')'"]);
    c.next();
    return { kind: 'FunctionCall', name: t.value, args, star: false, loc };
  }
  const first = c.identifier();
  if (c.isSym('.') && (c.peek(1).kind === 'word' || c.peek(1).kind === 'quoted')) {
    c.next();
    const name = c.identifier();
    return { kind: 'ColumnRef', source: first, name, loc };
  }
  return { kind: 'ColumnRef', source: null, name: first, loc };
}

/**
 * A function argument. A bare time unit word as the first argument (the
 * TIMESTAMPADD / DATEADD family) is an IntervalUnit; elsewhere it is a column.
 */
function parseFunctionArgument(c: TokenCursor, first: boolean): Expr {
  const t = c.peek();
  if (first && t.kind === 'word' && (c.isSym(',', 1) || c.isSym(')', 1))) {
    const u = UNITS[t.value];
    if (u !== undefined) {
      c.next();
      return { kind: 'IntervalUnit', unit: u.unit, loc: tokenLoc(t) };
    }
  }
  return parseExpr(c);
}

function parseParenthesised(c: TokenCursor): Expr {
  const open = c.peek();
  // (x, y) => body
  let k = 1;
  const params: string[] = [];
  for (;;) {
    const p = c.peek(k);
    if (p.kind !== 'word' && p.kind !== 'quoted') break;
    params.push(p.value);
    if (c.isSym(',', k + 1)) {
      k += 2;
      continue;
    }
    if (c.isSym(')', k + 1) && c.isSym('=>', k + 2)) {
      c.pos += k + 3;
      return { kind: 'Lambda', params, body: parseExpr(c), loc: tokenLoc(open) };
    }
    break;
  }
  c.next();
  const inner = parseExpr(c);
  c.expectSym(')');
  return inner;
}

function parseCaseExpr(c: TokenCursor): Expr {
  const loc = tokenLoc(c.expectWord('CASE'));
  let operand: Expr | null = null;
  if (!c.isWord('WHEN')) operand = parseExpr(c);
  const whens: WhenClause[] = [];
  while (c.acceptWord('WHEN')) {
    const when = parseExpr(c);
    c.expectWord('THEN');
    whens.push({ when, then: parseExpr(c) });
  }
  if (whens.length === 0) throw c.mismatch(["'WHEN'"]);
  let elseExpr: Expr | null = null;
  if (c.acceptWord('ELSE')) elseExpr = parseExpr(c);
  if (!c.isWord('END')) throw c.mismatch(["'WHEN'", "'ELSE'", "'END'"]);
  c.next();
  return operand === null
    ? { kind: 'SearchedCase', whens, else: elseExpr, loc }
    : { kind: 'SimpleCase', operand, whens, else: elseExpr, loc };
}
