// ksqlDB's TestUdaf (`test_udaf`): sums, per input type; a struct input sums field by field.
import type { UserAggregateFunction } from '../../../engine/functions/udf/api.js';

const name = 'TEST_UDAF';
const big = (v: unknown): bigint => (v == null ? 0n : BigInt(v as number | bigint));
const dbl = (v: unknown): number => (v == null ? 0 : (v as number));

type Pair = { readonly A: number | null; readonly B: number | null };
const field = (s: unknown, f: 'A' | 'B'): number => (s == null ? 0 : (((s as Record<string, unknown>)[f] as number | null) ?? 0));

export const functions: UserAggregateFunction[] = [
  {
    kind: 'aggregate',
    name,
    description: 'sums longs',
    params: ['BIGINT'],
    returns: 'BIGINT',
    init: () => 0n,
    add: (acc, v) => (acc as bigint) + big(v),
    remove: (acc, v) => (acc as bigint) - big(v),
    merge: (a, b) => (a as bigint) + (b as bigint),
  },
  {
    kind: 'aggregate',
    name,
    description: 'sums ints',
    params: ['INT'],
    returns: 'BIGINT',
    init: () => 0n,
    add: (acc, v) => (acc as bigint) + big(v),
    remove: (acc, v) => (acc as bigint) - big(v),
    merge: (a, b) => (a as bigint) + (b as bigint),
  },
  {
    kind: 'aggregate',
    name,
    description: 'sums doubles',
    params: ['DOUBLE'],
    returns: 'DOUBLE',
    init: () => 0,
    add: (acc, v) => (acc as number) + dbl(v),
    remove: (acc, v) => (acc as number) - dbl(v),
    merge: (a, b) => (a as number) + (b as number),
  },
  {
    kind: 'aggregate',
    name,
    description: 'returns a struct with {SUM(in->A), SUM(in->B)}',
    params: ['STRUCT<A INT, B INT>'],
    returns: 'STRUCT<A INT, B INT>',
    init: (): Pair => ({ A: 0, B: 0 }),
    add: (acc, s) => ({ A: field(acc, 'A') + field(s, 'A'), B: field(acc, 'B') + field(s, 'B') }),
    remove: (acc, s) => ({ A: field(acc, 'A') - field(s, 'A'), B: field(acc, 'B') - field(s, 'B') }),
    merge: (a, b) => ({ A: field(a, 'A') + field(b, 'A'), B: field(a, 'B') + field(b, 'B') }),
  },
];
