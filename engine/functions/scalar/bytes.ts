import { FunctionError } from '../types.js';
import { BIGINT, BYTES, DOUBLE, INTEGER, STRING } from '../../types/sql-type.js';
import { defineScalar } from './signature.js';
import type { BuiltinScalar } from './signature.js';

/** TO_BYTES / FROM_BYTES and the numeric decoders of BYTES. */

/** Java's US_ASCII decoder: bytes ≥ 0x80 become U+FFFD. */
export function decodeAscii(b: Buffer): string {
  let s = '';
  for (const x of b) s += x < 0x80 ? String.fromCharCode(x) : '\ufffd';
  return s;
}

/** Java's US_ASCII encoder: chars > 0x7F become '?'; a surrogate pair is one '?'. */
export function encodeAscii(s: string): Buffer {
  const out: number[] = [];
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    out.push(c < 0x80 ? c : 0x3f);
  }
  return Buffer.from(out);
}

/**
 * Hex text as ksqlDB reads it: plain digit pairs, a SQL binary literal
 * X'..' (digit pairs), or 0x.. (an odd count gets a leading 0).
 */
function fromHex(s: string): Buffer {
  const literal = /^[xX]'(.*)'$/.exec(s);
  const digits = literal ? literal[1]! : s.startsWith('0x') ? (s.length % 2 === 1 ? '0' : '') + s.slice(2) : s;
  if (!/^([0-9a-fA-F]{2})*$/.test(digits)) throw new FunctionError(`Invalid hex string: ${s}`);
  return Buffer.from(digits, 'hex');
}

/** Java's UTF-8 decoder replaces malformed input with U+FFFD as Node does. */
export function toBytes(s: string, encoding: string): Buffer {
  switch (encoding.toLowerCase()) {
    case 'hex':
      return fromHex(s);
    case 'utf8':
      return Buffer.from(s, 'utf8');
    case 'ascii':
      return encodeAscii(s);
    case 'base64':
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.replace(/=+$/, '').length % 4 === 1) throw new FunctionError(`Invalid base64 string: ${s}`);
      return Buffer.from(s, 'base64');
    default:
      throw new FunctionError(`Supported input encodings are: hex, utf8, ascii and base64, but got ${encoding}`);
  }
}

export function fromBytes(b: Buffer, encoding: string, upperHex = true): string {
  switch (encoding.toLowerCase()) {
    case 'hex': {
      const h = b.toString('hex');
      return upperHex ? h.toUpperCase() : h;
    }
    case 'utf8':
      return b.toString('utf8');
    case 'ascii':
      return decodeAscii(b);
    case 'base64':
      return b.toString('base64');
    default:
      throw new FunctionError(`Supported output encodings are: hex, utf8, ascii and base64, but got ${encoding}`);
  }
}

function byteOrder(order: string): 'BE' | 'LE' {
  const o = order.toUpperCase();
  if (o === 'BIG_ENDIAN') return 'BE';
  if (o === 'LITTLE_ENDIAN') return 'LE';
  throw new FunctionError(`Byte order must be BIG_ENDIAN or LITTLE_ENDIAN. Unknown byte order '${order}'.`);
}

function checkLength(b: Buffer, n: number, what: string): void {
  if (b.length !== n) throw new FunctionError(`Number of bytes must be equal to ${n}, but found ${b.length}`);
  void what;
}

export function bytesFunctions(): BuiltinScalar[] {
  const decoder = (name: string, size: number, returns: typeof INTEGER, read: (b: Buffer, o: 'BE' | 'LE') => unknown, what: string) =>
    defineScalar({
      name,
      description: `Converts a ${size}-byte BYTES value to ${what}, big-endian by default.`,
      variants: [
        {
          params: ['BYTES'],
          returns,
          fn: (b: Buffer) => {
            checkLength(b, size, what);
            return read(b, 'BE');
          },
        },
        {
          params: ['BYTES', 'STRING'],
          returns,
          fn: (b: Buffer, order: string) => {
            checkLength(b, size, what);
            return read(b, byteOrder(order));
          },
        },
      ],
    });
  return [
    defineScalar({
      name: 'TO_BYTES',
      description: "Converts a STRING value in the given encoding ('hex', 'utf8', 'ascii' or 'base64') to BYTES.",
      variants: [{ params: ['STRING', 'STRING'], returns: BYTES, fn: toBytes }],
    }),
    defineScalar({
      name: 'FROM_BYTES',
      description: "Converts a BYTES value to a STRING in the given encoding ('hex', 'utf8', 'ascii' or 'base64').",
      variants: [{ params: ['BYTES', 'STRING'], returns: STRING, fn: (b: Buffer, e: string) => fromBytes(b, e) }],
    }),
    decoder('INT_FROM_BYTES', 4, INTEGER, (b, o) => (o === 'BE' ? b.readInt32BE(0) : b.readInt32LE(0)), 'an INT'),
    decoder('BIGINT_FROM_BYTES', 8, BIGINT, (b, o) => (o === 'BE' ? b.readBigInt64BE(0) : b.readBigInt64LE(0)), 'a BIGINT'),
    decoder('DOUBLE_FROM_BYTES', 8, DOUBLE, (b, o) => (o === 'BE' ? b.readDoubleBE(0) : b.readDoubleLE(0)), 'a DOUBLE'),
  ];
}
