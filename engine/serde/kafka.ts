/**
 * KAFKA format: Kafka's primitive serializers for a single column — INTEGER as
 * 4-byte big-endian, BIGINT 8-byte big-endian, DOUBLE 8-byte IEEE 754, STRING
 * UTF-8, BYTES raw. No column at all serializes to null.
 */
import { formatTypeForMessage } from '../types/cast.js';
import { SerdeError, type Serde, type SerdeColumn } from './types.js';

const SUPPORTED = new Set(['INTEGER', 'BIGINT', 'DOUBLE', 'STRING', 'BYTES']);

export function checkKafkaColumns(columns: readonly SerdeColumn[], isKey = false): void {
  if (columns.length > 1) {
    throw new SerdeError(
      `The 'KAFKA' format only supports a single field. Got: [${columns.map((c) => `\`${c.name}\` ${formatTypeForMessage(c.type)}${isKey ? ' KEY' : ''}`).join(', ')}]`,
    );
  }
  for (const c of columns) {
    if (!SUPPORTED.has(c.type.kind)) throw new SerdeError(`The 'KAFKA' format does not support type '${c.type.kind}'`);
  }
}

function sizeCheck(bytes: Buffer, n: number, what: string): void {
  if (bytes.length !== n) throw new SerdeError(`Size of data received by ${what}Deserializer is not ${n}`);
}

export function kafkaSerde(columns: readonly SerdeColumn[]): Serde {
  checkKafkaColumns(columns);
  const col = columns[0];
  return {
    serialize(values) {
      if (values === null || !col) return null;
      const v = values[0] ?? null;
      if (v === null) return null;
      switch (col.type.kind) {
        case 'INTEGER': {
          const b = Buffer.alloc(4);
          b.writeInt32BE(Number(v) | 0);
          return b;
        }
        case 'BIGINT': {
          const b = Buffer.alloc(8);
          b.writeBigInt64BE(BigInt.asIntN(64, typeof v === 'bigint' ? v : BigInt(Math.trunc(Number(v)))));
          return b;
        }
        case 'DOUBLE': {
          const b = Buffer.alloc(8);
          b.writeDoubleBE(Number(v));
          return b;
        }
        case 'STRING':
          return Buffer.from(String(v), 'utf8');
        case 'BYTES':
          return Buffer.from(v as Uint8Array);
        default:
          throw new SerdeError(`The 'KAFKA' format does not support type '${col.type.kind}'`);
      }
    },
    deserialize(bytes) {
      if (bytes === null) return null;
      if (!col) return [];
      switch (col.type.kind) {
        case 'INTEGER':
          sizeCheck(bytes, 4, 'Integer');
          return [bytes.readInt32BE(0)];
        case 'BIGINT':
          sizeCheck(bytes, 8, 'Long');
          return [bytes.readBigInt64BE(0)];
        case 'DOUBLE':
          sizeCheck(bytes, 8, 'Double');
          return [bytes.readDoubleBE(0)];
        case 'STRING':
          return [bytes.toString('utf8')];
        case 'BYTES':
          return [Buffer.from(bytes)];
        default:
          throw new SerdeError(`The 'KAFKA' format does not support type '${col.type.kind}'`);
      }
    },
  };
}
