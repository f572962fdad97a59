import { setFlagsFromString } from 'node:v8';

// V8's linear-time regular expression engine (the `l` flag): automata, no
// backtracking, so no pattern it accepts can take exponential (or polynomial)
// time on a value. Only enabled, never the default for other code.
setFlagsFromString('--enable-experimental-regexp-engine');

/** `src` on the linear-time engine, or null when it uses what that engine lacks (backreferences, lookarounds, the `u` flag). */
export function linearRegExp(src: string, flags: string): RegExp | null {
  try {
    return new RegExp(src, flags.replace('u', '') + 'l');
  } catch {
    return null;
  }
}
