import { ksql, getJson, getText, type Entity } from './api.js';
import { MetricsHistory, parsePrometheusText } from './metrics.js';

/** What the views share: the catalog (for completion and the Catalog view), the config, and the engine's recent metrics. */
export interface SourceInfo {
  readonly name: string;
  readonly type: 'STREAM' | 'TABLE';
  readonly topic: string;
  readonly keyFormat: string;
  readonly valueFormat: string;
  readonly fields: readonly { readonly name: string; readonly schema: Record<string, unknown>; readonly type?: string }[];
}

export interface ConsoleConfig {
  readonly serviceId: string;
  readonly prometheus: boolean;
}

export async function loadSources(): Promise<SourceInfo[]> {
  const entities = await ksql('SHOW STREAMS EXTENDED; SHOW TABLES EXTENDED;');
  return entities.flatMap((e: Entity) => (Array.isArray(e['sourceDescriptions']) ? (e['sourceDescriptions'] as SourceInfo[]) : []));
}

export const loadConfig = (): Promise<ConsoleConfig> => getJson<ConsoleConfig>('/console/api/config');

/** Scrapes /metrics every `everyMs` into one history shared by the views; listeners hear of each scrape. */
export class MetricsPoller {
  readonly history = new MetricsHistory();
  readonly #listeners = new Set<() => void>();
  #timer: ReturnType<typeof setInterval> | null = null;

  start(everyMs = 2000): void {
    if (this.#timer) return;
    void this.scrape();
    this.#timer = setInterval(() => void this.scrape(), everyMs);
  }

  async scrape(): Promise<void> {
    try {
      const text = await getText('/metrics');
      this.history.add({ t: Date.now() / 1000, samples: parsePrometheusText(text) });
      for (const l of this.#listeners) l();
    } catch {
      // the next scrape tries again
    }
  }

  listen(l: () => void): () => void {
    this.#listeners.add(l);
    return () => this.#listeners.delete(l);
  }
}

export const metrics = new MetricsPoller();
