/**
 * Leader election with a coordination.k8s.io/v1 Lease, as client-go's
 * leaderelection: try to acquire every `retryMs`; the holder renews; a
 * holder that cannot renew within `renewDeadlineMs` steps down (stops its
 * controllers) before another replica may take over (`leaseDurationMs`
 * after the last renewal); on shutdown the Lease is released so a
 * successor starts at once. Writes use the Lease's resourceVersion, so two
 * replicas can never both win a round.
 */
import type { Logger } from 'pino';
import { isConflict, type KubePort } from './port.js';
import { RESOURCE } from './resources.js';

export interface LeaderElectionOptions {
  readonly namespace: string;
  readonly name: string;
  readonly identity: string;
  readonly leaseDurationMs?: number;
  readonly renewDeadlineMs?: number;
  readonly retryMs?: number;
  readonly onStartedLeading: () => void;
  readonly onStoppedLeading: () => void;
}

interface LeaseSpec {
  holderIdentity?: string | null;
  leaseDurationSeconds?: number;
  acquireTime?: string | null;
  renewTime?: string | null;
  leaseTransitions?: number;
}
interface Lease {
  apiVersion: 'coordination.k8s.io/v1';
  kind: 'Lease';
  metadata: { name: string; namespace: string; resourceVersion?: string; [k: string]: unknown };
  spec?: LeaseSpec;
  [k: string]: unknown;
}

/** metav1.MicroTime: RFC 3339 with microseconds. */
export function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** Whether a Lease held by someone else has expired at `now`. Pure. */
export function leaseExpired(spec: LeaseSpec | undefined, now: number): boolean {
  if (!spec?.holderIdentity) return true;
  const renew = spec.renewTime ? Date.parse(spec.renewTime) : NaN;
  if (Number.isNaN(renew)) return true;
  return renew + (spec.leaseDurationSeconds ?? 15) * 1000 < now;
}

export class LeaderElector {
  readonly #kube: KubePort;
  readonly #o: Required<Omit<LeaderElectionOptions, 'onStartedLeading' | 'onStoppedLeading'>> & Pick<LeaderElectionOptions, 'onStartedLeading' | 'onStoppedLeading'>;
  readonly #log: Logger;
  #leading = false;
  #lastRenew = 0;
  #timer: NodeJS.Timeout | null = null;
  #stopped = false;
  #round: Promise<void> = Promise.resolve();

  constructor(kube: KubePort, log: Logger, opts: LeaderElectionOptions) {
    this.#kube = kube;
    this.#log = log.child({ lease: `${opts.namespace}/${opts.name}`, identity: opts.identity });
    this.#o = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryMs: 2_000, ...opts };
  }

  get leading(): boolean {
    return this.#leading;
  }

  start(): void {
    this.#stopped = false;
    const tick = (): void => {
      if (this.#stopped) return;
      this.#round = this.#tryAcquireOrRenew().finally(() => {
        if (!this.#stopped) this.#timer = setTimeout(tick, this.#o.retryMs);
      });
    };
    tick();
  }

  /** Stops electing and releases the Lease when held. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#round;
    if (this.#leading) {
      await this.#release().catch((e: unknown) => this.#log.warn({ err: e }, 'could not release the lease'));
      this.#setLeading(false);
    }
  }

  #setLeading(v: boolean): void {
    if (v === this.#leading) return;
    this.#leading = v;
    this.#log.info(v ? 'became leader' : 'stopped leading');
    if (v) this.#o.onStartedLeading();
    else this.#o.onStoppedLeading();
  }

  async #tryAcquireOrRenew(): Promise<void> {
    const now = Date.now();
    try {
      if (await this.#attempt(new Date(now))) {
        this.#lastRenew = now;
        this.#setLeading(true);
      } else {
        // someone else holds it (or won this round)
        this.#setLeading(false);
      }
    } catch (e) {
      this.#log.warn({ err: e }, 'lease round failed');
      // a leader that cannot renew steps down before the Lease can expire for the others
      if (this.#leading && Date.now() - this.#lastRenew > this.#o.renewDeadlineMs) this.#setLeading(false);
    }
  }

  /** One round: true when we hold the Lease afterwards. */
  async #attempt(now: Date): Promise<boolean> {
    const { namespace, name, identity } = this.#o;
    const durationSeconds = Math.ceil(this.#o.leaseDurationMs / 1000);
    const lease = await this.#kube.get<Lease>(RESOURCE.Lease, namespace, name);
    if (!lease) {
      try {
        await this.#kube.create<Lease>({
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name, namespace },
          spec: { holderIdentity: identity, leaseDurationSeconds: durationSeconds, acquireTime: microTime(now), renewTime: microTime(now), leaseTransitions: 0 },
        });
        return true;
      } catch (e) {
        if (isConflict(e)) return false;
        throw e;
      }
    }
    const spec = lease.spec ?? {};
    const mine = spec.holderIdentity === identity;
    if (!mine && !leaseExpired(spec, now.getTime())) return false;
    const next: Lease = {
      ...lease,
      spec: {
        ...spec,
        holderIdentity: identity,
        leaseDurationSeconds: durationSeconds,
        renewTime: microTime(now),
        acquireTime: mine ? (spec.acquireTime ?? microTime(now)) : microTime(now),
        leaseTransitions: mine ? (spec.leaseTransitions ?? 0) : (spec.leaseTransitions ?? 0) + 1,
      },
    };
    try {
      await this.#kube.replace(next);
      return true;
    } catch (e) {
      if (isConflict(e)) return false;
      throw e;
    }
  }

  async #release(): Promise<void> {
    const { namespace, name, identity } = this.#o;
    const lease = await this.#kube.get<Lease>(RESOURCE.Lease, namespace, name);
    if (!lease || lease.spec?.holderIdentity !== identity) return;
    await this.#kube.replace<Lease>({ ...lease, spec: { ...lease.spec, holderIdentity: null, leaseDurationSeconds: 1, renewTime: microTime(new Date()) } });
  }
}
