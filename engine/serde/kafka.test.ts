import { describe, expect, it } from 'vitest';
import { BIGINT, BOOLEAN, BYTES, DOUBLE, INTEGER, STRING, struct } from '../types/sql-type.js';
import { createSerde, InMemorySchemaRegistry, SerdeError, type FormatInfo, type SerdeColumn } from './index.js';

const reg = new InMemorySchemaRegistry();
const K: FormatInfo = { format: 'KAFKA', properties: {} };
const serde = (cols: SerdeColumn[], isKey = true) => createSerde(K, cols, { topic: 't', isKey, registry: reg });

describe('KAFKA serde', () => {
  it('uses Kafka primitive layouts', () => {
    expect(serde([{ name: 'K', type: INTEGER }]).serialize([1])).toEqual(Buffer.from([0, 0, 0, 1]));
    expect(serde([{ name: 'K', type: BIGINT }]).serialize([2n])).toEqual(Buffer.from([0, 0, 0, 0, 0, 0, 0, 2]));
    expect(serde([{ name: 'K', type: DOUBLE }]).deserialize(serde([{ name: 'K', type: DOUBLE }]).serialize([1.5]))).toEqual([1.5]);
    expect(serde([{ name: 'K', type: STRING }]).serialize(['foo'])).toEqual(Buffer.from('foo'));
    expect(serde([{ name: 'K', type: BYTES }]).deserialize(Buffer.from([1, 2]))).toEqual([Buffer.from([1, 2])]);
    expect(serde([{ name: 'K', type: BIGINT }]).deserialize(Buffer.from([255, 255, 255, 255, 255, 255, 255, 255]))).toEqual([-1n]);
  });

  it('null value ⇔ null bytes; no column ⇒ null', () => {
    expect(serde([{ name: 'K', type: INTEGER }]).serialize([null])).toBeNull();
    expect(serde([]).serialize([])).toBeNull();
  });

  it('fails on wrong sizes and unsupported types', () => {
    expect(() => serde([{ name: 'K', type: INTEGER }]).deserialize(Buffer.from([1]))).toThrow('Size of data received by IntegerDeserializer is not 4');
    expect(() => serde([{ name: 'K', type: BOOLEAN }])).toThrow("The 'KAFKA' format does not support type 'BOOLEAN'");
    expect(() => serde([{ name: 'K', type: struct([]) }])).toThrow("The 'KAFKA' format does not support type 'STRUCT'");
    expect(() => serde([{ name: 'A', type: INTEGER }, { name: 'B', type: INTEGER }])).toThrow(SerdeError);
  });
});
