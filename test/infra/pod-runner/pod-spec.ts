/**
 * Pure parts of the pod runner: how a pod's container becomes a local
 * process (argv, environment, mount paths → local directories) and what the
 * pod's status says. No I/O here; runner.ts does the API calls and processes.
 */
import type { V1Container, V1ContainerStatus, V1EnvVar, V1Pod, V1PodCondition, V1PodStatus, V1Probe } from '@kubernetes/client-node';

/** Mount path → local directory (or file, for subPath mounts), longest first. */
export type MountMap = readonly (readonly [mountPath: string, local: string])[];

export function mountMap(entries: Iterable<readonly [string, string]>): MountMap {
  return [...entries].map(([m, l]) => [m.replace(/\/+$/, '') || '/', l] as const).sort((a, b) => b[0].length - a[0].length);
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Every occurrence of a mount path (at a path boundary: followed by `/`, the
 * end, or a character that cannot continue a path segment) replaced by its
 * local directory. `/tmp` is rewritten in `/tmp/x` and `dir=/tmp` but not in `/tmpfiles`.
 */
export function rewritePaths(text: string, mounts: MountMap): string {
  if (mounts.length === 0) return text;
  const alternatives = mounts.map(([m]) => escapeRegExp(m)).join('|');
  const re = new RegExp(`(?<![\\w.-])(${alternatives})(?=$|[/\\s"',;:=}\\])]|\\n)`, 'g');
  return text.replace(re, (m) => mounts.find(([p]) => p === m)![1]);
}

/** `$(VAR)` references expanded from `env` (kubelet semantics: `$$` escapes, unknown references stay). */
export function expandVars(s: string, env: Readonly<Record<string, string>>): string {
  return s.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name: string | undefined) => {
    if (m === '$$') return '$';
    return name !== undefined && env[name] !== undefined ? env[name] : m;
  });
}

/**
 * The local argv of a container: the image runs `ksetl` (its launcher is on
 * PATH), so a leading `ksetl` becomes `node <repo>/bin/ksetl.js`; an empty
 * command is the image's default (`ksetl` with the args). Other programs run as they are.
 *
 * `mounts` rewrites the container's own words (mount paths to local
 * directories), never the runner's node and bin/ksetl.js: a checkout under
 * /tmp must not become `<pod>/volumes/tmp/...` because the pod mounts /tmp.
 */
export function localArgv(
  container: Pick<V1Container, 'command' | 'args'>,
  env: Readonly<Record<string, string>>,
  opts: { nodePath: string; ksetlBin: string; mounts?: MountMap; entrypoint?: string },
): string[] {
  const local = (s: string): string => (opts.mounts ? rewritePaths(expandVars(s, env), opts.mounts) : expandVars(s, env));
  const command = (container.command ?? []).map(local);
  const args = (container.args ?? []).map(local);
  const argv = command.length > 0 ? [...command, ...args] : [opts.entrypoint ?? 'ksetl', ...args];
  if (argv[0] === 'ksetl' || argv[0]?.endsWith('/ksetl')) return [opts.nodePath, opts.ksetlBin, ...argv.slice(1)];
  return argv;
}

/**
 * The local program standing for an image's entrypoint: `images` maps an
 * image repository (the reference without its tag or digest) to it.
 * Undefined for other images (they run `ksetl`, the engine image's entrypoint).
 */
export function imageEntrypoint(image: string | undefined, images: Readonly<Record<string, string>> | undefined): string | undefined {
  if (!image || !images) return undefined;
  const repo = image.replace(/@sha256:[0-9a-f]+$/, '').replace(/:[^/:]+$/, '');
  return images[repo];
}

/** Where a `valueFrom` points: the runner reads these from the API server. */
export interface EnvSources {
  readonly secret: (name: string, key: string) => string | undefined;
  readonly configMap: (name: string, key: string) => string | undefined;
  /** every key of a Secret / ConfigMap (envFrom) */
  readonly secretData: (name: string) => Readonly<Record<string, string>> | undefined;
  readonly configMapData: (name: string) => Readonly<Record<string, string>> | undefined;
}

export class PodSpecError extends Error {
  override readonly name = 'PodSpecError';
}

