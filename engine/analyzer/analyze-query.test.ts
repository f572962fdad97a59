import { describe, expect, it } from 'vitest';
import type { DataSource } from '../catalog/data-source.js';
import { builtinRegistry } from '../functions/builtins.js';
import type { QueryStatement } from '../sql/ast/statement.js';
import { parseStatements } from '../sql/index.js';
import type { Query } from '../sql/ast/query.js';
import { analyzeQuery } from './analyze-query.js';
import { formatExpr } from './expr-utils.js';
import type { AnalysisContext } from './resolved-query.js';
import { analyzeTransientQuery } from './transient-query.js';

const INT = { kind: 'INTEGER' } as const;
const STRING = { kind: 'STRING' } as const;

function source(name: string, sourceType: 'STREAM' | 'TABLE', cols: [string, 'KEY' | 'VALUE'][]): DataSource {
  return {
    name,
    sourceType,
    columns: cols.map(([n, namespace]) => ({ name: n, type: n === 'V' || n === 'Q' ? INT : STRING, namespace })),
    topic: name.toLowerCase(),
    keyFormat: { format: 'KAFKA', properties: {} },
    valueFormat: { format: 'JSON', properties: {} },
    window: null,
    timestamp: null,
    isSource: false,
    isSink: false,
    sql: '',
  };
}

const sources = new Map([
  ['S', source('S', 'STREAM', [['K', 'KEY'], ['V', 'VALUE'], ['NAME', 'VALUE']])],
  ['T', source('T', 'TABLE', [['ID', 'KEY'], ['Q', 'VALUE']])],
]);
const ctx: AnalysisContext = { source: (n) => sources.get(n), functions: builtinRegistry(), sinkName: 'OUT' };
const query = (sql: string): Query => (parseStatements(sql)[0] as QueryStatement).query;

describe('analyzeQuery', () => {
  it('resolves the aggregate rewrite: grouping keys, aggregate calls, HAVING and the projection over them', () => {
    const r = analyzeQuery(query('SELECT NAME, COUNT(*) AS C, SUM(V) AS T FROM S GROUP BY NAME HAVING SUM(V) > 1 EMIT CHANGES;'), ctx);
    expect(r.resultType).toBe('TABLE');
    expect(r.aggregation?.groupBy.map(formatExpr)).toEqual(['S.NAME']);
    expect(r.aggregation?.calls.map(formatExpr)).toEqual(['COUNT(ROWTIME)', 'SUM(S.V)']);
    expect(r.aggregation?.schema.key.map((k) => k.name)).toEqual(['KSQL_GROUP_0']);
    expect(r.aggregation?.having && formatExpr(r.aggregation.having)).toBe('(KSQL_AGG_VARIABLE_1 > 1)');
    expect(r.projection.schema.key.map((k) => k.name)).toEqual(['NAME']);
    expect(r.projection.exprs.map(formatExpr)).toEqual(['KSQL_AGG_VARIABLE_0', 'KSQL_AGG_VARIABLE_1']);
  });

  it('resolves a join: its variant, qualified criteria and the key it produces', () => {
    const r = analyzeQuery(query('SELECT S.NAME, T.Q FROM S JOIN T ON S.NAME = T.ID EMIT CHANGES;'), ctx);
    expect(r.from.relation.kind).toBe('Join');
    if (r.from.relation.kind !== 'Join') return;
    expect(r.from.relation.variant).toBe('STREAM_TABLE');
    expect([formatExpr(r.from.relation.leftKey), formatExpr(r.from.relation.rightKey)]).toEqual(['S.NAME', 'T.ID']);
    expect(r.from.keyEquivalents[0]!.map(formatExpr)).toEqual(['S.NAME', 'T.ID']);
  });

  it("raises ksqlDB's errors itself", () => {
    expect(() => analyzeQuery(query('SELECT V FROM S EMIT CHANGES;'), ctx)).toThrow('must include the key column K in its projection');
    expect(() => analyzeQuery(query('SELECT K, V FROM T EMIT CHANGES;'), ctx)).toThrow("SELECT column 'K' cannot be resolved.");
  });
});

describe('analyzeTransientQuery', () => {
  it('takes the same analysis up to the projection, with the projection rules of transient queries', () => {
    const r = analyzeTransientQuery(query('SELECT Q, ID FROM T;'), ctx, 'pull');
    expect(r.projection.transient?.columns.map((c) => [c.name, c.key])).toEqual([
      ['Q', false],
      ['ID', true],
    ]);
    expect(r.projection.transient?.keyIndex).toEqual([null, 0]);
  });

  it('aggregates without GROUP BY into one group', () => {
    const r = analyzeTransientQuery(query('SELECT COUNT(*) AS C FROM S EMIT CHANGES;'), ctx, 'push');
    expect(r.aggregation?.groupBy.map(formatExpr)).toEqual(['1']);
    expect(r.projection.exprs.map(formatExpr)).toEqual(['KSQL_AGG_VARIABLE_0']);
  });
});
