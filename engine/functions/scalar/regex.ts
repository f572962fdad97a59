import { linearRegExp } from '../../types/linear-regexp.js';
import { FunctionError } from '../types.js';
import { sandboxMatches, warmRegexSandbox } from './regex-sandbox.js';

/**
 * Java regular expressions run on JS RegExp. The syntax differences that
 * matter in practice are translated: inline flags at the start ((?i), (?s),
 * (?m), (?x) are not supported by JS), \A and \z / \Z anchors, possessive
 * quantifiers (treated as greedy), and \p{Alpha}-style POSIX classes.
 *
 * Patterns run on V8's linear-time engine (automata, no backtracking) when it
 * takes them: everything but backreferences, lookarounds and what needs the
 * `u` flag (Unicode property classes, astral characters). Those few run on the
 * backtracking engine (docs/rest-api.md, limits): a pattern such as
 * '(a+)+$' no longer takes seconds per extra character of a value. On the
 * backtracking engine, a quantified group that repeats a quantifier is
 * refused, and every match runs under a time budget on a worker thread
 * (regex-sandbox.ts): the functions match through `regexExec` and
 * `regexMatchAll`, never a RegExp of `javaRegex` directly.
 */

const cache = new Map<string, RegExp>();

const POSIX: Record<string, string> = {
  Lower: 'a-z',
  Upper: 'A-Z',
  Alpha: 'a-zA-Z',
  Digit: '0-9',
  Alnum: 'a-zA-Z0-9',
  Punct: '!-\\/:-@\\[-`{-~',
  Space: ' \\t\\n\\x0B\\f\\r',
  XDigit: '0-9a-fA-F',
  Blank: ' \\t',
};

export function javaRegex(pattern: string, extraFlags = ''): RegExp {
  const key = extraFlags + '\u0000' + pattern;
  const hit = cache.get(key);
  if (hit) return new RegExp(hit.source, hit.flags);
  let src = pattern;
  let flags = 'u' + extraFlags;
  const inline = /^\(\?([imsx]+)\)/.exec(src);
  if (inline) {
    src = src.slice(inline[0].length);
    for (const f of inline[1]!) if (f !== 'x' && !flags.includes(f)) flags += f;
  }
  src = src
    .replace(/\\A/g, '^')
    .replace(/\\[zZ]/g, '$')
    .replace(/((?<!\\)[*+?]|\{\d+(?:,\d*)?\})\+/g, '$1')
    .replace(/\\p\{(?:Is)?(Lower|Upper|Alpha|Digit|Alnum|Punct|Space|XDigit|Blank)\}/g, (_, c: string) => `[${POSIX[c]}]`);
  let re: RegExp | null = null;
  // a backreference or lookaround: the backtracking engine
  if (!needsUnicode(src)) re = linearRegExp(src, flags);
  if (re === null) {
    if (nestsQuantifiers(src)) {
      throw new FunctionError(
        `Invalid regular expression pattern: ${pattern}: a pattern with backreferences, lookarounds or Unicode classes runs on the backtracking engine, where a quantified group that repeats a quantifier can take exponential time; it is refused`,
      );
    }
    re = backtracking(src, flags, pattern);
    warmRegexSandbox();
  }
  cache.set(key, re);
  return new RegExp(re.source, re.flags);
}

/** Whether a quantified group contains a quantifier ('(a+)+', '(x*y)*', '(a|b+){2,}'): what makes backtracking exponential. */
export function nestsQuantifiers(src: string): boolean {
  // per open group: whether it holds a quantifier
  const groups: boolean[] = [];
  let last = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === '\\') {
      i++;
      last = false;
      continue;
    }
    if (c === '[') {
      // a character class: up to its closing bracket
      i++;
      if (src[i] === '^') i++;
      if (src[i] === ']') i++;
      while (i < src.length && src[i] !== ']') i += src[i] === '\\' ? 2 : 1;
      last = false;
      continue;
    }
    const quantifier = c === '*' || c === '+' || c === '?' || (c === '{' && /^\{\d+(,\d*)?\}/.test(src.slice(i, i + 24)));
    if (quantifier) {
      // a repeated group that itself repeats something
      if (last && c !== '?') return true;
      if (c !== '?' || !last) for (let g = 0; g < groups.length; g++) groups[g] = true;
      if (c === '{') i = src.indexOf('}', i);
      last = false;
      continue;
    }
    if (c === '(') {
      groups.push(false);
      last = false;
    } else if (c === ')') {
      last = groups.pop() ?? false;
    } else last = false;
  }
  return false;
}

