// Aggregate and table UDFs, exported through `functions`.
export const functions = [
  {
    kind: 'aggregate',
    name: 'product',
    params: ['BIGINT'],
    returns: 'BIGINT',
    init: () => 1n,
    add: (acc, v) => (v == null ? acc : acc * v),
    merge: (a, b) => a * b,
  },
  {
    kind: 'aggregate',
    name: 'last_n',
    params: ['STRING'],
    literalParams: ['INT'],
    returns: 'ARRAY<STRING>',
    init: (n) => ({ n, items: [] }),
    add: (acc, v) => ({ n: acc.n, items: [...acc.items, v].slice(-acc.n) }),
    remove: (acc, v) => ({ n: acc.n, items: acc.items.filter((x) => x !== v) }),
    result: (acc) => [...acc.items],
  },
  {
    kind: 'table',
    name: 'split_words',
    params: ['STRING'],
    returns: 'STRING',
    invoke: (s) => s.split(/\s+/).filter(Boolean),
  },
  {
    kind: 'table',
    name: 'range_to',
    params: ['INT'],
    returns: 'INT',
    *invoke(n) {
      for (let i = 0; i < n; i++) yield i;
    },
  },
];
