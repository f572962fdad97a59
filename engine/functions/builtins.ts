import { aggregateFunctions, type AggregateOptions } from './aggregate/index.js';
import { MapFunctionRegistry } from './registry.js';
import { scalarFunctions } from './scalar/index.js';
import { tableFunctions } from './table/index.js';

export type BuiltinOptions = AggregateOptions;

/** A registry with every built-in scalar, aggregate and table function. */
export function builtinRegistry(options: BuiltinOptions = {}): MapFunctionRegistry {
  return new MapFunctionRegistry([...scalarFunctions(), ...aggregateFunctions(options), ...tableFunctions()]);
}