/** Unicode property escapes, code point escapes and astral characters mean something else (or nothing) without the `u` flag. */
function needsUnicode(src: string): boolean {
  return /\\[pP]\{|\\u\{|[\uD800-\uDFFF]/.test(src);
}

function backtracking(src: string, flags: string, pattern: string): RegExp {
  let re: RegExp;
  try {
    re = new RegExp(src, flags);
  } catch {
    try {
      re = new RegExp(src, flags.replace('u', ''));
    } catch (e) {
      throw new FunctionError(`Invalid regular expression pattern: ${pattern}: ${(e as Error).message}`);
    }
  }
  return re;
}

/** A match: the whole match, then the groups (undefined: not taking part), its index and named groups. */
export interface RegexMatch {
  readonly index: number;
  readonly groups: readonly (string | undefined)[];
  readonly named: Readonly<Record<string, string | undefined>> | undefined;
}

/** Whether `re` runs on the linear-time engine (no time budget needed). */
function isLinear(re: RegExp): boolean {
  return re.flags.includes('l');
}

function matchOf(m: RegExpExecArray | RegExpMatchArray): RegexMatch {
  return { index: m.index ?? 0, groups: Array.from(m), named: m.groups };
}

/** The first match of a Java pattern in `input`, or null (backtracking patterns under the time budget). */
export function regexExec(pattern: string, input: string): RegexMatch | null {
  const re = javaRegex(pattern);
  if (isLinear(re)) {
    const m = re.exec(input);
    return m ? matchOf(m) : null;
  }
  return sandboxMatches(re, input, false, pattern)[0] ?? null;
}

/** Every match of a Java pattern in `input`, left to right (backtracking patterns under the time budget). */
export function regexMatchAll(pattern: string, input: string): readonly RegexMatch[] {
  const re = javaRegex(pattern, 'g');
  if (isLinear(re)) return Array.from(input.matchAll(re), matchOf);
  return sandboxMatches(re, input, true, pattern);
}

/** Java's Pattern.split(input, -1): keeps trailing empty strings, ignores capture groups. */
export function regexSplit(input: string, pattern: string): string[] {
  const out: string[] = [];
  let last = 0;
  for (const m of regexMatchAll(pattern, input)) {
    const idx = m.index;
    const whole = m.groups[0] ?? '';
    if (whole.length === 0) {
      if (idx === 0 || idx >= input.length) continue;
    }
    // Java drops a leading empty string produced by a zero-width match at the start
    out.push(input.slice(last, idx));
    last = idx + whole.length;
  }
  out.push(input.slice(last));
  return out;
}

/** Java's Matcher.replaceAll replacement syntax ($n, ${name}, \x escapes) → a replacer function. */
export function javaReplace(input: string, pattern: string, replacement: string): string {
  let out = '';
  let last = 0;
  for (const m of regexMatchAll(pattern, input)) {
    out += input.slice(last, m.index) + replaceOne(m, replacement);
    last = m.index + (m.groups[0] ?? '').length;
  }
  return out + input.slice(last);
}

function replaceOne(m: RegexMatch, replacement: string): string {
  const groups = m.groups;
  const named = m.named;
  let out = '';
  for (let i = 0; i < replacement.length; i++) {
    const c = replacement[i]!;
    if (c === '\\' && i + 1 < replacement.length) {
      out += replacement[++i];
    } else if (c === '$') {
      if (replacement[i + 1] === '{') {
        const end = replacement.indexOf('}', i);
        const name = replacement.slice(i + 2, end);
        out += named?.[name] ?? '';
        i = end;
      } else {
        let j = i + 1;
        while (j < replacement.length && /[0-9]/.test(replacement[j]!)) j++;
        const n = Number(replacement.slice(i + 1, j));
        if (j === i + 1) throw new FunctionError('Illegal group reference');
        out += groups[n] ?? '';
        i = j - 1;
      }
    } else out += c;
  }
  return out;
}
