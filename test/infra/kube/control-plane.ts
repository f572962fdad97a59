import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const buildScript = fileURLToPath(new URL('./build.sh', import.meta.url));

/** Where build.sh keeps (or would keep) the binaries. */
export interface KubeBinaries {
  readonly kubeApiserver: string;
  readonly kubeControllerManager: string;
  readonly kubectl: string;
  readonly etcd: string;
  /** the dir holding kube-apiserver, kube-controller-manager and kubectl */
  readonly kubeBinDir: string;
}

/** The binaries' paths (whether built or not), from build.sh's versions and cache root. */
export async function kubeBinaries(): Promise<KubeBinaries> {
  const { stdout } = await run('bash', [buildScript, 'paths']);
  const [kubeBinDir, etcdBinDir] = stdout.trim().split('\n');
  if (!kubeBinDir || !etcdBinDir) throw new Error(`build.sh paths printed: ${stdout}`);
  return {
    kubeApiserver: join(kubeBinDir, 'kube-apiserver'),
    kubeControllerManager: join(kubeBinDir, 'kube-controller-manager'),
    kubectl: join(kubeBinDir, 'kubectl'),
    etcd: join(etcdBinDir, 'etcd'),
    kubeBinDir,
  };
}

/**
 * Builds the binaries with build.sh unless they are cached (then it takes
 * well under a second). A first build of Kubernetes takes tens of minutes on
 * 2 cores; its progress goes to the build.log files that build.sh names.
 */
export async function ensureBinaries(options: { log?: (line: string) => void } = {}): Promise<KubeBinaries> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn('bash', [buildScript, 'all'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      for (const line of chunk.split('\n')) if (line.trim()) options.log?.(line);
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`build.sh failed (exit ${code}):\n${stderr.trim()}`)),
    );
  });
  return kubeBinaries();
}

export interface ControlPlane {
  /** https://127.0.0.1:<port> */
  readonly server: string;
  /** bearer token of a user in group system:masters */
  readonly token: string;
  /** CA that signed the apiserver's serving cert (and the one kube-root-ca.crt ConfigMaps carry) */
  readonly caFile: string;
  /** admin kubeconfig (context "ksetl-admin") */
  readonly kubeconfigPath: string;
  /** temp dir: pki/, etcd data, kubeconfig, *.log, pids */
  readonly dir: string;
  /** log file of each process */
  readonly logs: { readonly etcd: string; readonly apiserver: string; readonly controllerManager: string };
  readonly binaries: KubeBinaries;
  /** pids of etcd, kube-apiserver, kube-controller-manager */
  readonly pids: readonly number[];
  /** stops the processes (SIGTERM, then SIGKILL) and removes the dir unless keepDir was given */
  stop(): Promise<void>;
}

export interface StartControlPlaneOptions {
  /** state dir; default a new temp dir. Wiped if it exists. */
  readonly dir?: string;
  /** keep `dir` on stop (logs for a post-mortem); default false */
  readonly keepDir?: boolean;
  /** seconds to wait for readiness (default 120) */
  readonly timeoutSeconds?: number;
  /**
   * When set, a watchdog stops the processes once this pid is gone, so a
   * killed test run leaves nothing behind. Default: none (the CLI's
   * processes outlive it on purpose).
   */
  readonly ownerPid?: number;
  /** Service IP range (default 10.96.0.0/16, the first IP is the kubernetes Service) */
  readonly serviceClusterIpRange?: string;
  /** extra kube-apiserver flags, e.g. ['--feature-gates=...'] */
  readonly apiserverArgs?: readonly string[];
  /** extra kube-controller-manager flags */
  readonly controllerManagerArgs?: readonly string[];
}

/**
 * The controllers a ksetl operator relies on (no node lifecycle, no cloud,
 * no CSR signing). `namespace` needs the garbage collector's discovery too.
 */
export const CONTROLLERS = [
  'garbage-collector-controller',
  'statefulset-controller',
  'replicaset-controller',
  'deployment-controller',
  'endpointslice-controller',
  'endpointslice-mirroring-controller',
  'endpoints-controller',
  'serviceaccount-controller',
  'serviceaccount-token-controller',
  'disruption-controller',
  'namespace-controller',
  'root-ca-certificate-publisher-controller',
  'job-controller',
  'ttl-after-finished-controller',
  'resourcequota-controller',
  'persistentvolume-binder-controller',
  'pod-garbage-collector-controller',
  // a deleted PVC goes once no pod uses it (without it PVCs stay Terminating: a cluster of the same name cannot be created again)
  'persistentvolumeclaim-protection-controller',
  'persistentvolume-protection-controller',
] as const;

