import { describe, expect, it } from 'vitest';
import { recordPosition, rowsIncluded } from './processing-log.js';

describe('processing log', () => {
  it('rows are not included unless ksql.logging.processing.rows.include is true (ksqlDB default)', () => {
    expect(rowsIncluded({})).toBe(false);
    expect(rowsIncluded({ 'ksql.logging.processing.rows.include': 'false' })).toBe(false);
    expect(rowsIncluded({ 'ksql.logging.processing.rows.include': 'TRUE' })).toBe(true);
  });

  it('recordPosition keeps partition and offset, never key or value', () => {
    const record = JSON.stringify({ topic: 't', partition: 2, offset: 41, key: 'a2V5', value: 'c2VjcmV0' });
    expect(recordPosition(record)).toEqual({ partition: 2, offset: 41 });
    expect(recordPosition(null)).toBeUndefined();
    expect(recordPosition('not json')).toBeUndefined();
  });
});
