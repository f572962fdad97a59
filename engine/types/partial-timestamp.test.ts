import { describe, expect, it } from 'vitest';
import { parsePartialTimestamp, TimestampParseError } from './partial-timestamp.js';

describe('parsePartialTimestamp', () => {
  it('reads full and partial timestamps as UTC', () => {
    expect(parsePartialTimestamp('2018-01-01T00:00:00.001')).toBe(1514764800001);
    expect(parsePartialTimestamp('2018-01-01T00:00:01')).toBe(1514764801000);
    expect(parsePartialTimestamp('2018')).toBe(1514764800000);
    expect(parsePartialTimestamp('2018-01-01T10')).toBe(1514764800000 + 10 * 3_600_000);
  });

  it('applies a zone offset', () => {
    expect(parsePartialTimestamp('2020-02-10T08:31:44.001+0000')).toBe(Date.UTC(2020, 1, 10, 8, 31, 44, 1));
    expect(parsePartialTimestamp('2019-01-01T00:00:00+0445')).toBe(Date.UTC(2019, 0, 1) - (4 * 60 + 45) * 60_000);
    expect(parsePartialTimestamp('2019-01-01T00:00:00-01:00')).toBe(Date.UTC(2019, 0, 1) + 3_600_000);
    expect(parsePartialTimestamp('2019-01-01T00:00:00Z')).toBe(Date.UTC(2019, 0, 1));
  });

  it('rejects other text', () => {
    expect(() => parsePartialTimestamp('yesterday')).toThrow(TimestampParseError);
    expect(() => parsePartialTimestamp('2019-13-01')).toThrow(TimestampParseError);
  });
});
