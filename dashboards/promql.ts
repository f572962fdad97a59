/**
 * Just enough PromQL for the checks on dashboards and alerts: the metric
 * names an expression selects, and Grafana variable substitution. Not a
 * parser: a tokenizer that skips strings, label matchers, ranges and the
 * label lists of by/without/on/ignoring/group_left/group_right, and treats an
 * identifier followed by `(` as a function or aggregation.
 */

const GROUPING = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
/** aggregation operators, which may be followed by `by (...)` before their `(` */
const AGGREGATIONS = new Set(['sum', 'min', 'max', 'avg', 'group', 'stddev', 'stdvar', 'count', 'count_values', 'bottomk', 'topk', 'quantile', 'limitk', 'limit_ratio']);
const KEYWORDS = new Set(['bool', 'and', 'or', 'unless', 'offset', 'atan2', 'inf', 'nan', 'start', 'end']);

function skipString(s: string, i: number): number {
  const q = s[i];
  let j = i + 1;
  while (j < s.length && s[j] !== q) j += s[j] === '\\' && q !== '`' ? 2 : 1;
  return j + 1;
}

/** Index after the bracket group that opens at i (`{`, `[` or `(`), skipping strings inside. */
function skipGroup(s: string, i: number): number {
  const open = s[i]!;
  const close = open === '{' ? '}' : open === '[' ? ']' : ')';
  let depth = 0;
  let j = i;
  while (j < s.length) {
    const c = s[j]!;
    if (c === '"' || c === "'" || c === '`') {
      j = skipString(s, j);
      continue;
    }
    if (c === open) depth++;
    else if (c === close && --depth === 0) return j + 1;
    j++;
  }
  throw new Error(`unbalanced ${open} in PromQL: ${s}`);
}

const skipSpace = (s: string, i: number): number => {
  while (i < s.length && /\s/.test(s[i]!)) i++;
  return i;
};

/** The metric names an expression selects, in order of first appearance. */
export function metricNames(expr: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < expr.length) {
    const c = expr[i]!;
    if (/\s/.test(c)) i++;
    else if (c === '"' || c === "'" || c === '`') i = skipString(expr, i);
    else if (c === '{' || c === '[') i = skipGroup(expr, i);
    else if (c === '$') {
      const m = /^\$(\{[^}]*\}|\w+)/.exec(expr.slice(i));
      i += m ? m[0].length : 1;
    } else if (/[0-9.]/.test(c)) {
      // numbers and durations (offset 5m, 1e3, 0x1f)
      const m = /^[0-9.][0-9a-zA-Z.+]*/.exec(expr.slice(i));
      i += m![0].length;
    } else if (/[a-zA-Z_:]/.test(c)) {
      const id = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(expr.slice(i))![0];
      i += id.length;
      const next = skipSpace(expr, i);
      if (GROUPING.has(id)) {
        if (expr[next] === '(') i = skipGroup(expr, next);
      } else if (KEYWORDS.has(id.toLowerCase()) || AGGREGATIONS.has(id)) {
        // an operator, a literal, or an aggregation (its grouping and arguments come next)
      } else if (expr[next] === '(') {
        // a function or an aggregation; its arguments are scanned next
      } else if (!out.includes(id)) {
        out.push(id);
      }
    } else i++;
  }
  return out;
}

/** Values for Grafana's built-in interval variables when an expression runs outside Grafana. */
export const BUILTIN_INTERVALS: Readonly<Record<string, string>> = {
  __rate_interval: '1m',
  __interval: '15s',
  __range: '5m',
};

/**
 * Replaces `$name`, `${name}` and `[[name]]` with values (Grafana's syntax;
 * built-in intervals included unless overridden). Unknown variables are an error.
 */
export function substituteVariables(expr: string, values: Readonly<Record<string, string>>): string {
  const all = { ...BUILTIN_INTERVALS, ...values };
  return expr.replace(/\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]/g, (_m, a: string | undefined, b: string | undefined, c: string | undefined) => {
    const name = (a ?? b ?? c)!;
    const v = all[name];
    if (v === undefined) throw new Error(`no value for variable $${name} in: ${expr}`);
    return v;
  });
}
