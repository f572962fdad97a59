import { BOOLEAN, INTEGER, STRING } from '../../types/sql-type.js';
import type { SqlType } from '../../types/sql-type.js';
import { defineScalar } from './signature.js';
import type { BuiltinScalar } from './signature.js';
import { compareValues, javaString, valueEquals, valueKey } from './values.js';

/** ARRAY_* and MAP_* built-ins, AS_MAP, ENTRIES, ELT, FIELD, SLICE. */

function distinct(xs: readonly unknown[]): unknown[] {
  const seen = new Set<string>();
  const out: unknown[] = [];
  for (const x of xs) {
    const k = valueKey(x);
    if (!seen.has(k)) {
      seen.add(k);
      out.push(x);
    }
  }
  return out;
}

/** the comparable element types ksqlDB accepts for ARRAY_MIN / ARRAY_MAX / ARRAY_SORT */
const COMPARABLE = new Set(['BOOLEAN', 'INTEGER', 'BIGINT', 'DOUBLE', 'DECIMAL', 'STRING', 'BYTES', 'DATE', 'TIME', 'TIMESTAMP']);
const elementComparable = (t: SqlType | null | undefined): boolean =>
  !t || t.kind !== 'ARRAY' || COMPARABLE.has(t.element.kind) || t.element.kind === 'NULL';

function arrayExtreme(sign: 1 | -1) {
  return (xs: readonly unknown[]): unknown => {
    let best: unknown = null;
    for (const x of xs) {
      if (x === null || x === undefined) continue;
      if (best === null || compareValues(x, best) * sign > 0) best = x;
    }
    return best;
  };
}

function sortArray(xs: readonly unknown[], dir: string): unknown[] {
  const d = dir.toUpperCase();
  if (d !== 'ASC' && d !== 'DESC') return null as unknown as unknown[];
  const sign = d === 'ASC' ? 1 : -1;
  const present = xs.filter((x) => x !== null && x !== undefined);
  const nulls = xs.length - present.length;
  present.sort((a, b) => compareValues(a, b) * sign);
  return [...present, ...Array<null>(nulls).fill(null)];
}

const ENTRY_TYPE = (c: { bindings: Map<string, SqlType> }): SqlType => ({
  kind: 'ARRAY',
  element: {
    kind: 'STRUCT',
    fields: [
      { name: 'K', type: STRING },
      { name: 'V', type: c.bindings.get('V') ?? STRING },
    ],
  },
});

