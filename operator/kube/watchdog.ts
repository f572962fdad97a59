/**
 * When an informer re-lists instead of trusting its watch. Watches opened by
 * Kubernetes clients can go silent without closing (the TCP connection stays
 * up while the server side is gone — kubernetes-client/javascript#596 sees
 * this after about an hour), so an informer re-lists (a) when neither an
 * event nor a bookmark arrived for `silenceMs` (with bookmarks requested the
 * API server sends one at least every minute or so), and (b) every
 * `relistMs` regardless, so a missed event can never stick. Pure.
 */
export interface WatchdogSettings {
  /** re-list when the watch said nothing (no event, no bookmark) for this long */
  readonly silenceMs: number;
  /** re-list at least this often */
  readonly relistMs: number;
}

export const DEFAULT_WATCHDOG: WatchdogSettings = { silenceMs: 3 * 60_000, relistMs: 30 * 60_000 };

export interface WatchdogState {
  /** when the last list finished */
  readonly listedAt: number;
  /** when the watch last delivered anything (event or bookmark), or was opened */
  readonly lastActivityAt: number;
}

export type WatchdogVerdict = { readonly relist: false } | { readonly relist: true; readonly why: 'silent' | 'periodic' };

export function watchdogVerdict(now: number, s: WatchdogState, settings: WatchdogSettings = DEFAULT_WATCHDOG): WatchdogVerdict {
  if (now - s.listedAt >= settings.relistMs) return { relist: true, why: 'periodic' };
  if (now - s.lastActivityAt >= settings.silenceMs) return { relist: true, why: 'silent' };
  return { relist: false };
}

/** How often to check: often enough to notice silence within a fraction of `silenceMs`. */
export function watchdogInterval(settings: WatchdogSettings = DEFAULT_WATCHDOG): number {
  return Math.max(250, Math.min(settings.silenceMs, settings.relistMs) / 4);
}
