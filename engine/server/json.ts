import type { TransientColumn } from '../exec/transient.js';
import type { SqlType } from '../types/sql-type.js';

/**
 * Values on the wire, as ksqlDB's REST API writes them: BIGINT and DECIMAL as
 * JSON numbers (digits kept exactly), BYTES as base64, DATE/TIME/TIMESTAMP as
 * ISO text, MAP as an object, STRUCT as an object with its declared names.
 */
export function valueToJson(v: unknown, type: SqlType | null): string {
  if (v === null || v === undefined) return 'null';
  switch (typeof v) {
    case 'bigint':
      return v.toString();
    case 'boolean':
      return v ? 'true' : 'false';
    case 'string':
      return JSON.stringify(v);
    case 'number':
      if (type?.kind === 'DATE') return JSON.stringify(new Date(v * 86400000).toISOString().slice(0, 10));
      if (type?.kind === 'TIME') return JSON.stringify(new Date(v).toISOString().slice(11, 23).replace(/\.000$/, ''));
      if (type?.kind === 'TIMESTAMP') return JSON.stringify(new Date(v).toISOString().slice(0, 23));
      if (!Number.isFinite(v)) return Number.isNaN(v) ? '"NaN"' : v > 0 ? '"Infinity"' : '"-Infinity"';
      if (type?.kind === 'DOUBLE' && Number.isInteger(v) && Math.abs(v) < 1e16) return `${v}.0`;
      return JSON.stringify(v);
    default:
      break;
  }
  if (Buffer.isBuffer(v)) return JSON.stringify(v.toString('base64'));
  if (Array.isArray(v)) {
    const el = type?.kind === 'ARRAY' ? type.element : null;
    return '[' + v.map((x) => valueToJson(x, el)).join(',') + ']';
  }
  if (v instanceof Map) {
    const vt = type?.kind === 'MAP' ? type.value : null;
    return '{' + [...v.entries()].map(([k, x]) => JSON.stringify(String(keyText(k))) + ':' + valueToJson(x, vt)).join(',') + '}';
  }
  if (isDecimal(v)) return v.toString();
  if (typeof v === 'object') {
    const fields = type?.kind === 'STRUCT' ? type.fields : null;
    const entries = Object.entries(v as Record<string, unknown>);
    return '{' + entries.map(([k, x]) => JSON.stringify(k) + ':' + valueToJson(x, fields?.find((f) => f.name === k)?.type ?? null)).join(',') + '}';
  }
  return JSON.stringify(String(v));
}

function keyText(k: unknown): string {
  if (typeof k === 'bigint') return k.toString();
  if (isDecimal(k)) return k.toString();
  return String(k);
}

function isDecimal(v: unknown): v is { toString(): string } {
  return typeof v === 'object' && v !== null && typeof (v as { toFixed?: unknown }).toFixed === 'function' && typeof (v as { isNaN?: unknown }).isNaN === 'function';
}

export function rowToJson(values: readonly unknown[], columns: readonly TransientColumn[]): string {
  return '[' + values.map((v, i) => valueToJson(v, columns[i]?.type ?? null)).join(',') + ']';
}

/** A type as ksqlDB prints it in a query header: struct field names back-quoted. */
export function headerType(t: SqlType): string {
  switch (t.kind) {
    case 'DECIMAL':
      return `DECIMAL(${t.precision}, ${t.scale})`;
    case 'ARRAY':
      return `ARRAY<${headerType(t.element)}>`;
    case 'MAP':
      return `MAP<${headerType(t.key)}, ${headerType(t.value)}>`;
    case 'STRUCT':
      return `STRUCT<${t.fields.map((f) => `\`${f.name}\` ${headerType(f.type)}`).join(', ')}>`;
    default:
      return t.kind;
  }
}

/** "`K` STRING KEY, `V` INTEGER" (KEY only for pull queries). */
export function headerSchema(columns: readonly TransientColumn[], withKey: boolean): string {
  return columns.map((c) => `\`${c.name}\` ${headerType(c.type)}${withKey && c.key ? ' KEY' : ''}`).join(', ');
}

/** The type names of /query-stream metadata: "STRING", "ARRAY<INTEGER>", ... */
export function streamTypeName(t: SqlType): string {
  return headerType(t);
}
