import { readdir } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FunctionRegistry, SqlFunction } from '../types.js';
import { adaptAll, UdfDefinitionError } from './adapt.js';
import type { UserFunction } from './api.js';
import { parseTypePattern } from './type-parser.js';

export type { UserAggregateFunction, UserFunction, UserScalarFunction, UserTableFunction } from './api.js';
export { parseSqlType, parseTypePattern, TypeParseError } from './type-parser.js';
export { UdfDefinitionError } from './adapt.js';

export interface LoadOptions {
  /**
   * Also load `.ts`/`.mts` files. Only works when a TypeScript loader is active
   * (running under `tsx`, or vitest); defaults to true exactly when this module
   * itself is running from TypeScript source.
   */
  readonly typescript?: boolean;
  /** Allow a user function to replace a function already in the registry (default false). */
  readonly allowOverride?: boolean;
}

/**
 * Load user-defined functions from the modules in `dir` (not recursive) and
 * register them. Each module default-exports a definition or an array of them,
 * or exports `functions` (an array); see `api.ts` for the shapes:
 *
 * ```js
 * export default {
 *   kind: 'scalar', name: 'SHOUT', params: ['STRING'], returns: 'STRING',
 *   invoke: (s) => s.toUpperCase() + '!',
 * };
 * ```
 *
 * Files are loaded in name order; `.js`/`.mjs` always, `.ts`/`.mts` per
 * `options.typescript`; `*.d.ts`, `*.test.*` and names starting with `_` or `.`
 * are skipped. Definitions sharing a name become overloads. Loading fails
 * (registering nothing) on an invalid definition or, unless `allowOverride`,
 * on a name the registry already has.
 *
 * Returns the functions registered.
 */
export async function loadUserFunctions(dir: string, registry: FunctionRegistry, options: LoadOptions = {}): Promise<SqlFunction[]> {
  const typescript = options.typescript ?? import.meta.url.endsWith('.ts');
  const exts = new Set(['.js', '.mjs', ...(typescript ? ['.ts', '.mts'] : [])]);
  const entries = await readdir(dir, { withFileTypes: true });
  const files = entries
    .filter((e) => e.isFile() && exts.has(extname(e.name)))
    .map((e) => e.name)
    .filter((n) => !n.startsWith('_') && !n.startsWith('.') && !/\.d\.m?ts$/.test(n) && !/\.(test|spec)\./.test(n))
    .sort();
  const defs: UserFunction[] = [];
  for (const file of files) {
    const path = resolve(join(dir, file));
    let mod: Record<string, unknown>;
    try {
      mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
    } catch (e) {
      throw new UdfDefinitionError(`${file}: cannot load: ${e instanceof Error ? e.message : String(e)}`);
    }
    defs.push(...definitionsOf(mod, file));
  }
  let fns: SqlFunction[];
  try {
    fns = adaptAll(defs);
  } catch (e) {
    throw e instanceof UdfDefinitionError ? e : new UdfDefinitionError(e instanceof Error ? e.message : String(e));
  }
  if (!options.allowOverride) {
    const clash = fns.filter((f) => registry.get(f.name));
    if (clash.length > 0) throw new UdfDefinitionError(`user function(s) ${clash.map((f) => f.name).join(', ')} would replace existing functions`);
  }
  for (const f of fns) registry.register(f);
  return fns;
}

/** The definitions a module exports, validated. */
export function definitionsOf(mod: Record<string, unknown>, file: string): UserFunction[] {
  const raw = mod['functions'] ?? mod['default'];
  if (raw === undefined) throw new UdfDefinitionError(`${file}: exports neither a default nor 'functions'`);
  const list = Array.isArray(raw) ? raw : [raw];
  return list.map((d, i) => validate(d, `${file}[${i}]`));
}

function validate(d: unknown, where: string): UserFunction {
  const fail = (msg: string): never => {
    throw new UdfDefinitionError(`${where}: ${msg}`);
  };
  if (typeof d !== 'object' || d === null) return fail('a function definition must be an object');
  const o = d as Record<string, unknown>;
  if (typeof o['name'] !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(o['name'])) fail('`name` must be an identifier');
  const name = o['name'] as string;
  if (!Array.isArray(o['params']) || !(o['params'] as unknown[]).every((p) => typeof p === 'string')) fail(`${name}: \`params\` must be an array of type strings`);
  if (typeof o['returns'] !== 'string' && typeof o['returns'] !== 'function') fail(`${name}: \`returns\` must be a type string or a function`);
  const needFn = (k: string): void => {
    if (typeof o[k] !== 'function') fail(`${name}: \`${k}\` must be a function`);
  };
  const optFn = (k: string): void => {
    if (o[k] !== undefined && typeof o[k] !== 'function') fail(`${name}: \`${k}\` must be a function`);
  };
  switch (o['kind']) {
    case 'scalar':
    case 'table':
      needFn('invoke');
      break;
    case 'aggregate':
      needFn('init');
      needFn('add');
      optFn('remove');
      optFn('merge');
      optFn('result');
      if (o['literalParams'] !== undefined && !(Array.isArray(o['literalParams']) && (o['literalParams'] as unknown[]).every((p) => typeof p === 'string'))) {
        fail(`${name}: \`literalParams\` must be an array of type strings`);
      }
      break;
    default:
      fail(`${name}: \`kind\` must be 'scalar', 'aggregate' or 'table'`);
  }
  const types = [...(o['params'] as string[]), ...((o['literalParams'] as string[] | undefined) ?? [])];
  if (typeof o['returns'] === 'string') types.push(o['returns']);
  for (const t of types) {
    try {
      parseTypePattern(t);
    } catch (e) {
      fail(`${name}: ${(e as Error).message}`);
    }
  }
  return d as UserFunction;
}
