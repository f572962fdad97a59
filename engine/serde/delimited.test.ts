import { Decimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { BIGINT, BOOLEAN, BYTES, DATE, decimal, DOUBLE, INTEGER, STRING, array } from '../types/sql-type.js';
import { createSerde, InMemorySchemaRegistry, SerdeError, type SerdeColumn } from './index.js';
import { parseCsvRecord, parseDelimiter } from './delimited.js';

const reg = new InMemorySchemaRegistry();
const serde = (cols: SerdeColumn[], delimiter?: string) =>
  createSerde({ format: 'DELIMITED', properties: delimiter ? { DELIMITER: delimiter } : {} }, cols, { topic: 't', isKey: false, registry: reg });
const text = (b: Buffer | null) => b?.toString('utf8') ?? null;

describe('DELIMITED serde', () => {
  it('round-trips a row (QTT select delimited value_format)', () => {
    const s = serde([{ name: 'ID', type: BIGINT }, { name: 'NAME', type: STRING }, { name: 'VALUE', type: INTEGER }]);
    const row = s.deserialize(Buffer.from('0,zero,0'));
    expect(row).toEqual([0n, 'zero', 0]);
    expect(text(s.serialize(row))).toBe('0,zero,0');
  });

  it('strips quotes on read and quotes like Commons CSV on write', () => {
    expect(serde([{ name: 'K', type: BOOLEAN }]).deserialize(Buffer.from('"true"'))).toEqual([true]);
    expect(serde([{ name: 'K1', type: STRING }, { name: 'K2', type: STRING }]).deserialize(Buffer.from('"foo","bar"'))).toEqual(['foo', 'bar']);
    const d = serde([{ name: 'V', type: decimal(33, 16) }]);
    expect(text(d.serialize(d.deserialize(Buffer.from('"-12345.12"'))))).toBe('"-12345.1200000000000000"');
    expect(text(d.serialize(d.deserialize(Buffer.from('.12'))))).toBe('0.1200000000000000');
    expect(text(serde([{ name: 'D', type: DATE }]).serialize([-10]))).toBe('"-10"');
    const s3 = serde([{ name: 'A', type: STRING }, { name: 'B', type: BYTES }, { name: 'C', type: STRING }]);
    expect(text(s3.serialize(['!', Buffer.from('!'), '!']))).toBe('"!",IQ==,"!"');
    expect(text(s3.serialize(['a"b', null, 'x,y']))).toBe('"a""b",,"x,y"');
    expect(text(s3.serialize([null, null, 'bar']))).toBe(',,bar');
  });

  it('reads empty fields as null and checks the column count', () => {
    const s = serde([{ name: 'A', type: INTEGER }, { name: 'B', type: STRING }]);
    expect(s.deserialize(Buffer.from(','))).toEqual([null, null]);
    expect(() => s.deserialize(Buffer.from('1,2,3'))).toThrow('Column count mismatch on deserialization. topic: t, expected: 2, got: 3');
    expect(() => s.deserialize(Buffer.from('x,2'))).toThrow(SerdeError);
  });

  it('uses the DELIMITER property, words TAB and SPACE', () => {
    const s = serde([{ name: 'A', type: INTEGER }, { name: 'D', type: DOUBLE }], '|');
    expect(s.deserialize(Buffer.from('1|2.5'))).toEqual([1, 2.5]);
    expect(text(s.serialize([1, 3]))).toBe('1|3.0');
    expect(parseDelimiter('TAB')).toBe('\t');
    expect(parseDelimiter('SPACE')).toBe(' ');
    expect(() => parseDelimiter('<~>')).toThrow("Invalid delimiter value: '<~>'");
    expect(() => parseDelimiter('')).toThrow('Delimiter cannot be empty');
    expect(parseCsvRecord('foo,bar', ';')).toEqual(['foo,bar']);
  });

  it('rejects nested types and WRAP_SINGLE_VALUE=true', () => {
    expect(() => serde([{ name: 'A', type: array(INTEGER) }])).toThrow("The 'DELIMITED' format does not support type 'ARRAY'");
    expect(() => createSerde({ format: 'DELIMITED', properties: {} }, [{ name: 'A', type: INTEGER }], { topic: 't', isKey: false, registry: reg, wrapSingleValue: true })).toThrow(
      "Format 'DELIMITED' does not support 'WRAP_SINGLE_VALUE' set to 'true'.",
    );
  });

  it('keeps decimal scale', () => {
    const s = serde([{ name: 'D', type: decimal(6, 4) }]);
    const row = s.deserialize(Buffer.from('10.0000'))!;
    expect((row[0] as Decimal).toFixed(4)).toBe('10.0000');
    expect(text(s.serialize(row))).toBe('10.0000');
  });
});
