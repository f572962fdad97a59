import { useEffect, useRef, useState } from 'preact/hooks';
import { isPush, queryStream, type ApiError, type StreamHandle, type StreamMeta } from './api.js';
import { ResultTable } from './table.js';

const MAX_ROWS = 1000;

export type LiveStatus = 'starting' | 'running' | 'paused' | 'ended' | 'stopped' | 'error';

/**
 * A query's rows as they arrive from /query-stream: push queries stream until
 * stopped (pause keeps reading but holds the rows back), pull queries end on
 * their own. The newest rows are at the top; at most 1,000 are kept.
 */
export function LiveQuery(props: { sql: string; earliest: boolean; onError?: (e: ApiError) => void; testId?: string }) {
  const [meta, setMeta] = useState<StreamMeta | null>(null);
  const [rows, setRows] = useState<(readonly unknown[])[]>([]);
  const [status, setStatus] = useState<LiveStatus>('starting');
  const [error, setError] = useState<string | null>(null);
  const [count, setCount] = useState(0);
  const handle = useRef<StreamHandle | null>(null);
  const paused = useRef(false);
  const held = useRef<(readonly unknown[])[]>([]);

  useEffect(() => {
    const push = isPush(props.sql);
    const h = queryStream(props.sql, push && props.earliest ? { 'auto.offset.reset': 'earliest' } : {}, {
      meta: (m) => {
        setMeta(m);
        setStatus('running');
      },
      rows: (rs) => {
        setCount((c) => c + rs.length);
        if (paused.current) {
          held.current.push(...rs);
          return;
        }
        setRows((prev) => [...[...rs].reverse(), ...prev].slice(0, MAX_ROWS));
      },
      error: (e) => {
        setError(e.message);
        setStatus('error');
        props.onError?.(e);
      },
      end: () => setStatus((s) => (s === 'error' || s === 'stopped' ? s : 'ended')),
    });
    handle.current = h;
    return () => void h.stop();
  }, [props.sql, props.earliest]);

  const pause = (): void => {
    paused.current = !paused.current;
    if (!paused.current) {
      const more = held.current.splice(0);
      setRows((prev) => [...more.reverse(), ...prev].slice(0, MAX_ROWS));
      setStatus('running');
    } else setStatus('paused');
  };
  const stop = (): void => {
    setStatus('stopped');
    void handle.current?.stop();
  };
  const live = status === 'running' || status === 'paused' || status === 'starting';
  return (
    <div class="live" data-testid={props.testId} data-status={status}>
      <div class="live-bar">
        <span class={`badge ${status}`}>{status}</span>
        {meta ? <span class="muted">query {meta.queryId}</span> : null}
        <span class="muted" data-testid="row-count">
          {count} rows
        </span>
        {live && isPush(props.sql) ? (
          <>
            <button onClick={pause} data-testid="pause">
              {status === 'paused' ? 'Resume' : 'Pause'}
            </button>
            <button onClick={stop} data-testid="stop">
              Stop
            </button>
          </>
        ) : null}
      </div>
      {error ? <div class="error-box">{error}</div> : null}
      {meta ? <ResultTable columns={meta.columnNames.map((n, i) => `${n} ${meta.columnTypes[i] ?? ''}`.trim())} rows={rows} testId="live-rows" /> : null}
    </div>
  );
}
