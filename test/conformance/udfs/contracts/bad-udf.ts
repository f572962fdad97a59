// ksqlDB's BadUdf (`bad_udf`): overloads that throw or return null, to test error handling.
//   bad_udf(INT)     → INT:    always throws
//   bad_udf(STRING)  → STRING: null on every other call (first call null), else its argument
//   bad_udf(BOOLEAN) → INT:    throws when the argument is true, else 0
// The call counter is per call site of a query (per `resolve`), as ksqlDB keeps one UDF instance per use.
import { INTEGER, STRING } from '../../../../engine/types/sql-type.js';
import type { ScalarFunction, SqlFunction } from '../../../../engine/functions/types.js';
import { isKind, noMatch } from './_support.js';

const NAME = 'BAD_UDF';

const badUdf: ScalarFunction = {
  name: NAME,
  description: 'test UDF that throws or returns null',
  kind: 'scalar',
  resolve(args) {
    if (args.length === 1 && args[0]!.type && args[0]!.type.kind !== 'NULL') {
      if (isKind(args[0], 'INTEGER')) {
        return {
          returnType: INTEGER,
          volatile: true,
          invoke: () => {
            throw new Error('boom!');
          },
        };
      }
      if (isKind(args[0], 'STRING')) {
        let calls = 0;
        return {
          returnType: STRING,
          volatile: true,
          nullSafe: true,
          invoke: (s) => (calls++ % 2 === 0 ? null : s),
        };
      }
      if (isKind(args[0], 'BOOLEAN')) {
        return {
          returnType: INTEGER,
          volatile: true,
          invoke: (shouldThrow) => {
            if (shouldThrow === true) throw new Error('You asked me to throw...');
            return 0;
          },
        };
      }
    }
    throw noMatch(NAME, args, ['INT', 'STRING', 'BOOLEAN']);
  },
};

export const contracts: SqlFunction[] = [badUdf];
