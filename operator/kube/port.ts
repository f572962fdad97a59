/**
 * KubePort: the small surface of the Kubernetes API the controllers use
 * (STYLE.md: I/O behind a port). `client.ts` implements it over HTTP with the
 * credentials of a kubeconfig.
 */
import type { ResourceType } from './resources.js';

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  deletionTimestamp?: string;
  creationTimestamp?: string;
  ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean; blockOwnerDeletion?: boolean }[];
  [k: string]: unknown;
}

/** Any Kubernetes object. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  [k: string]: unknown;
}

export interface ObjectList<T extends KubeObject = KubeObject> {
  readonly items: T[];
  readonly resourceVersion: string;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
export interface WatchEvent<T extends KubeObject = KubeObject> {
  readonly type: WatchEventType;
  readonly object: T;
}

export interface ListOptions {
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
}

export interface WatchOptions extends ListOptions {
  readonly resourceVersion: string;
  /** the server closes the watch after this many seconds */
  readonly timeoutSeconds?: number;
  readonly allowWatchBookmarks?: boolean;
  readonly signal?: AbortSignal;
}

/** A typed API error: branch on `reason`/`code`, never on the message (STYLE.md habit 6). */
export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';
  constructor(
    readonly code: number,
    /** metav1.Status reason: NotFound, Conflict, AlreadyExists, Gone, Expired, Forbidden, Invalid, ... */
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
  get retryable(): boolean {
    return this.code === 0 || this.code === 409 || this.code === 429 || this.code >= 500;
  }
}

export const isNotFound = (e: unknown): boolean => e instanceof KubeApiError && e.code === 404;
export const isConflict = (e: unknown): boolean => e instanceof KubeApiError && e.code === 409;
export const isGone = (e: unknown): boolean => e instanceof KubeApiError && (e.code === 410 || e.reason === 'Expired' || e.reason === 'Gone');

export interface KubePort {
  get<T extends KubeObject>(t: ResourceType, namespace: string | undefined, name: string): Promise<T | null>;
  list<T extends KubeObject>(t: ResourceType, namespace: string | undefined, opts?: ListOptions): Promise<ObjectList<T>>;
  /** Server-side apply (field manager `ksetl-operator`, force) of a whole object. */
  apply<T extends KubeObject>(obj: T): Promise<T>;
  /** Server-side apply to the status subresource: `obj` holds apiVersion, kind, metadata.name/namespace and status. */
  applyStatus<T extends KubeObject>(obj: KubeObject): Promise<T>;
  create<T extends KubeObject>(obj: T): Promise<T>;
  /** PUT with the object's resourceVersion (optimistic concurrency: Conflict when it moved). */
  replace<T extends KubeObject>(obj: T): Promise<T>;
  /** Deletes; false when it was already gone. */
  delete(t: ResourceType, namespace: string | undefined, name: string, opts?: { propagationPolicy?: 'Foreground' | 'Background' | 'Orphan' }): Promise<boolean>;
  /** Streams watch events until the server closes the stream, the signal aborts, or an error (rejects). */
  watch<T extends KubeObject>(t: ResourceType, namespace: string | undefined, opts: WatchOptions, onEvent: (e: WatchEvent<T>) => void): Promise<void>;
}
