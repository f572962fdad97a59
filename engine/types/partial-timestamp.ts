/**
 * ksqlDB's PartialStringToTimestampParser: a possibly partial ISO-8601
 * timestamp (`2019`, `2019-01-01T10`, `2019-01-01T00:00:00.001+0445`) read as
 * epoch millis, missing fields at their minimum and UTC unless a zone is given.
 * Used where a STRING literal is compared with ROWTIME, WINDOWSTART or WINDOWEND.
 */

const PARTIAL = /^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?(?:T(\d{1,2})(?::(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,3})\d*)?)?)?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/;

export class TimestampParseError extends Error {
  override readonly name = 'TimestampParseError';
}

function offsetMillis(zone: string | undefined): number {
  if (zone === undefined || zone === 'Z') return 0;
  const sign = zone[0] === '-' ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
  return sign * (hours * 60 + minutes) * 60_000;
}

export function parsePartialTimestamp(text: string): number {
  const m = PARTIAL.exec(text.trim());
  if (!m) throw new TimestampParseError(`Failed to parse timestamp '${text}': it should be in the format yyyy-MM-dd'T'HH:mm:ss.SSS with optional timezone`);
  const [, y, mo, d, h, mi, s, ms, zone] = m;
  const n = (v: string | undefined, dflt: number): number => (v === undefined ? dflt : Number(v));
  const millis = ms === undefined ? 0 : Number(ms.padEnd(3, '0'));
  const month = n(mo, 1);
  const day = n(d, 1);
  const hour = n(h, 0);
  const minute = n(mi, 0);
  const second = n(s, 0);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) {
    throw new TimestampParseError(`Failed to parse timestamp '${text}': a field is out of range`);
  }
  const utc = Date.UTC(Number(y), month - 1, day, hour, minute, second, millis);
  // Date.UTC maps years 0-99 to 1900-1999
  const fixed = Number(y) < 100 ? new Date(utc).setUTCFullYear(Number(y)) : utc;
  return fixed - offsetMillis(zone);
}
