// Scalar UDFs: overloads, variadic, generics, computed return type.
export default [
  { kind: 'scalar', name: 'shout', description: 'Upper-cases and adds a bang.', params: ['STRING'], returns: 'STRING', invoke: (s) => s.toUpperCase() + '!' },
  { kind: 'scalar', name: 'shout', params: ['STRING', 'INT'], returns: 'STRING', invoke: (s, n) => s.toUpperCase() + '!'.repeat(n) },
  { kind: 'scalar', name: 'join_all', params: ['STRING', 'STRING'], variadic: true, returns: 'STRING', invoke: (sep, ...xs) => xs.join(sep) },
  { kind: 'scalar', name: 'first_of', params: ['ARRAY<T>'], returns: 'T', invoke: (xs) => (xs.length ? xs[0] : null) },
  { kind: 'scalar', name: 'twice', params: ['BIGINT'], returns: 'BIGINT', invoke: (n) => n * 2n },
  { kind: 'scalar', name: 'coalesce_str', params: ['STRING', 'STRING'], returns: 'STRING', nullSafe: true, invoke: (a, b) => a ?? b },
  { kind: 'scalar', name: 'wrap', params: ['ANY'], returns: (types) => ({ kind: 'ARRAY', element: types[0] }), invoke: (x) => [x] },
  { kind: 'scalar', name: 'boom', params: [], returns: 'INT', invoke: () => { throw new Error('kaboom'); } },
];
