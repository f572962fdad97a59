import { describe, expect, it } from 'vitest';
import { classify, isBlank, localCommand, takeStatements } from './statements.js';

describe('takeStatements', () => {
  it('cuts at top-level semicolons and keeps the unfinished rest', () => {
    expect(takeStatements('SHOW STREAMS; SHOW TABLES;\nSELECT *')).toEqual({ statements: ['SHOW STREAMS;', 'SHOW TABLES;'], rest: '\nSELECT *' });
  });

  it('ignores semicolons in strings, quoted identifiers and comments', () => {
    const text = "INSERT INTO s VALUES ('a;b', 'it''s;');\nSELECT `x;y` FROM \"t;\" -- c;\n/* ; */ ;";
    expect(takeStatements(text).statements).toEqual(["INSERT INTO s VALUES ('a;b', 'it''s;');", 'SELECT `x;y` FROM "t;" -- c;\n/* ; */ ;']);
  });

  it('waits for more input inside an open string or comment', () => {
    expect(takeStatements("SELECT 'a;").statements).toEqual([]);
    expect(takeStatements('SELECT 1 /* ; ').statements).toEqual([]);
    expect(takeStatements('-- ;').statements).toEqual([]);
    expect(takeStatements('-- x\nSHOW TOPICS;').statements).toEqual(['-- x\nSHOW TOPICS;']);
  });

  it('drops empty statements', () => {
    expect(takeStatements(' ; -- c\n;').statements).toEqual([]);
    expect(isBlank(' -- only a comment\n /* and another */ ')).toBe(true);
    expect(isBlank("'open")).toBe(false);
  });
});

describe('classify', () => {
  it('tells queries from the rest, push queries by their EMIT clause', () => {
    expect(classify('SELECT * FROM s;')).toEqual({ kind: 'query', push: false, limit: null });
    expect(classify('select k from s emit changes limit 3;')).toEqual({ kind: 'query', push: true, limit: 3 });
    expect(classify("SELECT 'EMIT CHANGES' FROM s;")).toEqual({ kind: 'query', push: false, limit: null });
    expect(classify('CREATE STREAM x AS SELECT * FROM s EMIT CHANGES;')).toEqual({ kind: 'server' });
    expect(classify('SHOW STREAMS;')).toEqual({ kind: 'server' });
  });

  it('recognises the statements the shell runs itself', () => {
    expect(classify("SET 'auto.offset.reset' = 'earliest';")).toEqual({ kind: 'set', name: 'auto.offset.reset', value: 'earliest' });
    expect(classify("unset 'auto.offset.reset';")).toEqual({ kind: 'unset', name: 'auto.offset.reset' });
    expect(classify("DEFINE topic = 't1';")).toEqual({ kind: 'define', name: 'topic', value: 't1' });
    expect(classify('UNDEFINE topic;')).toEqual({ kind: 'undefine', name: 'topic' });
    expect(classify('SHOW VARIABLES;')).toEqual({ kind: 'show-variables' });
    expect(classify("RUN SCRIPT '/tmp/a.sql';")).toEqual({ kind: 'run-script', file: '/tmp/a.sql' });
    expect(classify('SET x;')).toEqual({ kind: 'server' });
  });

  it('knows the local commands', () => {
    expect(localCommand(' EXIT ')).toBe('exit');
    expect(localCommand('quit;')).toBe('exit');
    expect(localCommand('help')).toBe('help');
    expect(localCommand('SHOW STREAMS;')).toBeNull();
  });
});
