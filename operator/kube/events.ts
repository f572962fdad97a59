/**
 * Kubernetes Events (events.k8s.io/v1) about the operator's objects, one per
 * transition. Repeats of the same reason and note for the same object
 * within `dedupMs` are dropped, so a reconcile loop cannot flood etcd.
 */
import type { Logger } from 'pino';
import { microTime } from './leader.js';
import type { KubeObject, KubePort } from './port.js';

export type EventType = 'Normal' | 'Warning';

export interface EventRecorder {
  /** `action`: what the operator did or tried ("Apply", "Submit", "Terminate"); `reason`: PascalCase */
  record(regarding: KubeObject, type: EventType, reason: string, action: string, note: string): void;
}

export const REPORTING_CONTROLLER = 'ksetl.io/operator';

export class KubeEventRecorder implements EventRecorder {
  readonly #kube: KubePort;
  readonly #instance: string;
  readonly #log: Logger;
  readonly #dedupMs: number;
  readonly #recent = new Map<string, number>();
  #seq = 0;

  constructor(kube: KubePort, instance: string, log: Logger, dedupMs = 10 * 60_000) {
    this.#kube = kube;
    this.#instance = instance;
    this.#log = log;
    this.#dedupMs = dedupMs;
  }

  record(regarding: KubeObject, type: EventType, reason: string, action: string, note: string): void {
    const m = regarding.metadata ?? {};
    const key = `${m.uid ?? m.name}|${reason}|${note}`;
    const now = Date.now();
    const last = this.#recent.get(key);
    if (last !== undefined && now - last < this.#dedupMs) return;
    this.#recent.set(key, now);
    if (this.#recent.size > 5000) for (const [k, t] of this.#recent) if (now - t >= this.#dedupMs) this.#recent.delete(k);
    const ns = m.namespace ?? 'default';
    const event = {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name: this.#eventName(m.name ?? 'object', now), namespace: ns },
      eventTime: microTime(new Date(now)),
      reportingController: REPORTING_CONTROLLER,
      reportingInstance: this.#instance,
      action,
      reason,
      type,
      // the API limits notes to 1 kB
      note: note.length > 1024 ? `${note.slice(0, 1021)}...` : note,
      regarding: { apiVersion: regarding.apiVersion, kind: regarding.kind, name: m.name, namespace: ns, uid: m.uid, resourceVersion: m.resourceVersion },
    };
    this.#log.info({ event: { type, reason, action, note }, object: `${regarding.kind}/${ns}/${m.name}` }, 'event');
    this.#kube.create(event).catch((e: unknown) => this.#log.warn({ err: e, reason }, 'could not record event'));
  }

  /**
   * `<object>.<hex nanoseconds>`, as client-go's recorder names events. Not
   * `generateName: "<object>."`: the API server validates a generateName as
   * a name prefix and refuses one ending in a dot. A per-recorder sequence
   * keeps two events of the same millisecond apart.
   */
  #eventName(object: string, nowMs: number): string {
    const suffix = (BigInt(nowMs) * 1_000_000n + BigInt(this.#seq++ % 1_000_000)).toString(16);
    return `${object.slice(0, 253 - suffix.length - 1)}.${suffix}`;
  }
}
