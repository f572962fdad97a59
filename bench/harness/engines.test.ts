import { describe, expect, it } from 'vitest';
import { logSummary } from './engines.js';

describe('logSummary', () => {
  it('keeps the query, the message and the error of a JSON log line', () => {
    const line = JSON.stringify({ level: 'error', time: 't', query_id: 'CTAS_AB_COUNTS_1', err: { type: 'KafkaJSProtocolError', message: 'This server does not host this topic-partition', stack: 'long' }, msg: 'query failed to start' });
    expect(logSummary(line)).toBe('query CTAS_AB_COUNTS_1: query failed to start: This server does not host this topic-partition');
  });

  it('returns other lines as they are, shortened', () => {
    expect(logSummary('{"state":"ERROR"')).toBe('{"state":"ERROR"');
    expect(logSummary('x'.repeat(600))).toHaveLength(500);
    expect(logSummary('{}')).toBe('{}');
  });
});
