import { createHash, randomUUID } from 'node:crypto';
import { FunctionError } from '../types.js';
import { BYTES, INTEGER, STRING } from '../../types/sql-type.js';
import { defineScalar } from './signature.js';
import type { BuiltinScalar } from './signature.js';
import { fromBytes, toBytes } from './bytes.js';
import { javaReplace, regexExec, regexMatchAll, regexSplit } from './regex.js';

/** String built-ins (and their BYTES twins where ksqlDB has them). */

const STR_ARR = { kind: 'ARRAY', element: STRING } as const;
const BYTES_ARR = { kind: 'ARRAY', element: BYTES } as const;

/** Java's String.trim: strips chars <= U+0020 at both ends. */
function javaTrim(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && s.charCodeAt(a) <= 32) a++;
  while (b > a && s.charCodeAt(b - 1) <= 32) b--;
  return s.slice(a, b);
}

function startIndex(len: number, pos: number): number {
  return pos < 0 ? Math.max(len + pos, 0) : Math.max(Math.min(pos - 1, len), 0);
}
function endIndex(len: number, start: number, n: number): number {
  return Math.max(Math.min(start + n, len), start);
}

function pad<T extends string | Buffer>(left: boolean) {
  return (input: T, len: number, padding: T): T | null => {
    if (len < 0 || padding.length === 0) return null;
    const isStr = typeof input === 'string';
    const padLen = Math.max(len - input.length, 0);
    if (isStr) {
      const p = (padding as string).repeat(Math.ceil(padLen / padding.length)).slice(0, padLen);
      return ((left ? p + input : input + p) as string).slice(0, len) as T;
    }
    const pb = Buffer.alloc(padLen);
    for (let i = 0; i < padLen; i++) pb[i] = (padding as Buffer)[i % padding.length]!;
    const all = left ? Buffer.concat([pb, input as Buffer]) : Buffer.concat([input as Buffer, pb]);
    return all.subarray(0, len) as T;
  };
}

function splitBytes(b: Buffer, d: Buffer): Buffer[] {
  if (d.length === 0) return [...b].map((x) => Buffer.from([x]));
  const out: Buffer[] = [];
  let last = 0;
  let i = b.indexOf(d, 0);
  while (i >= 0) {
    out.push(b.subarray(last, i));
    last = i + d.length;
    i = b.indexOf(d, last);
  }
  out.push(b.subarray(last));
  return out;
}

/** ksqlDB's SPLIT: Guava's Splitter for a delimiter, Java's split on the empty pattern (code points; '' gives ['']) without one. */
function splitString(s: string, d: string): string[] {
  if (d !== '') return s.split(d);
  return s === '' ? [''] : [...s];
}

interface MaskChars {
  upper: string | null;
  lower: string | null;
  digit: string | null;
  other: string | null;
}
const DEFAULT_MASK: MaskChars = { upper: 'X', lower: 'x', digit: 'n', other: '-' };

function maskChar(c: string, m: MaskChars): string {
  if (c >= 'A' && c <= 'Z') return m.upper ?? c;
  if (c >= 'a' && c <= 'z') return m.lower ?? c;
  if (c >= '0' && c <= '9') return m.digit ?? c;
  return m.other ?? c;
}
function maskRange(s: string, from: number, to: number, m: MaskChars): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += i >= from && i < to ? maskChar(s[i]!, m) : s[i]!;
  return out;
}
const firstChar = (x: string | null | undefined): string | null => (x === null || x === undefined ? null : x.length > 0 ? x[0]! : null);
function maskChars(args: readonly (string | null)[]): MaskChars {
  if (args.length === 0) return DEFAULT_MASK;
  return { upper: firstChar(args[0]), lower: firstChar(args[1]), digit: firstChar(args[2]), other: firstChar(args[3]) };
}

