import { describe, expect, it } from 'vitest';
import { array, BIGINT, DATE, decimal, DOUBLE, INTEGER, map, STRING, struct, TIMESTAMP } from '../types/sql-type.js';
import { columnsToSchema, createSerde, fromTestJson, InMemorySchemaRegistry, javaDoubleToString, schemaToColumns, SerdeError, toTestJson, windowedKeySerde } from './index.js';

describe('schema registry', () => {
  it('assigns ids from 1, versions per subject, same schema same id', () => {
    const r = new InMemorySchemaRegistry();
    const a = r.register('t-value', 'AVRO', '{"type": "int"}');
    expect(a).toMatchObject({ id: 1, version: 1 });
    expect(r.register('t-value', 'AVRO', '{"type":"int"}')).toBe(a);
    expect(r.register('u-value', 'AVRO', '{"type":"int"}')).toMatchObject({ id: 1, version: 1, subject: 'u-value' });
    expect(r.register('t-value', 'AVRO', '"long"')).toMatchObject({ id: 2, version: 2 });
    expect(r.latest('t-value')!.id).toBe(2);
    expect(r.byId(1)!.schema).toBe('{"type": "int"}');
    expect(r.registerWithId('x-value', 'AVRO', '"string"', 102).id).toBe(102);
    expect(r.subjects()).toEqual(['t-value', 'u-value', 'x-value']);
  });
});

describe('windowed keys', () => {
  const reg = new InMemorySchemaRegistry();
  const inner = createSerde({ format: 'KAFKA', properties: {} }, [{ name: 'K', type: STRING }], { topic: 't', isKey: true, registry: reg });
  it('time windows append the start', () => {
    const w = windowedKeySerde(inner, 'TUMBLING', 1000);
    const b = w.serialize({ values: ['a'], window: { start: 5000, end: 6000 } })!;
    expect(b).toEqual(Buffer.concat([Buffer.from('a'), Buffer.from([0, 0, 0, 0, 0, 0, 0x13, 0x88])]));
    expect(w.deserialize(b)).toEqual({ values: ['a'], window: { start: 5000, end: 6000 } });
  });
  it('session windows append end then start', () => {
    const w = windowedKeySerde(inner, 'SESSION', null);
    const b = w.serialize({ values: ['a'], window: { start: 1, end: 2 } })!;
    expect(b.length).toBe(17);
    expect(b.readBigInt64BE(1)).toBe(2n);
    expect(w.deserialize(b)).toEqual({ values: ['a'], window: { start: 1, end: 2 } });
    expect(() => w.deserialize(Buffer.from([1]))).toThrow(SerdeError);
  });
  it('writes times as 64-bit big-endian integers across the 32-bit boundary and below zero', () => {
    const w = windowedKeySerde(inner, 'SESSION', null);
    for (const t of [0, 2 ** 32 - 1, 2 ** 32, 1_600_000_000_123, -1, -(2 ** 32) - 5, Number.MAX_SAFE_INTEGER]) {
      const b = w.serialize({ values: ['a'], window: { start: t, end: t + 1 } })!;
      expect([b.readBigInt64BE(1), b.readBigInt64BE(9)]).toEqual([BigInt(t + 1), BigInt(t)]);
    }
  });
});

describe('JSON_SR', () => {
  it('writes the Confluent header with a registered JSON schema and reads it back', () => {
    const reg = new InMemorySchemaRegistry();
    const s = createSerde({ format: 'JSON_SR', properties: {} }, [{ name: 'FOO', type: INTEGER }, { name: 'D', type: decimal(4, 2) }], { topic: 't', isKey: false, registry: reg });
    const b = s.serialize([10, null])!;
    expect(b.subarray(0, 5)).toEqual(Buffer.from([0, 0, 0, 0, 1]));
    expect(b.subarray(5).toString()).toBe('{"FOO":10,"D":null}');
    expect(s.deserialize(b)).toEqual([10, null]);
    expect(JSON.parse(reg.latest('t-value')!.schema).properties.FOO).toEqual({ 'connect.index': 0, oneOf: [{ type: 'null' }, { type: 'integer', 'connect.type': 'int32' }] });
    expect(() => s.deserialize(Buffer.from('{"FOO":1}'))).toThrow(SerdeError);
  });
});

