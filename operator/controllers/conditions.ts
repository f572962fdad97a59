/**
 * Condition bookkeeping per the Kubernetes API conventions: a condition's
 * `lastTransitionTime` changes only when its status changes; reason,
 * message and observedGeneration follow the latest reconcile. Pure.
 */
import type { Condition, ConditionStatus } from '../api/conditions.js';

export interface ConditionInput {
  readonly type: string;
  readonly status: ConditionStatus;
  readonly reason: string;
  readonly message?: string;
}

/**
 * The conditions after a reconcile: `next` in order, each keeping the old
 * `lastTransitionTime` when its status did not change. Conditions of other
 * types in `old` are kept as they were.
 */
export function mergeConditions(old: readonly Condition[] | undefined, next: readonly ConditionInput[], now: Date, generation: number | undefined): Condition[] {
  const prev = new Map((old ?? []).map((c) => [c.type, c]));
  const out: Condition[] = next.map((n) => {
    const p = prev.get(n.type);
    const lastTransitionTime = p && p.status === n.status ? p.lastTransitionTime : now.toISOString().replace(/\.\d{3}Z$/, 'Z');
    return {
      type: n.type,
      status: n.status,
      reason: n.reason,
      message: (n.message ?? '').slice(0, 32768),
      lastTransitionTime,
      ...(generation !== undefined ? { observedGeneration: generation } : {}),
    };
  });
  const types = new Set(next.map((n) => n.type));
  for (const c of old ?? []) if (!types.has(c.type)) out.push(c);
  return out;
}

export function findCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/** The conditions whose status changed between two lists (for Events). */
export function transitions(old: readonly Condition[] | undefined, next: readonly Condition[]): Condition[] {
  return next.filter((c) => findCondition(old, c.type)?.status !== c.status);
}
