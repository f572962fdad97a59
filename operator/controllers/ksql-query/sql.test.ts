import { describe, expect, it } from 'vitest';
import { classifySqlChange, decideUpgrade, engineRuns, submissions } from './sql.js';
import { EMPTY, INSERT, SINK, SRC, engineAfter, statements } from './sql.test-support.js';

describe('submissions: a reconcile repeated after a crash submits nothing twice', () => {
  const sql = `${SRC}\n${SINK('user_id, service')}\n${INSERT}`;

  it('submits every statement to an empty engine', () => {
    expect(submissions(statements(sql), EMPTY, 'create', {}).map((s) => s.statement.kind)).toEqual(['CreateSource', 'CreateAsSelect', 'InsertInto']);
  });

  it('finds the sources and queries already there (by sink and by statement text) and submits nothing', () => {
    expect(submissions(statements(sql), engineAfter(sql), 'create', {})).toEqual([]);
  });

  it('submits only what the interrupted reconcile did not reach', () => {
    const half = engineAfter(SRC);
    expect(submissions(statements(sql), half, 'create', {}).map((s) => s.statement.target)).toEqual(['BY_SERVICE', 'BY_SERVICE']);
  });

  it('restarts a CREATE ... AS SELECT whose query is gone with CREATE OR REPLACE, not a second CREATE', () => {
    const s = submissions(statements(sql), engineAfter(sql, { withoutQueries: ['BY_SERVICE'] }), 'create', {});
    expect(s.map((x) => x.text.slice(0, 34))).toEqual(['CREATE OR REPLACE STREAM by_servic', 'INSERT INTO by_service SELECT user']);
  });

  it('carries spec.properties and SET statements to the statements after them', () => {
    const s = submissions(statements(`SET 'auto.offset.reset'='earliest';\n${SRC}`), EMPTY, 'create', { 'processing.guarantee': 'exactly_once_v2' });
    expect(s[0]!.properties).toEqual({ 'processing.guarantee': 'exactly_once_v2', 'auto.offset.reset': 'earliest' });
  });
});

describe('engineRuns', () => {
  const oldSql = `${SRC}\n${SINK('user_id, service')}`;
  const newSql = `${SRC}\n${SINK('user_id, service, user_id AS uid')}`;

  it('holds when every source has the same text and every CSAS its query', () => {
    expect(engineRuns(statements(oldSql), engineAfter(oldSql))).toBe(true);
    expect(engineRuns(statements(oldSql), engineAfter(oldSql, { withoutQueries: ['BY_SERVICE'] }))).toBe(false);
    expect(engineRuns(statements(oldSql), EMPTY)).toBe(false);
  });

  it('tells a recreate already done (new SQL runs, old does not) from one still to do', () => {
    const done = engineAfter(newSql);
    expect(engineRuns(statements(oldSql), done)).toBe(false);
    expect(engineRuns(statements(newSql), done)).toBe(true);
    const todo = engineAfter(oldSql);
    expect(engineRuns(statements(oldSql), todo)).toBe(true);
    expect(engineRuns(statements(newSql), todo)).toBe(false);
  });
});

describe('upgrade policy', () => {
  const oldSt = statements(`${SRC}\n${SINK('user_id, service')}`);
  const newSt = statements(`${SRC}\n${SINK('user_id, service, user_id AS uid')}`);

  it('classifies a changed CSAS body as in place, and each policy decides', () => {
    const change = classifySqlChange(oldSt, newSt);
    expect(change).toEqual({ kind: 'InPlace', replaced: ['BY_SERVICE'], added: [] });
    expect(decideUpgrade(change, 'ReplaceInPlace')).toEqual({ kind: 'Apply', mode: 'replace' });
    expect(decideUpgrade(change, 'Recreate').kind).toBe('Recreate');
    expect(decideUpgrade(change, 'Refuse')).toMatchObject({ kind: 'Refuse', reason: 'SqlChangeRefused' });
  });

  it('refuses in place what cannot be replaced in place (a statement removed)', () => {
    const change = classifySqlChange(oldSt, oldSt.slice(0, 1));
    expect(change.kind).toBe('Recreate');
    expect(decideUpgrade(change, 'ReplaceInPlace')).toMatchObject({ kind: 'Refuse', reason: 'UpgradeNotInPlace' });
  });

  it('reads whitespace changes as no change', () => {
    expect(classifySqlChange(oldSt, statements(`${SRC}\n\n${SINK('user_id,   service')}`))).toEqual({ kind: 'Unchanged' });
  });
});
