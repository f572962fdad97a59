import type { ErrorBody } from './api.js';

/** Where an error belongs in the editor's text: offsets (from, to), its 1-based line and column, the message. */
export interface ErrorMark {
  readonly from: number;
  readonly to: number;
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

/**
 * Places a /ksql or /query-stream error in the script that was sent. ksqlDB's
 * messages carry `line L:C` for syntax errors (relative to the text that
 * failed to parse, `statementText`); an error without a position marks the
 * whole statement it names, or the whole script.
 */
export function errorMark(script: string, err: ErrorBody): ErrorMark {
  const stmt = err.statementText && err.statementText.trim() !== '' ? err.statementText : script;
  const found = script.indexOf(stmt);
  const base = found >= 0 ? found : 0;
  const span = found >= 0 ? stmt.length : script.length;
  const m = /line (\d+):(\d+)/.exec(err.message);
  if (m) {
    const at = offsetOf(found >= 0 ? stmt : script, Number(m[1]), Number(m[2]));
    const from = (found >= 0 ? base : 0) + at;
    const to = Math.min(script.length, wordEnd(script, from));
    const { line, column } = lineCol(script, from);
    return { from, to: Math.max(to, Math.min(script.length, from + 1)), line, column, message: err.message };
  }
  const from = base + (stmt.length - stmt.trimStart().length);
  const { line, column } = lineCol(script, from);
  return { from, to: Math.max(from, Math.min(script.length, base + span)), line, column, message: err.message };
}

/** The offset of 1-based line and column in text (clamped to the text). */
export function offsetOf(text: string, line: number, column: number): number {
  let off = 0;
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf('\n', off);
    if (nl < 0) return text.length;
    off = nl + 1;
  }
  return Math.min(text.length, off + Math.max(0, column - 1));
}

export function lineCol(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - (before.lastIndexOf('\n') + 1) + 1 };
}

function wordEnd(text: string, from: number): number {
  const m = /^[A-Za-z0-9_`'"]+/.exec(text.slice(from));
  return from + (m ? m[0].length : 1);
}