/** The downward API fields a fieldRef may name. */
export function fieldValue(pod: V1Pod, fieldPath: string, podIP: string, hostIP: string): string {
  const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (m) return (m[1] === 'labels' ? pod.metadata?.labels : pod.metadata?.annotations)?.[m[2]!] ?? '';
  switch (fieldPath) {
    case 'metadata.name':
      return pod.metadata?.name ?? '';
    case 'metadata.namespace':
      return pod.metadata?.namespace ?? '';
    case 'metadata.uid':
      return pod.metadata?.uid ?? '';
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.podIP':
    case 'status.podIPs':
      return podIP;
    case 'status.hostIP':
    case 'status.hostIPs':
      return hostIP;
    default:
      throw new PodSpecError(`fieldRef ${fieldPath} is not supported by the pod runner`);
  }
}

/**
 * A container's environment as the kubelet builds it: envFrom, then env in
 * order (later wins), `valueFrom` resolved, `$(VAR)` expanded against what
 * came before. Missing non-optional references throw (the kubelet would
 * hold the container in CreateContainerConfigError).
 */
export function containerEnv(pod: V1Pod, container: V1Container, sources: EnvSources, podIP: string, hostIP: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    const data = from.secretRef ? sources.secretData(from.secretRef.name ?? '') : from.configMapRef ? sources.configMapData(from.configMapRef.name ?? '') : undefined;
    const optional = from.secretRef?.optional ?? from.configMapRef?.optional ?? false;
    if (!data) {
      if (optional) continue;
      throw new PodSpecError(`envFrom ${from.secretRef ? 'Secret' : 'ConfigMap'} ${from.secretRef?.name ?? from.configMapRef?.name} not found`);
    }
    for (const [k, v] of Object.entries(data)) if (/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(prefix + k)) env[prefix + k] = v;
  }
  for (const e of container.env ?? []) {
    const v = envValue(pod, e, sources, env, podIP, hostIP);
    if (v !== undefined) env[e.name] = v;
  }
  return env;
}

function envValue(pod: V1Pod, e: V1EnvVar, sources: EnvSources, env: Readonly<Record<string, string>>, podIP: string, hostIP: string): string | undefined {
  if (e.value !== undefined) return expandVars(e.value, env);
  const from = e.valueFrom;
  if (!from) return '';
  if (from.fieldRef) return fieldValue(pod, from.fieldRef.fieldPath, podIP, hostIP);
  if (from.secretKeyRef) {
    const v = sources.secret(from.secretKeyRef.name ?? '', from.secretKeyRef.key);
    if (v === undefined && !from.secretKeyRef.optional) throw new PodSpecError(`env ${e.name}: Secret ${from.secretKeyRef.name} has no key ${from.secretKeyRef.key}`);
    return v;
  }
  if (from.configMapKeyRef) {
    const v = sources.configMap(from.configMapKeyRef.name ?? '', from.configMapKeyRef.key);
    if (v === undefined && !from.configMapKeyRef.optional) throw new PodSpecError(`env ${e.name}: ConfigMap ${from.configMapKeyRef.name} has no key ${from.configMapKeyRef.key}`);
    return v;
  }
  if (from.resourceFieldRef) return '';
  return '';
}

