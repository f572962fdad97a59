/**
 * Windowed keys in Kafka Streams' layouts: a time window (tumbling, hopping)
 * appends the 8-byte start (ms, big-endian); a session window appends the
 * 8-byte end then the 8-byte start.
 */
import { SerdeError, type Serde, type WindowBounds, type WindowKind } from './types.js';

export interface WindowedKey {
  readonly values: readonly unknown[] | null;
  readonly window: WindowBounds;
}

export interface WindowedSerde {
  serialize(key: WindowedKey | null): Buffer | null;
  deserialize(bytes: Buffer | null): { readonly values: unknown[] | null; readonly window: WindowBounds } | null;
}

export function windowedKeySerde(inner: Serde, kind: WindowKind, sizeMs: number | null): WindowedSerde {
  const session = kind === 'SESSION';
  const suffix = session ? 16 : 8;
  return {
    serialize(key) {
      if (key === null) return null;
      const body = inner.serialize(key.values);
      const bodyLen = body === null ? 0 : body.length;
      const out = Buffer.allocUnsafe(bodyLen + suffix);
      if (body !== null) body.copy(out, 0);
      if (session) {
        writeLong(out, bodyLen, key.window.end);
        writeLong(out, bodyLen + 8, key.window.start);
      } else {
        writeLong(out, bodyLen, key.window.start);
      }
      return out;
    },
    deserialize(bytes) {
      if (bytes === null) return null;
      if (bytes.length < suffix) throw new SerdeError(`Windowed key too short: ${bytes.length} bytes, need at least ${suffix}`);
      const bodyLen = bytes.length - suffix;
      const body = bytes.subarray(0, bodyLen);
      let start: number;
      let end: number;
      if (session) {
        end = Number(bytes.readBigInt64BE(bodyLen));
        start = Number(bytes.readBigInt64BE(bodyLen + 8));
      } else {
        start = Number(bytes.readBigInt64BE(bodyLen));
        end = sizeMs === null ? start : start + sizeMs;
      }
      return { values: inner.deserialize(body), window: { start, end } };
    },
  };
}

/** Writes a millisecond time as a big-endian 64-bit integer (no BigInt: times are safe integers). */
function writeLong(buf: Buffer, offset: number, ms: number): void {
  const v = Math.trunc(ms);
  const hi = Math.floor(v / 4294967296);
  buf.writeInt32BE(hi, offset);
  buf.writeUInt32BE(v - hi * 4294967296, offset + 4);
}
