// ksqlDB's TestUdf (`test_udf`): overloads that report which one was chosen.
import type { UserScalarFunction } from '../../../engine/functions/udf/api.js';

const base = { kind: 'scalar', name: 'TEST_UDF', nullSafe: true } as const;

export const functions: UserScalarFunction[] = [
  // returnStruct(): STRUCT<A VARCHAR> — listed before the BIGINT... overload, which also accepts zero arguments
  { ...base, params: [], returns: 'STRUCT<A STRING>', invoke: () => ({ A: 'foo' }) },
  { ...base, params: ['INT', 'STRING'], returns: 'STRING', invoke: () => 'doStuffIntString' },
  { ...base, params: ['BIGINT', 'STRING'], returns: 'STRING', invoke: () => 'doStuffLongString' },
  { ...base, params: ['BIGINT', 'BIGINT', 'STRING'], returns: 'STRING', invoke: () => 'doStuffLongLongString' },
  {
    ...base,
    params: ['STRUCT<A STRING>'],
    returns: 'STRING',
    invoke: (s) => (s == null ? null : ((s as Record<string, unknown>)['A'] ?? null)),
  },
  { ...base, params: ['BIGINT'], variadic: true, returns: 'STRING', invoke: () => 'doStuffLongVarargs' },
];
