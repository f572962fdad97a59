import { describe, expect, it } from 'vitest';
import { BIGINT, INTEGER, STRING, struct, decimal } from '../../types/sql-type.js';
import { col } from './fake-engine.test-support.js';
import { canonicalSchema, formatSourceSchema, schemasEqual } from './schema-string.js';

describe('source schema strings', () => {
  it('formats columns the way QTT post conditions write them', () => {
    expect(formatSourceSchema([col('K', STRING, 'KEY'), col('ID', BIGINT), col('NAME', STRING)])).toBe('K STRING KEY, ID BIGINT, NAME STRING');
    expect(formatSourceSchema([col('c1', INTEGER), col('S', struct([{ name: 'F1', type: decimal(4, 2) }]))])).toBe('`c1` INTEGER, S STRUCT<F1 DECIMAL(4, 2)>');
  });

  it('treats equivalent spellings as equal', () => {
    expect(schemasEqual('`T_ID` BIGINT KEY, `NAME` STRING', 'T_ID BIGINT KEY, NAME VARCHAR')).toBe(true);
    expect(schemasEqual('ROWKEY INT KEY, `c1` INT', 'ROWKEY INTEGER KEY, `c1` INTEGER')).toBe(true);
    expect(schemasEqual('`ROWKEY` DECIMAL(4,2) KEY', 'ROWKEY DECIMAL(4, 2) KEY')).toBe(true);
    expect(schemasEqual('ID STRING KEY, S STRUCT< >', 'ID STRING KEY, S STRUCT<>')).toBe(true);
    expect(schemasEqual('`c1` INT', 'C1 INT')).toBe(false);
    expect(schemasEqual('A INT', 'A INT KEY')).toBe(false);
    expect(canonicalSchema('s struct<f1 int>')).toBe('S STRUCT < F1 INT >');
  });
});
