import type { ColumnRef, Expr, FunctionCall } from '../sql/ast/expression.js';
import type { TypeNode } from '../sql/ast/type-node.js';

/** Structural equality of two expressions, ignoring positions (qualify column references first). */
export function exprEquals(a: Expr, b: Expr): boolean {
  return canon(a) === canon(b);
}

/** A canonical text of an expression (no positions) — also used for names in messages. */
export function canon(e: Expr): string {
  return JSON.stringify(e, (k, v: unknown) => (k === 'loc' ? undefined : v));
}

/** Rewrites an expression bottom-up: `fn` may return a replacement for a node (children are not visited then). */
export function rewrite(e: Expr, fn: (e: Expr) => Expr | undefined): Expr {
  const r = fn(e);
  if (r) return r;
  const go = (x: Expr): Expr => rewrite(x, fn);
  switch (e.kind) {
    case 'NumberLiteral':
    case 'StringLiteral':
    case 'BooleanLiteral':
    case 'NullLiteral':
    case 'ColumnRef':
    case 'IntervalUnit':
    case 'Variable':
      return e;
    case 'Dereference':
      return { ...e, base: go(e.base) };
    case 'Subscript':
      return { ...e, base: go(e.base), index: go(e.index) };
    case 'FunctionCall':
      return { ...e, args: e.args.map(go) };
    case 'Lambda':
      return { ...e, body: go(e.body) };
    case 'Arithmetic':
    case 'Comparison':
    case 'Logical':
      return { ...e, left: go(e.left), right: go(e.right) };
    case 'Negate':
    case 'Not':
    case 'IsNull':
      return { ...e, operand: go(e.operand) };
    case 'Between':
      return { ...e, operand: go(e.operand), low: go(e.low), high: go(e.high) };
    case 'InList':
      return { ...e, operand: go(e.operand), list: e.list.map(go) };
    case 'Like':
      return { ...e, operand: go(e.operand), pattern: go(e.pattern) };
    case 'SearchedCase':
      return { ...e, whens: e.whens.map((w) => ({ when: go(w.when), then: go(w.then) })), else: e.else ? go(e.else) : null };
    case 'SimpleCase':
      return { ...e, operand: go(e.operand), whens: e.whens.map((w) => ({ when: go(w.when), then: go(w.then) })), else: e.else ? go(e.else) : null };
    case 'Cast':
      return { ...e, operand: go(e.operand) };
    case 'ArrayConstructor':
      return { ...e, items: e.items.map(go) };
    case 'MapConstructor':
      return { ...e, entries: e.entries.map((x) => ({ key: go(x.key), value: go(x.value) })) };
    case 'StructConstructor':
      return { ...e, fields: e.fields.map((x) => ({ name: x.name, value: go(x.value) })) };
    default: {
      const never: never = e;
      throw new Error(`unknown expression ${JSON.stringify(never)}`);
    }
  }
}

/** Visits every node, pre-order. */
export function walk(e: Expr, fn: (e: Expr) => boolean | void): void {
  rewrite(e, (x) => {
    if (fn(x) === false) return x;
    return undefined;
  });
}

export function findCalls(e: Expr, pred: (c: FunctionCall) => boolean): FunctionCall[] {
  const out: FunctionCall[] = [];
  rewrite(e, (x) => {
    if (x.kind === 'FunctionCall' && pred(x)) {
      out.push(x);
      return x;
    }
    return undefined;
  });
  return out;
}

