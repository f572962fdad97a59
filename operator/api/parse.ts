/**
 * Validation of objects read from the API server or from files: typed
 * results, never exceptions, errors carrying a path and a PascalCase reason
 * (STYLE.md habit 6) so callers branch on data, not on message text.
 */
import type { z } from 'zod';
import { KsqlCluster } from './ksql-cluster.js';
import { KsqlQuery } from './ksql-query.js';

export interface ApiFieldError {
  readonly reason: 'InvalidSpec';
  /** dotted path into the object, e.g. "spec.kafka.bootstrapServers.0" */
  readonly path: string;
  readonly message: string;
}

export type ParseResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly errors: readonly ApiFieldError[] };

function parseWith<S extends z.ZodTypeAny>(schema: S, obj: unknown): ParseResult<z.infer<S>> {
  const r = schema.safeParse(obj);
  if (r.success) return { ok: true, value: r.data as z.infer<S> };
  return {
    ok: false,
    errors: r.error.issues.map((i) => ({ reason: 'InvalidSpec', path: i.path.join('.'), message: i.message })),
  };
}

/** A KsqlCluster with defaults applied, or the fields that are wrong. */
export function parseKsqlCluster(obj: unknown): ParseResult<KsqlCluster> {
  return parseWith(KsqlCluster, obj);
}

/** A KsqlQuery with defaults applied, or the fields that are wrong. */
export function parseKsqlQuery(obj: unknown): ParseResult<KsqlQuery> {
  return parseWith(KsqlQuery, obj);
}

/** One line per error, for condition messages and Events. */
export function formatErrors(errors: readonly ApiFieldError[]): string {
  return errors.map((e) => `${e.path || '(root)'}: ${e.message}`).join('; ');
}
