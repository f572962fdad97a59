import type { Column, DataSource } from '../../catalog/data-source.js';
import { formatType, quoteIfNeeded } from '../../types/sql-type.js';

/** A source's schema as QTT `post.sources[].schema` writes it: `K STRING KEY, ID BIGINT, NAME STRING`. */
export function formatSourceSchema(columns: readonly Column[]): string {
  return columns
    .map((c) => {
      const base = `${quoteIfNeeded(c.name)} ${formatType(c.type)}`;
      if (c.namespace === 'KEY') return `${base} KEY`;
      if (c.namespace === 'HEADERS') return c.headerKey ? `${base} HEADER('${c.headerKey}')` : `${base} HEADERS`;
      return base;
    })
    .join(', ');
}

const TYPE_ALIASES: Readonly<Record<string, string>> = { VARCHAR: 'STRING', INTEGER: 'INT' };

/**
 * Canonical text of a schema string, so that equivalent spellings compare equal:
 * quoted and unquoted identifiers (`C1` = C1; unquoted words upper-cased),
 * VARCHAR = STRING, INTEGER = INT, and whitespace.
 */
export function canonicalSchema(schema: string): string {
  const tokens: string[] = [];
  let i = 0;
  while (i < schema.length) {
    const ch = schema[i]!;
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === '`') {
      let j = i + 1;
      let text = '';
      while (j < schema.length) {
        if (schema[j] === '`') {
          if (schema[j + 1] === '`') {
            text += '`';
            j += 2;
            continue;
          }
          break;
        }
        text += schema[j];
        j++;
      }
      tokens.push(`"${text}"`);
      i = j + 1;
    } else if (ch === "'") {
      const j = schema.indexOf("'", i + 1);
      const end = j < 0 ? schema.length : j + 1;
      tokens.push(schema.slice(i, end));
      i = end;
    } else if (/[A-Za-z0-9_@$]/.test(ch)) {
      let j = i;
      while (j < schema.length && /[A-Za-z0-9_@$]/.test(schema[j]!)) j++;
      const word = schema.slice(i, j).toUpperCase();
      tokens.push(TYPE_ALIASES[word] ?? `"${word}"`);
      i = j;
    } else {
      tokens.push(ch);
      i++;
    }
  }
  // a quoted word that is a type keyword reads the same either way
  // ksqlDB parses both spellings of a key column (`KEY`, `PRIMARY KEY`) to the same schema
  return tokens
    .map((t) => (/^"[A-Z0-9_]+"$/.test(t) ? t.slice(1, -1) : t))
    .map((t) => TYPE_ALIASES[t] ?? t)
    .filter((t, i, all) => !(t === 'PRIMARY' && all[i + 1] === 'KEY'))
    .join(' ');
}

export function schemasEqual(expected: string, actual: string): boolean {
  return canonicalSchema(expected) === canonicalSchema(actual);
}

export function sourceSchemaString(s: DataSource): string {
  return formatSourceSchema(s.columns);
}
