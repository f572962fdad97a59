import type { Expr } from './ast/expression.js';
import type { AliasedSource, Duration, JoinType, Query, Relation, SelectItem, WindowExpr, WithinClause } from './ast/query.js';
import { ALIAS_STOP, RESERVED } from './keywords.js';
import { tokenLoc } from './lexer.js';
import { ParseError } from './parse-error.js';
import { parseAdditive, parseExpr } from './parse-expression.js';
import type { TokenCursor } from './token-cursor.js';

/** Clause keywords that may follow a relation in a query, for error messages. */
const AFTER_RELATION = ["'WINDOW'", "'WHERE'", "'GROUP'", "'PARTITION'", "'HAVING'", "'EMIT'", "'LIMIT'", "'JOIN'", "';'"];

export function parseQuery(c: TokenCursor): Query {
  const start = c.expectWord('SELECT');
  const select: SelectItem[] = [];
  do select.push(parseSelectItem(c));
  while (c.acceptSym(','));
  if (!c.isWord('FROM')) throw c.mismatch(["','", "'FROM'"]);
  c.next();
  const from = parseRelation(c);
  let window: WindowExpr | null = null;
  if (c.acceptWord('WINDOW')) window = parseWindow(c);
  let where: Expr | null = null;
  if (c.acceptWord('WHERE')) where = parseExpr(c);
  let groupBy: Expr[] | null = null;
  if (c.isWord('GROUP')) {
    c.next();
    c.expectWord('BY');
    groupBy = parseGroupingList(c);
  }
  let partitionBy: Expr[] | null = null;
  if (c.isWord('PARTITION')) {
    c.next();
    c.expectWord('BY');
    partitionBy = parseGroupingList(c);
  }
  let having: Expr | null = null;
  if (c.acceptWord('HAVING')) having = parseExpr(c);
  let emit: 'CHANGES' | 'FINAL' | null = null;
  if (c.acceptWord('EMIT')) {
    if (c.acceptWord('CHANGES')) emit = 'CHANGES';
    else if (c.acceptWord('FINAL')) emit = 'FINAL';
    else throw c.mismatch(["'CHANGES'", "'FINAL'"]);
  }
  let limit: number | null = null;
  // ksqlDB's grammar takes a signed number: a negative LIMIT is refused later, with its own message
  if (c.acceptWord('LIMIT')) limit = c.acceptSym('-') ? -c.integer() : c.integer();
  return { select, from, window, where, groupBy, partitionBy, having, emit, limit, loc: tokenLoc(start) };
}

/** `a, b` or `(a, b)` (the parenthesised form only as the whole list). */
function parseGroupingList(c: TokenCursor): Expr[] {
  if (c.isSym('(')) {
    const save = c.pos;
    try {
      c.next();
      const items: Expr[] = [];
      if (!c.isSym(')')) {
        do items.push(parseAdditive(c));
        while (c.acceptSym(','));
      }
      c.expectSym(')');
      if (c.atEnd() || ['HAVING', 'EMIT', 'LIMIT', 'PARTITION', 'WINDOW'].some((w) => c.isWord(w))) return items;
    } catch {
      // not a parenthesised list; parse as plain expressions below
    }
    c.pos = save;
  }
  const items: Expr[] = [];
  do items.push(parseAdditive(c));
  while (c.acceptSym(','));
  return items;
}

function parseSelectItem(c: TokenCursor): SelectItem {
  const t = c.peek();
  const loc = tokenLoc(t);
  if (c.acceptSym('*')) return { kind: 'AllColumns', source: null, loc };
  if ((t.kind === 'word' || t.kind === 'quoted') && c.isSym('.', 1) && c.isSym('*', 2)) {
    const source = c.identifier();
    c.next();
    c.next();
    return { kind: 'AllColumns', source, loc };
  }
  const expr = parseExpr(c);
  if (c.isSym('->') && c.isSym('*', 1)) {
    c.next();
    c.next();
    return { kind: 'AllFields', expr, loc };
  }
  let alias: string | null = null;
  if (c.acceptWord('AS')) alias = c.identifier();
  else if (isImplicitAlias(c)) alias = c.identifier();
  return { kind: 'SingleColumn', expr, alias, loc };
}

