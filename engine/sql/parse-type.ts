import type { TypeNode } from './ast/type-node.js';
import { RESERVED } from './keywords.js';
import { tokenLoc } from './lexer.js';
import type { TokenCursor } from './token-cursor.js';

const PRIMITIVES: Readonly<Record<string, Extract<TypeNode, { kind: 'Primitive' }>['name']>> = {
  BOOLEAN: 'BOOLEAN',
  INT: 'INTEGER',
  INTEGER: 'INTEGER',
  BIGINT: 'BIGINT',
  DOUBLE: 'DOUBLE',
  STRING: 'STRING',
  VARCHAR: 'STRING',
  BYTES: 'BYTES',
  DATE: 'DATE',
  TIME: 'TIME',
  TIMESTAMP: 'TIMESTAMP',
};

/** A SQL type: primitives, DECIMAL(p, s), ARRAY<t>, MAP<k, v>, STRUCT<name t, ...> or a user type name. */
export function parseType(c: TokenCursor): TypeNode {
  const t = c.peek();
  const loc = tokenLoc(t);
  if (t.kind === 'quoted') {
    c.next();
    return { kind: 'Named', name: t.value, loc };
  }
  if (t.kind !== 'word' || RESERVED.has(t.value)) throw c.noViable(t);
  c.next();
  switch (t.value) {
    case 'ARRAY': {
      c.expectSym('<');
      const element = parseType(c);
      c.expectSym('>');
      return { kind: 'Array', element, loc };
    }
    case 'MAP': {
      c.expectSym('<');
      const key = parseType(c);
      c.expectSym(',');
      const value = parseType(c);
      c.expectSym('>');
      return { kind: 'Map', key, value, loc };
    }
    case 'STRUCT': {
      c.expectSym('<');
      const fields: { name: string; type: TypeNode }[] = [];
      if (!c.isSym('>')) {
        do {
          const name = c.identifier();
          fields.push({ name, type: parseType(c) });
        } while (c.acceptSym(','));
      }
      if (!c.isSym('>')) throw c.mismatch(["','", "'>'"]);
      c.next();
      return { kind: 'Struct', fields, loc };
    }
    case 'DECIMAL': {
      c.expectSym('(');
      const precision = c.integer();
      c.expectSym(',');
      const scale = c.integer();
      c.expectSym(')');
      return { kind: 'Decimal', precision, scale, loc };
    }
    default: {
      const prim = PRIMITIVES[t.value];
      if (prim === undefined) return { kind: 'Named', name: t.value, loc };
      if (c.isSym('(')) {
        // type parameters, as in VARCHAR(STRING): accepted and ignored
        c.next();
        do {
          const p = c.peek();
          if (!(p.kind === 'integer' || (p.kind === 'word' && p.value === 'STRING'))) throw c.mismatch(["'STRING'", 'INTEGER_VALUE']);
          c.next();
        } while (c.acceptSym(','));
        c.expectSym(')');
      }
      return { kind: 'Primitive', name: prim, loc };
    }
  }
}
