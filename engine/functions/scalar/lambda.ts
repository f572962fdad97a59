import { FunctionError } from '../types.js';
import type { ArgInfo } from '../types.js';
import type { SqlType } from '../../types/sql-type.js';
import { call, collectionParams, defineScalar } from './signature.js';
import type { BuildContext, BuiltinScalar } from './signature.js';
import { valueKey } from './values.js';

/** Higher-order built-ins: TRANSFORM, FILTER, REDUCE over arrays and maps. */

const bodyType = (c: BuildContext, i: number): SqlType => c.types[i] ?? { kind: 'STRING' };

const collectionLambdaParams = (args: readonly ArgInfo[]): readonly SqlType[] => collectionParams(args[0]?.type ?? null);

function reduceLambdaParams(args: readonly ArgInfo[]): readonly SqlType[] {
  const coll = collectionParams(args[0]?.type ?? null);
  const s = args[1]?.type;
  const state: SqlType = s && s.kind !== 'NULL' ? s : { kind: 'NULL' };
  return [state, ...coll];
}

function buildMap(entries: Iterable<[unknown, unknown]>): Map<unknown, unknown> {
  const out = new Map<unknown, unknown>();
  const seen = new Set<string>();
  for (const [k, v] of entries) {
    const key = valueKey(k);
    // Java's Collectors.toMap rejects duplicate keys and null values
    if (seen.has(key)) throw new FunctionError(`Duplicate key ${String(k)}`);
    if (v === null) throw new FunctionError('TRANSFORM produced a null map value');
    seen.add(key);
    out.set(k, v);
  }
  return out;
}

export function lambdaFunctions(): BuiltinScalar[] {
  return [
    defineScalar({
      name: 'TRANSFORM',
      description:
        'Applies a lambda to each element of an array (x => ...), or to each key and value of a map ((k, v) => ..., (k, v) => ...), returning the transformed collection.',
      lambdaParams: collectionLambdaParams,
      variants: [
        {
          params: ['ARRAY<T>', 'FN1:R'],
          returns: (c) => ({ kind: 'ARRAY', element: bodyType(c, 1) }),
          fn: (xs: unknown[], f: unknown) => xs.map((x) => call(f, x)),
        },
        {
          params: ['MAP<K,V>', 'FN2:R', 'FN2:S'],
          returns: (c) => ({ kind: 'MAP', key: bodyType(c, 1), value: bodyType(c, 2) }),
          fn: (m: Map<unknown, unknown>, fk: unknown, fv: unknown) =>
            buildMap([...m].map(([k, v]) => [call(fk, k, v ?? null), call(fv, k, v ?? null)])),
        },
      ],
    }),
    defineScalar({
      name: 'FILTER',
      description: 'Keeps the elements of an array (x => ...) or the entries of a map ((k, v) => ...) for which the lambda returns true.',
      lambdaParams: collectionLambdaParams,
      variants: [
        {
          params: ['ARRAY<T>', 'FN1:BOOLEAN'],
          returns: 'ARRAY<T>',
          fn: (xs: unknown[], f: unknown) => xs.filter((x) => call(f, x) === true),
        },
        {
          params: ['MAP<K,V>', 'FN2:BOOLEAN'],
          returns: 'MAP<K,V>',
          fn: (m: Map<unknown, unknown>, f: unknown) => new Map([...m].filter(([k, v]) => call(f, k, v ?? null) === true)),
        },
      ],
    }),
    defineScalar({
      name: 'REDUCE',
      description:
        'Reduces an array ((s, x) => ...) or a map ((s, k, v) => ...) to a single value, starting from the initial state; a NULL collection returns the initial state.',
      lambdaParams: reduceLambdaParams,
      variants: [
        {
          params: ['ARRAY<T>', 'S', 'FN2:R'],
          returns: (c) => stateType(c),
          nullSafe: true,
          fn: (xs: unknown[] | null, init: unknown, f: unknown) => {
            if (init === null) return null;
            if (xs === null) return init;
            let s: unknown = init;
            for (const x of xs) s = call(f, s, x);
            return s;
          },
        },
        {
          params: ['MAP<K,V>', 'S', 'FN3:R'],
          returns: (c) => stateType(c),
          nullSafe: true,
          fn: (m: Map<unknown, unknown> | null, init: unknown, f: unknown) => {
            if (init === null) return null;
            if (m === null) return init;
            let s: unknown = init;
            for (const [k, v] of m) s = call(f, s, k, v ?? null);
            return s;
          },
        },
      ],
    }),
  ];
}

function stateType(c: BuildContext): SqlType {
  const s = c.types[1];
  return s ?? bodyType(c, 2);
}
