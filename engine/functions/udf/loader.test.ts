import { Decimal } from 'decimal.js';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { array, BIGINT, decimal, INTEGER, STRING, struct, type SqlType } from '../../types/sql-type.js';
import { MapFunctionRegistry } from '../registry.js';
import { FunctionError, ResolveError, type AggregateFunction, type ArgInfo, type ScalarFunction, type TableFunction } from '../types.js';
import { loadUserFunctions, UdfDefinitionError } from './loader.js';

const dir = fileURLToPath(new URL('./testdata', import.meta.url));
const col = (type: SqlType | null): ArgInfo => ({ type });

async function load(): Promise<MapFunctionRegistry> {
  const reg = new MapFunctionRegistry();
  await loadUserFunctions(dir, reg);
  return reg;
}

function scalar(reg: MapFunctionRegistry, name: string): ScalarFunction {
  const f = reg.get(name);
  if (f?.kind !== 'scalar') throw new Error(`no scalar ${name}`);
  return f;
}

describe('loadUserFunctions', () => {
  it('loads .mjs, .js and (under a TS loader) .ts modules, skipping _ files', async () => {
    const reg = await load();
    expect(reg.list().map((f) => `${f.kind}:${f.name}`)).toEqual([
      'scalar:BOOM',
      'scalar:COALESCE_STR',
      'scalar:FIRST_OF',
      'scalar:JOIN_ALL',
      'aggregate:LAST_N',
      'scalar:MONEY_STRUCT',
      'aggregate:PRODUCT',
      'table:RANGE_TO',
      'scalar:SHOUT',
      'table:SPLIT_WORDS',
      'scalar:TWICE',
      'scalar:WRAP',
    ]);
    expect(reg.get('shout')!.description).toBe('Upper-cases and adds a bang.');
  });

  it('skips .ts files when asked', async () => {
    const reg = new MapFunctionRegistry();
    await loadUserFunctions(dir, reg, { typescript: false });
    expect(reg.get('MONEY_STRUCT')).toBeUndefined();
  });

  it('resolves overloads, variadics, generics and widening', async () => {
    const reg = await load();
    const shout = scalar(reg, 'SHOUT');
    expect(shout.resolve([col(STRING)]).invoke('hi')).toBe('HI!');
    expect(shout.resolve([col(STRING), col(INTEGER)]).invoke('hi', 3)).toBe('HI!!!');
    expect(() => shout.resolve([col(INTEGER)])).toThrow(ResolveError);
    expect(() => shout.resolve([col(INTEGER)])).toThrow("Function 'SHOUT' does not accept parameters (INTEGER).\nValid alternatives are:\nSHOUT(STRING)\nSHOUT(STRING, INT)");
    const join = scalar(reg, 'JOIN_ALL').resolve([col(STRING), col(STRING), col(STRING), col(STRING)]);
    expect(join.invoke('-', 'a', 'b', 'c')).toBe('a-b-c');
    expect(scalar(reg, 'JOIN_ALL').resolve([col(STRING)]).invoke(',')).toBe('');
    const first = scalar(reg, 'FIRST_OF').resolve([col(array(BIGINT))]);
    expect(first.returnType).toEqual(BIGINT);
    expect(first.invoke([5n, 6n])).toBe(5n);
    const twice = scalar(reg, 'TWICE').resolve([col(INTEGER)]);
    expect(twice.invoke(21)).toBe(42n);
    expect(scalar(reg, 'WRAP').resolve([col(STRING)]).returnType).toEqual(array(STRING));
    const cs = scalar(reg, 'COALESCE_STR').resolve([col(STRING), col(STRING)]);
    expect(cs.nullSafe).toBe(true);
    expect(cs.invoke(null, 'b')).toBe('b');
  });

  it('parses struct and decimal types in TS modules', async () => {
    const reg = await load();
    const m = scalar(reg, 'MONEY_STRUCT').resolve([col(STRING), col(decimal(10, 2))]);
    expect(m.returnType).toEqual(struct([{ name: 'CURRENCY', type: STRING }, { name: 'amount', type: decimal(10, 2) }]));
    expect(m.invoke('EUR', new Decimal('1.50'))).toEqual({ CURRENCY: 'EUR', amount: new Decimal('1.50') });
  });

  it('wraps errors thrown by user code', async () => {
    const reg = await load();
    const boom = scalar(reg, 'BOOM').resolve([]);
    expect(() => boom.invoke()).toThrow(FunctionError);
    expect(() => boom.invoke()).toThrow('Error in user function BOOM: kaboom');
  });

  it('adapts aggregates with literal parameters', async () => {
    const reg = await load();
    const product = (reg.get('PRODUCT') as AggregateFunction).resolve([col(BIGINT)]);
    expect(product.valueArgs).toBe(1);
    expect(product.remove).toBeUndefined();
    const ctx = { sequence: 0, timestamp: 0 };
    let acc = product.init();
    for (const v of [2n, null, 3n]) acc = product.add(acc, [v], ctx);
    expect(product.result(acc)).toBe(6n);
    expect(product.result(product.merge!(acc, acc))).toBe(36n);

    const lastN = reg.get('LAST_N') as AggregateFunction;
    const impl = lastN.resolve([col(STRING), { type: INTEGER, literal: 2 }]);
    expect(impl.valueArgs).toBe(1);
    expect(impl.returnType).toEqual(array(STRING));
    let a = impl.init();
    for (const v of ['a', 'b', 'c']) a = impl.add(a, [v], ctx);
    expect(impl.result(a)).toEqual(['b', 'c']);
    expect(impl.result(impl.remove!(a, ['b'], ctx))).toEqual(['c']);
    expect(() => lastN.resolve([col(STRING), col(INTEGER)])).toThrow('must be a literal constant');
  });

  it('adapts table functions returning arrays or iterables', async () => {
    const reg = await load();
    const split = (reg.get('SPLIT_WORDS') as TableFunction).resolve([col(STRING)]);
    expect(split.returnType).toEqual(STRING);
    expect(split.invoke('a  b c')).toEqual(['a', 'b', 'c']);
    expect((reg.get('RANGE_TO') as TableFunction).resolve([col(INTEGER)]).invoke(3)).toEqual([0, 1, 2]);
  });

  it('refuses to replace existing functions unless allowed', async () => {
    const reg = await load();
    await expect(loadUserFunctions(dir, reg)).rejects.toThrow(UdfDefinitionError);
    await expect(loadUserFunctions(dir, reg, { allowOverride: true })).resolves.toHaveLength(12);
  });

  it('reports invalid definitions with the file name', async () => {
    await expect(loadUserFunctions(`${dir}/bad`, new MapFunctionRegistry())).rejects.toThrow("bad.mjs[0]: bad: unknown type 'NOPE' in: NOPE");
  });
});
