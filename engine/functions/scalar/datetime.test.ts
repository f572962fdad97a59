import { describe, expect, it } from 'vitest';
import { BIGINT, DATE, INTEGER, STRING, TIME, TIMESTAMP } from '../../types/sql-type.js';
import { resolve, run } from './test-util.js';

describe('date and time functions', () => {
  it('FORMAT_DATE / PARSE_DATE with Java patterns', () => {
    expect(run('FORMAT_DATE', [DATE, STRING], 17662, 'yyyy-MM-dd')).toBe('2018-05-11');
    expect(run('FORMAT_DATE', [DATE, STRING], 18993, 'dd-MMM-yyyy')).toBe('01-Jan-2022');
    expect(run('PARSE_DATE', [STRING, STRING], '2018-05-11Lit', "yyyy-MM-dd'Lit'")).toBe(17662);
    expect(run('PARSE_DATE', [STRING, STRING], '01-Jan-2022', 'dd-MMM-yyyy')).toBe(18993);
    expect(() => run('PARSE_DATE', [STRING, STRING], '2004', 'yyyy-MM-dd')).toThrow();
  });

  it('FORMAT_TIME / PARSE_TIME', () => {
    expect(run('FORMAT_TIME', [TIME, STRING], 65000, 'HH_mm_ss_SSS')).toBe('00_01_05_000');
    expect(run('FORMAT_TIME', [TIME, STRING], 1234567, "HHmmss'AAAAA'")).toBe('002034AAAAA');
    expect(run('PARSE_TIME', [STRING, STRING], '00:01:05Lit', "HH:mm:ss'Lit'")).toBe(65000);
    expect(run('PARSE_TIME', [STRING, STRING], '11/05/19', 'HH/mm/ss')).toBe(39919000);
  });

  it('FORMAT_TIMESTAMP with zones and zone names', () => {
    expect(run('FORMAT_TIMESTAMP', [TIMESTAMP, STRING], 1526075913000, 'yyyy-MM-dd HH:mm:ss')).toBe('2018-05-11 21:58:33');
    expect(run('FORMAT_TIMESTAMP', [TIMESTAMP, STRING, STRING], 1526075913000, 'yyyy-MM-dd HH:mm:ss zzz', 'America/Los_Angeles')).toBe(
      '2018-05-11 14:58:33 PDT',
    );
    expect(run('TIMESTAMPTOSTRING', [BIGINT, STRING, STRING], 1526075913000n, 'yyyy-MM-dd HH:mm:ss zzz', 'Europe/London')).toBe(
      '2018-05-11 22:58:33 BST',
    );
  });

  it('PARSE_TIMESTAMP / STRINGTOTIMESTAMP', () => {
    expect(run('PARSE_TIMESTAMP', [STRING, STRING], '2018-05-11T21:58:33', "yyyy-MM-dd'T'HH:mm:ss")).toBe(1526075913000);
    expect(run('STRINGTOTIMESTAMP', [STRING, STRING], '2018-05-11T21:58:33Z', "yyyy-MM-dd'T'HH:mm:ssX")).toBe(1526075913000n);
    expect(run('STRINGTOTIMESTAMP', [STRING, STRING], '2019-08-27T13:31:09.2+0000', "yyyy-MM-dd'T'HH:mm:ss.SX")).toBe(1566912669200n);
    expect(run('PARSE_TIMESTAMP', [STRING, STRING, STRING], '2018-05-11 14:58:33', 'yyyy-MM-dd HH:mm:ss', 'America/Los_Angeles')).toBe(
      1526075913000,
    );
  });

  it('interval arithmetic takes the unit as a STRING argument', () => {
    expect(run('DATEADD', [STRING, INTEGER, DATE], 'DAYS', -5, 10)).toBe(5);
    expect(run('TIMESTAMPADD', [STRING, INTEGER, TIMESTAMP], 'MILLISECONDS', 10, 10)).toBe(20);
    expect(run('TIMESTAMPSUB', [STRING, INTEGER, TIMESTAMP], 'SECONDS', 1, 5000)).toBe(4000);
    expect(run('TIMEADD', [STRING, INTEGER, TIME], 'HOURS', 25, 0)).toBe(3_600_000);
    expect(run('TIMESUB', [STRING, INTEGER, TIME], 'MINUTES', 1, 0)).toBe(86_340_000);
    expect(() => resolve('DATEADD', [DATE, INTEGER, DATE])).toThrow("Function 'dateadd' does not accept parameters (DATE, INTEGER, DATE).");
    expect(() => resolve('TIMESTAMPSUB', [TIMESTAMP, INTEGER, TIMESTAMP])).toThrow(
      "Function 'timestampsub' does not accept parameters (TIMESTAMP, INTEGER, TIMESTAMP).",
    );
  });

  it('CONVERT_TZ, FROM_*, UNIX_*', () => {
    expect(run('CONVERT_TZ', [TIMESTAMP, STRING, STRING], 100, '+0200', '+0500')).toBe(10800100);
    expect(run('CONVERT_TZ', [TIMESTAMP, STRING, STRING], 1589234313000, 'America/Los_Angeles', 'America/New_York')).toBe(1589245113000);
    expect(run('FROM_UNIXTIME', [BIGINT], 100n)).toBe(100);
    expect(run('FROM_DAYS', [INTEGER], 19157)).toBe(19157);
    expect(run('UNIX_DATE', [DATE], 3)).toBe(3);
    expect(run('UNIX_TIMESTAMP', [TIMESTAMP], 5)).toBe(5n);
    expect(resolve('UNIX_TIMESTAMP', []).volatile).toBe(true);
    expect(run('UNIX_DATE', []) as number).toBeGreaterThan(19000);
    expect(run('DATETOSTRING', [INTEGER, STRING], 0, 'dd-MM-yyyy')).toBe('01-01-1970');
    expect(run('STRINGTODATE', [STRING, STRING], '11/05/2019', 'dd/MM/yyyy')).toBe(18027);
  });
});

describe('parsing as ksqlDB does', () => {
  it('is case-insensitive', () => {
    expect(run('PARSE_DATE', [STRING, STRING], '01-JAN-2022', 'dd-MMM-yyyy')).toBe(18993);
    expect(run('PARSE_TIME', [STRING, STRING], '01:00:00 Pm', 'hh:mm:ss a')).toBe(46800000);
  });
  it('PARSE_DATE ignores text after the pattern, as SimpleDateFormat does', () => {
    expect(run('PARSE_DATE', [STRING, STRING], '2003-12-24-01-01', 'yyyy-MM-dd')).toBe(12410);
  });
});
