import type { FunctionRegistry, SqlFunction } from './types.js';

/** The one registry for built-in and user-defined functions; names are case-insensitive. */
export class MapFunctionRegistry implements FunctionRegistry {
  readonly #fns = new Map<string, SqlFunction>();

  constructor(fns: Iterable<SqlFunction> = []) {
    for (const f of fns) this.register(f);
  }

  get(name: string): SqlFunction | undefined {
    return this.#fns.get(name.toUpperCase());
  }

  register(fn: SqlFunction): void {
    this.#fns.set(fn.name.toUpperCase(), fn);
  }

  list(): readonly SqlFunction[] {
    return [...this.#fns.values()].sort((a, b) => a.name.localeCompare(b.name));
  }
}
