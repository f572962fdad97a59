import { describe, expect, it } from 'vitest';
import { checkStatementText } from './statement-limits.js';

const limits = { statementMaxNestingDepth: 10, statementMaxListElements: 5 };

describe('checkStatementText', () => {
  it('refuses nesting deeper than the limit, naming it', () => {
    expect(() => checkStatementText('SELECT ' + '('.repeat(11) + '1' + ')'.repeat(11) + ' FROM S;', limits)).toThrow(/more than 10 deep \(ksetl.statement.max.nesting.depth\)/);
    expect(() => checkStatementText('SELECT ' + '('.repeat(10) + '1' + ')'.repeat(10) + ' FROM S;', limits)).not.toThrow();
  });

  it('refuses a list longer than the limit, and counts lists separately', () => {
    expect(() => checkStatementText('SELECT * FROM S WHERE A IN (1,2,3,4,5,6);', limits)).toThrow(/more than 5 elements \(ksetl.statement.max.list.elements\)/);
    expect(() => checkStatementText('SELECT A, B, C, D, E, F, G FROM S WHERE A IN (1,2,3) AND B IN (4,5,6,7,8);', limits)).not.toThrow();
  });

  it('skips strings, quoted identifiers and comments', () => {
    expect(() => checkStatementText(`SELECT '((((((((((((,,,,,,,,' AS "((((((((((((", \`a(((((((((((\` FROM S; -- ((((((((((((\n /* (((((((((((( */`, limits)).not.toThrow();
    expect(() => checkStatementText(`SELECT 'it''s (' FROM S WHERE A IN (1,2,3,4,5,6);`, limits)).toThrow(/elements/);
  });
});
