import { FunctionError, ResolveError, type TableFunction } from '../types.js';
import { typeList } from '../aggregate/common.js';

/**
 * CUBE_EXPLODE(array): every combination of the elements with some of them
 * replaced by null (2^n rows for n non-null elements), in ksqlDB's order: the
 * all-null row first, the last element varying fastest. A null element is null
 * in every combination, so duplicate rows are not produced.
 */
export const CUBE_EXPLODE: TableFunction = {
  name: 'CUBE_EXPLODE',
  description: 'Produces all combinations of the array elements, each element either kept or replaced by null.',
  kind: 'table',
  resolve(args) {
    const t = args.length === 1 ? args[0]!.type : null;
    if (!t || t.kind !== 'ARRAY') {
      throw new ResolveError(`Function 'cube_explode' does not accept parameters (${typeList(args)}).\nValid alternatives are:\ncube_explode(ARRAY<T> list)`);
    }
    return { returnType: t, invoke: (list) => (list == null ? [] : cube(list as readonly unknown[])) };
  },
};

export function cube(list: readonly unknown[]): unknown[][] {
  const n = list.length;
  if (n > 30) throw new FunctionError(`CUBE_EXPLODE supports at most 30 elements, got ${n}`);
  const out: unknown[][] = [];
  for (let mask = 0; mask < 2 ** n; mask++) {
    let duplicate = false;
    const row: unknown[] = new Array(n);
    for (let j = 0; j < n; j++) {
      const keep = (mask >> (n - 1 - j)) & 1;
      const v = list[j] ?? null;
      if (keep && v === null) duplicate = true;
      row[j] = keep ? v : null;
    }
    if (!duplicate) out.push(row);
  }
  return out;
}
