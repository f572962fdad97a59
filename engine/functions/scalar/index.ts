import type { ScalarFunction } from '../types.js';
import { bytesFunctions } from './bytes.js';
import { collectionFunctions } from './collections.js';
import { datetimeFunctions } from './datetime.js';
import { jsonFunctions } from './json.js';
import { lambdaFunctions } from './lambda.js';
import { nullFunctions } from './nulls.js';
import { numericFunctions } from './numeric.js';
import { defineScalar } from './signature.js';
import type { BuiltinScalar } from './signature.js';
import { stringFunctions } from './string.js';
import { urlFunctions } from './url.js';

export type { BuiltinScalar } from './signature.js';

function miscFunctions(): BuiltinScalar[] {
  return [
    defineScalar({
      name: 'AS_VALUE',
      description: 'Copies a key column into the value of the result.',
      variants: [{ params: ['T'], returns: 'T', nullSafe: true, fn: (x: unknown) => x }],
    }),
  ];
}

/** Every built-in scalar function, sorted by name. */
export function scalarFunctions(): ScalarFunction[] {
  return builtinScalars();
}

/** The same list with overload signatures (for DESCRIBE FUNCTION). */
export function builtinScalars(): BuiltinScalar[] {
  return [
    ...numericFunctions(),
    ...collectionFunctions(),
    ...lambdaFunctions(),
    ...stringFunctions(),
    ...bytesFunctions(),
    ...jsonFunctions(),
    ...nullFunctions(),
    ...datetimeFunctions(),
    ...urlFunctions(),
    ...miscFunctions(),
  ].sort((a, b) => a.name.localeCompare(b.name));
}
