import { typeEquals, type SqlType, type StructField } from '../../types/sql-type.js';

/**
 * A tiny parser for SQL type strings used by user-defined functions:
 * `INT`, `INTEGER`, `BIGINT`, `DOUBLE`, `BOOLEAN`, `STRING`/`VARCHAR`, `BYTES`,
 * `DATE`, `TIME`, `TIMESTAMP`, `DECIMAL(p, s)`, `ARRAY<T>`, `MAP<K, V>`,
 * `STRUCT<A INT, \`b\` STRING>`.
 *
 * In parameter patterns two more forms are accepted: `DECIMAL` without
 * precision (any decimal), `ANY` (any type) and a single capital letter such as
 * `T` (a type variable: every occurrence must bind to the same type and the
 * return type may use it).
 */
export type TypePattern =
  | SqlType
  | { readonly kind: 'ANY' }
  | { readonly kind: 'VAR'; readonly name: string }
  | { readonly kind: 'ANY_DECIMAL' }
  | { readonly kind: 'ARRAY'; readonly element: TypePattern }
  | { readonly kind: 'MAP'; readonly key: TypePattern; readonly value: TypePattern }
  | { readonly kind: 'STRUCT'; readonly fields: readonly { readonly name: string; readonly type: TypePattern }[] };

export class TypeParseError extends Error {
  override readonly name = 'TypeParseError';
}

const SIMPLE: Record<string, SqlType> = {
  BOOLEAN: { kind: 'BOOLEAN' },
  INT: { kind: 'INTEGER' },
  INTEGER: { kind: 'INTEGER' },
  BIGINT: { kind: 'BIGINT' },
  DOUBLE: { kind: 'DOUBLE' },
  STRING: { kind: 'STRING' },
  VARCHAR: { kind: 'STRING' },
  BYTES: { kind: 'BYTES' },
  DATE: { kind: 'DATE' },
  TIME: { kind: 'TIME' },
  TIMESTAMP: { kind: 'TIMESTAMP' },
};

/** Parse a concrete SQL type (no `ANY`, type variables or bare `DECIMAL`). */
export function parseSqlType(text: string): SqlType {
  const p = parseTypePattern(text);
  if (!isConcrete(p)) throw new TypeParseError(`not a concrete type: ${text}`);
  return p;
}

export function isConcrete(p: TypePattern): p is SqlType {
  switch (p.kind) {
    case 'ANY':
    case 'VAR':
    case 'ANY_DECIMAL':
      return false;
    case 'ARRAY':
      return isConcrete(p.element);
    case 'MAP':
      return isConcrete(p.key) && isConcrete(p.value);
    case 'STRUCT':
      return p.fields.every((f) => isConcrete(f.type));
    default:
      return true;
  }
}

/** Parse a type string that may contain `ANY`, type variables and bare `DECIMAL`. */
export function parseTypePattern(text: string): TypePattern {
  const tokens = tokenize(text);
  let i = 0;
  const peek = (): string | undefined => tokens[i];
  const next = (): string => {
    const t = tokens[i++];
    if (t === undefined) throw new TypeParseError(`unexpected end of type: ${text}`);
    return t;
  };
  const expect = (s: string): void => {
    const t = next();
    if (t !== s) throw new TypeParseError(`expected '${s}' but found '${t}' in type: ${text}`);
  };
  const int = (): number => {
    const t = next();
    if (!/^\d+$/.test(t)) throw new TypeParseError(`expected a number but found '${t}' in type: ${text}`);
    return Number(t);
  };

  const type = (): TypePattern => {
    const word = next();
    const up = word.toUpperCase();
    if (SIMPLE[up]) return SIMPLE[up];
    switch (up) {
      case 'ANY':
        return { kind: 'ANY' };
      case 'DECIMAL': {
        if (peek() !== '(') return { kind: 'ANY_DECIMAL' };
        expect('(');
        const precision = int();
        expect(',');
        const scale = int();
        expect(')');
        if (precision < 1 || scale > precision) throw new TypeParseError(`invalid DECIMAL(${precision}, ${scale}) in type: ${text}`);
        return { kind: 'DECIMAL', precision, scale };
      }
      case 'ARRAY': {
        expect('<');
        const element = type();
        expect('>');
        return { kind: 'ARRAY', element };
      }
      case 'MAP': {
        expect('<');
        const key = type();
        expect(',');
        const value = type();
        expect('>');
        return { kind: 'MAP', key, value };
      }
      case 'STRUCT': {
        expect('<');
        const fields: { name: string; type: TypePattern }[] = [];
        if (peek() !== '>') {
          for (;;) {
            const raw = next();
            const name = raw.startsWith('`') ? raw.slice(1, -1).replace(/``/g, '`') : raw.toUpperCase();
            fields.push({ name, type: type() });
            if (peek() !== ',') break;
            next();
          }
        }
        expect('>');
        return { kind: 'STRUCT', fields };
      }
      default:
        if (/^[A-Z]$/.test(word)) return { kind: 'VAR', name: word };
        throw new TypeParseError(`unknown type '${word}' in: ${text}`);
    }
  };

  const t = type();
  if (i !== tokens.length) throw new TypeParseError(`unexpected '${tokens[i]}' in type: ${text}`);
  return t;
}

