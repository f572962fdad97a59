/**
 * Words that cannot be used as unquoted identifiers. Every other keyword of the
 * dialect (KEY, VALUE, TIMESTAMP, DATE, TIME, MAP, TYPE, SIZE, TOPIC, EMIT, ...) is
 * non-reserved and may name a column, source or alias; quoting (`x` or "x")
 * lifts the restriction for reserved words too.
 */
export const RESERVED = new Set([
  'SELECT', 'FROM', 'WHERE', 'AS', 'AND', 'OR', 'NOT', 'NULL', 'TRUE', 'FALSE',
  'CASE', 'WHEN', 'THEN', 'ELSE', 'END', 'JOIN', 'INNER', 'LEFT', 'RIGHT', 'FULL', 'OUTER',
  'ON', 'WITHIN', 'GROUP', 'HAVING', 'LIMIT', 'WINDOW', 'IN', 'IS', 'LIKE', 'BETWEEN',
  'CAST', 'VALUES', 'INSERT', 'CREATE', 'DISTINCT', 'EXISTS', 'BY', 'INTO', 'DROP',
]);

/** Words that end a select item or relation, so they are never taken as an implicit alias. */
export const ALIAS_STOP = new Set([
  ...RESERVED,
  'EMIT', 'PARTITION', 'GRACE', 'WITH',
]);

/** Statement keywords, for `Unknown statement` errors and for EXPLAIN. */
export const STATEMENT_STARTS = [
  'SELECT', 'CREATE', 'INSERT', 'DROP', 'ALTER', 'DESCRIBE', 'SHOW', 'LIST', 'EXPLAIN', 'TERMINATE',
  'PAUSE', 'RESUME', 'SET', 'UNSET', 'DEFINE', 'UNDEFINE', 'ASSERT',
] as const;
