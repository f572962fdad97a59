import { Decimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { array, BIGINT, BOOLEAN, BYTES, decimal, DOUBLE, INTEGER, map, STRING, struct, TIMESTAMP } from '../types/sql-type.js';
import { createSerde, InMemorySchemaRegistry, SerdeError, type FormatInfo, type SerdeColumn } from './index.js';

const JSON_F: FormatInfo = { format: 'JSON', properties: {} };
const reg = new InMemorySchemaRegistry();
const serde = (cols: SerdeColumn[], isKey = false, wrapSingleValue?: boolean) =>
  createSerde(JSON_F, cols, { topic: 't', isKey, registry: reg, ...(wrapSingleValue !== undefined ? { wrapSingleValue } : {}) });
const text = (b: Buffer | null) => b?.toString('utf8') ?? null;

describe('JSON serde', () => {
  it('reads fields case-insensitively and writes declared names', () => {
    const s = serde([{ name: 'V', type: INTEGER }, { name: 'S', type: struct([{ name: 'F', type: DOUBLE }]) }]);
    const row = s.deserialize(Buffer.from('{"v": 3, "s": {"f": 45.67}}'));
    expect(row).toEqual([3, { F: 45.67 }]);
    expect(text(s.serialize(row))).toBe('{"V":3,"S":{"F":45.67}}');
  });

  it('unwraps a single key column and WRAP_SINGLE_VALUE=false values', () => {
    expect(serde([{ name: 'K', type: BOOLEAN }], true).deserialize(Buffer.from('true'))).toEqual([true]);
    expect(text(serde([{ name: 'K', type: STRING }], true).serialize(['Hey']))).toBe('"Hey"');
    expect(text(serde([{ name: 'V', type: INTEGER }], false, false).serialize([123]))).toBe('123');
    expect(serde([{ name: 'V', type: INTEGER }], false, false).serialize([null])).toBeNull();
    expect(text(serde([{ name: 'V', type: INTEGER }], false).serialize([123]))).toBe('{"V":123}');
  });

  it('reads BIGINT beyond 2^53 losslessly', () => {
    const s = serde([{ name: 'K', type: BIGINT }], true);
    const row = s.deserialize(Buffer.from('998877665544332211'));
    expect(row).toEqual([998877665544332211n]);
    expect(text(s.serialize(row))).toBe('998877665544332211');
  });

  it('coerces as ksqlDB does', () => {
    const s = serde([
      { name: 'I', type: INTEGER },
      { name: 'B', type: BIGINT },
      { name: 'D', type: decimal(6, 4) },
      { name: 'STR', type: STRING },
      { name: 'TS', type: TIMESTAMP },
      { name: 'BY', type: BYTES },
    ]);
    const row = s.deserialize(Buffer.from('{"I":"12","B":7,"D":10,"STR":{"a":1},"TS":"5000","BY":"IQ=="}'))!;
    expect(row[0]).toBe(12);
    expect(row[1]).toBe(7n);
    expect((row[2] as Decimal).toFixed(4)).toBe('10.0000');
    expect(row[3]).toBe('{"a":1}');
    expect(row[4]).toBe(5000);
    expect(row[5]).toEqual(Buffer.from('!'));
    expect(text(s.serialize(row))).toBe('{"I":12,"B":7,"D":10.0000,"STR":"{\\"a\\":1}","TS":5000,"BY":"IQ=="}');
  });

  it('writes doubles like Java and maps/arrays', () => {
    const s = serde([{ name: 'D', type: DOUBLE }, { name: 'M', type: map(STRING, array(DOUBLE)) }]);
    expect(text(s.serialize([4, new Map([['a', [1e10, null]]])]))).toBe('{"D":4.0,"M":{"a":[1.0E10,null]}}');
  });

  it('missing fields are null; null bytes are a null row', () => {
    const s = serde([{ name: 'A', type: INTEGER }, { name: 'B', type: STRING }]);
    expect(s.deserialize(Buffer.from('{"A":1}'))).toEqual([1, null]);
    expect(s.deserialize(null)).toBeNull();
    expect(s.serialize(null)).toBeNull();
  });

  it('fails with SerdeError on malformed JSON and wrong types', () => {
    const s = serde([{ name: 'A', type: INTEGER }, { name: 'B', type: BOOLEAN }]);
    expect(() => s.deserialize(Buffer.from('{"A":'))).toThrow(SerdeError);
    expect(() => s.deserialize(Buffer.from('{"A":"x"}'))).toThrow(SerdeError);
    expect(() => s.deserialize(Buffer.from('{"B":[1]}'))).toThrow(SerdeError);
    expect(() => s.deserialize(Buffer.from('[1,2]'))).toThrow(SerdeError);
  });

  it('rejects non-string map keys', () => {
    expect(() => serde([{ name: 'M', type: map(INTEGER, DOUBLE) }])).toThrow('JSON only supports MAP types with STRING keys');
  });

  it('tolerates a schema-registry header on plain JSON', () => {
    const s = serde([{ name: 'A', type: INTEGER }]);
    expect(s.deserialize(Buffer.concat([Buffer.from([0, 0, 0, 0, 1]), Buffer.from('{"A":1}')]))).toEqual([1]);
  });
});
