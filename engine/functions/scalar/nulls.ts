import { defineScalar } from './signature.js';
import type { BuiltinScalar } from './signature.js';
import { valueEquals } from './values.js';

/** COALESCE, IFNULL, NULLIF. */
export function nullFunctions(): BuiltinScalar[] {
  return [
    defineScalar({
      name: 'COALESCE',
      description: 'Returns the first non-null argument.',
      variants: [
        {
          params: ['T', 'T'],
          variadic: true,
          returns: 'T',
          nullSafe: true,
          fn: (...xs: unknown[]) => xs.find((x) => x !== null && x !== undefined) ?? null,
        },
      ],
    }),
    defineScalar({
      name: 'IFNULL',
      description: 'Returns the second argument if the first is NULL, else the first.',
      variants: [{ params: ['T', 'T'], returns: 'T', nullSafe: true, fn: (a: unknown, b: unknown) => a ?? b ?? null }],
    }),
    defineScalar({
      name: 'NULLIF',
      description: 'Returns NULL if both arguments are equal, else the first argument.',
      variants: [
        { params: ['T', 'T'], returns: 'T', nullSafe: true, fn: (a: unknown, b: unknown) => (a === null || valueEquals(a, b) ? null : a) },
      ],
    }),
  ];
}