describe('schemaToColumns / columnsToSchema', () => {
  it('infers Avro columns, upper-casing names', () => {
    const avro = { name: 'blah', type: 'record', fields: [{ name: 'c1', type: { type: 'map', values: 'long' } }, { name: 'c2', type: { type: 'record', name: 'something', fields: [{ name: 'f1', type: 'int' }] } }, { name: 'c3', type: { type: 'int', logicalType: 'date' } }, { name: 'c4', type: ['null', { type: 'bytes', logicalType: 'decimal', precision: 4, scale: 2 }] }] };
    expect(schemaToColumns('AVRO', JSON.stringify(avro))).toEqual([
      { name: 'C1', type: map(STRING, BIGINT) },
      { name: 'C2', type: struct([{ name: 'F1', type: INTEGER }]) },
      { name: 'C3', type: DATE },
      { name: 'C4', type: decimal(4, 2) },
    ]);
    expect(schemaToColumns('AVRO', '{"type":"int"}')).toEqual([{ name: 'ROWVAL', type: INTEGER }]);
    expect(schemaToColumns('AVRO', '"long"', true)).toEqual([{ name: 'ROWKEY', type: BIGINT }]);
  });
  it('infers JSON schema columns', () => {
    const js = { type: 'object', properties: { FOO: { 'connect.index': 0, oneOf: [{ type: 'null' }, { type: 'integer', 'connect.type': 'int32' }] }, A: { type: 'array', items: { type: 'number' } }, T: { type: 'integer', title: 'org.apache.kafka.connect.data.Timestamp' } } };
    expect(schemaToColumns('JSON', JSON.stringify(js))).toEqual([
      { name: 'FOO', type: INTEGER },
      { name: 'A', type: array(DOUBLE) },
      { name: 'T', type: TIMESTAMP },
    ]);
  });
  it('round-trips generated schemas', () => {
    const cols = [{ name: 'A', type: INTEGER }, { name: 'S', type: struct([{ name: 'X', type: STRING }]) }, { name: 'D', type: decimal(6, 3) }];
    for (const f of ['AVRO', 'PROTOBUF', 'JSON_SR'] as const) {
      const g = columnsToSchema(f, cols)!;
      expect(schemaToColumns(g.schemaType, g.schema)).toEqual(cols);
    }
    expect(columnsToSchema('JSON', cols)).toBeNull();
  });
});

describe('test-value helpers', () => {
  it('convert QTT JSON to rows and back', () => {
    const cols = [{ name: 'K', type: BIGINT }];
    const f = { format: 'JSON' as const, properties: {} };
    expect(fromTestJson(998877665544332211n, cols, f, true)).toEqual([998877665544332211n]);
    expect(toTestJson([5n], cols, f, true)).toBe(5);
    const v = [{ name: 'FOO', type: map(STRING, INTEGER) }];
    expect(fromTestJson({ FOO: { a: 1 } }, v, f, false)).toEqual([new Map([['a', 1]])]);
    expect(toTestJson([new Map([['a', 1]])], v, f, false)).toEqual({ FOO: { a: 1 } });
  });
});

describe('format validation and key details', () => {
  const reg = new InMemorySchemaRegistry();
  const opts = (isKey: boolean) => ({ topic: 't', isKey, registry: reg });
  it('wraps columns a format cannot carry in ksqlDB\'s "format does not support schema" message', () => {
    expect(() => createSerde({ format: 'DELIMITED', properties: {} }, [{ name: 'K', type: array(DOUBLE) }], opts(true))).toThrow(
      "Key format does not support schema.\nformat: DELIMITED\nschema: Persistence{columns=[`K` ARRAY<DOUBLE> KEY], features=[]}\nreason: The 'DELIMITED' format does not support type 'ARRAY', column: `K`",
    );
    expect(() => createSerde({ format: 'KAFKA', properties: {} }, [{ name: 'F1', type: INTEGER }, { name: 'F2', type: INTEGER }], opts(true))).toThrow(
      "reason: The 'KAFKA' format only supports a single field. Got: [`F1` INTEGER KEY, `F2` INTEGER KEY]",
    );
  });
  it('rejects properties the format does not take', () => {
    expect(() => createSerde({ format: 'JSON', properties: { DELIMITER: '|' } }, [{ name: 'V', type: STRING }], opts(false))).toThrow('JSON does not support the following configs: [delimiter]');
    expect(() => createSerde({ format: 'JSON', properties: { SCHEMA_FULL_NAME: 'a.b' } }, [{ name: 'V', type: STRING }], opts(false))).toThrow('JSON does not support the following configs: [fullSchemaName]');
  });
  it('writes a null single-column DELIMITED key as a null key', () => {
    const s = createSerde({ format: 'DELIMITED', properties: {} }, [{ name: 'K', type: INTEGER }], opts(true));
    expect(s.serialize([null])).toBe(null);
    expect(s.serialize([1])!.toString()).toBe('1');
  });
  it('keeps registered field names when asked, and reads Avro / JSON record keys as one STRUCT column', () => {
    const avro = '{"type":"record","name":"r","fields":[{"name":"c1","type":"int"}]}';
    expect(schemaToColumns('AVRO', avro).map((c) => c.name)).toEqual(['C1']);
    expect(schemaToColumns('AVRO', avro, false, undefined, { preserveFieldCase: true }).map((c) => c.name)).toEqual(['c1']);
    expect(schemaToColumns('AVRO', avro, true)).toEqual([{ name: 'ROWKEY', type: struct([{ name: 'C1', type: INTEGER }]) }]);
    expect(schemaToColumns('JSON', '{"type":"object","properties":{"F1":{"type":"string"}}}', true)).toEqual([{ name: 'ROWKEY', type: struct([{ name: 'F1', type: STRING }]) }]);
    expect(schemaToColumns('PROTOBUF', 'syntax = "proto3"; message K { int32 c0 = 1; }', true, undefined, { preserveFieldCase: true })).toEqual([{ name: 'c0', type: INTEGER }]);
  });
});

describe('javaDoubleToString', () => {
  it('prints two significant digits where Java does', () => {
    expect(javaDoubleToString(Number.MIN_VALUE)).toBe('4.9E-324');
    expect(javaDoubleToString(-Number.MIN_VALUE)).toBe('-4.9E-324');
    expect(javaDoubleToString(1e21)).toBe('1.0E21');
    expect(javaDoubleToString(Number.MAX_VALUE)).toBe('1.7976931348623157E308');
    expect(javaDoubleToString(2.2250738585072014e-308)).toBe('2.2250738585072014E-308');
  });
});
