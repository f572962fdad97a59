import { Decimal } from 'decimal.js';

/**
 * Bytes for the values the runtime keeps in state stores and passes between
 * tasks through repartition topics: SQL values (bigint, Decimal, Buffer, Map,
 * structs as plain objects) and the operators' own state (arrays, plain
 * objects, Sets). JSON with tagged objects for what JSON cannot hold; internal
 * topics only, so no other reader depends on it.
 */
export function encodeValue(v: unknown): Buffer {
  return Buffer.from(JSON.stringify(toJson(v)), 'utf8');
}

export function decodeValue<T = unknown>(bytes: Buffer): T {
  return fromJson(JSON.parse(bytes.toString('utf8'))) as T;
}

/** The same encoding as text (one line: JSON has no raw newlines), for local checkpoints. */
export function encodeText(v: unknown): string {
  return JSON.stringify(toJson(v));
}

export function decodeText<T = unknown>(text: string): T {
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
