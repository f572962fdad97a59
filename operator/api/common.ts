/**
 * Shared building blocks of the ksetl.io API: object metadata, references,
 * quantities. Data only — no logic (STYLE.md: API types in their own folder).
 */
import { z } from 'zod';

export const GROUP = 'ksetl.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}` as const;

/** A DNS-1123 subdomain name (metadata.name, Secret names, ...). */
export const ObjectName = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be a DNS-1123 subdomain (lower case letters, digits, "-" and ".")');

/** A reference to an object of a known kind in the same namespace. */
export const LocalObjectReference = z.object({ name: ObjectName }).strict();
export type LocalObjectReference = z.infer<typeof LocalObjectReference>;

/** A key of a Secret (or ConfigMap) data map. */
export const DataKey = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[-._a-zA-Z0-9]+$/, 'must be a valid Secret key');

/**
 * A Kubernetes resource quantity ("512Mi", "2", 1). In the CRD this becomes
 * `x-kubernetes-int-or-string`, the one union structural schemas allow.
 */
export const Quantity = z.union([
  z.string().regex(/^[+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+|[numkMGTPE]i?|Ki)?$/, 'must be a resource quantity such as 512Mi or 2'),
  z.number().nonnegative(),
]);
export type Quantity = z.infer<typeof Quantity>;

/** Container resources, as in core/v1 ResourceRequirements. */
export const ResourceRequirements = z
  .object({
    requests: z.record(Quantity).optional().describe('What the scheduler reserves, e.g. cpu: 500m, memory: 1Gi'),
    limits: z.record(Quantity).optional().describe('What the container may not exceed'),
  })
  .strict();
export type ResourceRequirements = z.infer<typeof ResourceRequirements>;

/**
 * A free-form object kept as written (the CRD marks it
 * `x-kubernetes-preserve-unknown-fields`): pod template overrides and the
 * like, whose schema is Kubernetes' own.
 */
export const FreeForm = z.object({}).passthrough();
export type FreeForm = z.infer<typeof FreeForm>;

/** The part of ObjectMeta the operator reads; everything else passes through. */
export const ObjectMeta = z
  .object({
    name: ObjectName,
    namespace: ObjectName.optional(),
    uid: z.string().optional(),
    generation: z.number().int().optional(),
    resourceVersion: z.string().optional(),
    labels: z.record(z.string()).optional(),
    annotations: z.record(z.string()).optional(),
    finalizers: z.array(z.string()).optional(),
    deletionTimestamp: z.string().optional(),
  })
  .passthrough();
export type ObjectMeta = z.infer<typeof ObjectMeta>;

/** How a printer column, a CEL rule or a scale path is attached to the CRD: data read by the CRD generator. */
export interface CelRule {
  readonly rule: string;
  readonly message: string;
  /** a CEL expression for the message (names the offending value); `message` stays as the fallback */
  readonly messageExpression?: string;
  /** e.g. "FieldValueForbidden"; defaults to FieldValueInvalid */
  readonly reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
  /** the field the error is reported on, relative to the node the rule is on */
  readonly fieldPath?: string;
}

export interface PrinterColumn {
  readonly name: string;
  readonly type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  readonly jsonPath: string;
  readonly description?: string;
  readonly priority?: number;
}

/** What the CRD generator needs beyond the zod schemas. */
export interface CrdInfo {
  readonly kind: string;
  readonly plural: string;
  readonly singular: string;
  readonly shortNames: readonly string[];
  readonly categories: readonly string[];
  readonly printerColumns: readonly PrinterColumn[];
  /**
   * CEL rules keyed by a dotted path into the object's schema ("" for the
   * root, "spec", "spec.logging.sidecar"); the generator fails on a path
   * that does not exist.
   */
  /** arrays merged by key under server-side apply (`x-kubernetes-list-type: map`), by dotted path */
  readonly listMapKeys?: Readonly<Record<string, readonly string[]>>;
  readonly validations: Readonly<Record<string, readonly CelRule[]>>;
  /** size bounds by dotted path, so the API server can bound the cost of the CEL rules there */
  readonly bounds?: Readonly<Record<string, { readonly maxProperties?: number; readonly maxItems?: number; readonly maxLength?: number }>>;
  readonly scale?: { readonly specReplicasPath: string; readonly statusReplicasPath: string; readonly labelSelectorPath?: string };
}
