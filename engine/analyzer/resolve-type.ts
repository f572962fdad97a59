import { KsqlError } from '../errors.js';
import type { TypeNode } from '../sql/ast/type-node.js';
import type { SqlType } from '../types/sql-type.js';

/** Turns a written type into a SqlType, expanding user types made with CREATE TYPE. */
export function resolveType(node: TypeNode, userTypes: (name: string) => SqlType | undefined): SqlType {
  switch (node.kind) {
    case 'Primitive':
      return { kind: node.name };
    case 'Decimal':
      if (node.precision < 1) throw new KsqlError(`DECIMAL precision must be >= 1: DECIMAL(${node.precision}, ${node.scale})`, node.loc);
      if (node.scale < 0 || node.scale > node.precision) {
        throw new KsqlError(`DECIMAL scale must be between 0 and precision: DECIMAL(${node.precision}, ${node.scale})`, node.loc);
      }
      return { kind: 'DECIMAL', precision: node.precision, scale: node.scale };
    case 'Array':
      return { kind: 'ARRAY', element: resolveType(node.element, userTypes) };
    case 'Map':
      return { kind: 'MAP', key: resolveType(node.key, userTypes), value: resolveType(node.value, userTypes) };
    case 'Struct':
      return { kind: 'STRUCT', fields: node.fields.map((f) => ({ name: f.name, type: resolveType(f.type, userTypes) })) };
    case 'Named': {
      const t = userTypes(node.name);
      if (!t) throw new KsqlError(`Cannot resolve unknown type: ${node.name}`, node.loc);
      return t;
    }
  }
}
