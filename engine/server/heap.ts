import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

/** The young generation size an engine process asks V8 for, unless told otherwise. */
export const DEFAULT_SEMI_SPACE_MB = 64;

/**
 * The node option that gives an engine process its young generation, for
 * NODE_OPTIONS (the operator sets it on engine containers; the benchmarks
 * start node with it). V8 sizes the young generation when the process starts:
 * it grows the semi-space later only up to the maximum set then, so a size
 * set at run time (tuneYoungGeneration) is not reliably used.
 */
export function youngGenerationNodeOption(mb: number = DEFAULT_SEMI_SPACE_MB): string {
  return `--max-semi-space-size=${mb}`;
}

/** The `--max-semi-space-size=...` node was started with (NODE_OPTIONS or the command line), or null. */
export function givenSemiSpaceOption(env: NodeJS.ProcessEnv = process.env, execArgv: readonly string[] = process.execArgv): string | null {
  return `${env['NODE_OPTIONS'] ?? ''} ${execArgv.join(' ')}`.match(/--max-semi-space-size(=\S+)?/)?.[0] ?? null;
}

/** V8's new space now, in MB (heap statistics: with 64 MB semi-spaces it reports 128 once grown). */
export function currentNewSpaceMb(): number {
  const space = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
  return space ? Math.round(space.space_size / 2 ** 20) : 0;
}

/**
 * Sizes V8's young generation for a stream processor. Every record allocates
 * short-lived rows, buffers and strings; with V8's default semi-space (16 MB)
 * the scavenger runs so often that it promotes live windows and join buffers
 * early and spends a quarter of the CPU in GC. 64 MB semi-spaces (at most
 * ~200 MB of young generation) cut that sharply: see docs/performance.md.
 *
 * `KSETL_SEMI_SPACE_MB` overrides the size (0 keeps V8's default); a
 * `--max-semi-space-size` in NODE_OPTIONS or on the command line wins.
 * Call it first thing in a process. It raises only the maximum the semi-space
 * may grow to, which V8 may not use: start node with youngGenerationNodeOption().
 */
export function tuneYoungGeneration(env: NodeJS.ProcessEnv = process.env, execArgv: readonly string[] = process.execArgv): number | null {
  if (givenSemiSpaceOption(env, execArgv) !== null) return null;
  const raw = env['KSETL_SEMI_SPACE_MB'];
  const mb = raw === undefined || raw === '' ? DEFAULT_SEMI_SPACE_MB : Number(raw);
  if (!Number.isInteger(mb) || mb < 0) throw new Error(`KSETL_SEMI_SPACE_MB must be a whole number of megabytes, got ${raw}`);
  if (mb === 0) return null;
  setFlagsFromString(`--max-semi-space-size=${mb}`);
  return mb;
}