/** The port a probe's `port` names (a number, or the name of a container port). */
export function probePort(container: V1Container, port: number | string | undefined): number | undefined {
  if (typeof port === 'number') return port;
  if (port === undefined) return undefined;
  if (/^\d+$/.test(port)) return Number(port);
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

/** The container's main port: the first declared one (the engine's 8088), else `fallback`. */
export function listenPort(container: V1Container, fallback: number): number {
  return container.ports?.[0]?.containerPort ?? fallback;
}

export type ProbeTarget = { readonly kind: 'http'; readonly port: number; readonly path: string; readonly scheme: string } | { readonly kind: 'tcp'; readonly port: number } | { readonly kind: 'none' };

export function probeTarget(container: V1Container, probe: V1Probe | undefined): ProbeTarget {
  if (probe?.httpGet) {
    const port = probePort(container, probe.httpGet.port as number | string);
    if (port !== undefined) return { kind: 'http', port, path: probe.httpGet.path ?? '/', scheme: (probe.httpGet.scheme ?? 'HTTP').toLowerCase() };
  }
  if (probe?.tcpSocket) {
    const port = probePort(container, probe.tcpSocket.port as number | string);
    if (port !== undefined) return { kind: 'tcp', port };
  }
  // exec probes and no probe: ready once started
  return { kind: 'none' };
}

// ---- status ---------------------------------------------------------------------

export type ContainerRun =
  | { readonly state: 'waiting'; readonly reason: string; readonly message?: string; readonly restartCount: number; readonly last?: Terminated }
  | { readonly state: 'running'; readonly startedAt: string; readonly ready: boolean; readonly pid: number; readonly restartCount: number; readonly last?: Terminated }
  | ({ readonly state: 'terminated'; readonly restartCount: number; readonly last?: Terminated } & Terminated);

export interface Terminated {
  readonly exitCode: number;
  readonly signal?: string;
  readonly reason: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  /** the container's termination message (its terminationMessagePath, or its log's tail under FallbackToLogsOnError) */
  readonly message?: string;
}

function terminatedState(t: Terminated) {
  const message = t.message ?? (t.signal ? `killed by ${t.signal}` : undefined);
  return { exitCode: t.exitCode, reason: t.reason, startedAt: t.startedAt, finishedAt: t.finishedAt, ...(message ? { message } : {}) };
}

/**
 * A container's termination message as the kubelet makes it: the file at
 * its terminationMessagePath (at most 4 KiB), else — under
 * `terminationMessagePolicy: FallbackToLogsOnError` and a failed exit — the
 * last 80 lines (at most 2 KiB) of its log. Pure.
 */
export function terminationMessage(file: string | null, logTail: string | null, policy: string | undefined, exitCode: number): string | undefined {
  const text = (file ?? '').slice(0, 4096).trim();
  if (text) return text;
  if (policy !== 'FallbackToLogsOnError' || exitCode === 0 || !logTail) return undefined;
  const lines = logTail.trimEnd().split('\n').slice(-80).join('\n');
  return lines.length > 2048 ? lines.slice(-2048) : lines || undefined;
}

export function containerStatus(container: V1Container, run: ContainerRun): V1ContainerStatus {
  const base = {
    name: container.name,
    image: container.image ?? '',
    imageID: '',
    restartCount: run.restartCount,
    ...(run.last ? { lastState: { terminated: terminatedState(run.last) } } : {}),
  };
  switch (run.state) {
    case 'waiting':
      return { ...base, ready: false, started: false, state: { waiting: { reason: run.reason, ...(run.message ? { message: run.message } : {}) } } } as V1ContainerStatus;
    case 'running':
      return { ...base, containerID: `pod-runner://${run.pid}`, ready: run.ready, started: true, state: { running: { startedAt: run.startedAt } } } as unknown as V1ContainerStatus;
    case 'terminated':
      return { ...base, ready: false, started: false, state: { terminated: terminatedState(run) } } as unknown as V1ContainerStatus;
  }
}

/**
 * The pod's status from its containers' runs. `previous` keeps condition
 * transition times stable (a status that did not change patches nothing).
 */
export function podStatus(pod: V1Pod, runs: readonly ContainerRun[], ips: { podIP: string; hostIP: string; startTime: string }, now: string, previous?: V1PodStatus): V1PodStatus {
  const containers = pod.spec?.containers ?? [];
  const statuses = containers.map((c, i) => containerStatus(c, runs[i] ?? { state: 'waiting', reason: 'ContainerCreating', restartCount: 0 }));
  const allReady = statuses.length > 0 && statuses.every((s) => s.ready);
  const policy = pod.spec?.restartPolicy ?? 'Always';
  const terminated = runs.length === containers.length && runs.every((r) => r.state === 'terminated');
  const anyFailed = runs.some((r) => r.state === 'terminated' && r.exitCode !== 0);
  let phase: string;
  if (terminated && policy === 'Never') {
    phase = anyFailed ? 'Failed' : 'Succeeded';
  } else if (terminated && policy === 'OnFailure' && !anyFailed) {
    phase = 'Succeeded';
  } else if (runs.some((r) => r.state === 'running' || r.last !== undefined || r.restartCount > 0)) {
    phase = 'Running';
  } else {
    phase = 'Pending';
  }
  const cond = (type: string, ok: boolean, reason?: string): V1PodCondition => {
    const status = ok ? 'True' : 'False';
    const before = previous?.conditions?.find((c) => c.type === type);
    const lastTransitionTime = before && before.status === status ? before.lastTransitionTime : now;
    return { type, status, lastTransitionTime, ...(reason && !ok ? { reason } : {}) } as unknown as V1PodCondition;
  };
  return {
    phase,
    conditions: [
      cond('PodReadyToStartContainers', true),
      cond('Initialized', true),
      cond('ContainersReady', allReady, 'ContainersNotReady'),
      cond('Ready', allReady, 'ContainersNotReady'),
      cond('PodScheduled', true),
    ],
    hostIP: ips.hostIP,
    hostIPs: [{ ip: ips.hostIP }],
    podIP: ips.podIP,
    podIPs: [{ ip: ips.podIP }],
    startTime: ips.startTime,
    containerStatuses: statuses,
  } as unknown as V1PodStatus;
}
