/**
 * The test pod runner: plays a Kubernetes node where there is no container
 * runtime. It registers a Node (heartbeats through a Lease in kube-node-lease
 * and status updates), binds pending pods that match its label selector (the
 * engine pods of KsqlCluster StatefulSets) to itself, and runs each pod's
 * containers as local processes:
 *
 * - argv: the container's command/args; the image runs `ksetl`, so `ksetl`
 *   becomes `node <repo>/bin/ksetl.js`; a sidecar's image named in `images`
 *   runs the local program given there (the OpenTelemetry Collector built by
 *   test/infra/otelcol) with the container's args;
 * - env: from the pod spec, `valueFrom` resolved (Secrets, ConfigMaps, the
 *   downward API), plus `KSQL_LISTENERS` / `KSQL_KSQL_ADVERTISED_LISTENER` on
 *   the pod's own address: 10.244.X.N added to `lo` when the runner may (root),
 *   else 127.0.X.N (all of 127/8 routes to lo, but EndpointSlices refuse it);
 * - volumes: ConfigMap/Secret contents written to a directory, emptyDir and
 *   PVCs as directories (a PVC's survives its pod, as a StatefulSet's state
 *   volume does); mount paths in argv, env and the written files rewritten to
 *   the local directories.
 *
 * It reports pod status (Running, podIP, container statuses, Ready from the
 * readiness probe), restarts containers per restartPolicy with back-off, and on
 * deletion sends SIGTERM, SIGKILL after the grace period, then removes the pod
 * (what the kubelet does). Each container's output goes to
 * `<dir>/logs/<namespace>_<pod>_<container>.log`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import * as http from 'node:http';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { V1Container, V1Pod, V1PodStatus, V1Volume } from '@kubernetes/client-node';
import { KubeRest, isConflict, isNotFound, type KubeList, type WatchEvent } from './kube-rest.js';
import { startKubeletServer } from './kubelet-server.js';
import {
  PodSpecError,
  containerEnv,
  imageEntrypoint,
  listenPort,
  localArgv,
  mountMap,
  podStatus,
  probeTarget,
  rewritePaths,
  terminationMessage,
  type ContainerRun,
  type EnvSources,
  type MountMap,
  type ProbeTarget,
  type Terminated,
} from './pod-spec.js';

/** The engine pods of every KsqlCluster (operator/names.ts engineSelector without the instance). */
export const ENGINE_POD_SELECTOR = 'app.kubernetes.io/name=ksetl,app.kubernetes.io/component=engine';
export const DEFAULT_NODE_NAME = 'ksetl-pod-runner';
const HOST_IP = '127.0.0.1';

export interface PodRunnerOptions {
  /** an admin kubeconfig (the runner binds pods and writes pod and node status) */
  readonly kubeconfig: string;
  /** the ksetl checkout whose bin/ksetl.js the pods run */
  readonly repoRoot: string;
  readonly nodeName?: string;
  /** volumes, PVC directories and logs (default: a new temp dir) */
  readonly dir?: string;
  /** pods to bind and run (default: engine pods) */
  readonly labelSelector?: string;
  /** loopback addresses for pods: `<prefix>N` (default `127.0.X.` with X random in 20..219) */
  readonly ipPrefix?: string;
  /** how often readiness is probed (default 1000 ms) */
  readonly probeIntervalMs?: number;
  /** Node Lease and status heartbeats (default 10 s; the node lifecycle controller's grace is 40 s) */
  readonly heartbeatIntervalMs?: number;
  /** the longest termination grace the runner waits before SIGKILL (default 30 s) */
  readonly maxGraceSeconds?: number;
  /**
   * image repository (without tag) → local program standing for its
   * entrypoint, for sidecars: e.g. the collector image → otelcol-ksetl
   */
  readonly images?: Readonly<Record<string, string>>;
  /** extra environment for every process (PATH and HOME are passed through) */
  readonly env?: Readonly<Record<string, string>>;
  /** delete the Node when stopping (default true) */
  readonly deleteNodeOnStop?: boolean;
  readonly log?: (line: string) => void;
}

export interface RunningPod {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly ip: string;
  readonly pids: readonly number[];
  readonly logFiles: readonly string[];
}