/** MASK-family overloads: (STRING [, INT] [, STRING upper, lower, digit, other]); mask chars may be NULL (= keep). */
function maskFunction(name: string, description: string, range: ((len: number, n: number) => [number, number]) | null): BuiltinScalar {
  const withN = range !== null;
  const head = withN ? ['STRING', 'INT'] : ['STRING'];
  const run = (s: string | null, n: number | null, chars: (string | null)[]): string | null => {
    if (s === null) return null;
    if (withN) {
      if (n === null) return null;
      if (n < 0) throw new FunctionError(`function ${name.toLowerCase()} requires a non-negative number of characters to mask or skip`);
      const [a, b] = range!(s.length, n);
      return maskRange(s, a, b, maskChars(chars));
    }
    return maskRange(s, 0, s.length, maskChars(chars));
  };
  return defineScalar({
    name,
    description,
    variants: [
      { params: head, returns: STRING, nullSafe: true, fn: (s: string | null, n?: number | null) => run(s, n ?? null, []) },
      {
        params: [...head, 'STRING', 'STRING', 'STRING', 'STRING'],
        returns: STRING,
        nullSafe: true,
        fn: (...a: unknown[]) => run(a[0] as string | null, withN ? (a[1] as number | null) : null, a.slice(withN ? 2 : 1) as (string | null)[]),
      },
    ],
  });
}

function chrFromString(s: string): string | null {
  if (!/^(\\u[0-9a-fA-F]{4})+$/.test(s)) return null;
  const units = s.split('\\u').slice(1).map((h) => parseInt(h, 16));
  const str = String.fromCharCode(...units);
  // one code point only
  return [...str].length === 1 ? str : null;
}

function instr(str: string, sub: string, position: number, occurrence: number): number {
  if (occurrence <= 0) return 0;
  if (position > 0) {
    let idx = position - 2;
    for (let k = 0; k < occurrence; k++) {
      idx = str.indexOf(sub, idx + 1);
      if (idx < 0) return 0;
    }
    return idx + 1;
  }
  if (position < 0) {
    let idx = str.length + position + 1;
    for (let k = 0; k < occurrence; k++) {
      if (idx - 1 < 0) return 0;
      idx = str.lastIndexOf(sub, idx - 1);
      if (idx < 0) return 0;
    }
    return idx + 1;
  }
  return 0;
}

function initcap(s: string): string {
  return s.replace(/\S+/g, (w) => {
    const cps = [...w];
    return cps[0]!.toUpperCase() + cps.slice(1).join('').toLowerCase();
  });
}

function regexGroup(pattern: string, s: string, group: number): string | null {
  const m = regexExec(pattern, s);
  if (!m) return null;
  if (group < 0 || group >= m.groups.length) throw new FunctionError(`No group ${group}`);
  return m.groups[group] ?? null;
}

function regexAll(pattern: string, s: string, group: number): (string | null)[] {
  const out: (string | null)[] = [];
  for (const m of regexMatchAll(pattern, s)) {
    if (group < 0 || group >= m.groups.length) throw new FunctionError(`No group ${group}`);
    out.push(m.groups[group] ?? null);
  }
  return out;
}