/** SQL text of an expression as ksqlDB prints it in messages (e.g. `ABS(INPUT.ID)`). */
export function formatExpr(e: Expr): string {
  const f = formatExpr;
  switch (e.kind) {
    case 'NumberLiteral':
      return e.text;
    case 'StringLiteral':
      return `'${e.value.replace(/'/g, "''")}'`;
    case 'BooleanLiteral':
      return e.value ? 'true' : 'false';
    case 'NullLiteral':
      return 'null';
    case 'ColumnRef':
      return e.source ? `${e.source}.${e.name}` : e.name;
    case 'IntervalUnit':
      return e.unit;
    case 'Variable':
      return '${' + e.name + '}';
    case 'Dereference':
      return `${f(e.base)}->${e.field}`;
    case 'Subscript':
      return `${f(e.base)}[${f(e.index)}]`;
    case 'FunctionCall':
      // ksqlDB reads COUNT(*) as COUNT(ROWTIME)
      return `${e.name}(${e.star ? 'ROWTIME' : e.args.map(f).join(', ')})`;
    case 'Lambda':
      return `(${e.params.join(', ')}) => ${f(e.body)}`;
    case 'Arithmetic':
      return `(${f(e.left)} ${e.op} ${f(e.right)})`;
    case 'Comparison':
      return `(${f(e.left)} ${e.op} ${f(e.right)})`;
    case 'Logical':
      return `(${f(e.left)} ${e.op} ${f(e.right)})`;
    case 'Negate':
      return `-${f(e.operand)}`;
    case 'Not':
      return `(NOT ${f(e.operand)})`;
    case 'IsNull':
      return `(${f(e.operand)} IS ${e.negated ? 'NOT ' : ''}NULL)`;
    case 'Between':
      return `(${f(e.operand)} ${e.negated ? 'NOT ' : ''}BETWEEN ${f(e.low)} AND ${f(e.high)})`;
    case 'InList':
      return `(${f(e.operand)} ${e.negated ? 'NOT ' : ''}IN (${e.list.map(f).join(', ')}))`;
    case 'Like':
      return `(${f(e.operand)} ${e.negated ? 'NOT ' : ''}LIKE ${f(e.pattern)})`;
    case 'SearchedCase':
      return `(CASE ${e.whens.map((w) => `WHEN ${f(w.when)} THEN ${f(w.then)}`).join(' ')}${e.else ? ` ELSE ${f(e.else)}` : ''} END)`;
    case 'SimpleCase':
      return `(CASE ${f(e.operand)} ${e.whens.map((w) => `WHEN ${f(w.when)} THEN ${f(w.then)}`).join(' ')}${e.else ? ` ELSE ${f(e.else)}` : ''} END)`;
    case 'Cast':
      return `CAST(${f(e.operand)} AS ${formatTypeNode(e.type)})`;
    case 'ArrayConstructor':
      return `ARRAY[${e.items.map(f).join(', ')}]`;
    case 'MapConstructor':
      return `MAP(${e.entries.map((x) => `${f(x.key)}:=${f(x.value)}`).join(', ')})`;
    case 'StructConstructor':
      return `STRUCT(${e.fields.map((x) => `${x.name}:=${f(x.value)}`).join(', ')})`;
    default: {
      const never: never = e;
      throw new Error(`unknown expression ${JSON.stringify(never)}`);
    }
  }
}

/** Column references of an expression, lambda parameters excepted. */
export function columnRefs(e: Expr): ColumnRef[] {
  const out: ColumnRef[] = [];
  const visit = (x: Expr, params: ReadonlySet<string>): void => {
    rewrite(x, (n) => {
      if (n.kind === 'Lambda') {
        visit(n.body, new Set([...params, ...n.params]));
        return n;
      }
      if (n.kind === 'ColumnRef' && !params.has(n.name)) out.push(n);
      return undefined;
    });
  };
  visit(e, new Set());
  return out;
}

/** A type as written in SQL text, ksqlDB's way: `DECIMAL(4, 2)`, `STRUCT<\`F\` INTEGER>`. */
export function formatTypeNode(t: TypeNode): string {
  switch (t.kind) {
    case 'Primitive':
      return t.name;
    case 'Decimal':
      return `DECIMAL(${t.precision}, ${t.scale})`;
    case 'Array':
      return `ARRAY<${formatTypeNode(t.element)}>`;
    case 'Map':
      return `MAP<${formatTypeNode(t.key)}, ${formatTypeNode(t.value)}>`;
    case 'Struct':
      return `STRUCT<${t.fields.map((x) => `\`${x.name}\` ${formatTypeNode(x.type)}`).join(', ')}>`;
    case 'Named':
      return t.name;
  }
}

/** Whether `e` has a node for which `isAgg` holds. */
export function containsAgg(e: Expr, isAgg: (e: Expr) => boolean): boolean {
  return findFirst(e, isAgg) !== null;
}

/** The first node (pre-order) for which `pred` holds, not looking inside it. */
export function findFirst(e: Expr, pred: (e: Expr) => boolean): FunctionCall | null {
  let found: FunctionCall | null = null;
  rewrite(e, (x) => {
    if (found) return x;
    if (pred(x)) {
      found = x as FunctionCall;
      return x;
    }
    return undefined;
  });
  return found;
}

/** Every outermost node for which `pred` holds. */
export function allCalls(e: Expr, pred: (e: Expr) => boolean): FunctionCall[] {
  const out: FunctionCall[] = [];
  rewrite(e, (x) => {
    if (pred(x)) {
      out.push(x as FunctionCall);
      return x;
    }
    return undefined;
  });
  return out;
}
