import type { Decimal } from 'decimal.js';
import { ExactDecimal } from './decimal.js';
import { assertNever, type SqlType } from './sql-type.js';

/**
 * Text forms of values as ksqlDB (Java) prints them: Double.toString,
 * BigDecimal plain strings, ISO dates/times, List/Map/Struct toString.
 */

/**
 * Java's Double.toString: integral values keep `.0`, magnitudes outside
 * [1e-3, 1e7) use `E` notation (`1.0E10`, `1.234E-5`), `NaN`, `Infinity`, `-0.0`.
 */
export function javaDoubleToString(d: number): string {
  if (Number.isNaN(d)) return 'NaN';
  if (d === Infinity) return 'Infinity';
  if (d === -Infinity) return '-Infinity';
  if (d === 0) return Object.is(d, -0) ? '-0.0' : '0.0';
  const abs = Math.abs(d);
  if (abs >= 1e-3 && abs < 1e7) {
    // JavaScript prints these magnitudes without an exponent, with the same shortest digits
    const s = String(d);
    return s.includes('.') ? s : s + '.0';
  }
  let [mant, exp] = d.toExponential().split('e') as [string, string];
  // Java prints at least two significant digits, the second rounded from the exact
  // value: Double.MIN_VALUE is 4.9E-324 where the shortest form is 5e-324
  if (!mant.includes('.')) [mant, exp] = d.toExponential(1).split('e') as [string, string];
  const m = mant.includes('.') ? mant : mant + '.0';
  return `${m}E${exp.startsWith('+') ? exp.slice(1) : exp}`;
}

/** Java's Float-free BigDecimal.toString for a decimal.js value (scientific when the exponent is small, like Java). */
export function javaBigDecimalToString(v: Decimal, scale: number): string {
  // BigDecimal.toString uses scientific notation only when scale < 0 or adjusted exponent < -6.
  const d = new ExactDecimal(v);
  const plain = d.toFixed(scale);
  if (d.isZero()) return plain;
  const unscaledDigits = plain.replace('-', '').replace('.', '').replace(/^0+/, '');
  const adjusted = -scale + (unscaledDigits.length - 1);
  if (adjusted >= -6) return plain;
  const sign = d.isNegative() ? '-' : '';
  const mant = unscaledDigits.length > 1 ? `${unscaledDigits[0]}.${unscaledDigits.slice(1)}` : unscaledDigits;
  return `${sign}${mant}E${adjusted}`;
}

const MS_PER_DAY = 86_400_000;

function pad(n: number, w: number): string {
  const s = String(Math.abs(n));
  return (n < 0 ? '-' : '') + s.padStart(w, '0');
}

function civilFromDays(days: number): { y: number; m: number; d: number } {
  const dt = new Date(days * MS_PER_DAY);
  return { y: dt.getUTCFullYear(), m: dt.getUTCMonth() + 1, d: dt.getUTCDate() };
}

function formatYear(y: number): string {
  if (y > 9999) return '+' + String(y);
  return pad(y, 4);
}

/** `yyyy-MM-dd` for days since the epoch. */
export function formatDate(days: number): string {
  const { y, m, d } = civilFromDays(days);
  return `${formatYear(y)}-${pad(m, 2)}-${pad(d, 2)}`;
}

/** `HH:mm:ss`, with `.SSS` when the milliseconds are not zero (java.time ISO_LOCAL_TIME). */
export function formatTime(msOfDay: number): string {
  const ms = ((msOfDay % MS_PER_DAY) + MS_PER_DAY) % MS_PER_DAY;
  const h = Math.floor(ms / 3_600_000);
  const mi = Math.floor(ms / 60_000) % 60;
  const s = Math.floor(ms / 1000) % 60;
  const milli = ms % 1000;
  return `${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}${milli ? '.' + pad(milli, 3) : ''}`;
}

/** `yyyy-MM-ddTHH:mm:ss.SSS` in UTC, as ksqlDB prints TIMESTAMP values. */
export function formatTimestamp(epochMs: number): string {
  const days = Math.floor(epochMs / MS_PER_DAY);
  const ms = epochMs - days * MS_PER_DAY;
  const t = formatTime(ms);
  const milli = ms % 1000;
  return `${formatDate(days)}T${milli ? t : t + '.000'}`;
}

/**
 * ksqlDB's text of a value, as CAST(x AS STRING) produces it: top-level strings
 * as is, lists `[1, 2]`, maps `{k=v}`, structs `Struct{A=1,B=x}` (null fields omitted).
 */
export function valueToString(v: unknown, type: SqlType): string {
  switch (type.kind) {
    case 'BOOLEAN':
      return v ? 'true' : 'false';
    case 'INTEGER':
    case 'BIGINT':
      return String(v);
    case 'DOUBLE':
      return javaDoubleToString(v as number);
    case 'DECIMAL':
      return new ExactDecimal(v as Decimal).toFixed(type.scale);
    case 'STRING':
      return v as string;
    case 'BYTES':
      return (v as Buffer).toString('base64');
    case 'DATE':
      return formatDate(v as number);
    case 'TIME':
      return formatTime(v as number);
    case 'TIMESTAMP':
      return formatTimestamp(v as number);
    case 'ARRAY':
      return '[' + (v as unknown[]).map((x) => nested(x, type.element)).join(', ') + ']';
    case 'MAP':
      return '{' + [...(v as Map<unknown, unknown>)].map(([k, x]) => `${nested(k, type.key)}=${nested(x, type.value)}`).join(', ') + '}';
    case 'STRUCT': {
      const o = v as Record<string, unknown>;
      const parts: string[] = [];
      for (const f of type.fields) {
        const x = o[f.name];
        if (x === null || x === undefined) continue;
        parts.push(`${f.name}=${nested(x, f.type)}`);
      }
      return `Struct{${parts.join(',')}}`;
    }
    case 'NULL':
      return 'null';
    default:
      return assertNever(type, 'type');
  }
}

function nested(v: unknown, t: SqlType): string {
  return v === null || v === undefined ? 'null' : valueToString(v, t);
}
