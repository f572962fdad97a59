// ksqlDB's ThrowingUdtf: echoes its argument as one row, or throws when asked to.
import type { UserTableFunction } from '../../../engine/functions/udf/api.js';

const throwingUdtf: UserTableFunction = {
  kind: 'table',
  name: 'THROWING_UDTF',
  params: ['BOOLEAN'],
  returns: 'BOOLEAN',
  invoke: (shouldThrow) => {
    if (shouldThrow === true) throw new Error('You asked me to throw...');
    return [shouldThrow];
  },
};

export default throwingUdtf;
