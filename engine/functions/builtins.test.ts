import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { aggregateFunctions } from './aggregate/index.js';
import { tableFunctions } from './table/index.js';

// builtins.ts imports the scalar functions, written in parallel; skip until they exist.
const hasScalars = existsSync(new URL('./scalar/index.ts', import.meta.url));

describe('built-in functions', () => {
  it('aggregates and table functions have unique upper-case names', () => {
    const names = [...aggregateFunctions(), ...tableFunctions()].map((f) => f.name);
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) expect(n).toBe(n.toUpperCase());
  });

  it.skipIf(!hasScalars)('builtinRegistry registers every kind', async () => {
    const { builtinRegistry } = await import('./builtins.js');
    const reg = builtinRegistry();
    expect(reg.get('count')?.kind).toBe('aggregate');
    expect(reg.get('explode')?.kind).toBe('table');
    expect(reg.list().some((f) => f.kind === 'scalar')).toBe(true);
  });

  it.skipIf(!hasScalars)('builtinOptionsFromProperties reads the collect limits', async () => {
    const { builtinOptionsFromProperties, builtinRegistry } = await import('./builtins.js');
    const opts = builtinOptionsFromProperties({ 'ksql.functions.collect_list.limit': '1', 'ksql.functions.collect_set.limit': 'x', other: '3' });
    expect(opts).toEqual({ collectListLimit: 1 });
    const fn = builtinRegistry(opts).get('COLLECT_LIST');
    if (fn?.kind !== 'aggregate') throw new Error('COLLECT_LIST is not an aggregate');
    const impl = fn.resolve([{ type: { kind: 'INTEGER' } }]);
    const ctx = { sequence: 0, timestamp: 0 };
    expect(impl.result(impl.add(impl.add(impl.init(), [0], ctx), [100], ctx))).toEqual([0]);
  });
});
