import { useEffect, useState } from 'preact/hooks';
import { queryStream, type StreamHandle } from '../api.js';
import type { SourceInfo } from '../state.js';
import { ResultTable } from '../table.js';

const KEEP = 200;

interface Entry {
  readonly time: number;
  readonly level: string;
  readonly logger: string;
  readonly type: string;
  readonly message: string;
  readonly topic: string | null;
  readonly record: string | null;
}

/** The latest bad records and their errors: KSQL_PROCESSING_LOG, streamed from the start, newest first. */
export function ProcessingLogPane(props: { sources: readonly SourceInfo[] }) {
  const exists = props.sources.some((s) => s.name === 'KSQL_PROCESSING_LOG');
  const [entries, setEntries] = useState<Entry[]>([]);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!exists) return;
    let cols: readonly string[] = [];
    const h: StreamHandle = queryStream('SELECT * FROM KSQL_PROCESSING_LOG EMIT CHANGES;', { 'auto.offset.reset': 'earliest' }, {
      meta: (m) => void (cols = m.columnNames),
      rows: (rows) => {
        const parsed = rows.map((r) => {
          const o = Object.fromEntries(cols.map((c, i) => [c, r[i]])) as Record<string, unknown>;
          const m = (o['MESSAGE'] ?? {}) as Record<string, unknown>;
          return {
            time: Number(o['TIME'] ?? 0),
            level: String(o['LEVEL'] ?? ''),
            logger: String(o['LOGGER'] ?? ''),
            type: String(m['ERRORTYPE'] ?? m['TYPE'] ?? ''),
            message: String(m['MESSAGE'] ?? ''),
            topic: (m['TOPIC'] as string | null) ?? null,
            record: (m['RECORD'] as string | null) ?? null,
          };
        });
        setEntries((prev) => [...parsed.reverse(), ...prev].slice(0, KEEP));
      },
      error: (e) => setError(e.message),
      end: () => undefined,
    });
    return () => void h.stop();
  }, [exists]);
  if (!exists) {
    return (
      <div class="muted pad">
        No KSQL_PROCESSING_LOG stream: start the engine with <code>ksql.logging.processing.stream.auto.create=true</code> (bad records still go to the processing-log topic and the
        engine's log).
      </div>
    );
  }
  return (
    <div>
      <div class="toolbar">
        <span class="muted">the latest {KEEP} entries of KSQL_PROCESSING_LOG, newest first, live</span>
      </div>
      {error ? <div class="error-box">{error}</div> : null}
      <ResultTable
        testId="processing-log"
        class="wrap"
        columns={['Time', 'Level', 'Query', 'Error', 'Message', 'Topic', 'Record']}
        rows={entries.map((e) => [new Date(e.time).toISOString(), e.level, e.logger, e.type, e.message, e.topic, e.record])}
      />
    </div>
  );
}
