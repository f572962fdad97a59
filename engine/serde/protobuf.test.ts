import { Decimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { array, BIGINT, BOOLEAN, DATE, decimal, DOUBLE, INTEGER, map, STRING, struct, TIME, TIMESTAMP } from '../types/sql-type.js';
import { createSerde, InMemorySchemaRegistry, schemaToColumns, type SerdeColumn } from './index.js';
import { decodeMessageIndexes, encodeMessageIndexes, protobufSchemaFor } from './protobuf.js';

const serde = (reg: InMemorySchemaRegistry, cols: SerdeColumn[], format: 'PROTOBUF' | 'PROTOBUF_NOSR' = 'PROTOBUF', properties: Record<string, string> = {}) =>
  createSerde({ format, properties }, cols, { topic: 'input', isKey: false, registry: reg });

describe('PROTOBUF serde', () => {
  const cols: SerdeColumn[] = [
    { name: 'I', type: INTEGER },
    { name: 'L', type: BIGINT },
    { name: 'D', type: DOUBLE },
    { name: 'B', type: BOOLEAN },
    { name: 'S', type: STRING },
  ];

  it('generates ksqlDB-shaped schemas', () => {
    expect(protobufSchemaFor(cols, { wrapperNulls: false })).toBe(
      'syntax = "proto3";\n\nmessage ConnectDefault1 {\n  int32 I = 1;\n  int64 L = 2;\n  double D = 3;\n  bool B = 4;\n  string S = 5;\n}\n',
    );
    expect(protobufSchemaFor(cols, { wrapperNulls: true })).toContain('google.protobuf.Int32Value I = 1;');
  });

  it('writes nulls as proto3 defaults (QTT: protobuf primitives with null)', () => {
    const reg = new InMemorySchemaRegistry();
    const s = serde(reg, cols);
    const bytes = s.serialize([null, 0n, null, false, null])!;
    expect(bytes.subarray(0, 6)).toEqual(Buffer.from([0, 0, 0, 0, 1, 0]));
    expect(s.deserialize(bytes)).toEqual([0, 0n, 0, false, '']);
  });

  it('keeps nulls with the WRAPPER representation', () => {
    const reg = new InMemorySchemaRegistry();
    const s = serde(reg, cols, 'PROTOBUF', { PROTOBUF_NULLABLE_REPRESENTATION: 'WRAPPER' });
    expect(s.deserialize(s.serialize([null, 0n, null, false, null]))).toEqual([null, 0n, null, false, null]);
  });

  it('round-trips nested and logical types; PROTOBUF_NOSR without header', () => {
    const reg = new InMemorySchemaRegistry();
    const c2: SerdeColumn[] = [
      { name: 'DEC', type: decimal(4, 2) },
      { name: 'DT', type: DATE },
      { name: 'T', type: TIME },
      { name: 'TS', type: TIMESTAMP },
      { name: 'A', type: array(BIGINT) },
      { name: 'M', type: map(STRING, DOUBLE) },
      { name: 'ST', type: struct([{ name: 'FOO', type: INTEGER }]) },
    ];
    for (const f of ['PROTOBUF', 'PROTOBUF_NOSR'] as const) {
      const s = serde(reg, c2, f);
      const row = [new Decimal('10.01'), -10, 10, 86400100, [12n, 34n], new Map([['a', 1.1]]), { FOO: 0 }];
      const back = s.deserialize(s.serialize(row))!;
      expect((back[0] as Decimal).toFixed(2)).toBe('10.01');
      expect(back.slice(1)).toEqual(row.slice(1));
      // nulls: empty repeated / map, null struct
      expect(s.deserialize(s.serialize([null, null, null, null, null, null, null]))!.slice(4)).toEqual([[], new Map(), null]);
    }
  });

  it('infers columns from a registered schema with decimal metadata', () => {
    const text =
      'syntax = "proto3"; import "confluent/type/decimal.proto"; message ConfluentDefault1 {bool c1 = 1; int32 c2 = 2; int64 c3 = 3; double c4 = 4; string c5 = 5; confluent.type.Decimal c6 = 6 [(confluent.field_meta) = { params: [{ value: "4", key: "precision" }, { value: "2", key: "scale" }]}];}';
    expect(schemaToColumns('PROTOBUF', text)).toEqual([
      { name: 'C1', type: BOOLEAN },
      { name: 'C2', type: INTEGER },
      { name: 'C3', type: BIGINT },
      { name: 'C4', type: DOUBLE },
      { name: 'C5', type: STRING },
      { name: 'C6', type: decimal(4, 2) },
    ]);
  });

  it('encodes message-index paths', () => {
    expect(encodeMessageIndexes([0])).toEqual(Buffer.from([0]));
    expect(decodeMessageIndexes(Buffer.concat([encodeMessageIndexes([1, 2]), Buffer.from([9])]))).toEqual({ path: [1, 2], rest: Buffer.from([9]) });
  });

  it('rejects WRAP_SINGLE_VALUE=false and non-string map keys', () => {
    const reg = new InMemorySchemaRegistry();
    expect(() => createSerde({ format: 'PROTOBUF', properties: {} }, cols.slice(0, 1), { topic: 't', isKey: false, registry: reg, wrapSingleValue: false })).toThrow(
      "Format 'PROTOBUF' does not support 'WRAP_SINGLE_VALUE' set to 'false'.",
    );
    expect(() => serde(reg, [{ name: 'M', type: map(INTEGER, DOUBLE) }])).toThrow('PROTOBUF format only supports MAP types with STRING keys');
  });
});
