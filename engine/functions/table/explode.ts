import { ResolveError, type TableFunction } from '../types.js';
import { typeList } from '../aggregate/common.js';

/** EXPLODE(array): one row per element (nulls included); a null or empty array produces no rows. */
export const EXPLODE: TableFunction = {
  name: 'EXPLODE',
  description: 'Explodes an array into one row per element.',
  kind: 'table',
  resolve(args) {
    const t = args.length === 1 ? args[0]!.type : null;
    if (!t || t.kind !== 'ARRAY') {
      throw new ResolveError(
        `Function 'explode' does not accept parameters (${typeList(args)}).\nValid alternatives are:\nexplode(ARRAY<DECIMAL> input)\nexplode(ARRAY<T> list)`,
      );
    }
    return {
      returnType: t.element,
      invoke: (list) => (list == null ? [] : (list as readonly unknown[]).map((x) => x ?? null)),
    };
  },
};
