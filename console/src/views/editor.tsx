import { sql, SQLDialect, StandardSQL, type SQLNamespace } from '@codemirror/lang-sql';
import { lintGutter, setDiagnostics } from '@codemirror/lint';
import { Compartment, Prec } from '@codemirror/state';
import { keymap } from '@codemirror/view';
import { basicSetup, EditorView } from 'codemirror';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, isQuery, ksql } from '../api.js';
import { entityViews, type EntityView } from '../entities.js';
import { errorMark, type ErrorMark } from '../errors.js';
import { LiveQuery } from '../live-query.js';
import type { SourceInfo } from '../state.js';
import { ResultTable } from '../table.js';

/** ksqlDB's keywords (its grammar's, SqlBase.g4), for highlighting and completion. */
const KSQL = SQLDialect.define({
  ...StandardSQL.spec,
  keywords:
    'select from where group by having order limit as and or not null is in between like escape case when then else end cast distinct all true false' +
    ' join left right full outer inner on within grace period create replace insert into values drop delete terminate pause resume show list describe explain extended' +
    ' stream streams table tables topic topics query queries type types function functions properties variables connector connectors sink source with emit changes final' +
    ' window tumbling hopping session size advance retention partition partitions key primary header headers if exists set unset define undefine print run script assert' +
    ' struct array map interval at zone year month day hour minute second millisecond milliseconds seconds minutes hours days',
  types: 'boolean int integer bigint double decimal varchar string bytes date time timestamp',
});

/** The completion namespace: every stream and table with its columns (the names as ksqlDB upper-cases them). */
export function completionSchema(sources: readonly SourceInfo[]): SQLNamespace {
  return Object.fromEntries(sources.map((s) => [s.name, s.fields.map((f) => ({ label: f.name, type: 'property', detail: String(f.schema['type'] ?? '') }))]));
}

const INITIAL = `-- Ctrl-Enter runs the selection, or everything.\nSHOW STREAMS;\n`;

export function EditorPane(props: { sources: readonly SourceInfo[]; onChanged: () => void; earliest: boolean; setEarliest: (v: boolean) => void }) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const lang = useRef(new Compartment());
  const [results, setResults] = useState<EntityView[]>([]);
  const [query, setQuery] = useState<{ sql: string; n: number } | null>(null);
  const [mark, setMark] = useState<ErrorMark | null>(null);
  const [busy, setBusy] = useState(false);
  const runRef = useRef<() => void>(() => undefined);

  const showError = (script: string, e: ApiError): void => {
    const v = view.current;
    const m = errorMark(script, e.body);
    const offset = v && v.state.doc.toString() !== script ? v.state.selection.main.from : 0;
    const placed = { ...m, from: m.from + offset, to: m.to + offset };
    setMark(placed);
    if (v) v.dispatch(setDiagnostics(v.state, [{ from: placed.from, to: placed.to, severity: 'error', message: m.message }]));
  };

  runRef.current = () => {
    const v = view.current;
    if (!v || busy) return;
    const sel = v.state.selection.main;
    const text = sel.empty ? v.state.doc.toString() : v.state.sliceDoc(sel.from, sel.to);
    v.dispatch(setDiagnostics(v.state, []));
    setMark(null);
    if (isQuery(text)) {
      setResults([]);
      setQuery({ sql: text, n: Date.now() });
      return;
    }
    setQuery(null);
    setBusy(true);
    ksql(text, props.earliest ? { 'ksql.streams.auto.offset.reset': 'earliest' } : {})
      .then((entities) => {
        setResults(entities.flatMap(entityViews));
        props.onChanged();
      })
      .catch((e: unknown) => {
        if (e instanceof ApiError) {
          setResults((e.body.entities ?? []).flatMap(entityViews));
          showError(text, e);
          props.onChanged();
        } else setResults([{ kind: 'message', title: 'Error', text: String(e) }]);
      })
      .finally(() => setBusy(false));
  };

  useEffect(() => {
    if (!host.current) return;
    const v = new EditorView({
      parent: host.current,
      doc: sessionStorage.getItem('ksetl.editor') ?? INITIAL,
      extensions: [
        Prec.highest(keymap.of([{ key: 'Mod-Enter', run: () => (runRef.current(), true) }])),
        basicSetup,
        lang.current.of(sql({ dialect: KSQL, upperCaseKeywords: true, schema: {} })),
        lintGutter(),
        EditorView.updateListener.of((u) => {
          if (u.docChanged) sessionStorage.setItem('ksetl.editor', u.state.doc.toString());
        }),
      ],
    });
    view.current = v;
    return () => v.destroy();
  }, []);

  useEffect(() => {
    view.current?.dispatch({ effects: lang.current.reconfigure(sql({ dialect: KSQL, upperCaseKeywords: true, schema: completionSchema(props.sources) })) });
  }, [props.sources]);

  return (
    <div class="editor-pane">
      <div class="toolbar">
        <button class="primary" onClick={() => runRef.current()} disabled={busy} data-testid="run">
          Run
        </button>
        <label>
          <input type="checkbox" data-testid="earliest" checked={props.earliest} onChange={(e) => props.setEarliest((e.target as HTMLInputElement).checked)} /> from the earliest offset
        </label>
        <span class="muted">Ctrl-Enter runs the selection, or everything</span>
      </div>
      <div class="cm-host" ref={host} data-testid="editor" />
      {mark ? (
        <div class="error-box" data-testid="editor-error" data-line={mark.line} data-column={mark.column}>
          line {mark.line}:{mark.column}: {mark.message.replace(/^line \d+:\d+: /, '')}
        </div>
      ) : null}
      {query ? <LiveQuery key={query.n} sql={query.sql} earliest={props.earliest} onError={(e) => showError(query.sql, e)} testId="editor-live" /> : null}
      <div class="results" data-testid="results">
        {results.map((r, i) => (
          <EntityBlock key={i} view={r} />
        ))}
      </div>
    </div>
  );
}

export function EntityBlock(props: { view: EntityView }) {
  const r = props.view;
  switch (r.kind) {
    case 'message':
      return (
        <div class="entity">
          <div class="entity-title">{r.title}</div>
          <div class="message">{r.text}</div>
        </div>
      );
    case 'table':
      return (
        <div class="entity">
          <div class="entity-title">{r.title}</div>
          <ResultTable columns={r.columns} rows={r.rows} />
        </div>
      );
    case 'text':
      return (
        <div class="entity">
          <div class="entity-title">{r.title}</div>
          <pre>{r.text}</pre>
        </div>
      );
  }
}
