import type { Expr } from './ast/expression.js';
import type { Loc } from './ast/node.js';
import type {
  AssertStatement,
  ColumnConstraint,
  ColumnDef,
  Properties,
  PropertyValue,
  ShowWhat,
  SourceType,
  Statement,
} from './ast/statement.js';
import { STATEMENT_STARTS } from './keywords.js';
import { tokenLoc } from './lexer.js';
import { ParseError } from './parse-error.js';
import { parseExpr } from './parse-expression.js';
import { parseQuery } from './parse-query.js';
import { parseType } from './parse-type.js';
import { display, type TokenCursor } from './token-cursor.js';

const SHOW_WHAT: readonly ShowWhat[] = ['STREAMS', 'TABLES', 'TOPICS', 'QUERIES', 'PROPERTIES', 'FUNCTIONS', 'TYPES', 'VARIABLES', 'CONNECTORS'];

/** One statement, which must be followed by `;` or the end of input. */
export function parseStatementTokens(c: TokenCursor, text: string): Statement {
  const t = c.peek();
  const loc = tokenLoc(t);
  const st = parseStatement(c, text, loc);
  if (!c.atEnd()) throw c.mismatch(trailingExpected(st));
  return st;
}

function trailingExpected(st: Statement): string[] {
  if (st.kind === 'QueryStatement' || st.kind === 'CreateAsSelect' || st.kind === 'InsertInto') {
    return ["';'", "'WINDOW'", "'WHERE'", "'GROUP'", "'PARTITION'", "'HAVING'", "'EMIT'", "'LIMIT'"];
  }
  return ["';'"];
}

function parseStatement(c: TokenCursor, text: string, loc: Loc): Statement {
  const t = c.peek();
  if (t.kind !== 'word') {
    if (t.kind === 'eof') throw c.noViable(t);
    throw new ParseError(tokenLoc(t), `Unknown statement '${display(t)}'`);
  }
  switch (t.value) {
    case 'SELECT':
      return { kind: 'QueryStatement', query: parseQuery(c), text, loc };
    case 'CREATE':
      return parseCreate(c, text, loc);
    case 'INSERT':
      return parseInsert(c, text, loc);
    case 'DROP':
      return parseDrop(c, text, loc);
    case 'ALTER':
      return parseAlter(c, text, loc);
    case 'DESCRIBE':
      return parseDescribe(c, text, loc);
    case 'SHOW':
    case 'LIST':
      return parseShow(c, text, loc);
    case 'EXPLAIN': {
      c.next();
      if (c.peek().kind === 'word' && (STATEMENT_STARTS as readonly string[]).includes(c.peek().value) && !c.isSym(';', 1) && c.peek(1).kind !== 'eof') {
        const inner = c.peek();
        const innerText = text.slice(inner.start - t.start);
        return { kind: 'Explain', target: { kind: 'Statement', statement: parseStatement(c, innerText, tokenLoc(inner)) }, text, loc };
      }
      return { kind: 'Explain', target: { kind: 'QueryId', queryId: c.identifier() }, text, loc };
    }
    case 'TERMINATE': {
      c.next();
      const queryId = c.acceptWord('ALL') ? null : parseQueryId(c);
      return { kind: 'Terminate', queryId, text, loc };
    }
    case 'PAUSE':
    case 'RESUME': {
      c.next();
      const queryId = c.acceptWord('ALL') ? null : parseQueryId(c);
      return { kind: 'PauseResume', action: t.value, queryId, text, loc };
    }
    case 'SET': {
      c.next();
      const name = c.stringLiteral();
      c.expectSym('=');
      const value = c.stringLiteral();
      return { kind: 'SetProperty', name, value, text, loc };
    }
    case 'UNSET': {
      c.next();
      return { kind: 'UnsetProperty', name: c.stringLiteral(), text, loc };
    }
    case 'DEFINE': {
      c.next();
      const name = parseVariableName(c);
      c.expectSym('=');
      const value = c.stringLiteral();
      return { kind: 'DefineVariable', name, value, text, loc };
    }
    case 'UNDEFINE': {
      c.next();
      return { kind: 'UndefineVariable', name: parseVariableName(c), text, loc };
    }
    case 'ASSERT':
      return parseAssert(c, text, loc);
    default:
      throw new ParseError(tokenLoc(t), `Unknown statement '${display(t)}'`);
  }
}

function parseQueryId(c: TokenCursor): string {
  const t = c.peek();
  if (t.kind === 'string') {
    c.next();
    return t.value;
  }
  return c.identifier();
}

function parseVariableName(c: TokenCursor): string {
  const t = c.peek();
  if (t.kind === 'word' || t.kind === 'quoted') {
    c.next();
    return t.kind === 'word' ? t.text : t.value;
  }
  throw c.mismatch(['IDENTIFIER']);
}

