import { aggregateFunctions, type AggregateOptions } from './aggregate/index.js';
import { MapFunctionRegistry } from './registry.js';
import { scalarFunctions } from './scalar/index.js';
import { tableFunctions } from './table/index.js';

export type BuiltinOptions = AggregateOptions;

/** A registry with every built-in scalar, aggregate and table function. */
export function builtinRegistry(options: BuiltinOptions = {}): MapFunctionRegistry {
  return new MapFunctionRegistry([...scalarFunctions(), ...aggregateFunctions(options), ...tableFunctions()]);
}

/** ksqlDB properties that configure built-in functions, by option. */
const FUNCTION_PROPERTIES: Readonly<Record<keyof BuiltinOptions, string>> = {
  collectListLimit: 'ksql.functions.collect_list.limit',
  collectSetLimit: 'ksql.functions.collect_set.limit',
};

/**
 * The built-in options set by ksqlDB properties (server config or a case's
 * properties), e.g. `ksql.functions.collect_list.limit` → collectListLimit.
 * Properties that are absent or not integers leave the default.
 */
export function builtinOptionsFromProperties(properties: Readonly<Record<string, string>>): BuiltinOptions {
  const out: { -readonly [K in keyof BuiltinOptions]: BuiltinOptions[K] } = {};
  for (const [option, property] of Object.entries(FUNCTION_PROPERTIES) as [keyof BuiltinOptions, string][]) {
    const raw = properties[property];
    if (raw === undefined) continue;
    const n = Number(String(raw).trim());
    if (Number.isInteger(n)) out[option] = n;
  }
  return out;
}
