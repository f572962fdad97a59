import { Decimal } from 'decimal.js';

/**
 * Bytes for the values the runtime keeps in state stores (changelog records)
 * and passes between tasks through repartition topics: SQL values (bigint,
 * Decimal, Buffer, Map, structs as plain objects) and the operators' own
 * state (arrays, plain objects, Sets). Internal topics only, so no other
 * reader depends on it.
 *
 * Versioned by the first byte. Version 1 (`BINARY_V1`, written since issue 14)
 * is a tagged binary encoding: one tag byte per value, then its payload
 * (lengths and 32-bit integers as LEB128 varints, doubles and 64-bit bigints
 * as 8 bytes little-endian, strings as UTF-8). Before it, values were JSON
 * with tagged objects for what JSON cannot hold (`{"$n":"12"}` for a bigint
 * ...); JSON text never starts with that byte, so changelogs and repartition
 * topics written before still decode (`decodeValue` reads both).
 * Local checkpoints (`encodeText`) stay JSON text; a binary value restored
 * and not read is checkpointed as `~` + base64 of its bytes.
 */
export function encodeValue(v: unknown): Buffer {
  pos = 0;
  ensure(1);
  buf[pos++] = BINARY_V1;
  write(v);
  const out = Buffer.allocUnsafe(pos);
  buf.copy(out, 0, 0, pos);
  return out;
}

export function decodeValue<T = unknown>(bytes: Buffer): T {
  if (bytes.length > 0 && bytes[0] === BINARY_V1) return new Reader(bytes).value() as T;
  return fromJson(JSON.parse(bytes.toString('utf8'))) as T;
}

/** Whether `bytes` are in the binary encoding (not the JSON one of earlier versions). */
export function isBinary(bytes: Buffer): boolean {
  return bytes.length > 0 && bytes[0] === BINARY_V1;
}

/** An encoded value (either version) as checkpoint text, without decoding a binary one. */
export function textOf(bytes: Buffer): string {
  return isBinary(bytes) ? `${BINARY_TEXT}${bytes.toString('base64')}` : bytes.toString('utf8');
}

/** The first byte of a binary value; JSON text starts with one of `{["-0123456789tfn`. */
const BINARY_V1 = 0xb1;
/** The first character of a binary value as checkpoint text (base64 follows); JSON text never starts with it. */
const BINARY_TEXT = '~';

const enum Tag {
  Null = 0,
  Undefined = 1,
  False = 2,
  True = 3,
  /** a 32-bit integer, zigzag varint */
  Int = 4,
  /** any other number (fractions, -0, NaN, infinities, beyond 32 bits): float64 */
  Float = 5,
  /** a bigint within 64 bits: int64 */
  BigInt64 = 6,
  /** a larger bigint: its decimal string */
  BigIntText = 7,
  String = 8,
  Bytes = 9,
  /** a Decimal: its string */
  Decimal = 10,
  Array = 11,
  /** a plain object: count, then key (string payload) and value per entry */
  Object = 12,
  Map = 13,
  Set = 14,
  /** a Date: its time as float64 */
  Date = 15,
}

const MIN_INT64 = -(2n ** 63n);
const MAX_INT64 = 2n ** 63n - 1n;

// ------------------------------------------------------------------ writer
// One growing scratch buffer for the process: encodeValue is synchronous, and
// returns a copy of what it wrote.

let buf = Buffer.allocUnsafe(64 * 1024);
let pos = 0;

function ensure(n: number): void {
  if (pos + n <= buf.length) return;
  const next = Buffer.allocUnsafe(Math.max(buf.length * 2, pos + n));
  buf.copy(next, 0, 0, pos);
  buf = next;
}

