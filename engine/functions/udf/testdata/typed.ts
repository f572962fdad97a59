// A TypeScript UDF module: loaded only when a TypeScript loader is active (tsx, vitest).
import type { UserScalarFunction } from '../api.js';

const money: UserScalarFunction = {
  kind: 'scalar',
  name: 'money_struct',
  params: ['STRING', 'DECIMAL(10, 2)'],
  returns: 'STRUCT<CURRENCY STRING, `amount` DECIMAL(10, 2)>',
  invoke: (currency, amount) => ({ CURRENCY: currency, amount }),
};

export default money;