/** Picks `n` distinct free loopback ports (bind to 0, read, close). */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const s = createServer().once('error', reject);
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => {
    const a = s.address();
    if (!a || typeof a === 'string') throw new Error('no port');
    return a.port;
  });
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

async function openssl(args: readonly string[], cwd: string): Promise<void> {
  try {
    await run('openssl', args, { cwd });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`openssl ${args.join(' ')} failed: ${err.stderr?.trim() || err.message}`);
  }
}

/** First usable IP of a CIDR (the `kubernetes` Service's ClusterIP). */
function firstIp(cidr: string): string {
  const [ip] = cidr.split('/');
  const parts = (ip ?? '').split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p))) throw new Error(`not an IPv4 CIDR: ${cidr}`);
  parts[3] = (parts[3] ?? 0) + 1;
  return parts.join('.');
}

/**
 * pki/: a CA, the apiserver's serving cert (SANs for loopback and the
 * in-cluster names), and the service-account signing key pair.
 */
async function writePki(pki: string, serviceIp: string): Promise<void> {
  await mkdir(pki, { recursive: true });
  await openssl(
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '3650',
      '-subj', '/CN=ksetl-test-ca', '-addext', 'basicConstraints=critical,CA:TRUE',
      '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature'],
    pki,
  );
  const sans = [
    'IP:127.0.0.1', `IP:${serviceIp}`, 'DNS:localhost', 'DNS:kubernetes', 'DNS:kubernetes.default',
    'DNS:kubernetes.default.svc', 'DNS:kubernetes.default.svc.cluster.local',
  ].join(',');
  await writeFile(
    join(pki, 'apiserver.ext'),
    `subjectAltName=${sans}\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n`,
  );
  await openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'apiserver.key', '-out', 'apiserver.csr',
    '-subj', '/CN=kube-apiserver'], pki);
  await openssl(['x509', '-req', '-in', 'apiserver.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial',
    '-out', 'apiserver.crt', '-days', '3650', '-extfile', 'apiserver.ext'], pki);
  const sa = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  await writeFile(join(pki, 'sa.key'), sa.privateKey, { mode: 0o600 });
  await writeFile(join(pki, 'sa.pub'), sa.publicKey);
}

/** A kubeconfig with a bearer token and the CA file. */
export function kubeconfigYaml(server: string, caFile: string, token: string, user = 'ksetl-admin'): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: ksetl`,
    '  cluster:',
    `    server: ${server}`,
    `    certificate-authority: ${JSON.stringify(caFile)}`,
    'users:',
    `- name: ${user}`,
    '  user:',
    `    token: ${JSON.stringify(token)}`,
    'contexts:',
    `- name: ${user}`,
    '  context:',
    '    cluster: ksetl',
    `    user: ${user}`,
    `current-context: ${user}`,
    '',
  ].join('\n');
}

function launch(bin: string, args: readonly string[], logFile: string, env: NodeJS.ProcessEnv = {}): ChildProcess {
  const fd = openSync(logFile, 'a');
  try {
    // detached: own process group, so a Ctrl-C meant for the caller does not
    // reach it; stop() and the watchdog end it by pid.
    const child = spawn(bin, args, {
      stdio: ['ignore', fd, fd],
      detached: true,
      env: { ...process.env, ...env },
    });
    child.unref();
    return child;
  } finally {
    closeSync(fd);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends SIGTERM to each pid in order, waits up to `graceMs` for each, then SIGKILL. */
export async function stopPids(pids: readonly number[], graceMs = 10_000): Promise<void> {
  for (const pid of pids) {
    if (!alive(pid)) continue;
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      continue;
    }
    const deadline = Date.now() + graceMs;
    while (alive(pid) && Date.now() < deadline) await sleep(100);
    if (alive(pid)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
      while (alive(pid)) await sleep(50);
    }
  }
}

/** GET over https with the CA and token; resolves with the status code and body (never rejects on HTTP errors). */
export function httpsGet(
  url: string,
  opts: { ca?: Buffer; token?: string; insecure?: boolean; timeoutMs?: number },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'GET',
        ca: opts.ca,
        rejectUnauthorized: !opts.insecure,
        headers: opts.token ? { authorization: `Bearer ${opts.token}` } : {},
        timeout: opts.timeoutMs ?? 5_000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout: GET ${url}`)));
    req.on('error', reject);
    req.end();
  });
}

