import { render } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import 'uplot/dist/uPlot.min.css';
import './app.css';
import { loadConfig, loadSources, metrics, type ConsoleConfig, type SourceInfo } from './state.js';
import { CatalogPane } from './views/catalog.js';
import { DashboardsPane } from './views/dashboards.js';
import { EditorPane } from './views/editor.js';
import { GraphPane } from './views/graph.js';
import { LivePane } from './views/live.js';
import { ProcessingLogPane } from './views/processing-log.js';

const VIEWS = [
  ['editor', 'Editor'],
  ['live', 'Live results'],
  ['catalog', 'Catalog'],
  ['graph', 'Query graph'],
  ['dashboards', 'Dashboards'],
  ['log', 'Processing log'],
] as const;
type View = (typeof VIEWS)[number][0];

/** The view and its argument from the location hash: #graph/CTAS_X_1. */
function route(): { view: View; arg: string | null } {
  const [v, ...rest] = location.hash.replace(/^#/, '').split('/');
  const view = (VIEWS.find(([id]) => id === v)?.[0] ?? 'editor') as View;
  return { view, arg: rest.length ? decodeURIComponent(rest.join('/')) : null };
}

function App() {
  const [{ view, arg }, setRoute] = useState(route());
  const [sources, setSources] = useState<SourceInfo[]>([]);
  const [config, setConfig] = useState<ConsoleConfig | null>(null);
  const [earliest, setEarliest] = useState(false);
  const [loadError, setLoadError] = useState<string | null>(null);
  const refresh = useCallback(() => {
    loadSources().then(
      (s) => {
        setSources(s);
        setLoadError(null);
      },
      (e: unknown) => setLoadError(e instanceof Error ? e.message : String(e)),
    );
  }, []);
  useEffect(() => {
    const on = (): void => setRoute(route());
    addEventListener('hashchange', on);
    refresh();
    void loadConfig().then(setConfig, () => setConfig({ serviceId: '', prometheus: false }));
    metrics.start();
    return () => removeEventListener('hashchange', on);
  }, []);
  const go = (v: View, a?: string): void => void (location.hash = a ? `${v}/${encodeURIComponent(a)}` : v);
  return (
    <div class="app">
      <header>
        <span class="brand">ksetl</span>
        <span class="muted">{config?.serviceId}</span>
        <nav>
          {VIEWS.map(([id, title]) => (
            <a key={id} href={`#${id}`} class={id === view ? 'active' : undefined} data-testid={`nav-${id}`}>
              {title}
            </a>
          ))}
        </nav>
        <button onClick={refresh} title="Reload the catalog">
          ↻
        </button>
      </header>
      {loadError ? <div class="error-box">{loadError}</div> : null}
      <main>
        <div style={{ display: view === 'editor' ? 'block' : 'none' }}>
          <EditorPane sources={sources} onChanged={refresh} earliest={earliest} setEarliest={setEarliest} />
        </div>
        {view === 'live' ? <LivePane /> : null}
        {view === 'catalog' ? <CatalogPane sources={sources} openGraph={(id) => go('graph', id)} /> : null}
        {view === 'graph' ? <GraphPane queryId={arg} select={(id) => go('graph', id)} /> : null}
        {view === 'dashboards' ? <DashboardsPane config={config} /> : null}
        {view === 'log' ? <ProcessingLogPane sources={sources} /> : null}
      </main>
    </div>
  );
}

render(<App />, document.getElementById('app')!);
