import { describe, expect, it } from 'vitest';
import { Decimal } from 'decimal.js';
import { BIGINT, BYTES, DOUBLE, INTEGER, STRING, array, decimal, map, struct } from '../../types/sql-type.js';
import { decodeSide, decodeWindowedKey, encodeSide, encodeWindowedKey, jsonToRow, jsonToSql, shapeLike, type CodecContext } from './codec.js';
import { col, fakeSerde, FakeRegistry } from './fake-engine.test-support.js';
import { parseLossless } from './load.js';

const ctx: CodecContext = { serde: fakeSerde, registry: new FakeRegistry() };
const j = (s: string): unknown => parseLossless(s);

describe('codec', () => {
  it('converts test JSON to engine values by column type', () => {
    expect(jsonToSql(j('9223372036854775807'), BIGINT)).toBe(9223372036854775807n);
    expect((jsonToSql(j('1.5'), decimal(4, 2)) as Decimal).toFixed(2)).toBe('1.50');
    expect(jsonToSql('IQ==', BYTES)).toEqual(Buffer.from([0x21]));
    expect(jsonToSql(j('{"a": [1]}'), map(STRING, array(INTEGER)))).toEqual(new Map([['a', [1]]]));
    expect(jsonToSql(j('{"f1": 1}'), struct([{ name: 'F1', type: INTEGER }]))).toEqual({ F1: 1 });
  });

  it('maps objects to rows case-insensitively and unwraps single values', () => {
    const cols = [col('A', INTEGER), col('B', STRING)];
    expect(jsonToRow(j('{"a": 1, "B": "x"}'), cols)).toEqual([1, 'x']);
    expect(jsonToRow(j('{"a": 1}'), cols)).toEqual([1, null]);
    expect(jsonToRow(j('7'), [col('A', INTEGER)])).toEqual([7]);
    expect(jsonToRow(j('{"A": 7}'), [col('A', INTEGER)])).toEqual([7]);
    expect(jsonToRow(null, cols)).toBeNull();
  });

  it('writes JSON and DELIMITED text as the test has it, KAFKA per type', () => {
    const json = { format: 'JSON' as const, properties: {} };
    expect(encodeSide(ctx, j('{"V": 1.10, "B": 9223372036854775807}'), json, [], 't', false)!.toString()).toBe('{"V":1.10,"B":9223372036854775807}');
    expect(encodeSide(ctx, '1,a', { format: 'DELIMITED', properties: {} }, [], 't', false)!.toString()).toBe('1,a');
    expect(encodeSide(ctx, j('1'), { format: 'KAFKA', properties: {} }, [col('K', INTEGER, 'KEY')], 't', true)).toEqual(Buffer.from([0, 0, 0, 1]));
    expect(encodeSide(ctx, j('-1'), { format: 'KAFKA', properties: {} }, [col('K', BIGINT, 'KEY')], 't', true)!.toString('hex')).toBe('ffffffffffffffff');
    expect(encodeSide(ctx, null, json, [], 't', false)).toBeNull();
    ctx.registry.register('t-value', 'JSON', '{}');
    const sr = encodeSide(ctx, j('{"A":1}'), { format: 'JSON_SR', properties: {} }, [], 't', false)!;
    expect(sr.subarray(0, 5)).toEqual(Buffer.from([0, 0, 0, 0, 1]));
    expect(decodeSide(ctx, sr, { format: 'JSON_SR', properties: {} }, [], 't', false)).toEqual({ kind: 'json', value: j('{"A":1}') });
  });

  it('reads KAFKA bytes per type', () => {
    const k = { format: 'KAFKA' as const, properties: {} };
    expect(decodeSide(ctx, Buffer.from([0, 0, 0, 5]), k, [col('K', INTEGER)], 't', true)).toEqual({ kind: 'json', value: 5 });
    const d = Buffer.alloc(8);
    d.writeDoubleBE(1.5);
    expect(decodeSide(ctx, d, k, [col('K', DOUBLE)], 't', true)).toEqual({ kind: 'json', value: 1.5 });
  });

  it('shapes a decoded row like the expectation', () => {
    const one = { kind: 'row' as const, columns: [col('A', INTEGER)], values: [1] };
    expect(shapeLike(one, j('1'))).toBe(1);
    expect(shapeLike(one, j('{"A": 1}'))).toEqual({ A: 1 });
    const two = { kind: 'row' as const, columns: [col('A', INTEGER), col('B', BIGINT)], values: [1, 2n] };
    expect(String((shapeLike(two, null) as Record<string, unknown>)['B'])).toBe('2');
  });

  it('round-trips windowed keys through the windowed serde', () => {
    const inner = Buffer.from('k');
    const bytes = encodeWindowedKey(ctx, inner, { start: 10, end: 20, type: 'session' }, { kind: 'SESSION', sizeMs: null });
    expect(decodeWindowedKey(ctx, bytes, { kind: 'SESSION', sizeMs: null })).toEqual({ inner, window: { start: 10, end: 20 } });
  });
});
