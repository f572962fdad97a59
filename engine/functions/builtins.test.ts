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
});
