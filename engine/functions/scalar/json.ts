import { Decimal } from 'decimal.js';
import { FunctionError } from '../types.js';
import { BOOLEAN, INTEGER, STRING } from '../../types/sql-type.js';
import type { SqlType } from '../../types/sql-type.js';
import { defineScalar } from './signature.js';
import type { BuiltinScalar } from './signature.js';
import { javaDouble } from './values.js';
import { formatDateIso, formatTimeIso, formatTimestampIso } from './datetime.js';

/**
 * JSON built-ins. Documents are parsed by a small Jackson-like reader that
 * keeps number text verbatim (so '1.23450' stays '1.23450') and, like
 * Jackson's readTree, reads the first value and ignores trailing input.
 */

export type JsonNode =
  | { readonly t: 'obj'; readonly entries: [string, JsonNode][] }
  | { readonly t: 'arr'; readonly items: JsonNode[] }
  | { readonly t: 'str'; readonly v: string }
  | { readonly t: 'num'; readonly text: string }
  | { readonly t: 'bool'; readonly v: boolean }
  | { readonly t: 'null' };

class Reader {
  i = 0;
  constructor(readonly s: string) {}
  ws(): void {
    while (this.i < this.s.length && ' \t\r\n'.includes(this.s[this.i]!)) this.i++;
  }
  fail(): never {
    throw new FunctionError(`Invalid JSON at offset ${this.i}`);
  }
  value(): JsonNode {
    this.ws();
    const c = this.s[this.i];
    if (c === '{') {
      this.i++;
      const entries: [string, JsonNode][] = [];
      this.ws();
      if (this.s[this.i] === '}') {
        this.i++;
        return { t: 'obj', entries };
      }
      for (;;) {
        this.ws();
        if (this.s[this.i] !== '"') this.fail();
        const k = this.string();
        this.ws();
        if (this.s[this.i++] !== ':') this.fail();
        const v = this.value();
        const existing = entries.findIndex(([x]) => x === k);
        if (existing >= 0) entries.splice(existing, 1);
        entries.push([k, v]);
        this.ws();
        const d = this.s[this.i++];
        if (d === '}') return { t: 'obj', entries };
        if (d !== ',') this.fail();
      }
    }
    if (c === '[') {
      this.i++;
      const items: JsonNode[] = [];
      this.ws();
      if (this.s[this.i] === ']') {
        this.i++;
        return { t: 'arr', items };
      }
      for (;;) {
        items.push(this.value());
        this.ws();
        const d = this.s[this.i++];
        if (d === ']') return { t: 'arr', items };
        if (d !== ',') this.fail();
      }
    }
    if (c === '"') return { t: 'str', v: this.string() };
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(this.s.slice(this.i));
    if (m && m[0].length > 0 && m[0] !== '-') {
      this.i += m[0].length;
      return { t: 'num', text: m[0] };
    }
    for (const [w, node] of [
      ['true', { t: 'bool', v: true }],
      ['false', { t: 'bool', v: false }],
      ['null', { t: 'null' }],
    ] as const) {
      if (this.s.startsWith(w, this.i)) {
        this.i += w.length;
        return node;
      }
    }
    return this.fail();
  }
  string(): string {
    const start = this.i;
    this.i++;
    let out = '';
    while (this.i < this.s.length) {
      const c = this.s[this.i++]!;
      if (c === '"') return out;
      if (c === '\\') {
        const e = this.s[this.i++];
        if (e === 'u') {
          out += String.fromCharCode(parseInt(this.s.slice(this.i, this.i + 4), 16));
          this.i += 4;
        } else out += ({ b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' } as Record<string, string>)[e!] ?? e;
      } else out += c;
    }
    this.i = start;
    return this.fail();
  }
}

export function parseJson(s: string): JsonNode {
  const r = new Reader(s);
  const v = r.value();
  return v;
}

/** null when the text is not JSON */
function tryParse(s: string): JsonNode | null {
  try {
    return parseJson(s);
  } catch {
    return null;
  }
}

export function writeJson(n: JsonNode): string {
  switch (n.t) {
    case 'obj':
      return '{' + n.entries.map(([k, v]) => JSON.stringify(k) + ':' + writeJson(v)).join(',') + '}';
    case 'arr':
      return '[' + n.items.map(writeJson).join(',') + ']';
    case 'str':
      return JSON.stringify(n.v);
    case 'num':
      return n.text;
    case 'bool':
      return String(n.v);
    case 'null':
      return 'null';
  }
}

/** `$.a.b[0]`, `$['a']`, `$.@type` → path tokens */
function parsePath(path: string): (string | number)[] {
  const toks: (string | number)[] = [];
  let i = path.startsWith('$') ? 1 : 0;
  while (i < path.length) {
    const c = path[i]!;
    if (c === '.') {
      let j = i + 1;
      while (j < path.length && path[j] !== '.' && path[j] !== '[') j++;
      toks.push(path.slice(i + 1, j));
      i = j;
    } else if (c === '[') {
      const end = path.indexOf(']', i);
      if (end < 0) throw new FunctionError(`Invalid JsonPath: ${path}`);
      const inner = path.slice(i + 1, end).trim();
      if (/^['"]/.test(inner)) toks.push(inner.slice(1, -1));
      else if (/^-?\d+$/.test(inner)) toks.push(Number(inner));
      else toks.push(inner);
      i = end + 1;
    } else {
      let j = i;
      while (j < path.length && path[j] !== '.' && path[j] !== '[') j++;
      toks.push(path.slice(i, j));
      i = j;
    }
  }
  return toks;
}

function walk(n: JsonNode | undefined, toks: readonly (string | number)[]): JsonNode | undefined {
  let cur = n;
  for (const t of toks) {
    if (!cur) return undefined;
    if (typeof t === 'number') {
      if (cur.t !== 'arr' || t < 0 || t >= cur.items.length) return undefined;
      cur = cur.items[t];
    } else {
      if (cur.t !== 'obj') return undefined;
      cur = cur.entries.find(([k]) => k === t)?.[1];
    }
  }
  return cur;
}

/** Serialise a SQL value as ksqlDB's JSON serde writes it. */
export function toJson(v: unknown, t: SqlType | null | undefined): string {
  if (v === null || v === undefined) return 'null';
  switch (t?.kind) {
    case 'DATE':
      return JSON.stringify(formatDateIso(v as number));
    case 'TIME':
      return JSON.stringify(formatTimeIso(v as number));
    case 'TIMESTAMP':
      return JSON.stringify(formatTimestampIso(v as number));
    case 'ARRAY':
      return '[' + (v as unknown[]).map((x) => toJson(x, t.element)).join(',') + ']';
    case 'MAP':
      return '{' + [...(v as Map<unknown, unknown>)].map(([k, x]) => JSON.stringify(String(k)) + ':' + toJson(x, t.value)).join(',') + '}';
    case 'STRUCT':
      return (
        '{' +
        t.fields.map((f) => JSON.stringify(f.name) + ':' + toJson((v as Record<string, unknown>)[f.name] ?? null, f.type)).join(',') +
        '}'
      );
    case 'DECIMAL':
      return (v as Decimal).toFixed(t.scale);
    default:
      break;
  }
  if (typeof v === 'number') return Number.isInteger(v) && t?.kind !== 'DOUBLE' ? String(v) : jsonDouble(v);
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'boolean') return String(v);
  if (Buffer.isBuffer(v)) return JSON.stringify(v.toString('base64'));
  if (v instanceof Decimal) return v.toFixed();
  if (Array.isArray(v)) return '[' + v.map((x) => toJson(x, null)).join(',') + ']';
  if (v instanceof Map) return '{' + [...v].map(([k, x]) => JSON.stringify(String(k)) + ':' + toJson(x, null)).join(',') + '}';
  return '{' + Object.entries(v as object).map(([k, x]) => JSON.stringify(k) + ':' + toJson(x, null)).join(',') + '}';
}

function jsonDouble(x: number): string {
  if (!Number.isFinite(x)) return JSON.stringify(javaDouble(x));
  return javaDouble(x);
}

function nodeEqualsValue(n: JsonNode, v: unknown): boolean {
  if (v === null) return n.t === 'null';
  switch (typeof v) {
    case 'string':
      return n.t === 'str' && n.v === v;
    case 'boolean':
      return n.t === 'bool' && n.v === v;
    case 'number':
      return n.t === 'num' && Number(n.text) === v;
    case 'bigint':
      return n.t === 'num' && /^-?\d+$/.test(n.text) && BigInt(n.text) === v;
  }
  if (v instanceof Decimal) return n.t === 'num' && new Decimal(n.text).eq(v);
  return false;
}

export function jsonFunctions(): BuiltinScalar[] {
  return [
    defineScalar({
      name: 'EXTRACTJSONFIELD',
      description: "Extracts the value at a JSONPath (e.g. '$.a.b[0]') from a JSON string; string values are returned unquoted.",
      variants: [
        {
          params: ['STRING', 'STRING'],
          returns: STRING,
          build: () => {
            let lastPath: string | null = null;
            let toks: (string | number)[] = [];
            return (json: string, path: string) => {
              if (path !== lastPath) {
                toks = parsePath(path);
                lastPath = path;
              }
              const n = walk(tryParse(json) ?? undefined, toks);
              if (!n || n.t === 'null') return null;
              return n.t === 'str' ? n.v : writeJson(n);
            };
          },
        },
      ],
    }),
    defineScalar({
      name: 'IS_JSON_STRING',
      description: 'Returns true if the string parses as JSON.',
      variants: [
        {
          params: ['STRING'],
          returns: BOOLEAN,
          nullSafe: true,
          fn: (s: string | null) => {
            if (s === null) return false;
            try {
              const r = new Reader(s);
              r.value();
              r.ws();
              return r.i === s.length;
            } catch {
              return false;
            }
          },
        },
      ],
    }),
    defineScalar({
      name: 'JSON_ARRAY_CONTAINS',
      description: 'Returns true if the JSON array string contains the given primitive value.',
      variants: ['STRING', 'BOOLEAN', 'INT', 'BIGINT', 'DOUBLE', 'DECIMAL'].map((p) => ({
        params: ['STRING', p],
        returns: BOOLEAN,
        nullSafe: true,
        fn: (json: string | null, v: unknown) => {
          if (json === null) return false;
          const n = tryParse(json);
          if (!n || n.t !== 'arr') return false;
          return n.items.some((x) => nodeEqualsValue(x, v));
        },
      })),
    }),
    defineScalar({
      name: 'JSON_ARRAY_LENGTH',
      description: 'Returns the number of elements of a JSON array string, or NULL if it is not an array.',
      variants: [
        {
          params: ['STRING'],
          returns: INTEGER,
          fn: (s: string) => {
            const n = tryParse(s);
            return n && n.t === 'arr' ? n.items.length : null;
          },
        },
      ],
    }),
    defineScalar({
      name: 'JSON_CONCAT',
      description: 'Merges JSON objects (later keys win) or concatenates JSON arrays; returns NULL on invalid input.',
      variants: [
        {
          params: ['STRING'],
          variadic: true,
          returns: STRING,
          nullSafe: true,
          fn: (...xs: (string | null)[]) => {
            if (xs.length === 0) return null;
            const nodes: JsonNode[] = [];
            for (const x of xs) {
              if (x === null) return null;
              const n = tryParse(x);
              if (!n) return null;
              nodes.push(n);
            }
            if (nodes.every((n) => n.t === 'obj')) {
              const entries: [string, JsonNode][] = [];
              for (const n of nodes as { entries: [string, JsonNode][] }[]) {
                for (const [k, v] of n.entries) {
                  const i = entries.findIndex(([e]) => e === k);
                  if (i >= 0) entries[i] = [k, v];
                  else entries.push([k, v]);
                }
              }
              return writeJson({ t: 'obj', entries });
            }
            const items: JsonNode[] = [];
            for (const n of nodes) {
              if (n.t === 'arr') items.push(...n.items);
              else items.push(n);
            }
            return writeJson({ t: 'arr', items });
          },
        },
      ],
    }),
    defineScalar({
      name: 'JSON_ITEMS',
      description: 'Converts a JSON array string into an array of JSON strings of its elements.',
      variants: [
        {
          params: ['STRING'],
          returns: { kind: 'ARRAY', element: STRING },
          fn: (s: string) => {
            const n = tryParse(s);
            return n && n.t === 'arr' ? n.items.map(writeJson) : null;
          },
        },
      ],
    }),
    defineScalar({
      name: 'JSON_KEYS',
      description: 'Returns the keys of a JSON object string, or NULL if it is not an object.',
      variants: [
        {
          params: ['STRING'],
          returns: { kind: 'ARRAY', element: STRING },
          fn: (s: string) => {
            const n = tryParse(s);
            return n && n.t === 'obj' ? n.entries.map(([k]) => k) : null;
          },
        },
      ],
    }),
    defineScalar({
      name: 'JSON_RECORDS',
      description: 'Converts a JSON object string into a map from keys to their values: strings as text, other values as JSON.',
      variants: [
        {
          params: ['STRING'],
          returns: { kind: 'MAP', key: STRING, value: STRING },
          fn: (s: string) => {
            const n = tryParse(s);
            // a string value is given as its text, any other value as its JSON (ksqlDB's JsonRecords)
            return n && n.t === 'obj' ? new Map(n.entries.map(([k, v]) => [k, v.t === 'str' ? v.v : writeJson(v)])) : null;
          },
        },
      ],
    }),
    defineScalar({
      name: 'TO_JSON_STRING',
      description: 'Converts any value to its JSON string representation.',
      variants: [{ params: ['ANY'], returns: STRING, nullSafe: true, build: (c) => (v: unknown) => toJson(v, c.types[0]) }],
    }),
  ];
}