function tokenize(text: string): string[] {
  const out: string[] = [];
  const re = /\s*(?:(`(?:[^`]|``)*`)|([A-Za-z_][A-Za-z0-9_]*)|(\d+)|([<>(),]))/y;
  let pos = 0;
  while (pos < text.length) {
    if (/^\s*$/.test(text.slice(pos))) break;
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m) throw new TypeParseError(`unexpected character at ${pos} in type: ${text}`);
    out.push(m[1] ?? m[2] ?? m[3] ?? m[4]!);
    pos = re.lastIndex;
  }
  return out;
}

export type Bindings = Map<string, SqlType>;

/**
 * Whether `actual` fits `pattern`, binding type variables. `null` (an argument of
 * still unknown type, e.g. a NULL literal) fits anything.
 */
export function matchType(pattern: TypePattern, actual: SqlType | null, bindings: Bindings): boolean {
  if (actual === null || actual.kind === 'NULL') return true;
  switch (pattern.kind) {
    case 'ANY':
      return true;
    case 'VAR': {
      const bound = bindings.get(pattern.name);
      if (!bound) {
        bindings.set(pattern.name, actual);
        return true;
      }
      return sameType(bound, actual);
    }
    case 'ANY_DECIMAL':
      return actual.kind === 'DECIMAL';
    case 'ARRAY':
      return actual.kind === 'ARRAY' && matchType(pattern.element, actual.element, bindings);
    case 'MAP':
      return actual.kind === 'MAP' && matchType(pattern.key, actual.key, bindings) && matchType(pattern.value, actual.value, bindings);
    case 'STRUCT':
      return (
        actual.kind === 'STRUCT' &&
        actual.fields.length === pattern.fields.length &&
        pattern.fields.every((f, i) => f.name === actual.fields[i]!.name && matchType(f.type, actual.fields[i]!.type, bindings))
      );
    default:
      return sameType(pattern, actual);
  }
}

function sameType(a: SqlType, b: SqlType): boolean {
  return typeEquals(a, b);
}

/** Replace type variables by their bindings; unbound variables, `ANY` and bare `DECIMAL` are errors. */
export function substitute(pattern: TypePattern, bindings: Bindings): SqlType {
  switch (pattern.kind) {
    case 'VAR': {
      const t = bindings.get(pattern.name);
      if (!t) throw new TypeParseError(`type variable ${pattern.name} is not bound by the arguments`);
      return t;
    }
    case 'ANY':
    case 'ANY_DECIMAL':
      throw new TypeParseError(`a return type must be concrete, not ${pattern.kind === 'ANY' ? 'ANY' : 'DECIMAL'}`);
    case 'ARRAY':
      return { kind: 'ARRAY', element: substitute(pattern.element, bindings) };
    case 'MAP':
      return { kind: 'MAP', key: substitute(pattern.key, bindings), value: substitute(pattern.value, bindings) };
    case 'STRUCT':
      return { kind: 'STRUCT', fields: pattern.fields.map((f): StructField => ({ name: f.name, type: substitute(f.type, bindings) })) };
    default:
      return pattern;
  }
}
