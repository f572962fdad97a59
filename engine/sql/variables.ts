/**
 * ksqlDB variable substitution: every `${name}` outside comments is replaced by
 * the variable's value. Names are case-insensitive. Inside a 'string literal'
 * the value's quotes are doubled, inside a `quoted identifier` its back-ticks;
 * elsewhere the value is inserted as written. References to undefined
 * variables are left untouched (the parser then reports them where they are
 * not allowed, or keeps them as Variable nodes in expressions).
 */
export function substituteVariables(text: string, vars: ReadonlyMap<string, string>): string {
  if (vars.size === 0 || !text.includes('${')) return text;
  const lookup = new Map<string, string>();
  for (const [k, v] of vars) lookup.set(k.toUpperCase(), v);

  let out = '';
  let i = 0;
  const n = text.length;
  /** the quote character we are inside, or null */
  let quote: string | null = null;
  while (i < n) {
    const c = text[i]!;
    if (quote === null) {
      if (c === '-' && text[i + 1] === '-') {
        let e = text.indexOf('\n', i);
        if (e < 0) e = n;
        out += text.slice(i, e);
        i = e;
        continue;
      }
      if (c === '/' && text[i + 1] === '*') {
        let e = text.indexOf('*/', i + 2);
        e = e < 0 ? n : e + 2;
        out += text.slice(i, e);
        i = e;
        continue;
      }
      if (c === "'" || c === '`' || c === '"') {
        quote = c;
        out += c;
        i++;
        continue;
      }
    } else if (c === quote) {
      if (text[i + 1] === quote) {
        out += c + c;
        i += 2;
        continue;
      }
      quote = null;
      out += c;
      i++;
      continue;
    }
    if (c === '$' && text[i + 1] === '{') {
      const e = text.indexOf('}', i + 2);
      if (e > 0) {
        const name = text.slice(i + 2, e).trim();
        const value = lookup.get(name.toUpperCase());
        if (value !== undefined) {
          out += quote === null ? value : value.split(quote).join(quote + quote);
          i = e + 1;
          continue;
        }
      }
    }
    out += c;
    i++;
  }
  return out;
}
