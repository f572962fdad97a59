import { useEffect, useState } from 'preact/hooks';
import { getJson, ksql } from '../api.js';
import { fieldType } from '../entities.js';
import type { SourceInfo } from '../state.js';
import { metrics } from '../state.js';
import { ResultTable } from '../table.js';

interface QueryRow {
  readonly id: string;
  readonly state: string;
  readonly sinks: readonly string[];
  readonly queryString: string;
}

interface Sample {
  readonly topic: string;
  readonly records: readonly { partition: number; offset: number; timestamp: number; key: string | null; value: string | null }[];
}

const num = (v: number | null | undefined, digits = 1): string => (v === null || v === undefined ? '–' : `${+v.toFixed(digits)}`);
const last = (m: Map<string, (number | null)[]>, k: string): number | null => {
  const arr = m.get(k);
  if (!arr) return null;
  for (let i = arr.length - 1; i >= 0; i--) if (arr[i] !== null) return arr[i]!;
  return null;
};

/** Streams, tables, topics (with a sample of records) and the running queries with state, lag and throughput. */
export function CatalogPane(props: { sources: readonly SourceInfo[]; openGraph: (queryId: string) => void }) {
  const [topics, setTopics] = useState<{ name: string; partitions: number }[]>([]);
  const [queries, setQueries] = useState<QueryRow[]>([]);
  const [selected, setSelected] = useState<string | null>(null);
  const [sample, setSample] = useState<Sample | null>(null);
  const [sampleError, setSampleError] = useState<string | null>(null);
  const [, setTick] = useState(0);

  useEffect(() => {
    void ksql('SHOW TOPICS; SHOW QUERIES;').then((es) => {
      for (const e of es) {
        if (e['@type'] === 'kafka_topics') setTopics((e['topics'] as { name: string; replicaInfo: unknown[] }[]).map((t) => ({ name: t.name, partitions: t.replicaInfo.length })));
        if (e['@type'] === 'queries') setQueries(e['queries'] as QueryRow[]);
      }
    });
    return metrics.listen(() => setTick((t) => t + 1));
  }, [props.sources]);

  const showSample = (topic: string): void => {
    setSample(null);
    setSampleError(null);
    getJson<Sample>(`/console/api/topics/${encodeURIComponent(topic)}/sample?limit=10`).then(setSample, (e: unknown) => setSampleError(e instanceof Error ? e.message : String(e)));
  };

  const h = metrics.history;
  const rin = h.rate('ksetl_query_records_in_total', ['query_id']);
  const rout = h.rate('ksetl_query_records_out_total', ['query_id']);
  const lag = h.gauge('ksetl_query_consumer_lag', ['query_id']);
  const errs = h.gauge('ksetl_query_processing_errors_total', ['query_id']);
  const src = props.sources.find((s) => s.name === selected);

  return (
    <div class="catalog">
      <section>
        <h3>Streams and tables</h3>
        <ResultTable
          testId="catalog-sources"
          columns={['Name', 'Type', 'Topic', 'Key format', 'Value format', 'Columns']}
          rows={props.sources.map((s) => [s.name, s.type, s.topic, s.keyFormat, s.valueFormat, s.fields.length])}
          onRow={(i) => setSelected(props.sources[i]?.name ?? null)}
        />
        {src ? (
          <div class="detail">
            <h4>
              {src.type} {src.name}
            </h4>
            <ResultTable columns={['Column', 'Type']} rows={src.fields.map((f) => [f.name, fieldType(f as unknown as Record<string, unknown>)])} />
          </div>
        ) : null}
      </section>
      <section>
        <h3>Queries</h3>
        <ResultTable
          testId="catalog-queries"
          columns={['Query', 'State', 'Sink', 'Records in/s', 'Records out/s', 'Lag', 'Errors', 'Statement']}
          rows={queries.map((q) => [q.id, q.state, q.sinks.join(', '), num(last(rin, q.id)), num(last(rout, q.id)), num(last(lag, q.id), 0), num(last(errs, q.id), 0), q.queryString])}
          onRow={(i) => queries[i] && props.openGraph(queries[i].id)}
        />
        <div class="muted">Click a query for its graph; rates over the last 30 s of /metrics.</div>
      </section>
      <section>
        <h3>Topics</h3>
        <ResultTable class="short" testId="catalog-topics" columns={['Topic', 'Partitions']} rows={topics.map((t) => [t.name, t.partitions])} onRow={(i) => topics[i] && showSample(topics[i].name)} />
        <div class="muted">Click a topic for a sample of its latest records.</div>
        {sampleError ? <div class="error-box">{sampleError}</div> : null}
        {sample ? (
          <div class="detail">
            <h4>Latest records of {sample.topic}</h4>
            <ResultTable testId="topic-sample" columns={['Partition', 'Offset', 'Timestamp', 'Key', 'Value']} rows={sample.records.map((r) => [r.partition, r.offset, new Date(r.timestamp).toISOString(), r.key, r.value])} />
          </div>
        ) : null}
      </section>
    </div>
  );
}