function varint(n: number): void {
  ensure(5);
  while (n > 0x7f) {
    buf[pos++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  buf[pos++] = n;
}

function str(s: string): void {
  const len = s.length;
  if (len <= 42) {
    // at most 126 bytes: a one-byte length, written after the bytes are
    ensure(1 + len * 3);
    const start = pos + 1;
    let i = 0;
    // ASCII by hand (most keys and values): cheaper than a call into the UTF-8 encoder
    for (; i < len; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      buf[start + i] = c;
    }
    const n = i === len ? len : buf.write(s, start, 'utf8');
    buf[pos] = n;
    pos = start + n;
    return;
  }
  const n = Buffer.byteLength(s, 'utf8');
  varint(n);
  ensure(n);
  buf.write(s, pos, 'utf8');
  pos += n;
}

function tag(t: Tag): void {
  ensure(1);
  buf[pos++] = t;
}

function write(v: unknown): void {
  if (v === null) return tag(Tag.Null);
  switch (typeof v) {
    case 'undefined':
      return tag(Tag.Undefined);
    case 'boolean':
      return tag(v ? Tag.True : Tag.False);
    case 'string':
      tag(Tag.String);
      return str(v);
    case 'number':
      if ((v | 0) === v && !Object.is(v, -0)) {
        tag(Tag.Int);
        return varint(((v << 1) ^ (v >> 31)) >>> 0);
      }
      ensure(9);
      buf[pos++] = Tag.Float;
      buf.writeDoubleLE(v, pos);
      pos += 8;
      return;
    case 'bigint':
      if (v >= MIN_INT64 && v <= MAX_INT64) {
        ensure(9);
        buf[pos++] = Tag.BigInt64;
        buf.writeBigInt64LE(v, pos);
        pos += 8;
        return;
      }
      tag(Tag.BigIntText);
      return str(v.toString());
    case 'object':
      break;
    default:
      throw new TypeError(`cannot encode a ${typeof v} in a state store`);
  }
  if (Array.isArray(v)) {
    tag(Tag.Array);
    varint(v.length);
    for (const x of v) write(x);
    return;
  }
  if (Buffer.isBuffer(v)) {
    tag(Tag.Bytes);
    varint(v.length);
    ensure(v.length);
    v.copy(buf, pos);
    pos += v.length;
    return;
  }
  if (Decimal.isDecimal(v)) {
    tag(Tag.Decimal);
    return str((v as Decimal).toString());
  }
  if (v instanceof Map) {
    tag(Tag.Map);
    varint(v.size);
    for (const [k, x] of v) {
      write(k);
      write(x);
    }
    return;
  }
  if (v instanceof Set) {
    tag(Tag.Set);
    varint(v.size);
    for (const x of v) write(x);
    return;
  }
  if (v instanceof Date) {
    ensure(9);
    buf[pos++] = Tag.Date;
    buf.writeDoubleLE(v.getTime(), pos);
    pos += 8;
    return;
  }
  const keys = Object.keys(v);
  tag(Tag.Object);
  varint(keys.length);
  for (const k of keys) {
    str(k);
    write((v as Record<string, unknown>)[k]);
  }
}

// ------------------------------------------------------------------ reader

class Reader {
  #pos = 1;
  constructor(private readonly b: Buffer) {}

  #varint(): number {
    let n = 0;
    let shift = 0;
    for (;;) {
      const byte = this.b[this.#pos++]!;
      n |= (byte & 0x7f) << shift;
      if (byte < 0x80) return n >>> 0;
      shift += 7;
      if (shift > 28) throw new Error('corrupt state value: varint too long');
    }
  }

  #str(): string {
    const n = this.#varint();
    const start = this.#pos;
    this.#pos += n;
    if (n <= 16) {
      // short ASCII by hand: cheaper than a call into the UTF-8 decoder
      let s = '';
      for (let i = start; i < start + n; i++) {
        const c = this.b[i]!;
        if (c >= 0x80) return this.b.toString('utf8', start, start + n);
        s += String.fromCharCode(c);
      }
      return s;
    }
    return this.b.toString('utf8', start, start + n);
  }

  value(): unknown {
    const t = this.b[this.#pos++];
    switch (t) {
      case Tag.Null:
        return null;
      case Tag.Undefined:
        return undefined;
      case Tag.False:
        return false;
      case Tag.True:
        return true;
      case Tag.Int: {
        const z = this.#varint();
        return (z >>> 1) ^ -(z & 1);
      }
      case Tag.Float: {
        const x = this.b.readDoubleLE(this.#pos);
        this.#pos += 8;
        return x;
      }
      case Tag.BigInt64: {
        const x = this.b.readBigInt64LE(this.#pos);
        this.#pos += 8;
        return x;
      }
      case Tag.BigIntText:
        return BigInt(this.#str());
      case Tag.String:
        return this.#str();
      case Tag.Bytes: {
        const n = this.#varint();
        // a copy: the record's bytes may be a view of a whole fetch response
        const x = Buffer.from(this.b.subarray(this.#pos, this.#pos + n));
        this.#pos += n;
        return x;
      }
      case Tag.Decimal:
        return new Decimal(this.#str());
      case Tag.Array: {
        const n = this.#varint();
        const out = new Array<unknown>(n);
        for (let i = 0; i < n; i++) out[i] = this.value();
        return out;
      }
      case Tag.Object: {
        const n = this.#varint();
        const out: Record<string, unknown> = {};
        for (let i = 0; i < n; i++) {
          const k = this.#str();
          out[k] = this.value();
        }
        return out;
      }
      case Tag.Map: {
        const n = this.#varint();
        const out = new Map<unknown, unknown>();
        for (let i = 0; i < n; i++) {
          const k = this.value();
          out.set(k, this.value());
        }
        return out;
      }
      case Tag.Set: {
        const n = this.#varint();
        const out = new Set<unknown>();
        for (let i = 0; i < n; i++) out.add(this.value());
        return out;
      }
      case Tag.Date: {
        const x = this.b.readDoubleLE(this.#pos);
        this.#pos += 8;
        return new Date(x);
      }
      default:
        throw new Error(`corrupt state value: unknown tag ${String(t)} at byte ${this.#pos - 1}`);
    }
  }
}

/** The same encoding as text (one line: JSON has no raw newlines), for local checkpoints. */
export function encodeText(v: unknown): string {
  return JSON.stringify(toJson(v));
}

export function decodeText<T = unknown>(text: string): T {
  if (text.startsWith(BINARY_TEXT)) return decodeValue<T>(Buffer.from(text.slice(1), 'base64'));
  return fromJson(JSON.parse(text) as Json) as T;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function toJson(v: unknown): Json {
  if (v === null) return null;
  switch (typeof v) {
    case 'undefined':
      return { $u: 1 };
    case 'boolean':
    case 'string':
      return v;
    case 'number':
      return Number.isFinite(v) && !Object.is(v, -0) ? v : { $f: String(Object.is(v, -0) ? '-0' : v) };
    case 'bigint':
      return { $n: v.toString() };
    case 'object':
      break;
    default:
      throw new TypeError(`cannot encode a ${typeof v} in a state store`);
  }
  if (Array.isArray(v)) return v.map(toJson);
  if (Buffer.isBuffer(v)) return { $b: v.toString('base64') };
  if (Decimal.isDecimal(v)) return { $d: (v as Decimal).toString() };
  if (v instanceof Map) return { $m: [...v.entries()].map(([k, x]) => [toJson(k), toJson(x)]) };
  if (v instanceof Set) return { $s: [...v].map(toJson) };
  if (v instanceof Date) return { $t: v.getTime() };
  const out: { [k: string]: Json } = {};
  let escaped = false;
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (k.startsWith('$')) escaped = true;
    out[k] = toJson(x);
  }
  return escaped ? { $o: out } : out;
}

function fromJson(j: Json): unknown {
  if (j === null || typeof j !== 'object') return j;
  if (Array.isArray(j)) return j.map(fromJson);
  const keys = Object.keys(j);
  if (keys.length === 1 && keys[0]!.startsWith('$')) {
    const x = j[keys[0]!]!;
    switch (keys[0]) {
      case '$u':
        return undefined;
      case '$f':
        return x === '-0' ? -0 : Number(x);
      case '$n':
        return BigInt(x as string);
      case '$b':
        return Buffer.from(x as string, 'base64');
      case '$d':
        return new Decimal(x as string);
      case '$m':
        return new Map((x as Json[][]).map(([k, y]) => [fromJson(k!), fromJson(y!)]));
      case '$s':
        return new Set((x as Json[]).map(fromJson));
      case '$t':
        return new Date(x as number);
      case '$o':
        return plain(x as { [k: string]: Json });
      default:
        break;
    }
  }
  return plain(j);
}

function plain(j: { [k: string]: Json }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(j)) out[k] = fromJson(x);
  return out;
}