function isImplicitAlias(c: TokenCursor): boolean {
  const t = c.peek();
  return t.kind === 'quoted' || (t.kind === 'word' && !ALIAS_STOP.has(t.value));
}

function parseRelation(c: TokenCursor): Relation {
  let left: Relation = parseAliasedSource(c);
  for (;;) {
    const t = c.peek();
    let type: JoinType;
    if (c.acceptWord('JOIN')) type = 'INNER';
    else if (c.acceptWord('INNER')) {
      c.expectWord('JOIN');
      type = 'INNER';
    } else if (t.kind === 'word' && (t.value === 'LEFT' || t.value === 'RIGHT' || t.value === 'FULL')) {
      c.next();
      c.acceptWord('OUTER');
      c.expectWord('JOIN');
      type = t.value;
    } else break;
    const right = parseAliasedSource(c);
    let within: WithinClause | null = null;
    if (c.acceptWord('WITHIN')) {
      if (c.acceptSym('(')) {
        const before = c.duration();
        c.expectSym(',');
        const after = c.duration();
        c.expectSym(')');
        within = { before, after, grace: parseGrace(c) };
      } else {
        const d = c.duration();
        within = { before: d, after: d, grace: parseGrace(c) };
      }
    }
    if (!c.isWord('ON')) throw c.mismatch(within === null ? ["'WITHIN'", "'ON'"] : ["'ON'"]);
    c.next();
    const on = parseExpr(c);
    left = { kind: 'Join', type, left, right, within, on, loc: tokenLoc(t) };
  }
  return left;
}

function parseGrace(c: TokenCursor): Duration | null {
  if (!c.isWord('GRACE')) return null;
  c.next();
  c.expectWord('PERIOD');
  return c.duration();
}

function parseAliasedSource(c: TokenCursor): AliasedSource {
  const t = c.peek();
  if (t.kind !== 'quoted' && !(t.kind === 'word' && !RESERVED.has(t.value))) throw c.noViable(t);
  const name = c.identifier();
  let alias: string | null = null;
  if (c.acceptWord('AS')) alias = c.identifier();
  else if (isImplicitAlias(c)) alias = c.identifier();
  else if (!c.atEnd() && c.peek().kind !== 'word') throw c.mismatch(AFTER_RELATION);
  return { kind: 'Source', name, alias, loc: tokenLoc(t) };
}

function parseWindow(c: TokenCursor): WindowExpr {
  // an optional window name, as in `WINDOW w TUMBLING (...)`, is accepted and ignored
  if ((c.peek().kind === 'word' || c.peek().kind === 'quoted') && c.peek(1).kind === 'word' && ['TUMBLING', 'HOPPING', 'SESSION'].includes(c.peek(1).value)) {
    c.next();
  }
  const t = c.peek();
  const loc = tokenLoc(t);
  if (t.kind !== 'word' || !['TUMBLING', 'HOPPING', 'SESSION'].includes(t.value)) {
    throw c.mismatch(["'TUMBLING'", "'HOPPING'", "'SESSION'"]);
  }
  c.next();
  c.expectSym('(');
  let size: Duration;
  let advance: Duration | null = null;
  let retention: Duration | null = null;
  let grace: Duration | null = null;
  if (t.value === 'SESSION') size = c.duration();
  else {
    c.expectWord('SIZE');
    size = c.duration();
  }
  while (c.acceptSym(',')) {
    if (t.value === 'HOPPING' && c.isWord('ADVANCE')) {
      c.next();
      c.expectWord('BY');
      advance = c.duration();
    } else if (c.acceptWord('RETENTION')) {
      retention = c.duration();
    } else if (c.isWord('GRACE')) {
      grace = parseGrace(c);
    } else {
      throw c.mismatch(t.value === 'HOPPING' ? ["'ADVANCE'", "'RETENTION'", "'GRACE'"] : ["'RETENTION'", "'GRACE'"]);
    }
  }
  c.expectSym(')');
  switch (t.value) {
    case 'TUMBLING':
      return { kind: 'Tumbling', size, retention, grace, loc };
    case 'HOPPING':
      if (advance === null) throw new ParseError(loc, `HOPPING window requires ADVANCE BY`);
      return { kind: 'Hopping', size, advance, retention, grace, loc };
    default:
      return { kind: 'Session', gap: size, retention, grace, loc };
  }
}