export interface PodRunner {
  readonly nodeName: string;
  readonly dir: string;
  /** pods this runner runs now */
  pods(): RunningPod[];
  /** the log file of a pod's container (first container by default) */
  logFile(namespace: string, pod: string, container?: string): string;
  /** SIGKILLs a pod's container process, as a crash would (restarted per restartPolicy) */
  crash(namespace: string, pod: string): boolean;
  /** stops watching, kills every process, removes the Node; keeps logs and PVC dirs */
  stop(): Promise<void>;
}

interface ContainerProc {
  readonly spec: V1Container;
  readonly probe: ProbeTarget;
  readonly failureThreshold: number;
  child: ChildProcess | null;
  run: ContainerRun;
  ready: boolean;
  failures: number;
  restartTimer: NodeJS.Timeout | null;
  exited: Promise<void>;
}

interface PodProc {
  pod: V1Pod;
  readonly key: string;
  readonly uid: string;
  readonly ip: string;
  readonly dir: string;
  readonly startTime: string;
  containers: ContainerProc[];
  deleting: boolean;
  status: V1PodStatus | undefined;
  statusJson: string;
  statusChain: Promise<void>;
}

const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
/** MicroTime (leases): six fractional digits. */
const microNow = () => new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const podKey = (p: V1Pod) => `${p.metadata?.namespace}/${p.metadata?.name}`;
const podPath = (ns: string, name: string) => `/api/v1/namespaces/${ns}/pods/${name}`;

