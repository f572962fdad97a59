import { describe, expect, it } from 'vitest';
import { parseScript, parseStatements } from './parser.js';
import { splitStatements } from './split.js';
import { substituteVariables } from './variables.js';

describe('substituteVariables', () => {
  const vars = new Map([
    ['topic', 'orders'],
    ['Q', "it's"],
  ]);

  it('replaces references, case-insensitively', () => {
    expect(substituteVariables('CREATE STREAM ${TOPIC} WITH (kafka_topic=\'${topic}\');', vars)).toBe("CREATE STREAM orders WITH (kafka_topic='orders');");
  });

  it('escapes quotes inside literals', () => {
    expect(substituteVariables("SELECT '${q}' FROM s;", vars)).toBe("SELECT 'it''s' FROM s;");
  });

  it('leaves comments and undefined variables alone', () => {
    expect(substituteVariables('-- ${topic}\nSELECT ${nope} FROM s;', vars)).toBe('-- ${topic}\nSELECT ${nope} FROM s;');
  });
});

describe('splitStatements', () => {
  it('splits at top-level semicolons only', () => {
    expect(splitStatements("SET 'a'='b;c'; -- x;\nSELECT `;` FROM s").map((s) => s.text)).toEqual(["SET 'a'='b;c';", 'SELECT `;` FROM s']);
  });
});

describe('parseScript', () => {
  it('substitutes variables defined earlier in the script', () => {
    const vars = new Map<string, string>();
    const sts = parseScript("DEFINE src = 'orders';\nDEFINE t = 'orders_topic';\nCREATE STREAM ${src} (a INT) WITH (kafka_topic='${t}');\nUNDEFINE t;", vars);
    expect(sts.map((s) => s.kind)).toEqual(['DefineVariable', 'DefineVariable', 'CreateSource', 'UndefineVariable']);
    expect(sts[2]).toMatchObject({ name: 'ORDERS', properties: { KAFKA_TOPIC: { value: 'orders_topic' } }, loc: { line: 3, column: 1 } });
    expect(sts[2]?.text).toBe("CREATE STREAM orders (a INT) WITH (kafka_topic='orders_topic');");
    expect([...vars.keys()]).toEqual(['src']);
  });

  it('keeps script positions in errors after substitution', () => {
    expect(() => parseScript("DEFINE x = 'a';\nSELECT ${x} FROM;")).toThrow(/^line 2:/);
  });
});

describe('parseStatements with an origin', () => {
  it('reports positions relative to the whole script', () => {
    const script = "SHOW TOPICS;\nCREATE STREAM OUTPUT AS SELECT ID, cast(f0 as NULL) FROM TEST;";
    const pieces = splitStatements(script);
    expect(() => parseStatements(pieces[1]!.text, pieces[1]!.loc)).toThrow("Syntax error at or near 'NULL' at line 2:47");
  });
});
