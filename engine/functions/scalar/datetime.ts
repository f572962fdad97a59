import {
  ChronoField,
  DateTimeFormatter,
  DateTimeFormatterBuilder,
  Instant,
  LocalDate,
  LocalDateTime,
  LocalTime,
  ParsePosition,
  ResolverStyle,
  TemporalQueries,
  ZoneId,
  ZoneOffset,
  ZonedDateTime,
} from '@js-joda/core';
import type { TemporalAccessor } from '@js-joda/core';
import '@js-joda/timezone';
import '@js-joda/locale_en-us';
import { Locale } from '@js-joda/locale';
import { FunctionError } from '../types.js';
import { BIGINT, DATE, INTEGER, STRING, TIME, TIMESTAMP } from '../../types/sql-type.js';
import { defineScalar } from './signature.js';
import type { BuiltinScalar } from './signature.js';

/**
 * Date and time built-ins. Patterns are Java DateTimeFormatter patterns, run
 * by js-joda with the en-US locale. Java prints `z` as the short specific
 * zone name (PDT, BST); js-joda prints generic names, so `z` fields are
 * rendered with Intl instead.
 */

const MS_PER_DAY = 86_400_000;

// ---------------------------------------------------------------- zones and formatters

const zoneCache = new Map<string, ZoneId>();
export function zoneOf(tz: string): ZoneId {
  let z = zoneCache.get(tz);
  if (!z) {
    try {
      z = /^[+-]\d{2}(:?\d{2})?(:?\d{2})?$/.test(tz) ? ZoneOffset.of(tz) : ZoneId.of(tz);
    } catch {
      throw new FunctionError(`Unknown time-zone ID: ${tz}`);
    }
    zoneCache.set(tz, z);
  }
  return z;
}

interface Fmt {
  readonly f: DateTimeFormatter;
  /** the pattern has z fields to render through Intl */
  readonly zoneNames: boolean;
}
const fmtCache = new Map<string, Fmt>();
const ZONE_MARK = '\uE000';

function formatter(pattern: string, forFormatting: boolean): Fmt {
  const key = (forFormatting ? 'F' : 'P') + pattern;
  let f = fmtCache.get(key);
  if (!f) {
    let p = pattern;
    let zoneNames = false;
    if (forFormatting) {
      // replace unquoted runs of 1-3 'z' with a marker literal
      let out = '';
      let quoted = false;
      for (let i = 0; i < p.length; i++) {
        const c = p[i]!;
        if (c === "'") quoted = !quoted;
        if (!quoted && c === 'z') {
          let j = i;
          while (j < p.length && p[j] === 'z') j++;
          if (j - i <= 3) {
            out += `'${ZONE_MARK}'`;
            zoneNames = true;
            i = j - 1;
            continue;
          }
        }
        out += c;
      }
      p = out;
    }
    try {
      // ksqlDB parses case-insensitively ('JAN', 'Pm', a 'z' offset)
      const base = forFormatting ? DateTimeFormatter.ofPattern(p) : new DateTimeFormatterBuilder().parseCaseInsensitive().appendPattern(p).toFormatter();
      f = { f: base.withLocale(Locale.US).withResolverStyle(ResolverStyle.SMART), zoneNames };
    } catch (e) {
      throw new FunctionError(`Unknown or invalid date/time pattern '${pattern}': ${(e as Error).message}`);
    }
    fmtCache.set(key, f);
  }
  return f;
}

function shortZoneName(epochMs: number, zone: ZoneId): string {
  const id = zone.id();
  if (zone instanceof ZoneOffset) return id === 'Z' ? 'Z' : id;
  for (const loc of ['en-US', 'en-GB']) {
    try {
      const parts = new Intl.DateTimeFormat(loc, { timeZone: id, timeZoneName: 'short' }).formatToParts(new Date(epochMs));
      const name = parts.find((x) => x.type === 'timeZoneName')?.value;
      if (name && !name.startsWith('GMT+') && !name.startsWith('GMT-')) return name;
    } catch {
      break;
    }
  }
  return id;
}

function formatZoned(epochMs: number, zone: ZoneId, pattern: string): string {
  const { f, zoneNames } = formatter(pattern, true);
  const zdt = ZonedDateTime.ofInstant(Instant.ofEpochMilli(epochMs), zone);
  let s: string;
  try {
    s = zdt.format(f);
  } catch (e) {
    throw new FunctionError(`Failed to format timestamp ${epochMs} with pattern '${pattern}': ${(e as Error).message}`);
  }
  return zoneNames ? s.split(ZONE_MARK).join(shortZoneName(epochMs, zone)) : s;
}

