/**
 * A stable string for a list of SQL values, used as the key of in-memory
 * state stores (grouping keys, table keys, join buffers).
 */
export function keyString(values: readonly unknown[]): string {
  if (values.length === 1) return enc(values[0]);
  return values.map(enc).join('\u0001');
}

function enc(v: unknown): string {
  if (v === null || v === undefined) return '\u0000';
  switch (typeof v) {
    case 'string':
      return 's' + v;
    case 'number':
      return 'n' + String(v);
    case 'bigint':
      return 'n' + v.toString();
    case 'boolean':
      return v ? 'T' : 'F';
    default:
      break;
  }
  if (Buffer.isBuffer(v)) return 'b' + v.toString('base64');
  if (Array.isArray(v)) return '[' + v.map(enc).join(',') + ']';
  if (v instanceof Map) return '{' + [...v.entries()].map(([k, x]) => enc(k) + ':' + enc(x)).join(',') + '}';
  if (typeof v === 'object' && v !== null && typeof (v as { toFixed?: unknown }).toFixed === 'function' && typeof (v as { isNaN?: unknown }).isNaN === 'function') {
    return 'd' + String(v); // decimal.js
  }
  if (typeof v === 'object') return '(' + Object.entries(v as Record<string, unknown>).map(([k, x]) => k + '=' + enc(x)).join(',') + ')';
  return String(v);
}