async function tail(file: string, lines = 30): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Starts etcd, kube-apiserver and kube-controller-manager on free loopback
 * ports (binaries from build.sh's cache; see ensureBinaries) and resolves once
 * the apiserver's /readyz is ok, the controller manager's /healthz is ok and
 * the `default` ServiceAccount exists (the controllers are working).
 *
 * No kubelet, no scheduler: pods stay Pending with no node unless a test
 * plays the node.
 */
export async function startControlPlane(options: StartControlPlaneOptions = {}): Promise<ControlPlane> {
  const binaries = await kubeBinaries();
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'ksetl-kube-')));
  if (options.dir) {
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
  }
  const pki = join(dir, 'pki');
  const serviceRange = options.serviceClusterIpRange ?? '10.96.0.0/16';
  await writePki(pki, firstIp(serviceRange));
  const caFile = join(pki, 'ca.crt');
  const ca = await readFile(caFile);
  const token = randomBytes(24).toString('hex');
  await writeFile(join(pki, 'tokens.csv'), `${token},ksetl-admin,ksetl-admin-uid,"system:masters"\n`, { mode: 0o600 });

  const [etcdClient, etcdPeer, apiPort, kcmPort] = (await freePorts(4)) as [number, number, number, number];
  const server = `https://127.0.0.1:${apiPort}`;
  const kubeconfigPath = join(dir, 'kubeconfig');
  await writeFile(kubeconfigPath, kubeconfigYaml(server, caFile, token), { mode: 0o600 });
  const logs = {
    etcd: join(dir, 'etcd.log'),
    apiserver: join(dir, 'kube-apiserver.log'),
    controllerManager: join(dir, 'kube-controller-manager.log'),
  };

  const procs: ChildProcess[] = [];
  const pids = () => procs.map((p) => p.pid).filter((p): p is number => p !== undefined).reverse();
  let stopped: Promise<void> | null = null;
  const stop = (keep: boolean) =>
    (stopped ??= (async () => {
      await stopPids(pids());
      await rm(join(dir, 'pids'), { force: true });
      if (!keep) await rm(dir, { recursive: true, force: true });
    })());

  const fail = async (why: string): Promise<never> => {
    const detail = await Promise.all(
      (Object.entries(logs) as [string, string][]).map(async ([name, file]) => `--- ${name} (${file}):\n${await tail(file)}`),
    );
    await stop(true);
    throw new Error(`control plane did not start: ${why}\nlogs kept in ${dir}\n${detail.join('\n')}`);
  };

  const deadline = Date.now() + (options.timeoutSeconds ?? 120) * 1000;
  const waitFor = async (what: string, check: () => Promise<boolean>): Promise<void> => {
    for (;;) {
      for (const p of procs) {
        if (p.exitCode !== null || p.signalCode !== null) {
          await fail(`${p.spawnfile} exited (${p.exitCode ?? p.signalCode}) while waiting for ${what}`);
        }
      }
      if (await check().catch(() => false)) return;
      if (Date.now() > deadline) await fail(`timed out waiting for ${what}`);
      await sleep(200);
    }
  };

  const watch = (child: ChildProcess) => {
    procs.push(child);
    child.once('error', () => undefined);
  };

  // etcd: a single member, no fsync (test data only).
  const etcdUrl = `http://127.0.0.1:${etcdClient}`;
  watch(
    launch(binaries.etcd, [
      '--name=ksetl',
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-cluster=ksetl=http://127.0.0.1:${etcdPeer}`,
      '--unsafe-no-fsync',
      '--log-level=warn',
      '--quota-backend-bytes=1073741824',
    ], logs.etcd),
  );
  await writeFile(join(dir, 'pids'), pids().join('\n') + '\n');
  await waitFor('etcd /health', async () => {
    const res = await fetch(`${etcdUrl}/health`);
    return res.ok && ((await res.json()) as { health?: string }).health === 'true';
  });

  watch(
    launch(binaries.kubeApiserver, [
      `--etcd-servers=${etcdUrl}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      // the endpoint reconciler refuses a loopback advertise address; nothing here needs
      // the `kubernetes` Service's endpoints (clients use the kubeconfig's address)
      '--endpoint-reconciler-type=none',
      `--secure-port=${apiPort}`,
      `--cert-dir=${join(dir, 'apiserver-certs')}`,
      `--tls-cert-file=${join(pki, 'apiserver.crt')}`,
      `--tls-private-key-file=${join(pki, 'apiserver.key')}`,
      `--client-ca-file=${caFile}`,
      `--token-auth-file=${join(pki, 'tokens.csv')}`,
      '--authorization-mode=Node,RBAC',
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${join(pki, 'sa.pub')}`,
      `--service-account-signing-key-file=${join(pki, 'sa.key')}`,
      `--service-cluster-ip-range=${serviceRange}`,
      '--allow-privileged=true',
      // the pod runner's Node: its kubelet API (kubectl logs) at the InternalIP, not at a host name nothing resolves
      '--kubelet-preferred-address-types=InternalIP,Hostname',
      '--profiling=false',
      '--v=1',
      ...(options.apiserverArgs ?? []),
    ], logs.apiserver),
  );
  await writeFile(join(dir, 'pids'), pids().join('\n') + '\n');
  await waitFor('kube-apiserver /readyz', async () => (await httpsGet(`${server}/readyz`, { ca, token })).status === 200);

  watch(
    launch(binaries.kubeControllerManager, [
      `--kubeconfig=${kubeconfigPath}`,
      `--authentication-kubeconfig=${kubeconfigPath}`,
      `--authorization-kubeconfig=${kubeconfigPath}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${kcmPort}`,
      `--cert-dir=${join(dir, 'kcm-certs')}`,
      '--use-service-account-credentials',
      `--service-account-private-key-file=${join(pki, 'sa.key')}`,
      `--root-ca-file=${caFile}`,
      `--service-cluster-ip-range=${serviceRange}`,
      `--controllers=${CONTROLLERS.join(',')}`,
      '--leader-elect=false',
      '--profiling=false',
      '--v=1',
      ...(options.controllerManagerArgs ?? []),
    ], logs.controllerManager),
  );
  await writeFile(join(dir, 'pids'), pids().join('\n') + '\n');
  await waitFor('kube-controller-manager /healthz', async () =>
    (await httpsGet(`https://127.0.0.1:${kcmPort}/healthz`, { insecure: true })).status === 200,
  );
  await waitFor('the default ServiceAccount', async () =>
    (await httpsGet(`${server}/api/v1/namespaces/default/serviceaccounts/default`, { ca, token })).status === 200,
  );

  if (options.ownerPid !== undefined) {
    // Watchdog: when the owner dies without calling stop(), end the processes.
    const script =
      'owner=$1; shift; while kill -0 "$owner" 2>/dev/null; do alive=0; for p in "$@"; do kill -0 "$p" 2>/dev/null && alive=1; done; [ $alive = 1 ] || exit 0; sleep 2; done; ' +
      'for p in "$@"; do kill -TERM "$p" 2>/dev/null; done; sleep 10; for p in "$@"; do kill -KILL "$p" 2>/dev/null; done';
    spawn('bash', ['-c', script, 'watchdog', String(options.ownerPid), ...pids().map(String)], {
      stdio: 'ignore',
      detached: true,
    }).unref();
  }

  return {
    server,
    token,
    caFile,
    kubeconfigPath,
    dir,
    logs,
    binaries,
    pids: pids(),
    stop: () => stop(options.keepDir ?? false),
  };
}

/** Stops a control plane from its dir's pid file (for the CLI, where the starter is gone). */
export async function stopControlPlaneDir(dir: string): Promise<boolean> {
  let text: string;
  try {
    text = await readFile(join(dir, 'pids'), 'utf8');
  } catch {
    return false;
  }
  const pids = text.split('\n').filter(Boolean).map(Number).filter((n) => Number.isInteger(n) && n > 0);
  // Only pids that still run one of our binaries (a pid may have been reused).
  const ours = await Promise.all(
    pids.map(async (pid) => {
      const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
      return /(^|\/)(etcd|kube-apiserver|kube-controller-manager)\0/.test(cmd) ? pid : null;
    }),
  );
  await stopPids(ours.filter((p): p is number => p !== null));
  await rm(join(dir, 'pids'), { force: true });
  return true;
}
