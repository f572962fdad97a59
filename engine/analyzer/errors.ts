import { KsqlError, type KsqlErrorReason } from '../errors.js';
import type { Loc } from '../sql/ast/node.js';

/**
 * The semantic errors of ksqlDB's dialect, by code, with ksqlDB's text made
 * here and nowhere else. Code that raises one names the code and its facts
 * (`semanticError('UntypedNull', {})`); code that reports it differently per
 * clause (ksqlDB's "Invalid Predicate: ..." in WHERE) branches on `code`, never
 * on the message text.
 *
 * Where a text comes from: ksqlDB's KsqlException messages (CreateSourceFactory,
 * Analyzer, QueryAnalyzer, ExpressionTypeManager, AstBuilder), as its
 * query-validation tests expect them.
 */
export interface SemanticErrorFacts {
  /** a column reference that resolves to nothing in its clause's scope */
  readonly UnknownColumn: { readonly clause: string; readonly column: string; readonly hint?: string };
  /** CREATE STREAM/TABLE without columns, nothing inferred */
  readonly NoColumns: Record<string, never>;
  /** a `HEADERS` column not of type ARRAY<STRUCT<KEY STRING, VALUE BYTES>> */
  readonly HeadersColumnType: { readonly got: string };
  /** a `HEADER('k')` column not of type BYTES */
  readonly HeaderColumnType: { readonly key: string; readonly got: string };
  /** more than one `HEADERS` column */
  readonly MultipleHeadersColumns: Record<string, never>;
  /** a table function in an aggregation */
  readonly TableFunctionWithAggregation: Record<string, never>;
  /** a table function over a table source */
  readonly TableFunctionOverTable: Record<string, never>;
  /** `NULL` selected without a type */
  readonly UntypedNull: Record<string, never>;
  /** a WINDOW clause over a table source */
  readonly WindowedTableAggregation: Record<string, never>;
  /** RETENTION shorter than the window size plus the grace period */
  readonly WindowRetentionTooShort: { readonly store: string; readonly sizeMs: number; readonly graceMs: number; readonly retentionMs: number };
  readonly SessionRetentionTooShort: { readonly store: string; readonly sizeMs: number; readonly graceMs: number; readonly retentionMs: number };
  /** WINDOWSTART / WINDOWEND outside the SELECT of a windowed aggregation */
  readonly WindowBoundsOutsideSelect: { readonly column: string };
  /** an integer literal beyond BIGINT's range */
  readonly InvalidNumericLiteral: { readonly text: string };
  /** a DOUBLE literal beyond the range of a double */
  readonly DoubleOverflow: { readonly text: string };
  /** typing errors that clauses word differently (see `inClauseMessage`) */
  readonly ComparisonTypes: { readonly message: string };
  readonly OperatorDoesNotExist: { readonly message: string };
  readonly InvalidInputSyntax: { readonly message: string };
  readonly CastNotSupported: { readonly message: string };
}

export type SemanticErrorCode = keyof SemanticErrorFacts;

const HEADERS_TYPE = 'ARRAY<STRUCT<`KEY` STRING, `VALUE` BYTES>>';