export function collectionFunctions(): BuiltinScalar[] {
  return [
    defineScalar({
      name: 'ARRAY_CONCAT',
      description: 'Returns an array representing the concatenation of both input arrays.',
      variants: [
        {
          params: ['ARRAY<T>', 'ARRAY<T>'],
          returns: 'ARRAY<T>',
          nullSafe: true,
          fn: (a: unknown[] | null, b: unknown[] | null) => (a === null && b === null ? null : [...(a ?? []), ...(b ?? [])]),
        },
      ],
    }),
    defineScalar({
      name: 'ARRAY_CONTAINS',
      description: 'Returns true if the array is non-null and contains the supplied value.',
      variants: [
        {
          params: ['ARRAY<T>', 'T'],
          returns: BOOLEAN,
          nullSafe: true,
          fn: (a: unknown[] | null, v: unknown) => (a === null ? false : a.some((x) => (v === null ? x === null : valueEquals(x, v)))),
        },
      ],
    }),
    defineScalar({
      name: 'ARRAY_DISTINCT',
      description: 'Returns an array of all the distinct values, including NULL if present, from the input array.',
      variants: [{ params: ['ARRAY<T>'], returns: 'ARRAY<T>', fn: distinct }],
    }),
    defineScalar({
      name: 'ARRAY_EXCEPT',
      description: 'Returns an array of all the distinct elements from an array, except for those also present in a second array.',
      variants: [
        {
          params: ['ARRAY<T>', 'ARRAY<T>'],
          returns: 'ARRAY<T>',
          fn: (a: unknown[], b: unknown[]) => {
            const ex = new Set(b.map(valueKey));
            return distinct(a).filter((x) => !ex.has(valueKey(x)));
          },
        },
      ],
    }),
    defineScalar({
      name: 'ARRAY_INTERSECT',
      description: 'Returns an array of all the distinct elements from the intersection of both input arrays.',
      variants: [
        {
          params: ['ARRAY<T>', 'ARRAY<T>'],
          returns: 'ARRAY<T>',
          fn: (a: unknown[], b: unknown[]) => {
            const inB = new Set(b.map(valueKey));
            return distinct(a).filter((x) => inB.has(valueKey(x)));
          },
        },
      ],
    }),
    defineScalar({
      name: 'ARRAY_JOIN',
      description: 'Creates a flat string representation of all the primitive elements contained in the given array, separated by the delimiter (default ",").',
      variants: [
        { params: ['ARRAY<T>'], returns: STRING, build: (c) => joinWith(c.types[0], ',') },
        {
          params: ['ARRAY<T>', 'STRING'],
          returns: STRING,
          nullSafe: true,
          build: (c) => (xs: unknown[] | null, d: string | null) => (xs === null ? null : joinWith(c.types[0], d ?? '')(xs)),
        },
      ],
    }),
    defineScalar({
      name: 'ARRAY_LENGTH',
      description: 'Returns the number of elements in the array, or NULL if the array is NULL.',
      variants: [{ params: ['ARRAY<T>'], returns: INTEGER, fn: (a: unknown[]) => a.length }],
    }),
    defineScalar({
      name: 'ARRAY_MAX',
      description: 'Returns the maximum value from within a given array of primitive elements; NULL elements are ignored.',
      variants: [{ params: ['ARRAY<T>'], returns: 'T', fn: arrayExtreme(1), accept: (c) => elementComparable(c.types[0]) }],
    }),
    defineScalar({
      name: 'ARRAY_MIN',
      description: 'Returns the minimum value from within a given array of primitive elements; NULL elements are ignored.',
      variants: [{ params: ['ARRAY<T>'], returns: 'T', fn: arrayExtreme(-1), accept: (c) => elementComparable(c.types[0]) }],
    }),
    defineScalar({
      name: 'ARRAY_REMOVE',
      description: 'Removes all elements equal to the given value from the array.',
      variants: [
        {
          params: ['ARRAY<T>', 'T'],
          returns: 'ARRAY<T>',
          nullSafe: true,
          fn: (a: unknown[] | null, v: unknown) => (a === null ? null : a.filter((x) => (v === null ? x !== null : !valueEquals(x, v)))),
        },
      ],
    }),
    defineScalar({
      name: 'ARRAY_SORT',
      description: "Sorts an array of primitive values, ascending by default or in the given direction ('ASC' or 'DESC'); NULLs go last.",
      variants: [
        { params: ['ARRAY<T>'], returns: 'ARRAY<T>', fn: (a: unknown[]) => sortArray(a, 'ASC'), accept: (c) => elementComparable(c.types[0]) },
        { params: ['ARRAY<T>', 'STRING'], returns: 'ARRAY<T>', fn: sortArray, accept: (c) => elementComparable(c.types[0]) },
      ],
    }),
    defineScalar({
      name: 'ARRAY_UNION',
      description: 'Returns an array of all the distinct elements from both input arrays.',
      variants: [{ params: ['ARRAY<T>', 'ARRAY<T>'], returns: 'ARRAY<T>', fn: (a: unknown[], b: unknown[]) => distinct([...a, ...b]) }],
    }),
    defineScalar({
      name: 'AS_MAP',
      description: 'Constructs a map from a list of keys and a list of values.',
      variants: [
        {
          params: ['ARRAY<STRING>', 'ARRAY<T>'],
          returns: (c) => ({ kind: 'MAP', key: STRING, value: c.bindings.get('T') ?? STRING }),
          fn: (ks: (string | null)[], vs: unknown[]) => {
            const m = new Map<string | null, unknown>();
            const n = Math.min(ks.length, vs.length);
            for (let i = 0; i < n; i++) m.set(ks[i]!, vs[i] ?? null);
            return m;
          },
        },
      ],
    }),
    defineScalar({
      name: 'ELT',
      description: 'Returns the element at position n (1-based) of the following string arguments, or NULL if out of range.',
      variants: [
        {
          params: ['INT', 'STRING'],
          variadic: true,
          returns: STRING,
          nullSafe: true,
          fn: (n: number | null, ...xs: (string | null)[]) => (n === null || n < 1 || n > xs.length ? null : xs[n - 1] ?? null),
        },
      ],
    }),
    defineScalar({
      name: 'ENTRIES',
      description: 'Constructs an array of structs (K, V) from the entries in a map, optionally sorted by key.',
      variants: [
        {
          params: ['MAP<STRING,V>', 'BOOLEAN'],
          returns: ENTRY_TYPE,
          fn: (m: Map<string, unknown>, sorted: boolean) => {
            const es = [...m];
            if (sorted) es.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
            return es.map(([K, V]) => ({ K, V: V ?? null }));
          },
        },
      ],
    }),
    defineScalar({
      name: 'FIELD',
      description: 'Returns the 1-based position of str in the following arguments, or 0 if not found (NULL is never found).',
      variants: [
        {
          params: ['STRING', 'STRING'],
          variadic: true,
          returns: INTEGER,
          nullSafe: true,
          fn: (s: string | null, ...xs: (string | null)[]) => (s === null ? 0 : xs.indexOf(s) + 1),
        },
      ],
    }),
    defineScalar({
      name: 'MAP_KEYS',
      description: 'Returns an array of all the keys of the map.',
      variants: [{ params: ['MAP<K,V>'], returns: 'ARRAY<K>', fn: (m: Map<unknown, unknown>) => [...m.keys()] }],
    }),
    defineScalar({
      name: 'MAP_VALUES',
      description: 'Returns an array of all the values of the map.',
      variants: [{ params: ['MAP<K,V>'], returns: 'ARRAY<V>', fn: (m: Map<unknown, unknown>) => [...m.values()].map((v) => v ?? null) }],
    }),
    defineScalar({
      name: 'MAP_UNION',
      description: 'Returns a new map containing the union of all entries from both maps; on a key collision the second map wins.',
      variants: [
        {
          params: ['MAP<K,V>', 'MAP<K,V>'],
          returns: 'MAP<K,V>',
          nullSafe: true,
          fn: (a: Map<unknown, unknown> | null, b: Map<unknown, unknown> | null) => {
            if (a === null && b === null) return null;
            return new Map([...(a ?? []), ...(b ?? [])]);
          },
        },
      ],
    }),
    defineScalar({
      name: 'SLICE',
      description: 'Returns a subset of the array between from and to (1-based, inclusive); a NULL bound means the array end.',
      variants: [
        {
          params: ['ARRAY<T>', 'INT', 'INT'],
          returns: 'ARRAY<T>',
          nullSafe: true,
          fn: (a: unknown[] | null, from: number | null, to: number | null) => {
            if (a === null) return null;
            const f = from ?? 1;
            const t = to ?? a.length;
            // java.util.List.subList: out-of-range bounds yield NULL
            if (f < 1 || t > a.length || f - 1 > t) return null;
            return a.slice(f - 1, t);
          },
        },
      ],
    }),
  ];
}

function joinWith(arrType: SqlType | null | undefined, delim: string) {
  const el = arrType && arrType.kind === 'ARRAY' ? arrType.element : null;
  return (xs: unknown[]) => xs.map((x) => javaString(x, el)).join(delim);
}