export function stringFunctions(): BuiltinScalar[] {
  return [
    defineScalar({
      name: 'CHR',
      description: "Returns a single-character string for the given Unicode code point, or a '\\uXXXX' escape string.",
      variants: [
        { params: ['INT'], returns: STRING, fn: (c: number) => (c < 0 || c > 0x10ffff ? null : String.fromCodePoint(c)) },
        { params: ['STRING'], returns: STRING, fn: chrFromString },
      ],
    }),
    defineScalar({
      name: 'CONCAT',
      description: 'Concatenates any number of STRING (or BYTES) values; NULL values are skipped.',
      variants: [
        { params: ['STRING'], variadic: true, returns: STRING, nullSafe: true, fn: (...xs: (string | null)[]) => xs.filter((x) => x !== null).join('') },
        {
          params: ['BYTES'],
          variadic: true,
          returns: BYTES,
          nullSafe: true,
          fn: (...xs: (Buffer | null)[]) => Buffer.concat(xs.filter((x): x is Buffer => x !== null)),
        },
      ],
    }),
    defineScalar({
      name: 'CONCAT_WS',
      description: 'Concatenates values with a separator; NULL values are skipped, a NULL separator gives NULL.',
      variants: [
        {
          params: ['STRING', 'STRING'],
          variadic: true,
          returns: STRING,
          nullSafe: true,
          fn: (sep: string | null, ...xs: (string | null)[]) => (sep === null ? null : xs.filter((x) => x !== null).join(sep)),
        },
        {
          params: ['BYTES', 'BYTES'],
          variadic: true,
          returns: BYTES,
          nullSafe: true,
          fn: (sep: Buffer | null, ...xs: (Buffer | null)[]) => {
            if (sep === null) return null;
            const parts: Buffer[] = [];
            for (const x of xs) {
              if (x === null) continue;
              if (parts.length > 0) parts.push(sep);
              parts.push(x);
            }
            return Buffer.concat(parts);
          },
        },
      ],
    }),
    defineScalar({
      name: 'ENCODE',
      description: "Converts a string from one encoding to another (hex, utf8, ascii, base64).",
      variants: [
        {
          params: ['STRING', 'STRING', 'STRING'],
          returns: STRING,
          fn: (s: string, from: string, to: string) => {
            const known = ['hex', 'utf8', 'ascii', 'base64'];
            if (!known.includes(from.toLowerCase()) || !known.includes(to.toLowerCase())) return null;
            return fromBytes(toBytes(s, from), to, false);
          },
        },
      ],
    }),
    defineScalar({
      name: 'INITCAP',
      description: 'Capitalizes the first letter of each word and lower-cases the rest; words are delimited by whitespace.',
      variants: [{ params: ['STRING'], returns: STRING, fn: initcap }],
    }),
    defineScalar({
      name: 'INSTR',
      description: 'Returns the 1-based position of substring in string, optionally from a position (negative: from the end) and for the nth occurrence; 0 if not found.',
      variants: [
        { params: ['STRING', 'STRING'], returns: INTEGER, fn: (s: string, sub: string) => instr(s, sub, 1, 1) },
        { params: ['STRING', 'STRING', 'INT'], returns: INTEGER, fn: (s: string, sub: string, p: number) => instr(s, sub, p, 1) },
        { params: ['STRING', 'STRING', 'INT', 'INT'], returns: INTEGER, fn: instr },
      ],
    }),
    defineScalar({ name: 'LCASE', description: 'Converts a string to lower case.', variants: [{ params: ['STRING'], returns: STRING, fn: (s: string) => s.toLowerCase() }] }),
    defineScalar({
      name: 'LEN',
      description: 'Returns the length of a STRING (in UTF-16 code units) or BYTES value.',
      variants: [
        { params: ['STRING'], returns: INTEGER, fn: (s: string) => s.length },
        { params: ['BYTES'], returns: INTEGER, fn: (b: Buffer) => b.length },
      ],
    }),
    defineScalar({
      name: 'LPAD',
      description: 'Pads the input on the left with the padding to the given length; truncates longer input.',
      variants: [
        { params: ['STRING', 'INT', 'STRING'], returns: STRING, fn: pad<string>(true) },
        { params: ['BYTES', 'INT', 'BYTES'], returns: BYTES, fn: pad<Buffer>(true) },
      ],
    }),
    defineScalar({
      name: 'RPAD',
      description: 'Pads the input on the right with the padding to the given length; truncates longer input.',
      variants: [
        { params: ['STRING', 'INT', 'STRING'], returns: STRING, fn: pad<string>(false) },
        { params: ['BYTES', 'INT', 'BYTES'], returns: BYTES, fn: pad<Buffer>(false) },
      ],
    }),
    maskFunction('MASK', 'Masks all characters: upper case to X, lower case to x, digits to n, others to - (or the given replacements).', null),
    maskFunction('MASK_KEEP_LEFT', 'Masks all but the first n characters.', (len, n) => [Math.min(n, len), len]),
    maskFunction('MASK_KEEP_RIGHT', 'Masks all but the last n characters.', (len, n) => [0, Math.max(len - n, 0)]),
    maskFunction('MASK_LEFT', 'Masks the first n characters.', (len, n) => [0, Math.min(n, len)]),
    maskFunction('MASK_RIGHT', 'Masks the last n characters.', (len, n) => [Math.max(len - n, 0), len]),
    defineScalar({
      name: 'MD5',
      description: 'Returns the hex-encoded MD5 hash of the UTF-8 string.',
      variants: [{ params: ['STRING'], returns: STRING, fn: (s: string) => createHash('md5').update(s, 'utf8').digest('hex') }],
    }),
    defineScalar({
      name: 'REPLACE',
      description: 'Replaces all occurrences of a substring with another string.',
      variants: [{ params: ['STRING', 'STRING', 'STRING'], returns: STRING, fn: (s: string, a: string, b: string) => s.split(a).join(b) }],
    }),
    defineScalar({
      name: 'REGEXP_EXTRACT',
      description: 'Returns the first substring matching the (Java) regular expression, or the given capturing group of it.',
      variants: [
        { params: ['STRING', 'STRING'], returns: STRING, fn: (p: string, s: string) => regexGroup(p, s, 0) },
        { params: ['STRING', 'STRING', 'INT'], returns: STRING, fn: regexGroup },
      ],
    }),
    defineScalar({
      name: 'REGEXP_EXTRACT_ALL',
      description: 'Returns all substrings matching the regular expression (or the given capturing group of each match).',
      variants: [
        { params: ['STRING', 'STRING'], returns: STR_ARR, fn: (p: string, s: string) => regexAll(p, s, 0) },
        { params: ['STRING', 'STRING', 'INT'], returns: STR_ARR, fn: regexAll },
      ],
    }),
    defineScalar({
      name: 'REGEXP_REPLACE',
      description: 'Replaces all matches of the regular expression with the replacement ($n refers to groups).',
      variants: [{ params: ['STRING', 'STRING', 'STRING'], returns: STRING, fn: javaReplace }],
    }),
    defineScalar({
      name: 'REGEXP_SPLIT_TO_ARRAY',
      description: 'Splits a string into an array of substrings around matches of the regular expression.',
      variants: [{ params: ['STRING', 'STRING'], returns: STR_ARR, fn: regexSplit }],
    }),
    defineScalar({
      name: 'SPLIT',
      description: 'Splits a string (or bytes) into an array around a delimiter; an empty delimiter splits into characters.',
      variants: [
        { params: ['STRING', 'STRING'], returns: STR_ARR, fn: splitString },
        { params: ['BYTES', 'BYTES'], returns: BYTES_ARR, fn: splitBytes },
      ],
    }),
    defineScalar({
      name: 'SPLIT_TO_MAP',
      description: 'Splits a string into key-value pairs with an entry delimiter and a key-value delimiter, building a map.',
      variants: [
        {
          params: ['STRING', 'STRING', 'STRING'],
          returns: { kind: 'MAP', key: STRING, value: STRING },
          fn: (s: string, entryDelim: string, kvDelim: string) => {
            if (entryDelim === '' || kvDelim === '' || entryDelim === kvDelim) return null;
            const m = new Map<string, string>();
            // ksqlDB: entries without the key-value delimiter are skipped; of the others the key is
            // the text before the first delimiter, the value the text up to the next one
            for (const entry of s.split(entryDelim)) {
              if (entry === '' || !entry.includes(kvDelim)) continue;
              const parts = entry.split(kvDelim);
              m.set(parts[0]!, parts[1]!);
            }
            return m;
          },
        },
      ],
    }),
    defineScalar({
      name: 'SUBSTRING',
      description: 'Returns the substring starting at pos (1-based; negative counts from the end), optionally of the given length.',
      variants: [
        { params: ['STRING', 'INT'], returns: STRING, fn: (s: string, p: number) => s.slice(startIndex(s.length, p)) },
        {
          params: ['STRING', 'INT', 'INT'],
          returns: STRING,
          fn: (s: string, p: number, n: number) => {
            const a = startIndex(s.length, p);
            return s.slice(a, endIndex(s.length, a, n));
          },
        },
        { params: ['BYTES', 'INT'], returns: BYTES, fn: (s: Buffer, p: number) => s.subarray(startIndex(s.length, p)) },
        {
          params: ['BYTES', 'INT', 'INT'],
          returns: BYTES,
          fn: (s: Buffer, p: number, n: number) => {
            const a = startIndex(s.length, p);
            return s.subarray(a, endIndex(s.length, a, n));
          },
        },
      ],
    }),
    defineScalar({ name: 'TRIM', description: 'Removes leading and trailing whitespace.', variants: [{ params: ['STRING'], returns: STRING, fn: javaTrim }] }),
    defineScalar({ name: 'UCASE', description: 'Converts a string to upper case.', variants: [{ params: ['STRING'], returns: STRING, fn: (s: string) => s.toUpperCase() }] }),
    defineScalar({
      name: 'UUID',
      description: 'Returns a random (type 4) UUID string, or the UUID encoded in 16 BYTES.',
      variants: [
        { params: [], returns: STRING, volatile: true, fn: () => randomUUID() },
        {
          params: ['BYTES'],
          returns: STRING,
          fn: (b: Buffer) => {
            if (b.length !== 16) throw new FunctionError('UUID bytes must be 16 bytes long');
            const h = b.toString('hex');
            return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
          },
        },
      ],
    }),
  ];
}
