import { tokenize, type Token } from '../../sql/index.js';

/**
 * Statement accumulation for the shell: what the user typed so far is cut at
 * every `;` that is outside strings, quoted identifiers and comments. Unlike
 * `splitStatements`, an unfinished string or comment is not an error here — it
 * just means more lines are coming.
 */
export interface Taken {
  /** complete statements, trimmed, each with its `;` */
  readonly statements: readonly string[];
  /** the unfinished rest (may be only white space or comments) */
  readonly rest: string;
}

export function takeStatements(buffer: string): Taken {
  const statements: string[] = [];
  let start = 0;
  let i = 0;
  const n = buffer.length;
  while (i < n) {
    const c = buffer[i]!;
    if (c === "'" || c === '`' || c === '"') {
      // ksqlDB doubles the quote to escape it: 'it''s'
      let j = i + 1;
      for (;;) {
        if (j >= n) return { statements, rest: buffer.slice(start) };
        if (buffer[j] === c) {
          if (buffer[j + 1] === c) j += 2;
          else break;
        } else j++;
      }
      i = j + 1;
    } else if (c === '-' && buffer[i + 1] === '-') {
      const nl = buffer.indexOf('\n', i);
      if (nl < 0) return { statements, rest: buffer.slice(start) };
      i = nl + 1;
    } else if (c === '/' && buffer[i + 1] === '*') {
      const close = buffer.indexOf('*/', i + 2);
      if (close < 0) return { statements, rest: buffer.slice(start) };
      i = close + 2;
    } else if (c === ';') {
      const text = buffer.slice(start, i + 1).trim();
      if (!isBlank(text.slice(0, -1))) statements.push(text);
      start = i + 1;
      i++;
    } else i++;
  }
  return { statements, rest: buffer.slice(start) };
}

/** True when `text` holds nothing but white space and complete comments. */
export function isBlank(text: string): boolean {
  try {
    return tokenize(text).length === 1;
  } catch {
    return false;
  }
}

/** What the shell does with a complete statement. */
export type Classified =
  | { readonly kind: 'query'; readonly push: boolean; readonly limit: number | null }
  | { readonly kind: 'set'; readonly name: string; readonly value: string }
  | { readonly kind: 'unset'; readonly name: string }
  | { readonly kind: 'define'; readonly name: string; readonly value: string }
  | { readonly kind: 'undefine'; readonly name: string }
  | { readonly kind: 'show-variables' }
  | { readonly kind: 'run-script'; readonly file: string }
  | { readonly kind: 'server' };

/** Classifies a statement by its tokens; anything the shell does not handle itself goes to /ksql. */
export function classify(statement: string): Classified {
  let tokens: Token[];
  try {
    tokens = tokenize(statement).filter((t) => t.kind !== 'eof' && !(t.kind === 'symbol' && t.value === ';'));
  } catch {
    return { kind: 'server' };
  }
  const word = (i: number): string | undefined => (tokens[i]?.kind === 'word' ? tokens[i]!.value : undefined);
  const sym = (i: number, s: string): boolean => tokens[i]?.kind === 'symbol' && tokens[i]!.value === s;
  const str = (i: number): string | undefined => (tokens[i]?.kind === 'string' ? tokens[i]!.value : undefined);
  const first = word(0);
  switch (first) {
    case 'SELECT':
    case 'PRINT': {
      let push = first === 'PRINT';
      let limit: number | null = null;
      for (let i = 1; i < tokens.length; i++) {
        if (word(i) === 'EMIT' && (word(i + 1) === 'CHANGES' || word(i + 1) === 'FINAL')) push = true;
        if (word(i) === 'LIMIT' && tokens[i + 1]?.kind === 'integer' && i + 2 === tokens.length) limit = Number(tokens[i + 1]!.value);
      }
      return { kind: 'query', push, limit };
    }
    case 'SET': {
      const name = str(1);
      const value = str(3);
      if (name !== undefined && sym(2, '=') && value !== undefined && tokens.length === 4) return { kind: 'set', name, value };
      break;
    }
    case 'UNSET': {
      const name = str(1);
      if (name !== undefined && tokens.length === 2) return { kind: 'unset', name };
      break;
    }
    case 'DEFINE': {
      const name = variableName(tokens[1]);
      const value = str(3);
      if (name !== undefined && sym(2, '=') && value !== undefined && tokens.length === 4) return { kind: 'define', name, value };
      break;
    }
    case 'UNDEFINE': {
      const name = variableName(tokens[1]);
      if (name !== undefined && tokens.length === 2) return { kind: 'undefine', name };
      break;
    }
    case 'SHOW':
    case 'LIST':
      if (word(1) === 'VARIABLES' && tokens.length === 2) return { kind: 'show-variables' };
      break;
    case 'RUN': {
      const file = str(2);
      if (word(1) === 'SCRIPT' && file !== undefined && tokens.length === 3) return { kind: 'run-script', file };
      break;
    }
  }
  return { kind: 'server' };
}

/** Local commands, typed without `;` at the start of a statement (ksqlDB CLI: help, exit, ...). */
export type LocalCommand = 'help' | 'exit' | 'history' | 'version' | 'server' | 'clear';

export function localCommand(line: string): LocalCommand | null {
  const w = line.trim().replace(/;$/, '').trim().toLowerCase();
  switch (w) {
    case 'help':
    case '?':
      return 'help';
    case 'exit':
    case 'quit':
      return 'exit';
    case 'history':
    case 'version':
    case 'server':
    case 'clear':
      return w;
    default:
      return null;
  }
}

function variableName(t: Token | undefined): string | undefined {
  return t?.kind === 'word' ? t.text : t?.kind === 'quoted' ? t.value : undefined;
}
