// ksqlDB's ToStruct test UDF: wraps a string in STRUCT<A VARCHAR>.
import type { UserScalarFunction } from '../../../engine/functions/udf/api.js';

const toStruct: UserScalarFunction = {
  kind: 'scalar',
  name: 'TOSTRUCT',
  params: ['STRING'],
  returns: 'STRUCT<A STRING>',
  nullSafe: true,
  invoke: (s) => ({ A: s ?? null }),
};

export default toStruct;