function fieldOr(acc: TemporalAccessor, f: ChronoField, dflt: number): number {
  return acc.isSupported(f) ? acc.get(f) : dflt;
}

/**
 * Parses `text` with `pattern`. `allowTrailing`: text after what the pattern
 * matched is ignored, as java.text.SimpleDateFormat (behind PARSE_DATE and
 * PARSE_TIME) does.
 */
function parseAccessor(text: string, pattern: string, allowTrailing = false): TemporalAccessor {
  const { f } = formatter(pattern, false);
  try {
    return f.parse(text);
  } catch (e) {
    if (allowTrailing) {
      const pos = new ParsePosition(0);
      try {
        if (f.parseUnresolved(text, pos) !== null && pos.getErrorIndex() < 0 && pos.getIndex() < text.length) return f.parse(text.slice(0, pos.getIndex()));
      } catch {
        // report the original error
      }
    }
    throw new FunctionError(`Failed to parse '${text}' with pattern '${pattern}': ${(e as Error).message}`);
  }
}

function accessorDate(acc: TemporalAccessor): LocalDate {
  const d = acc.query(TemporalQueries.localDate());
  if (d) return d;
  const year = acc.isSupported(ChronoField.YEAR) ? acc.get(ChronoField.YEAR) : fieldOr(acc, ChronoField.YEAR_OF_ERA, 1970);
  const month = fieldOr(acc, ChronoField.MONTH_OF_YEAR, 1);
  if (acc.isSupported(ChronoField.DAY_OF_YEAR) && !acc.isSupported(ChronoField.MONTH_OF_YEAR)) {
    return LocalDate.ofYearDay(year, acc.get(ChronoField.DAY_OF_YEAR));
  }
  return LocalDate.of(year, month, fieldOr(acc, ChronoField.DAY_OF_MONTH, 1));
}

function accessorTime(acc: TemporalAccessor): LocalTime {
  const t = acc.query(TemporalQueries.localTime());
  if (t) return t;
  let hour = fieldOr(acc, ChronoField.HOUR_OF_DAY, -1);
  if (hour < 0) {
    const h12 = fieldOr(acc, ChronoField.CLOCK_HOUR_OF_AMPM, fieldOr(acc, ChronoField.HOUR_OF_AMPM, 0) || 12) % 12;
    hour = h12 + 12 * fieldOr(acc, ChronoField.AMPM_OF_DAY, 0);
  }
  return LocalTime.of(
    hour,
    fieldOr(acc, ChronoField.MINUTE_OF_HOUR, 0),
    fieldOr(acc, ChronoField.SECOND_OF_MINUTE, 0),
    fieldOr(acc, ChronoField.NANO_OF_SECOND, 0),
  );
}

// ---------------------------------------------------------------- public helpers (also used by json.ts)

