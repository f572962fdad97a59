import { useState } from 'preact/hooks';
import { LiveQuery } from '../live-query.js';

/** Push queries streaming into a table (pause, stop) and pull queries. */
export function LivePane(props: { initial?: string }) {
  const [text, setText] = useState(props.initial ?? '');
  const [earliest, setEarliest] = useState(true);
  const [run, setRun] = useState<{ sql: string; n: number } | null>(null);
  return (
    <div class="live-pane">
      <textarea class="query-input" value={text} onInput={(e) => setText((e.target as HTMLTextAreaElement).value)} rows={4} spellcheck={false} placeholder="SELECT * FROM my_stream EMIT CHANGES;" data-testid="live-sql" />
      <div class="toolbar">
        <button class="primary" onClick={() => setRun({ sql: text, n: Date.now() })} data-testid="live-run">
          Run
        </button>
        <label>
          <input type="checkbox" checked={earliest} onChange={(e) => setEarliest((e.target as HTMLInputElement).checked)} /> push queries from the earliest offset
        </label>
        <span class="muted">EMIT CHANGES streams until stopped; a query without it (a pull query) answers once</span>
      </div>
      {run ? <LiveQuery key={run.n} sql={run.sql} earliest={earliest} testId="live" /> : null}
    </div>
  );
}
