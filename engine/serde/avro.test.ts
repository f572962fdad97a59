import { Decimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { array, BIGINT, BOOLEAN, DATE, decimal, DOUBLE, INTEGER, map, STRING, struct, TIMESTAMP } from '../types/sql-type.js';
import { createSerde, InMemorySchemaRegistry, SerdeError, type SerdeColumn } from './index.js';

const serde = (reg: InMemorySchemaRegistry, cols: SerdeColumn[], isKey = false, properties: Record<string, string> = {}, wrapSingleValue?: boolean) =>
  createSerde({ format: 'AVRO', properties }, cols, { topic: 'input', isKey, registry: reg, ...(wrapSingleValue !== undefined ? { wrapSingleValue } : {}) });

describe('AVRO serde', () => {
  it('round-trips all types with a generated, registered schema', () => {
    const reg = new InMemorySchemaRegistry();
    const cols: SerdeColumn[] = [
      { name: 'B', type: BOOLEAN },
      { name: 'I', type: INTEGER },
      { name: 'L', type: BIGINT },
      { name: 'D', type: DOUBLE },
      { name: 'DEC', type: decimal(6, 4) },
      { name: 'S', type: STRING },
      { name: 'DT', type: DATE },
      { name: 'TS', type: TIMESTAMP },
      { name: 'A', type: array(STRING) },
      { name: 'M', type: map(STRING, INTEGER) },
      { name: 'ST', type: struct([{ name: 'F1', type: STRING }, { name: 'N', type: struct([{ name: 'X', type: INTEGER }]) }]) },
    ];
    const s = serde(reg, cols);
    const row = [true, 1, 998877665544332211n, 1.5, new Decimal('-10.1200'), 'hi', -10, 5000, ['a', null], new Map([['k', 1]]), { F1: 'x', N: { X: 2 } }];
    const bytes = s.serialize(row)!;
    expect(bytes[0]).toBe(0);
    expect(bytes.readInt32BE(1)).toBe(1);
    const back = s.deserialize(bytes)!;
    expect((back[4] as Decimal).toFixed(4)).toBe('-10.1200');
    expect([...back.slice(0, 4), ...back.slice(5)]).toEqual([...row.slice(0, 4), ...row.slice(5)]);
    const schema = JSON.parse(reg.latest('input-value')!.schema);
    expect(schema.name).toBe('KsqlDataSourceSchema');
    expect(schema.namespace).toBe('io.confluent.ksql.avro_schemas');
    expect(schema.fields[10].type[1].name).toBe('KsqlDataSourceSchema_ST');
    expect(s.serialize([null, null, null, null, null, null, null, null, null, null, null])).not.toBeNull();
  });

  it('reads with a registered writer schema and coerces (QTT: deserialize anonymous primitive with coercion)', () => {
    const reg = new InMemorySchemaRegistry();
    const writer = serde(reg, [{ name: 'X', type: INTEGER }], false, {}, false);
    const bytes = writer.serialize([10]);
    const reader = serde(reg, [{ name: 'FOO', type: STRING }], false, {}, false);
    expect(reader.deserialize(bytes)).toEqual(['10']);
  });

  it('reads lower-case record fields into upper-case columns; writes with SCHEMA_ID defaults', () => {
    const reg = new InMemorySchemaRegistry();
    const sch = { type: 'record', name: 'blah', fields: [{ name: 'c1', type: 'boolean' }, { name: 'c3', type: 'long' }, { name: 'extra', type: 'int', default: 7 }] };
    const r = reg.register('input-value', 'AVRO', JSON.stringify(sch));
    const s = serde(reg, [{ name: 'C1', type: BOOLEAN }, { name: 'C3', type: BIGINT }], false, { SCHEMA_ID: String(r.id) });
    const bytes = s.serialize([true, 400000000000n])!;
    expect(bytes.readInt32BE(1)).toBe(r.id);
    expect(s.deserialize(bytes)).toEqual([true, 400000000000n]);
  });

  it('unwrapped keys are a bare optional type', () => {
    const reg = new InMemorySchemaRegistry();
    const s = serde(reg, [{ name: 'K', type: INTEGER }], true);
    expect(s.deserialize(s.serialize([10]))).toEqual([10]);
    expect(JSON.parse(reg.latest('input-key')!.schema)).toEqual(['null', 'int']);
  });

  it('fails on bad magic byte, unknown ids and bad names', () => {
    const reg = new InMemorySchemaRegistry();
    const s = serde(reg, [{ name: 'A', type: INTEGER }]);
    expect(() => s.deserialize(Buffer.from([1, 2, 3]))).toThrow(SerdeError);
    expect(() => s.deserialize(Buffer.from([0, 0, 0, 0, 99, 2]))).toThrow(SerdeError);
    expect(() => serde(reg, [{ name: '1Bad', type: INTEGER }, { name: 'B', type: INTEGER }])).toThrow('Illegal initial character: 1Bad');
    expect(() => serde(reg, [{ name: 'M', type: map(INTEGER, INTEGER) }])).toThrow('Avro only supports MAPs with STRING keys');
  });
});
