import type { SemanticErrorCode } from './analyzer/errors.js';
import type { Loc } from './sql/ast/node.js';

/**
 * A statement the engine refuses. `message` follows ksqlDB's wording where users
 * or tools depend on it; `loc` points into the statement text when known.
 */
export class KsqlError extends Error {
  override readonly name = 'KsqlError';
  constructor(
    message: string,
    readonly loc: Loc | null = null,
    readonly reason: KsqlErrorReason = 'StatementError',
    /** which of ksqlDB's semantic errors this is (analyzer/errors.ts), when it is one */
    readonly code: SemanticErrorCode | null = null,
  ) {
    super(message);
  }
}

export type KsqlErrorReason = 'ParseError' | 'StatementError' | 'TypeError' | 'NotFound' | 'AlreadyExists' | 'Unsupported';
