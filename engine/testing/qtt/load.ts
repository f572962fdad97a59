import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parse } from 'lossless-json';
import type { Json, QttCase, QttFile, QttTest } from './types.js';

/** Parse JSON keeping every number as a `LosslessNumber` (exact text). */
export function parseLossless(text: string): Json {
  return parse(text);
}

export function loadQttFile(path: string): QttFile {
  const parsed = parseLossless(readFileSync(path, 'utf8')) as QttFile;
  if (!parsed || !Array.isArray(parsed.tests)) throw new Error(`${path}: not a QTT file (no "tests" array)`);
  return parsed;
}

/** Files and directories (their `*.json`, sorted, not recursive) to QTT file paths. */
export function resolveQttPaths(paths: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    if (statSync(p).isDirectory()) {
      out.push(
        ...readdirSync(p)
          .filter((f) => f.endsWith('.json'))
          .sort()
          .map((f) => join(p, f)),
      );
    } else out.push(p);
  }
  return out;
}

/** Deep copy of `v` with `from` replaced by `to` in every string. */
function substitute(v: Json, from: string, to: string): Json {
  if (typeof v === 'string') return v.split(from).join(to);
  if (Array.isArray(v)) return v.map((x) => substitute(x, from, to));
  if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    const o: Record<string, Json> = {};
    for (const [k, x] of Object.entries(v)) o[k] = substitute(x, from, to);
    return o;
  }
  return v;
}

/**
 * The runnable cases of a file: one per `format` entry (× `config` entry),
 * `{FORMAT}` / `{CONFIG}` substituted everywhere; `enabled: false` dropped.
 * Names repeated within a file get a ` #n` suffix so every case has a key.
 */
export function expandCases(file: string, qtt: QttFile): QttCase[] {
  const out: QttCase[] = [];
  const seen = new Map<string, number>();
  const fileName = basename(file);
  for (const test of qtt.tests) {
    if (test.enabled === false) continue;
    const formats: (string | null)[] = test.format && test.format.length > 0 ? [...test.format] : [null];
    const configs: (string | null)[] = test.config && test.config.length > 0 ? [...test.config] : [null];
    for (const format of formats) {
      for (const config of configs) {
        let t: Json = test;
        if (format !== null) t = substitute(t, '{FORMAT}', format);
        if (config !== null) t = substitute(t, '{CONFIG}', config);
        let name = config !== null ? `${test.name} [config: ${config}]` : test.name;
        const key = `${name} :: ${format ?? '-'}`;
        const n = (seen.get(key) ?? 0) + 1;
        seen.set(key, n);
        if (n > 1) name = `${name} #${n}`;
        out.push({ file: fileName, name, format, test: t as QttTest });
      }
    }
  }
  return out;
}

/** `file :: name :: format` — the identity of a case in reports and the ratchet list. */
export function caseKey(c: { readonly file: string; readonly name: string; readonly format: string | null }): string {
  return `${c.file} :: ${c.name} :: ${c.format ?? '-'}`;
}