export function formatDateIso(days: number): string {
  return LocalDate.ofEpochDay(days).toString();
}
export function formatTimeIso(ms: number): string {
  return LocalTime.ofNanoOfDay(ms * 1_000_000).format(DateTimeFormatter.ofPattern('HH:mm:ss'));
}
export function formatTimestampIso(ms: number): string {
  return LocalDateTime.ofInstant(Instant.ofEpochMilli(ms), ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS"));
}

export function formatDate(days: number, pattern: string): string {
  return formatZoned(days * MS_PER_DAY, ZoneOffset.UTC, pattern);
}
export function parseDate(text: string, pattern: string): number {
  const acc = parseAccessor(text, pattern, true);
  if (acc.isSupported(ChronoField.HOUR_OF_DAY) && accessorTime(acc).toNanoOfDay() !== 0) {
    throw new FunctionError(`Date format contains time field: ${pattern}`);
  }
  return accessorDate(acc).toEpochDay();
}
export function formatTime(ms: number, pattern: string): string {
  return formatZoned(ms, ZoneOffset.UTC, pattern);
}
export function parseTime(text: string, pattern: string): number {
  const acc = parseAccessor(text, pattern, true);
  return Math.floor(accessorTime(acc).toNanoOfDay() / 1_000_000);
}
export function formatTimestamp(ms: number, pattern: string, tz = 'UTC'): string {
  return formatZoned(ms, zoneOf(tz), pattern);
}
export function parseTimestamp(text: string, pattern: string, tz = 'UTC'): number {
  const acc = parseAccessor(text, pattern);
  const ldt = LocalDateTime.of(accessorDate(acc), accessorTime(acc));
  const zone = acc.query(TemporalQueries.zone()) ?? zoneOf(tz);
  return ldt.atZone(zone).toInstant().toEpochMilli();
}

/** ISO text → value, as ksqlDB coerces string literals to DATE / TIME / TIMESTAMP. */
export function parseIsoTemporal(kind: 'DATE' | 'TIME' | 'TIMESTAMP', s: string): number {
  const t = s.trim();
  try {
    if (kind === 'DATE') return LocalDate.parse(t.slice(0, 10)).toEpochDay();
    if (kind === 'TIME') return Math.floor(LocalTime.parse(t).toNanoOfDay() / 1_000_000);
    if (/^\d{4}-\d{2}-\d{2}$/.test(t)) return LocalDate.parse(t).toEpochDay() * MS_PER_DAY;
    const m = /^(.*?)(Z|[+-]\d{2}:?\d{2})?$/.exec(t.replace(' ', 'T'))!;
    const ldt = LocalDateTime.parse(m[1]!);
    const zone = m[2] ? zoneOf(m[2] === 'Z' ? 'UTC' : m[2]) : ZoneOffset.UTC;
    return ldt.atZone(zone).toInstant().toEpochMilli();
  } catch {
    throw new FunctionError(`Cannot parse '${s}' as ${kind}`);
  }
}

// ---------------------------------------------------------------- intervals

const UNIT_MS: Record<string, number> = {
  NANOSECONDS: 1e-6,
  MICROSECONDS: 1e-3,
  MILLISECONDS: 1,
  SECONDS: 1000,
  MINUTES: 60_000,
  HOURS: 3_600_000,
  DAYS: MS_PER_DAY,
};

/** java.util.concurrent.TimeUnit.toMillis (truncating) */
function toMillis(unit: string, n: number): number {
  const f = UNIT_MS[unit.toUpperCase()];
  if (f === undefined) throw new FunctionError(`Unknown time unit: ${unit}`);
  return f < 1 ? Math.trunc(n * f) : n * f;
}

function toDays(unit: string, n: number): number {
  return Math.trunc(toMillis(unit, n) / MS_PER_DAY);
}

const mod = (a: number, m: number): number => ((a % m) + m) % m;

// ---------------------------------------------------------------- the functions

export function datetimeFunctions(): BuiltinScalar[] {
  const interval = (name: string, sign: 1 | -1, kind: 'DATE' | 'TIME' | 'TIMESTAMP') => {
    const type = kind === 'DATE' ? DATE : kind === 'TIME' ? TIME : TIMESTAMP;
    const apply = (unit: string, n: number, v: number): number => {
      if (kind === 'DATE') return v + sign * toDays(unit, n);
      if (kind === 'TIME') return mod(v + sign * toMillis(unit, n), MS_PER_DAY);
      return v + sign * toMillis(unit, n);
    };
    return defineScalar({
      name,
      description: `${sign > 0 ? 'Adds' : 'Subtracts'} an interval (unit, amount) ${sign > 0 ? 'to' : 'from'} a ${kind}.`,
      variants: [
        { params: ['STRING', 'INT', kind], returns: type, fn: apply },
        ...(kind === 'TIMESTAMP'
          ? [{ params: ['STRING', 'BIGINT', kind], returns: type, fn: (u: string, n: bigint, v: number) => apply(u, Number(n), v) }]
          : []),
      ],
    });
  };

  return [
    defineScalar({
      name: 'CONVERT_TZ',
      description: 'Converts a TIMESTAMP from one time zone to another.',
      variants: [
        {
          params: ['TIMESTAMP', 'STRING', 'STRING'],
          returns: TIMESTAMP,
          fn: (ts: number, from: string, to: string) => {
            const inst = Instant.ofEpochMilli(ts);
            const off = (tz: string) => zoneOf(tz).rules().offset(inst).totalSeconds() * 1000;
            return ts + off(to) - off(from);
          },
        },
      ],
    }),
    interval('DATEADD', 1, 'DATE'),
    interval('DATESUB', -1, 'DATE'),
    interval('TIMEADD', 1, 'TIME'),
    interval('TIMESUB', -1, 'TIME'),
    interval('TIMESTAMPADD', 1, 'TIMESTAMP'),
    interval('TIMESTAMPSUB', -1, 'TIMESTAMP'),
    defineScalar({
      name: 'FORMAT_DATE',
      description: 'Formats a DATE with a Java DateTimeFormatter pattern.',
      variants: [{ params: ['DATE', 'STRING'], returns: STRING, fn: formatDate }],
    }),
    defineScalar({
      name: 'PARSE_DATE',
      description: 'Parses a string into a DATE with a Java DateTimeFormatter pattern.',
      variants: [{ params: ['STRING', 'STRING'], returns: DATE, fn: parseDate }],
    }),
    defineScalar({
      name: 'FORMAT_TIME',
      description: 'Formats a TIME with a Java DateTimeFormatter pattern.',
      variants: [{ params: ['TIME', 'STRING'], returns: STRING, fn: formatTime }],
    }),
    defineScalar({
      name: 'PARSE_TIME',
      description: 'Parses a string into a TIME with a Java DateTimeFormatter pattern.',
      variants: [{ params: ['STRING', 'STRING'], returns: TIME, fn: parseTime }],
    }),
    defineScalar({
      name: 'FORMAT_TIMESTAMP',
      description: 'Formats a TIMESTAMP with a Java DateTimeFormatter pattern, in UTC or the given time zone.',
      variants: [
        { params: ['TIMESTAMP', 'STRING'], returns: STRING, fn: (t: number, p: string) => formatTimestamp(t, p) },
        { params: ['TIMESTAMP', 'STRING', 'STRING'], returns: STRING, fn: formatTimestamp },
      ],
    }),
    defineScalar({
      name: 'PARSE_TIMESTAMP',
      description: 'Parses a string into a TIMESTAMP with a Java DateTimeFormatter pattern, in UTC or the given time zone.',
      variants: [
        { params: ['STRING', 'STRING'], returns: TIMESTAMP, fn: (s: string, p: string) => parseTimestamp(s, p) },
        { params: ['STRING', 'STRING', 'STRING'], returns: TIMESTAMP, fn: parseTimestamp },
      ],
    }),
    defineScalar({
      name: 'FROM_DAYS',
      description: 'Converts a number of days since the epoch to a DATE.',
      variants: [{ params: ['INT'], returns: DATE, fn: (d: number) => d }],
    }),
    defineScalar({
      name: 'FROM_UNIXTIME',
      description: 'Converts milliseconds since the epoch to a TIMESTAMP.',
      variants: [{ params: ['BIGINT'], returns: TIMESTAMP, fn: (ms: bigint) => Number(ms) }],
    }),
    defineScalar({
      name: 'UNIX_DATE',
      description: 'Returns the number of days since the epoch for the given DATE, or for today.',
      variants: [
        { params: [], returns: INTEGER, volatile: true, fn: () => Math.floor(Date.now() / MS_PER_DAY) },
        { params: ['DATE'], returns: INTEGER, fn: (d: number) => d },
      ],
    }),
    defineScalar({
      name: 'UNIX_TIMESTAMP',
      description: 'Returns the milliseconds since the epoch of the given TIMESTAMP, or of now.',
      variants: [
        { params: [], returns: BIGINT, volatile: true, fn: () => BigInt(Date.now()) },
        { params: ['TIMESTAMP'], returns: BIGINT, fn: (t: number) => BigInt(t) },
      ],
    }),
    // deprecated forms still in use
    defineScalar({
      name: 'DATETOSTRING',
      description: 'Deprecated: formats days since the epoch (INT) with a pattern. Use FORMAT_DATE.',
      variants: [{ params: ['INT', 'STRING'], returns: STRING, fn: formatDate }],
    }),
    defineScalar({
      name: 'STRINGTODATE',
      description: 'Deprecated: parses a string into days since the epoch (INT). Use PARSE_DATE.',
      variants: [{ params: ['STRING', 'STRING'], returns: INTEGER, fn: parseDate }],
    }),
    defineScalar({
      name: 'STRINGTOTIMESTAMP',
      description: 'Deprecated: parses a string into milliseconds since the epoch (BIGINT). Use PARSE_TIMESTAMP.',
      variants: [
        { params: ['STRING', 'STRING'], returns: BIGINT, fn: (s: string, p: string) => BigInt(parseTimestamp(s, p)) },
        { params: ['STRING', 'STRING', 'STRING'], returns: BIGINT, fn: (s: string, p: string, z: string) => BigInt(parseTimestamp(s, p, z)) },
      ],
    }),
    defineScalar({
      name: 'TIMESTAMPTOSTRING',
      description: 'Deprecated: formats milliseconds since the epoch (BIGINT) with a pattern. Use FORMAT_TIMESTAMP.',
      variants: [
        { params: ['BIGINT', 'STRING'], returns: STRING, fn: (t: bigint, p: string) => formatTimestamp(Number(t), p) },
        { params: ['BIGINT', 'STRING', 'STRING'], returns: STRING, fn: (t: bigint, p: string, z: string) => formatTimestamp(Number(t), p, z) },
      ],
    }),
  ];
}
