import { describe, expect, it } from 'vitest';
import { MemoryRuntime } from '../driver/memory-runtime.js';
import { queryGraph } from './console-graph.js';

async function plan(...statements: string[]): Promise<ReturnType<typeof queryGraph>> {
  const rt = await MemoryRuntime.start({});
  try {
    for (const s of statements) await rt.execute(s);
    const q = rt.engine.executor.metastore.queries().at(-1)!;
    return queryGraph(q.id, rt.engine.executor.queryPlan(q.id)!);
  } finally {
    await rt.close();
  }
}

const CLICKS = "CREATE STREAM CLICKS (USER_ID STRING KEY, PAGE STRING, MS INT) WITH (KAFKA_TOPIC='clicks', PARTITIONS=1, VALUE_FORMAT='JSON');";

describe('queryGraph', () => {
  it('draws a stateless query as topic → steps → topic', async () => {
    const g = await plan(CLICKS, "CREATE STREAM SLOW WITH (KAFKA_TOPIC='slow') AS SELECT USER_ID, MS FROM CLICKS WHERE MS > 100;");
    const label = (id: string): string => g.nodes.find((n) => n.id === id)!.label;
    const chain: string[] = [];
    for (let at: string | undefined = 'topic:clicks'; at; at = g.edges.find((e) => e.from === at)?.to) chain.push(label(at));
    expect(chain).toEqual(['clicks', 'Source CLICKS', 'Filter', 'Project', 'Sink SLOW', 'slow']);
    expect(g.nodes.find((n) => n.label === 'Filter')!.detail).toBe('WHERE (CLICKS.MS > 100)');
  });

  it('puts the repartition between a GROUP BY and its input, and a changelog behind each store', async () => {
    const g = await plan(CLICKS, 'CREATE TABLE VIEWS AS SELECT PAGE, COUNT(*) AS N FROM CLICKS GROUP BY PAGE EMIT CHANGES;');
    const repartition = g.nodes.find((n) => n.kind === 'repartition')!;
    expect(repartition.label).toBe('Aggregate-GroupBy-repartition');
    const into = g.edges.filter((e) => e.to === repartition.id).map((e) => e.from);
    const out = g.edges.filter((e) => e.from === repartition.id).map((e) => e.to);
    expect(into).toEqual(['step:KsqlTopic/Source']);
    expect(out).toEqual(['step:Aggregate/Aggregate']);
    const store = g.nodes.find((n) => n.kind === 'store')!;
    expect(g.edges).toContainEqual({ from: 'step:Aggregate/Aggregate', to: store.id });
    const changelog = g.edges.find((e) => e.from === store.id)!.to;
    expect(g.nodes.find((n) => n.id === changelog)!.label).toBe('Aggregate-Aggregate-Materialize-changelog');
  });

  it('draws both sides of a join', async () => {
    const g = await plan(
      CLICKS,
      "CREATE TABLE USERS (ID STRING PRIMARY KEY, NAME STRING) WITH (KAFKA_TOPIC='users', PARTITIONS=1, VALUE_FORMAT='JSON');",
      'CREATE STREAM ENRICHED AS SELECT C.USER_ID, U.NAME, C.PAGE FROM CLICKS C JOIN USERS U ON C.USER_ID = U.ID;',
    );
    const join = g.nodes.find((n) => n.label.endsWith('Join'))!;
    expect(g.edges.filter((e) => e.to === join.id)).toHaveLength(2);
    expect(g.nodes.filter((n) => n.kind === 'topic').map((n) => n.label).sort()).toEqual(['ENRICHED', 'clicks', 'users']);
  });
});