const TEXTS: { readonly [C in SemanticErrorCode]: (f: SemanticErrorFacts[C]) => string } = {
  UnknownColumn: (f) => `${f.clause} column '${f.column}' cannot be resolved.${f.hint ? ` ${f.hint}` : ''}`,
  NoColumns: () => 'The statement does not define any columns.',
  HeadersColumnType: (f) => `Invalid type for HEADERS column: expected ${HEADERS_TYPE}, got ${f.got}`,
  HeaderColumnType: (f) => `Invalid type for HEADER('${f.key}') column: expected BYTES, got ${f.got}`,
  MultipleHeadersColumns: () => 'Schema already contains a HEADERS column.',
  TableFunctionWithAggregation: () => 'Table functions cannot be used with aggregations.',
  TableFunctionOverTable: () => 'Table source is not supported with table functions',
  UntypedNull: () => "Can't infer a type of null. Please explicitly cast it to a required type, e.g. CAST(null AS VARCHAR).",
  WindowedTableAggregation: () => 'Windowing not supported for table aggregations.',
  WindowRetentionTooShort: (f) =>
    `The retention period of the window store ${f.store} must be no smaller than its window size plus the grace period. Got size=[${f.sizeMs}], grace=[${f.graceMs}], retention=[${f.retentionMs}]`,
  SessionRetentionTooShort: (f) =>
    `The retention period of the session store ${f.store} must be no smaller than the session inactivity gap plus the grace period. Got gap=[${f.sizeMs}], grace=[${f.graceMs}], retention=[${f.retentionMs}]`,
  WindowBoundsOutsideSelect: (f) => `Window bounds column ${f.column} can only be used in the SELECT clause of windowed aggregations`,
  InvalidNumericLiteral: (f) => `Invalid numeric literal: ${f.text}`,
  DoubleOverflow: (f) => `Number overflows DOUBLE: ${f.text}`,
  ComparisonTypes: (f) => f.message,
  OperatorDoesNotExist: (f) => f.message,
  InvalidInputSyntax: (f) => f.message,
  CastNotSupported: (f) => f.message,
};

const REASONS: Partial<Record<SemanticErrorCode, KsqlErrorReason>> = {
  UnknownColumn: 'NotFound',
  ComparisonTypes: 'TypeError',
  OperatorDoesNotExist: 'TypeError',
  InvalidInputSyntax: 'TypeError',
  CastNotSupported: 'TypeError',
  HeadersColumnType: 'TypeError',
  HeaderColumnType: 'TypeError',
};

/** Codes whose text ksqlDB prefixes with the position of the node at fault. */
const LOCATED: ReadonlySet<SemanticErrorCode> = new Set(['UnknownColumn']);

/** A KsqlError carrying `code`, with ksqlDB's text for it (`Line: N, Col: M: ...` where ksqlDB locates it). */
export function semanticError<C extends SemanticErrorCode>(code: C, facts: SemanticErrorFacts[C], loc: Loc | null = null): KsqlError {
  const at = loc && LOCATED.has(code) ? `Line: ${loc.line}, Col: ${loc.column}: ` : '';
  return new KsqlError(`${at}${TEXTS[code](facts)}`, loc, REASONS[code] ?? 'StatementError', code);
}

/**
 * An error ksqlDB raises while building its AST (literal ranges): its text is
 * prefixed with the parser's position, whose column ksqlDB counts from 1 again
 * on the node's already 1-based column.
 */
export function astError<C extends 'InvalidNumericLiteral' | 'DoubleOverflow'>(code: C, facts: SemanticErrorFacts[C], loc: Loc | null): KsqlError {
  const at = loc ? `line ${loc.line}:${loc.column + 1}: ` : '';
  return new KsqlError(`Failed to prepare statement: ${at}${TEXTS[code](facts)}`, loc, 'StatementError', code);
}

export type Clause = 'WHERE' | 'HAVING' | 'SELECT' | 'GROUP BY';

/** A typing error as reported for the clause it was found in; `inner` is the error itself. */
export class ClauseError extends KsqlError {
  constructor(
    message: string,
    readonly clause: Clause,
    readonly inner: KsqlError,
  ) {
    super(message, inner.loc, inner.reason, inner.code);
  }
}

/**
 * How ksqlDB reports a typing error found in a clause: comparisons in WHERE
 * and HAVING as "Error in WHERE expression: ...", bad operands there as
 * "Invalid Predicate: ...", casts in SELECT as "Invalid Select: ...";
 * null when the clause keeps the error's own text.
 */
export function inClauseMessage(clause: Clause, e: KsqlError): string | null {
  switch (e.code) {
    case 'ComparisonTypes':
      return clause === 'WHERE' || clause === 'HAVING' ? `Error in ${clause} expression: ${e.message}` : null;
    case 'OperatorDoesNotExist':
    case 'InvalidInputSyntax':
      return clause === 'WHERE' || clause === 'HAVING' ? `Invalid Predicate: ${e.message}` : null;
    case 'CastNotSupported':
      return clause === 'SELECT' ? `Invalid Select: ${e.message}` : null;
    default:
      return null;
  }
}
