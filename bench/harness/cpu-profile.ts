/**
 * The top self-time functions of a V8 CPU profile (`node --cpu-prof`), as the
 * bench harness's `--cpu-prof DIR` writes them:
 *   npx tsx bench/harness/cpu-profile.ts FILE.cpuprofile [N] [frame|area]
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface CpuProfile {
  readonly nodes: readonly {
    readonly id: number;
    readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  }[];
  readonly samples: readonly number[];
  /** microseconds since the previous sample */
  readonly timeDeltas: readonly number[];
}

export interface SelfTime {
  /** "function (file:line)" */
  readonly frame: string;
  readonly ms: number;
  /** of the whole profile, idle included */
  readonly share: number;
}

/**
 * Self time per function (same name, file and line), largest first; with
 * `by: 'area'`, per area instead: a package under node_modules, a source
 * directory (engine/serde, ...), node's internals, or a V8 pseudo-frame
 * ((idle), (garbage collector), (program)).
 */
export function topSelfTime(p: CpuProfile, n: number, root: string = '', by: 'frame' | 'area' = 'frame'): SelfTime[] {
  const frameOf = new Map<number, string>();
  for (const node of p.nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url.startsWith('file://') ? fileURLToPath(url) : url;
    const shown = root && file.startsWith(root) ? relative(root, file) : file;
    frameOf.set(node.id, by === 'area' ? areaOf(shown, functionName) : shown ? `${functionName || '(anonymous)'} (${shown}:${lineNumber + 1})` : functionName || '(anonymous)');
  }
  const us = new Map<string, number>();
  let total = 0;
  p.samples.forEach((id, i) => {
    const dt = p.timeDeltas[i] ?? 0;
    total += dt;
    const f = frameOf.get(id) ?? '(unknown)';
    us.set(f, (us.get(f) ?? 0) + dt);
  });
  return [...us.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([frame, t]) => ({ frame, ms: Math.round(t / 1000), share: total > 0 ? Math.round((t / total) * 1000) / 1000 : 0 }));
}

function areaOf(file: string, functionName: string): string {
  if (!file) return functionName.startsWith('(') ? functionName : 'native';
  if (file.startsWith('node:')) return 'node internals';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
  if (pkg) return pkg[1]!;
  const parts = file.split('/');
  return parts.length > 2 ? parts.slice(0, 2).join('/') : parts.join('/');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [file, n, by] = process.argv.slice(2);
  if (!file) throw new Error('usage: cpu-profile.ts FILE.cpuprofile [N] [frame|area]');
  const root = fileURLToPath(new URL('../..', import.meta.url));
  for (const t of topSelfTime(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, Number(n ?? 25), root, by === 'area' ? 'area' : 'frame')) {
    console.log(`${(t.share * 100).toFixed(1).padStart(5)}%  ${String(t.ms).padStart(7)} ms  ${t.frame}`);
  }
}
