/**
 * Shapes of ksqlDB's query-validation test (QTT) files, as read from JSON.
 * Numbers are kept lossless (lossless-json `LosslessNumber`) so BIGINT and
 * DECIMAL values survive the round trip; `Json` therefore means "JSON as
 * parsed by load.ts".
 */
export type Json = unknown;

export interface QttWindow {
  readonly start: Json;
  readonly end: Json;
  /** `time` (tumbling/hopping) or `session` */
  readonly type: string;
}

export interface QttHeader {
  readonly KEY: string;
  /** base64, or null */
  readonly VALUE: string | null;
}

export interface QttRecord {
  readonly topic: string;
  readonly key?: Json;
  readonly value?: Json;
  readonly timestamp?: Json;
  readonly window?: QttWindow;
  readonly headers?: readonly QttHeader[];
  readonly partition?: Json;
}

export interface QttTopic {
  readonly name: string;
  readonly partitions?: Json;
  readonly format?: string;
  readonly keyFormat?: string;
  readonly valueFormat?: string;
  readonly keySchema?: Json;
  readonly valueSchema?: Json;
  readonly valueSchemaReferences?: readonly Json[];
  readonly keySchemaReferences?: readonly Json[];
  /** the id the schema is registered under (tests that name it in KEY_/VALUE_SCHEMA_ID) */
  readonly keySchemaId?: number;
  readonly valueSchemaId?: number;
}

export interface QttPostSource {
  readonly name: string;
  readonly type?: string;
  readonly schema?: string;
  readonly keyFormat?: Json;
  readonly valueFormat?: Json;
  readonly isSource?: boolean;
}

export interface QttPost {
  readonly sources?: readonly QttPostSource[];
  readonly topics?: { readonly topics?: readonly { readonly name: string }[]; readonly blacklist?: string };
}

export interface QttTest {
  readonly name: string;
  readonly statements: readonly string[];
  readonly format?: readonly string[];
  readonly config?: readonly string[];
  readonly enabled?: boolean;
  readonly properties?: Readonly<Record<string, Json>>;
  readonly topics?: readonly QttTopic[];
  readonly inputs?: readonly QttRecord[];
  readonly outputs?: readonly QttRecord[];
  readonly expectedException?: { readonly type?: string; readonly message?: string; readonly cause?: string; readonly causeMessage?: string };
  readonly post?: QttPost;
}

export interface QttFile {
  readonly comments?: readonly string[];
  readonly tests: readonly QttTest[];
}

/** One runnable case: a test with `{FORMAT}` / `{CONFIG}` substituted. */
export interface QttCase {
  /** file base name, e.g. `count.json` */
  readonly file: string;
  readonly name: string;
  /** the `format` entry this expansion is for; null when the test has none */
  readonly format: string | null;
  readonly test: QttTest;
}

export type CaseStatus = 'passed' | 'failed' | 'skipped';

export interface CaseResult {
  readonly file: string;
  readonly name: string;
  readonly format: string | null;
  readonly status: CaseStatus;
  /** first difference or error for a failure, reason for a skip; empty when passed */
  readonly message: string;
  /** for `expectedException` cases: did anything fail at all (statements or inputs)? */
  readonly lenientPassed?: boolean;
  readonly expectsException: boolean;
  readonly durationMs: number;
}

export interface QttReport {
  readonly cases: readonly {
    readonly file: string;
    readonly name: string;
    readonly format: string | null;
    readonly status: CaseStatus;
    readonly message: string;
  }[];
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
  /**
   * expectedException cases counted leniently: any failure (a statement or an
   * input throwing) counts as a pass, whatever the message.
   */
  readonly lenientExpectedException: { readonly total: number; readonly passed: number; readonly strictPassed: number };
}

/** Raised when the runner cannot express a case (counts as skipped). */
export class SkipCase extends Error {
  override readonly name = 'SkipCase';
}