function parseCreate(c: TokenCursor, text: string, loc: Loc): Statement {
  c.expectWord('CREATE');
  let orReplace = false;
  if (c.acceptWord('OR')) {
    c.expectWord('REPLACE');
    orReplace = true;
  }
  if (c.isWord('TYPE')) {
    c.next();
    const ifNotExists = parseIfNotExists(c);
    const name = c.identifier();
    c.expectWord('AS');
    return { kind: 'CreateType', name, ifNotExists, type: parseType(c), text, loc };
  }
  const isSource = c.acceptWord('SOURCE');
  const sourceType = parseSourceType(c);
  const ifNotExists = parseIfNotExists(c);
  const name = c.identifier();
  let columns: ColumnDef[] | null = null;
  if (c.isSym('(')) columns = parseColumnDefs(c);
  const properties = c.isWord('WITH') ? parseWithProperties(c) : {};
  if (c.isWord('AS') && columns === null && !isSource) {
    c.next();
    const query = parseQuery(c);
    return { kind: 'CreateAsSelect', sourceType, name, orReplace, ifNotExists, properties, query, text, loc };
  }
  return { kind: 'CreateSource', sourceType, name, orReplace, ifNotExists, isSource, columns, properties, text, loc };
}

function parseSourceType(c: TokenCursor): SourceType {
  const t = c.peek();
  if (t.kind === 'word' && (t.value === 'STREAM' || t.value === 'TABLE')) {
    c.next();
    return t.value;
  }
  throw c.noViable(t);
}

function parseIfNotExists(c: TokenCursor): boolean {
  if (!c.isWord('IF')) return false;
  c.next();
  c.expectWord('NOT');
  c.expectWord('EXISTS');
  return true;
}

function parseIfExists(c: TokenCursor): boolean {
  if (!c.isWord('IF')) return false;
  c.next();
  c.expectWord('EXISTS');
  return true;
}

function parseColumnDefs(c: TokenCursor): ColumnDef[] {
  c.expectSym('(');
  const cols: ColumnDef[] = [];
  for (;;) {
    const t = c.peek();
    const name = c.identifier();
    const type = parseType(c);
    const constraint = parseColumnConstraint(c);
    cols.push({ name, type, constraint, loc: tokenLoc(t) });
    if (c.acceptSym(',')) continue;
    if (c.acceptSym(')')) break;
    throw c.mismatch(["','", "')'"]);
  }
  return cols;
}

function parseColumnConstraint(c: TokenCursor): ColumnConstraint {
  if (c.acceptWord('KEY')) return { kind: 'Key' };
  if (c.isWord('PRIMARY')) {
    c.next();
    c.expectWord('KEY');
    return { kind: 'PrimaryKey' };
  }
  if (c.acceptWord('HEADERS')) return { kind: 'Headers', key: null };
  if (c.isWord('HEADER')) {
    c.next();
    c.expectSym('(');
    const key = c.stringLiteral();
    c.expectSym(')');
    return { kind: 'Headers', key };
  }
  return { kind: 'None' };
}

function parseWithProperties(c: TokenCursor): Properties {
  c.expectWord('WITH');
  c.expectSym('(');
  const props: Record<string, { value: PropertyValue; loc: Loc }> = {};
  for (;;) {
    const t = c.peek();
    let name: string;
    if (t.kind === 'word' || t.kind === 'quoted' || t.kind === 'string') {
      c.next();
      name = t.value.toUpperCase();
    } else {
      throw c.mismatch(['IDENTIFIER']);
    }
    c.expectSym('=');
    const vt = c.peek();
    props[name] = { value: parseLiteralValue(c), loc: tokenLoc(vt) };
    if (c.acceptSym(',')) continue;
    if (c.acceptSym(')')) break;
    throw c.mismatch(["','", "')'"]);
  }
  return props;
}

function parseLiteralValue(c: TokenCursor): PropertyValue {
  const t = c.peek();
  let sign = 1;
  if (t.kind === 'symbol' && (t.value === '-' || t.value === '+')) {
    const n = c.peek(1);
    if (n.kind === 'integer' || n.kind === 'decimal' || n.kind === 'double') {
      c.next();
      sign = t.value === '-' ? -1 : 1;
    }
  }
  const v = c.peek();
  switch (v.kind) {
    case 'string':
      c.next();
      return v.value;
    case 'integer':
    case 'decimal':
    case 'double':
      c.next();
      return sign * Number(v.value);
    case 'word':
      if (v.value === 'TRUE' || v.value === 'FALSE') {
        c.next();
        return v.value === 'TRUE';
      }
      break;
    default:
      break;
  }
  throw c.mismatch(['STRING', 'INTEGER_VALUE', 'DECIMAL_VALUE', "'TRUE'", "'FALSE'"]);
}

function parseInsert(c: TokenCursor, text: string, loc: Loc): Statement {
  c.expectWord('INSERT');
  c.expectWord('INTO');
  const target = c.identifier();
  if (c.isWord('WITH') || c.isWord('SELECT')) {
    const properties = c.isWord('WITH') ? parseWithProperties(c) : {};
    return { kind: 'InsertInto', target, properties, query: parseQuery(c), text, loc };
  }
  let columns: string[] | null = null;
  if (c.acceptSym('(')) {
    columns = [];
    if (!c.isSym(')')) {
      do columns.push(c.identifier());
      while (c.acceptSym(','));
    }
    c.expectSym(')');
  }
  if (!c.isWord('VALUES')) {
    throw c.mismatch(columns === null ? ["'('", "'VALUES'", "'WITH'", "'SELECT'"] : ["'VALUES'"]);
  }
  c.next();
  c.expectSym('(');
  const values: Expr[] = [];
  if (!c.isSym(')')) {
    do values.push(parseExpr(c));
    while (c.acceptSym(','));
  }
  c.expectSym(')');
  return { kind: 'InsertValues', target, columns, values, text, loc };
}

