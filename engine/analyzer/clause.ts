import { KsqlError } from '../errors.js';
import { ColumnNotFoundError } from '../expr/typer.js';
import { ClauseError, inClauseMessage, semanticError, type Clause } from './errors.js';

/** Re-words a typing error as ksqlDB does for the clause it was found in (by its code, see analyzer/errors.ts). */
export function inClause<T>(clause: Clause, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (!(e instanceof KsqlError)) throw e;
    if (e instanceof ColumnNotFoundError) {
      if (clause === 'SELECT' || clause === 'WHERE') throw semanticError('UnknownColumn', { clause, column: e.column }, e.loc);
      throw e;
    }
    const worded = inClauseMessage(clause, e);
    if (worded !== null) throw new ClauseError(worded, clause, e);
    throw e;
  }
}