export async function startPodRunner(options: PodRunnerOptions): Promise<PodRunner> {
  const api = await KubeRest.fromFile(options.kubeconfig);
  const nodeName = options.nodeName ?? DEFAULT_NODE_NAME;
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'ksetl-pod-runner-')));
  const selector = options.labelSelector ?? ENGINE_POD_SELECTOR;
  // Pod addresses: Kubernetes refuses loopback addresses in EndpointSlices, so where we may
  // (root, iproute2) pods get private addresses added to `lo` (10.244.X.N/32), which reach
  // each other and the broker like loopback does; otherwise 127.0.X.N (no EndpointSlices).
  const onLo = options.ipPrefix === undefined && canAddLoopbackAddresses();
  const ipPrefix = options.ipPrefix ?? (onLo ? `10.244.${freeLoopbackSubnet()}.` : `127.0.${20 + Math.floor(Math.random() * 200)}.`);
  /** addresses this runner added to `lo` (and removes when it stops); one that was there already belongs to someone else */
  const addedIps = new Set<string>();
  const addIp = (ip: string): void => {
    if (!onLo || addedIps.has(ip)) return;
    const r = spawnSync('ip', ['addr', 'add', `${ip}/32`, 'dev', 'lo'], { encoding: 'utf8' });
    if (r.status === 0) addedIps.add(ip);
    else if (!/File exists/.test(r.stderr)) throw new Error(`ip addr add ${ip}/32 dev lo: ${r.stderr.trim()}`);
  };
  const removeIps = (): void => {
    for (const ip of addedIps) spawnSync('ip', ['addr', 'del', `${ip}/32`, 'dev', 'lo']);
    addedIps.clear();
  };
  const log = options.log ?? (() => {});
  const maxGrace = options.maxGraceSeconds ?? 30;
  const ksetlBin = join(options.repoRoot, 'bin', 'ksetl.js');
  mkdirSync(join(dir, 'logs'), { recursive: true });

  const pods = new Map<string, PodProc>(); // by uid
  const children = new Set<ChildProcess>();
  const binding = new Set<string>();
  /** pods between "bound to us" and "in `pods`" (an address being allocated) */
  const starting = new Set<string>();
  /** pods deleted while starting: their start gives up instead of spawning */
  const cancelled = new Set<string>();
  const ipsInUse = new Set<string>();
  const abort = new AbortController();
  let stopped = false;

  // ---- the node --------------------------------------------------------------------

  // the kubelet API `kubectl logs` is proxied to (the API server reaches it at the InternalIP)
  const kubelet = await startKubeletServer({
    host: HOST_IP,
    dir,
    logFile: (ns, name, container) => {
      const p = [...pods.values()].find((x) => x.key === `${ns}/${name}`);
      return p && p.containers.some((c) => c.spec.name === container) ? logPath(ns, name, container) : null;
    },
  });

  const nodeStatus = () => {
    const t = now();
    const cond = (type: string, status: string, reason: string, message: string) => ({ type, status, reason, message, lastHeartbeatTime: t, lastTransitionTime: started });
    return {
      capacity: { cpu: '16', memory: '64Gi', pods: '250', 'ephemeral-storage': '100Gi' },
      allocatable: { cpu: '16', memory: '64Gi', pods: '250', 'ephemeral-storage': '100Gi' },
      conditions: [
        cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'pod runner'),
        cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'pod runner'),
        cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'pod runner'),
        cond('Ready', 'True', 'KubeletReady', 'ksetl pod runner: pods run as local processes'),
      ],
      addresses: [
        { type: 'InternalIP', address: HOST_IP },
        { type: 'Hostname', address: nodeName },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: kubelet.port } },
      nodeInfo: {
        machineID: '',
        systemUUID: '',
        bootID: '',
        kernelVersion: '',
        osImage: 'ksetl pod runner',
        containerRuntimeVersion: 'pod-runner://0.1.0',
        kubeletVersion: 'v0.0.0-pod-runner',
        kubeProxyVersion: '',
        operatingSystem: 'linux',
        architecture: process.arch === 'x64' ? 'amd64' : process.arch,
      },
    };
  };
  const started = now();
  const nodePath = `/api/v1/nodes/${nodeName}`;
  try {
    await api.create('/api/v1/nodes', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: nodeName, labels: { 'kubernetes.io/hostname': nodeName, 'kubernetes.io/os': 'linux', 'ksetl.io/pod-runner': 'true' } },
      spec: {},
    });
  } catch (e) {
    if (!isConflict(e)) throw e;
  }
  await api.mergePatch(`${nodePath}/status`, { status: nodeStatus() });

  const leasePath = `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${nodeName}`;
  const heartbeat = async () => {
    try {
      await api.mergePatch(leasePath, { spec: { renewTime: microNow(), holderIdentity: nodeName, leaseDurationSeconds: 40 } });
    } catch (e) {
      if (!isNotFound(e)) throw e;
      await api.create('/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: nodeName, namespace: 'kube-node-lease' },
        spec: { holderIdentity: nodeName, leaseDurationSeconds: 40, renewTime: microNow() },
      });
    }
    await api.mergePatch(`${nodePath}/status`, { status: { conditions: nodeStatus().conditions } });
  };
  await heartbeat();
  const heartbeatTimer = setInterval(() => {
    heartbeat().catch((e: unknown) => log(`heartbeat failed: ${(e as Error).message}`));
  }, options.heartbeatIntervalMs ?? 10_000);

  // ---- addresses ---------------------------------------------------------------------

  const portFree = (ip: string, port: number) =>
    new Promise<boolean>((resolve) => {
      const s = net.createServer();
      s.once('error', () => resolve(false));
      s.listen(port, ip, () => s.close(() => resolve(true)));
    });
  /**
   * The first address of the prefix that no pod of ours holds and whose
   * port nobody listens on. The address is reserved before the awaits (two
   * pods starting at once never get the same one) and given back whatever
   * goes wrong (`ip addr add` failing, the port taken), so a failure leaks
   * nothing.
   */
  async function allocateIp(port: number): Promise<string> {
    let lastError: unknown;
    for (let n = 2; n < 255; n++) {
      const ip = `${ipPrefix}${n}`;
      if (ipsInUse.has(ip)) continue;
      ipsInUse.add(ip);
      try {
        addIp(ip);
        if (await portFree(ip, port)) return ip;
      } catch (e) {
        lastError = e;
      }
      ipsInUse.delete(ip);
    }
    throw new Error(`no free address in ${ipPrefix}0/24 for port ${port}${lastError ? ` (last: ${(lastError as Error).message})` : ''}`);
  }

  // ---- volumes and env -----------------------------------------------------------------

  async function readData(kind: 'secrets' | 'configmaps', ns: string, name: string): Promise<Record<string, string> | undefined> {
    const obj = await api.find<{ data?: Record<string, string>; binaryData?: Record<string, string> }>(`/api/v1/namespaces/${ns}/${kind}/${name}`);
    if (!obj) return undefined;
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(obj.data ?? {})) out[k] = kind === 'secrets' ? Buffer.from(v, 'base64').toString('utf8') : v;
    for (const [k, v] of Object.entries(obj.binaryData ?? {})) out[k] = Buffer.from(v, 'base64').toString('latin1');
    return out;
  }

  /** Each volume's local directory; ConfigMap/Secret files written (contents rewritten once mounts are known). */
  async function materialiseVolumes(pod: V1Pod, podDir: string): Promise<{ dirs: Map<string, string>; files: string[] }> {
    const ns = pod.metadata!.namespace!;
    const dirs = new Map<string, string>();
    const files: string[] = [];
    for (const v of pod.spec?.volumes ?? []) {
      const local = volumeDir(v, ns, podDir);
      mkdirSync(local, { recursive: true });
      dirs.set(v.name, local);
      const source = v.configMap ? { kind: 'configmaps' as const, name: v.configMap.name ?? '', items: v.configMap.items, optional: v.configMap.optional } : v.secret ? { kind: 'secrets' as const, name: v.secret.secretName ?? '', items: v.secret.items, optional: v.secret.optional } : null;
      if (!source) continue;
      const data = await readData(source.kind, ns, source.name);
      if (!data) {
        if (source.optional) continue;
        throw new PodSpecError(`volume ${v.name}: ${source.kind === 'secrets' ? 'Secret' : 'ConfigMap'} ${source.name} not found`);
      }
      const entries = source.items ? source.items.map((i) => [i.path, data[i.key]] as const) : Object.entries(data);
      for (const [path, content] of entries) {
        if (content === undefined) throw new PodSpecError(`volume ${v.name}: ${source.name} has no such key for ${path}`);
        const file = join(local, path);
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, content);
        files.push(file);
      }
    }
    return { dirs, files };
  }

  function volumeDir(v: V1Volume, ns: string, podDir: string): string {
    if (v.persistentVolumeClaim) return join(dir, 'pvc', ns, v.persistentVolumeClaim.claimName);
    if (v.hostPath) return v.hostPath.path;
    if (!v.emptyDir && !v.configMap && !v.secret) log(`volume ${v.name}: kind not supported, an empty directory instead`);
    return join(podDir, 'volumes', v.name);
  }

  async function envSources(pod: V1Pod): Promise<EnvSources> {
    const ns = pod.metadata!.namespace!;
    const secrets = new Map<string, Record<string, string> | undefined>();
    const configMaps = new Map<string, Record<string, string> | undefined>();
    for (const c of pod.spec?.containers ?? []) {
      for (const e of c.env ?? []) {
        const s = e.valueFrom?.secretKeyRef?.name;
        const m = e.valueFrom?.configMapKeyRef?.name;
        if (s && !secrets.has(s)) secrets.set(s, await readData('secrets', ns, s));
        if (m && !configMaps.has(m)) configMaps.set(m, await readData('configmaps', ns, m));
      }
      for (const f of c.envFrom ?? []) {
        const s = f.secretRef?.name;
        const m = f.configMapRef?.name;
        if (s && !secrets.has(s)) secrets.set(s, await readData('secrets', ns, s));
        if (m && !configMaps.has(m)) configMaps.set(m, await readData('configmaps', ns, m));
      }
    }
    return {
      secret: (n, k) => secrets.get(n)?.[k],
      configMap: (n, k) => configMaps.get(n)?.[k],
      secretData: (n) => secrets.get(n),
      configMapData: (n) => configMaps.get(n),
    };
  }

  // ---- processes -------------------------------------------------------------------------

  function logPath(ns: string, name: string, container: string): string {
    return join(dir, 'logs', `${ns}_${name}_${container}.log`);
  }

  async function startPod(pod: V1Pod): Promise<void> {
    const uid = pod.metadata!.uid!;
    const ns = pod.metadata!.namespace!;
    const name = pod.metadata!.name!;
    const first = pod.spec!.containers[0]!;
    const ip = await allocateIp(listenPort(first, 8088));
    if (cancelled.has(uid) || stopped) {
      ipsInUse.delete(ip);
      log(`${podKey(pod)}: deleted while starting`);
      return;
    }
    const p: PodProc = {
      pod,
      key: podKey(pod),
      uid,
      ip,
      dir: join(dir, 'pods', `${ns}_${name}_${uid.slice(0, 8)}`),
      startTime: now(),
      containers: [],
      deleting: false,
      status: undefined,
      statusJson: '',
      statusChain: Promise.resolve(),
    };
    pods.set(uid, p);
    log(`${p.key}: starting on ${ip}`);
    try {
      await prepareAndSpawn(p);
    } catch (e) {
      const message = (e as Error).message;
      log(`${p.key}: cannot start: ${message}`);
      p.containers = pod.spec!.containers.map((c) => newContainer(c, { state: 'waiting', reason: e instanceof PodSpecError ? 'CreateContainerConfigError' : 'RunContainerError', message, restartCount: 0 }));
      syncStatus(p);
      // the referenced objects may appear later
      setTimeout(() => {
        if (!p.deleting && pods.get(uid) === p && p.containers.every((c) => c.child === null)) {
          pods.delete(uid);
          ipsInUse.delete(ip);
          handle(p.pod);
        }
      }, 2000);
    }
  }

  function newContainer(spec: V1Container, run: ContainerRun): ContainerProc {
    return { spec, probe: probeTarget(spec, spec.readinessProbe), failureThreshold: spec.readinessProbe?.failureThreshold ?? 3, child: null, run, ready: false, failures: 0, restartTimer: null, exited: Promise.resolve() };
  }

  async function prepareAndSpawn(p: PodProc): Promise<void> {
    const pod = p.pod;
    mkdirSync(p.dir, { recursive: true });
    const { dirs, files } = await materialiseVolumes(pod, p.dir);
    const sources = await envSources(pod);
    // deleted (or the runner stopped) while volumes and env were read: spawn nothing
    if (p.deleting || stopped) return;
    const containers = pod.spec!.containers;
    // one mount map for the pod's files (they may be read by any container)
    const podMounts = mountMap(containers.flatMap((c) => (c.volumeMounts ?? []).map((m) => [m.mountPath, join(dirs.get(m.name) ?? p.dir, m.subPath ?? '')] as const)));
    for (const f of files) writeFileSync(f, rewritePaths(readFileSync(f, 'utf8'), podMounts));
    p.containers = containers.map((c) => newContainer(c, { state: 'waiting', reason: 'ContainerCreating', restartCount: 0 }));
    for (const c of p.containers) {
      const mounts = mountMap((c.spec.volumeMounts ?? []).map((m) => [m.mountPath, join(dirs.get(m.name) ?? p.dir, m.subPath ?? '')] as const));
      const env = containerEnv(pod, c.spec, sources, p.ip, HOST_IP);
      for (const k of Object.keys(env)) env[k] = rewritePaths(env[k]!, mounts);
      spawnContainer(p, c, env, mounts);
    }
    syncStatus(p);
  }

  function spawnContainer(p: PodProc, c: ContainerProc, podEnv: Record<string, string>, mounts: MountMap): void {
    const port = listenPort(c.spec, 8088);
    const terminationLog = join(p.dir, `${c.spec.name}.termination-log`);
    rmSync(terminationLog, { force: true });
    const env: Record<string, string> = {
      ...(process.env['PATH'] ? { PATH: process.env['PATH'] } : {}),
      ...(process.env['HOME'] ? { HOME: process.env['HOME'] } : {}),
      ...options.env,
      HOSTNAME: p.pod.metadata!.name!,
      ...podEnv,
      // the container's terminationMessagePath, a file of the pod's directory here
      KSETL_TERMINATION_LOG: terminationLog,
      KSQL_LISTENERS: `http://${p.ip}:${port}`,
      KSQL_KSQL_ADVERTISED_LISTENER: `http://${p.ip}:${port}`,
    };
    const entrypoint = imageEntrypoint(c.spec.image, options.images);
    const argv = localArgv(c.spec, env, { nodePath: process.execPath, ksetlBin, mounts, ...(entrypoint ? { entrypoint } : {}) });
    const logFile = logPath(p.pod.metadata!.namespace!, p.pod.metadata!.name!, c.spec.name);
    const fd = openSync(logFile, 'a');
    writeSync(fd, `\n---- ${now()} pod-runner: ${argv.join(' ')} (pod IP ${p.ip}, restart ${c.run.restartCount})\n`);
    const startedAt = now();
    const child = spawn(argv[0]!, argv.slice(1), { cwd: p.dir, env, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    children.add(child);
    c.child = child;
    c.ready = false;
    c.failures = 0;
    const restartCount = c.run.restartCount;
    const last = c.run.last;
    c.run = { state: 'running', startedAt, ready: false, pid: child.pid ?? 0, restartCount, ...(last ? { last } : {}) };
    const t0 = Date.now();
    c.exited = new Promise<void>((resolve) => {
      const done = (code: number | null, signal: NodeJS.Signals | null, error?: Error) => {
        children.delete(child);
        if (c.child === child) c.child = null;
        const exitCode = code ?? (signal ? 128 + (signal === 'SIGKILL' ? 9 : 15) : 1);
        const message = terminationMessage(readIfExists(terminationLog), readTail(logFile, 16_384), c.spec.terminationMessagePolicy, exitCode);
        const term: Terminated = { exitCode, reason: error ? 'StartError' : exitCode === 0 ? 'Completed' : 'Error', startedAt, finishedAt: now(), ...(signal ? { signal } : {}), ...(message ? { message } : {}) };
        log(`${p.key}/${c.spec.name}: exited ${code ?? signal}${error ? ` (${error.message})` : ''}`);
        resolve();
        if (p.deleting || stopped) return;
        const policy = p.pod.spec?.restartPolicy ?? 'Always';
        c.ready = false;
        if (policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0)) {
          // back-off 1 s, 2 s, 4 s ... 20 s; a container that ran a minute starts again at 1 s
          const n = Date.now() - t0 > 60_000 ? 0 : Math.min(restartCount, 5);
          c.run = { state: 'waiting', reason: 'CrashLoopBackOff', message: `back-off restarting ${c.spec.name}`, restartCount: restartCount + 1, last: term };
          c.restartTimer = setTimeout(() => {
            c.restartTimer = null;
            if (!p.deleting && !stopped) spawnContainer(p, c, podEnv, mounts);
          }, 1000 * 2 ** n);
        } else {
          c.run = { state: 'terminated', restartCount, ...term };
        }
        syncStatus(p);
      };
      child.once('exit', (code, signal) => done(code, signal));
      child.once('error', (err) => {
        if (child.pid === undefined) done(127, null, err);
      });
    });
  }

  async function probe(ip: string, target: ProbeTarget): Promise<boolean> {
    if (target.kind === 'none') return true;
    if (target.kind === 'tcp') {
      return new Promise((resolve) => {
        const s = net.connect(target.port, ip);
        s.setTimeout(1000);
        s.once('connect', () => (s.destroy(), resolve(true)));
        s.once('error', () => resolve(false));
        s.once('timeout', () => (s.destroy(), resolve(false)));
      });
    }
    return new Promise((resolve) => {
      const req = http.get({ host: ip, port: target.port, path: target.path, timeout: 2000 }, (res) => {
        res.resume();
        resolve((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 400);
      });
      req.once('error', () => resolve(false));
      req.once('timeout', () => (req.destroy(), resolve(false)));
    });
  }

  const probeTimer = setInterval(() => {
    for (const p of pods.values()) {
      if (p.deleting) continue;
      for (const c of p.containers) {
        if (c.run.state !== 'running' || !c.child) continue;
        const run = c.run;
        void probe(p.ip, c.probe).then((ok) => {
          if (c.run !== run && !(c.run.state === 'running' && c.run.pid === run.pid)) return;
          if (ok) {
            c.failures = 0;
            c.ready = true;
          } else if (++c.failures >= c.failureThreshold || !c.ready) {
            c.ready = false;
          }
          if (c.run.state === 'running' && c.run.ready !== c.ready) {
            c.run = { ...c.run, ready: c.ready };
            syncStatus(p);
          }
        });
      }
    }
  }, options.probeIntervalMs ?? 1000);

  function syncStatus(p: PodProc): void {
    if (stopped) return;
    const status = podStatus(p.pod, p.containers.map((c) => c.run), { podIP: p.ip, hostIP: HOST_IP, startTime: p.startTime }, now(), p.status);
    const json = JSON.stringify(status);
    if (json === p.statusJson) return;
    p.status = status;
    p.statusJson = json;
    const [ns, name] = p.key.split('/') as [string, string];
    p.statusChain = p.statusChain.then(async () => {
      if (p.statusJson !== json || p.deleting) return;
      try {
        await api.mergePatch(`${podPath(ns, name)}/status`, { metadata: { uid: p.uid }, status });
      } catch (e) {
        if (!isNotFound(e) && !isConflict(e)) log(`${p.key}: status update failed: ${(e as Error).message}`);
      }
    });
  }

  /** SIGTERM, SIGKILL after `graceSeconds`; resolves when every process is gone. */
  async function killPod(p: PodProc, graceSeconds: number): Promise<void> {
    p.deleting = true;
    for (const c of p.containers) {
      if (c.restartTimer) clearTimeout(c.restartTimer);
      c.restartTimer = null;
      c.child?.kill('SIGTERM');
    }
    const all = Promise.all(p.containers.map((c) => c.exited));
    const timeout = sleep(Math.min(graceSeconds, maxGrace) * 1000).then(() => 'timeout' as const);
    if ((await Promise.race([all, timeout])) === 'timeout') {
      log(`${p.key}: grace period over, SIGKILL`);
      for (const c of p.containers) c.child?.kill('SIGKILL');
      await all;
    }
  }

  async function release(p: PodProc): Promise<void> {
    pods.delete(p.uid);
    ipsInUse.delete(p.ip);
    await rm(p.dir, { recursive: true, force: true });
  }

  const terminating = new Set<string>();
  async function terminate(pod: V1Pod): Promise<void> {
    const uid = pod.metadata!.uid!;
    if (terminating.has(uid)) return;
    terminating.add(uid);
    try {
      const p = pods.get(uid);
      if (!p && starting.has(uid)) cancelled.add(uid);
      if (p) {
        const grace = pod.metadata?.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
        log(`${p.key}: terminating (grace ${grace} s)`);
        await killPod(p, grace);
        await release(p);
      }
      // what the kubelet does once the containers are gone: remove the pod for good
      await api.delete(podPath(pod.metadata!.namespace!, pod.metadata!.name!), { gracePeriodSeconds: 0, preconditions: { uid } });
    } catch (e) {
      log(`${podKey(pod)}: termination failed: ${(e as Error).message}`);
    } finally {
      terminating.delete(uid);
    }
  }

  async function bind(pod: V1Pod): Promise<void> {
    const uid = pod.metadata!.uid!;
    if (binding.has(uid)) return;
    binding.add(uid);
    try {
      await api.create(`${podPath(pod.metadata!.namespace!, pod.metadata!.name!)}/binding`, {
        apiVersion: 'v1',
        kind: 'Binding',
        metadata: { name: pod.metadata!.name, namespace: pod.metadata!.namespace, uid },
        target: { apiVersion: 'v1', kind: 'Node', name: nodeName },
      });
      log(`${podKey(pod)}: bound to ${nodeName}`);
    } catch (e) {
      if (!isConflict(e) && !isNotFound(e)) log(`${podKey(pod)}: binding failed: ${(e as Error).message}`);
      binding.delete(uid);
    }
  }

  function handle(pod: V1Pod, deleted = false): void {
    if (stopped) return;
    const uid = pod.metadata?.uid;
    if (!uid) return;
    if (deleted) {
      const p = pods.get(uid);
      if (!p && starting.has(uid)) cancelled.add(uid);
      if (p && !p.deleting) void killPod(p, 2).then(() => release(p));
      binding.delete(uid);
      return;
    }
    const mine = pod.spec?.nodeName === nodeName;
    if (!pod.spec?.nodeName) {
      if (!pod.metadata?.deletionTimestamp) void bind(pod);
      return;
    }
    if (!mine) return;
    binding.delete(uid);
    if (pod.metadata?.deletionTimestamp) {
      void terminate(pod);
      return;
    }
    const p = pods.get(uid);
    if (p) {
      p.pod = pod;
      return;
    }
    if (starting.has(uid) || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return;
    starting.add(uid);
    void startPod(pod)
      .catch((e: unknown) => log(`${podKey(pod)}: ${(e as Error).message}`))
      .finally(() => {
        starting.delete(uid);
        cancelled.delete(uid);
      });
  }

  // ---- watch -----------------------------------------------------------------------------

  /** a process exiting without stop(): no orphan engines, no addresses left on `lo` */
  const killAll = () => {
    for (const c of children) c.kill('SIGKILL');
    removeIps();
  };
  process.on('exit', killAll);

  const watchLoop = (async () => {
    while (!stopped) {
      try {
        const list = await api.get<KubeList<V1Pod & { metadata: { uid: string } }>>(`/api/v1/pods?labelSelector=${encodeURIComponent(selector)}`);
        const seen = new Set(list.items.map((p) => p.metadata.uid));
        for (const p of pods.values()) if (!seen.has(p.uid)) handle(p.pod, true);
        for (const pod of list.items) handle(pod);
        await api.watch<V1Pod>('/api/v1/pods', list.metadata.resourceVersion, (e: WatchEvent<V1Pod>) => handle(e.object, e.type === 'DELETED'), abort.signal, {
          labelSelector: selector,
        });
      } catch (e) {
        if (stopped) break;
        log(`pod watch: ${(e as Error).message}; relisting`);
        await sleep(1000);
      }
    }
  })();

  return {
    nodeName,
    dir,
    pods: () =>
      [...pods.values()].map((p) => ({
        namespace: p.pod.metadata!.namespace!,
        name: p.pod.metadata!.name!,
        uid: p.uid,
        ip: p.ip,
        pids: p.containers.flatMap((c) => (c.child?.pid ? [c.child.pid] : [])),
        logFiles: p.containers.map((c) => logPath(p.pod.metadata!.namespace!, p.pod.metadata!.name!, c.spec.name)),
      })),
    logFile: (ns, name, container) => {
      const p = [...pods.values()].find((x) => x.key === `${ns}/${name}`);
      return logPath(ns, name, container ?? p?.pod.spec?.containers[0]?.name ?? 'engine');
    },
    crash: (ns, name) => {
      const p = [...pods.values()].find((x) => x.key === `${ns}/${name}` && !x.deleting);
      const child = p?.containers[0]?.child;
      return child ? child.kill('SIGKILL') : false;
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      abort.abort();
      clearInterval(heartbeatTimer);
      clearInterval(probeTimer);
      await kubelet.close();
      await watchLoop;
      await Promise.all([...pods.values()].map((p) => killPod(p, 10)));
      for (const p of pods.values()) await rm(p.dir, { recursive: true, force: true });
      pods.clear();
      process.off('exit', killAll);
      removeIps();
      if (options.deleteNodeOnStop ?? true) {
        await api.delete(nodePath).catch(() => {});
        await api.delete(leasePath).catch(() => {});
      }
    },
  };
}

/**
 * A third octet X such that no address of 10.244.X.0/24 is on `lo` yet:
 * two pod runners on one machine (e2e runs side by side) never share a
 * pod address.
 */
function freeLoopbackSubnet(): number {
  const shown = spawnSync('ip', ['-o', '-4', 'addr', 'show', 'dev', 'lo'], { encoding: 'utf8' }).stdout ?? '';
  const taken = new Set([...shown.matchAll(/inet 10\.244\.(\d+)\./g)].map((m) => Number(m[1])));
  const free = Array.from({ length: 200 }, (_, i) => 20 + i).filter((x) => !taken.has(x));
  return free.length > 0 ? free[Math.floor(Math.random() * free.length)]! : 20 + Math.floor(Math.random() * 200);
}

/** Whether this process may add addresses to `lo` (root with iproute2). */
function canAddLoopbackAddresses(): boolean {
  if (process.getuid?.() !== 0) return false;
  return spawnSync('ip', ['-V'], { encoding: 'utf8' }).status === 0;
}

function readIfExists(file: string): string | null {
  try {
    return existsSync(file) ? readFileSync(file, 'utf8') : null;
  } catch {
    return null;
  }
}

/** The last `bytes` of a file (a container's log). */
function readTail(file: string, bytes: number): string | null {
  try {
    const fd = openSync(file, 'r');
    try {
      const size = fstatSync(fd).size;
      const n = Math.min(size, bytes);
      const buf = Buffer.alloc(n);
      readSync(fd, buf, 0, n, size - n);
      return buf.toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch {
    return null;
  }
}