function parseDrop(c: TokenCursor, text: string, loc: Loc): Statement {
  c.expectWord('DROP');
  if (c.acceptWord('TYPE')) {
    const ifExists = parseIfExists(c);
    return { kind: 'DropType', name: c.identifier(), ifExists, text, loc };
  }
  if (!c.isWord('STREAM') && !c.isWord('TABLE')) throw c.mismatch(["'STREAM'", "'TABLE'", "'TYPE'"]);
  const sourceType = parseSourceType(c);
  const ifExists = parseIfExists(c);
  const name = c.identifier();
  let deleteTopic = false;
  if (c.acceptWord('DELETE')) {
    c.expectWord('TOPIC');
    deleteTopic = true;
  }
  return { kind: 'DropSource', sourceType, name, ifExists, deleteTopic, text, loc };
}

function parseAlter(c: TokenCursor, text: string, loc: Loc): Statement {
  c.expectWord('ALTER');
  if (!c.isWord('STREAM') && !c.isWord('TABLE')) throw c.mismatch(["'STREAM'", "'TABLE'"]);
  const sourceType = parseSourceType(c);
  const name = c.identifier();
  const addColumns: ColumnDef[] = [];
  do {
    c.expectWord('ADD');
    c.acceptWord('COLUMN');
    const t = c.peek();
    const col = c.identifier();
    addColumns.push({ name: col, type: parseType(c), constraint: { kind: 'None' }, loc: tokenLoc(t) });
  } while (c.acceptSym(','));
  return { kind: 'AlterSource', sourceType, name, addColumns, text, loc };
}

function parseDescribe(c: TokenCursor, text: string, loc: Loc): Statement {
  c.expectWord('DESCRIBE');
  if (c.isWord('FUNCTION') && !c.atEndAfter(1)) {
    c.next();
    return { kind: 'DescribeFunction', name: c.identifier(), text, loc };
  }
  if ((c.isWord('STREAMS') || c.isWord('TABLES')) && (c.atEndAfter(1) || c.isWord('EXTENDED', 1))) {
    const what = c.next().value as 'STREAMS' | 'TABLES';
    const extended = c.acceptWord('EXTENDED');
    return { kind: 'Describe', target: { kind: 'All', what }, extended, text, loc };
  }
  let extended = false;
  if (c.isWord('EXTENDED') && !c.atEndAfter(1)) {
    c.next();
    extended = true;
  }
  const name = c.identifier();
  if (c.acceptWord('EXTENDED')) extended = true;
  return { kind: 'Describe', target: { kind: 'Source', name }, extended, text, loc };
}

function parseShow(c: TokenCursor, text: string, loc: Loc): Statement {
  c.next();
  c.acceptWord('ALL');
  const t = c.peek();
  const what = SHOW_WHAT.find((w) => t.kind === 'word' && t.value === w);
  if (what === undefined) throw c.mismatch(SHOW_WHAT.map((w) => `'${w}'`));
  c.next();
  const extended = c.acceptWord('EXTENDED');
  return { kind: 'Show', what, extended, text, loc };
}

function parseAssert(c: TokenCursor, text: string, loc: Loc): Statement {
  c.expectWord('ASSERT');
  let exists = true;
  if (c.isWord('NOT')) {
    c.next();
    c.expectWord('EXISTS');
    exists = false;
  }
  const base = { kind: 'AssertStatement' as const, exists, text, loc };
  if (c.acceptWord('TOPIC')) {
    const t = c.peek();
    const name = t.kind === 'string' ? (c.next(), t.value) : c.identifier();
    const properties = c.isWord('WITH') ? parseWithProperties(c) : {};
    const timeoutMs = parseAssertTimeout(c);
    const st: AssertStatement = { ...base, what: 'TOPIC', name, subject: null, id: null, properties, timeoutMs };
    return st;
  }
  if (c.acceptWord('SCHEMA')) {
    let subject: string | null = null;
    let id: number | null = null;
    if (c.acceptWord('SUBJECT')) {
      const t = c.peek();
      subject = t.kind === 'string' ? (c.next(), t.value) : c.identifier();
    }
    if (c.acceptWord('ID')) id = c.integer();
    const timeoutMs = parseAssertTimeout(c);
    return { ...base, what: 'SCHEMA', name: null, subject, id, properties: {}, timeoutMs };
  }
  throw c.noViable();
}

function parseAssertTimeout(c: TokenCursor): number | null {
  if (!c.acceptWord('TIMEOUT')) return null;
  return c.duration().ms;
}
