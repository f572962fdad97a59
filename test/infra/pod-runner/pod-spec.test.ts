import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { PodSpecError, containerEnv, expandVars, imageEntrypoint, localArgv, mountMap, podStatus, probeTarget, rewritePaths, terminationMessage, type EnvSources } from './pod-spec.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The engine pod the operator renders (its golden file), as the StatefulSet controller would create it. */
function enginePod(): V1Pod {
  const docs = parseAllDocuments(readFileSync(join(root, 'operator/controllers/ksql-cluster/testdata/minimal.yaml'), 'utf8')).map((d) => d.toJS());
  const sts = docs.find((d) => d.kind === 'StatefulSet');
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { ...sts.spec.template.metadata, name: 'ads-ksetl-0', namespace: 'team-ads', uid: 'u-1' },
    spec: { ...sts.spec.template.spec, volumes: [...sts.spec.template.spec.volumes, { name: 'state', persistentVolumeClaim: { claimName: 'state-ads-ksetl-0' } }] },
  };
}

const noSources: EnvSources = { secret: () => undefined, configMap: () => undefined, secretData: () => undefined, configMapData: () => undefined };

describe('rewritePaths', () => {
  const mounts = mountMap([
    ['/etc/ksetl', '/l/config'],
    ['/var/lib/ksetl/state', '/l/pvc/state'],
    ['/tmp', '/l/tmp'],
    ['/etc/ksetl/kafka-tls', '/l/tls'],
  ]);

  it('maps mount paths to local directories at path boundaries, longest mount first', () => {
    expect(rewritePaths('--config /etc/ksetl/server.properties', mounts)).toBe('--config /l/config/server.properties');
    expect(rewritePaths('ssl.ca.location=/etc/ksetl/kafka-tls/ca.crt', mounts)).toBe('ssl.ca.location=/l/tls/ca.crt');
    expect(rewritePaths('ksql.streams.state.dir=/var/lib/ksetl/state\nx=/tmp', mounts)).toBe('ksql.streams.state.dir=/l/pvc/state\nx=/l/tmp');
  });

  it('leaves paths that only start like a mount path alone', () => {
    expect(rewritePaths('/tmpfiles /etc/ksetl2 /x/tmp', mounts)).toBe('/tmpfiles /etc/ksetl2 /x/tmp');
  });

  it('rewrites the engine config the operator renders', () => {
    const cm = parseAllDocuments(readFileSync(join(root, 'operator/controllers/ksql-cluster/testdata/minimal.yaml'), 'utf8'))
      .map((d) => d.toJS())
      .find((d) => d.kind === 'ConfigMap');
    const text = rewritePaths(cm.data['server.properties'] as string, mounts);
    expect(text).toContain('ksql.streams.state.dir=/l/pvc/state');
    expect(text).not.toContain('/var/lib/ksetl');
  });
});

describe('expandVars', () => {
  it('expands $(VAR), keeps unknown references, $$ escapes', () => {
    expect(expandVars('$(A)-$(B)-$$(A)', { A: 'x' })).toBe('x-$(B)-$(A)');
  });
});

describe('localArgv', () => {
  const opts = { nodePath: '/usr/bin/node', ksetlBin: '/repo/bin/ksetl.js' };
  it('runs the image’s ksetl as node bin/ksetl.js', () => {
    const c = enginePod().spec!.containers[0]!;
    expect(localArgv(c, {}, opts)).toEqual(['/usr/bin/node', '/repo/bin/ksetl.js', 'server', '--config', '/etc/ksetl/server.properties']);
  });
  it('uses the image default (ksetl) when the command is empty, and expands args', () => {
    expect(localArgv({ args: ['server', '--id', '$(POD_NAME)'] }, { POD_NAME: 'p-0' }, opts)).toEqual(['/usr/bin/node', '/repo/bin/ksetl.js', 'server', '--id', 'p-0']);
  });
  it('runs a sidecar image named in images as its local program, with the container’s args', () => {
    const images = { 'otel/opentelemetry-collector-contrib': '/cache/otelcol-ksetl' };
    const entrypoint = imageEntrypoint('otel/opentelemetry-collector-contrib:0.165.0', images);
    expect(entrypoint).toBe('/cache/otelcol-ksetl');
    expect(imageEntrypoint('registry.local:5000/otel/opentelemetry-collector-contrib:1', images)).toBeUndefined();
    expect(imageEntrypoint('ksetl:test', images)).toBeUndefined();
    const mounts = mountMap([['/etc/ksetl-log-shipper', '/pod/volumes/cfg']]);
    expect(localArgv({ args: ['--config', '/etc/ksetl-log-shipper/otelcol.yaml'] }, {}, { ...opts, mounts, entrypoint: entrypoint! })).toEqual([
      '/cache/otelcol-ksetl',
      '--config',
      '/pod/volumes/cfg/otelcol.yaml',
    ]);
  });
  it('runs other programs as they are', () => {
    expect(localArgv({ command: ['sh', '-c', 'true'] }, {}, opts)).toEqual(['sh', '-c', 'true']);
  });
  it('rewrites mount paths in the container’s words only, not in the runner’s own paths (a checkout under a mounted /tmp)', () => {
    const mounts = mountMap([
      ['/tmp', '/work/pod/volumes/tmp'],
      ['/etc/ksetl', '/work/pod/volumes/config'],
    ]);
    const c = { command: ['ksetl', 'server', '--config', '/etc/ksetl/server.properties', '--scratch', '/tmp/x'] };
    expect(localArgv(c, {}, { nodePath: '/usr/bin/node', ksetlBin: '/tmp/ci/ksetl/bin/ksetl.js', mounts })).toEqual([
      '/usr/bin/node',
      '/tmp/ci/ksetl/bin/ksetl.js',
      'server',
      '--config',
      '/work/pod/volumes/config/server.properties',
      '--scratch',
      '/work/pod/volumes/tmp/x',
    ]);
  });
});

describe('containerEnv', () => {
  it('resolves the downward API fields and the engine credentials the engine pod uses', () => {
    const pod = enginePod();
    // the Secret the operator generates for the cluster's REST credentials
    const auth: Record<string, string> = { username: 'ksetl', password: 'pw' };
    const sources = { ...noSources, secret: (name: string, key: string) => (name === 'ads-ksetl-auth' ? auth[key] : undefined) };
    const env = containerEnv(pod, pod.spec!.containers[0]!, sources, '127.0.9.2', '127.0.0.1');
    expect(env).toEqual({
      POD_NAME: 'ads-ksetl-0',
      POD_NAMESPACE: 'team-ads',
      KSETL_NAMESPACE: 'team-ads',
      KSETL_CLUSTER: 'ads',
      NODE_OPTIONS: '--max-semi-space-size=64',
      KSETL_AUTH_USERNAME: 'ksetl',
      KSETL_AUTH_PASSWORD: 'pw',
    });
  });

  it('resolves Secret and ConfigMap references, envFrom first, then env in order with $(VAR)', () => {
    const pod: V1Pod = { metadata: { name: 'p', namespace: 'n' }, spec: { containers: [] } };
    const c: V1Container = {
      name: 'c',
      envFrom: [{ configMapRef: { name: 'cm' }, prefix: 'CM_' }],
      env: [
        { name: 'USER', valueFrom: { secretKeyRef: { name: 's', key: 'username' } } },
        { name: 'GREETING', value: 'hi $(USER) from $(CM_REGION)' },
        { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        { name: 'OPT', valueFrom: { secretKeyRef: { name: 'missing', key: 'k', optional: true } } },
      ],
    };
    const sources: EnvSources = {
      secret: (n, k) => (n === 's' && k === 'username' ? 'alice' : undefined),
      configMap: () => undefined,
      secretData: () => undefined,
      configMapData: (n) => (n === 'cm' ? { REGION: 'eu' } : undefined),
    };
    expect(containerEnv(pod, c, sources, '127.0.9.3', '127.0.0.1')).toEqual({ CM_REGION: 'eu', USER: 'alice', GREETING: 'hi alice from eu', IP: '127.0.9.3' });
  });

  it('refuses a missing non-optional reference (CreateContainerConfigError)', () => {
    const c: V1Container = { name: 'c', env: [{ name: 'P', valueFrom: { secretKeyRef: { name: 'kafka', key: 'password' } } }] };
    expect(() => containerEnv({ spec: { containers: [c] } }, c, noSources, '', '')).toThrow(PodSpecError);
  });
});

describe('probeTarget', () => {
  it('resolves the readiness probe’s named port', () => {
    const c = enginePod().spec!.containers[0]!;
    expect(probeTarget(c, c.readinessProbe)).toEqual({ kind: 'http', port: 8088, path: '/healthcheck', scheme: 'http' });
    expect(probeTarget({ name: 'x' }, undefined)).toEqual({ kind: 'none' });
  });
});

describe('podStatus', () => {
  const pod = enginePod();
  const ips = { podIP: '127.0.9.2', hostIP: '127.0.0.1', startTime: '2026-01-01T00:00:00Z' };

  it('is Pending while creating, Running and not Ready until the probe passes, then Ready', () => {
    const creating = podStatus(pod, [{ state: 'waiting', reason: 'ContainerCreating', restartCount: 0 }], ips, 't0');
    expect(creating.phase).toBe('Pending');
    const running = podStatus(pod, [{ state: 'running', startedAt: 't1', ready: false, pid: 7, restartCount: 0 }], ips, 't1', creating);
    expect(running.phase).toBe('Running');
    expect(running.podIP).toBe('127.0.9.2');
    expect(running.conditions!.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', lastTransitionTime: 't0' });
    const ready = podStatus(pod, [{ state: 'running', startedAt: 't1', ready: true, pid: 7, restartCount: 0 }], ips, 't2', running);
    expect(ready.conditions!.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True', lastTransitionTime: 't2' });
    expect(ready.containerStatuses![0]).toMatchObject({ name: 'engine', ready: true, started: true, restartCount: 0, state: { running: { startedAt: 't1' } } });
    // nothing changed: the same status, so nothing is patched
    expect(JSON.stringify(podStatus(pod, [{ state: 'running', startedAt: 't1', ready: true, pid: 7, restartCount: 0 }], ips, 't3', ready))).toBe(JSON.stringify(ready));
  });

  it('is Failed when a Never-restart pod’s process exits non-zero, Running in back-off otherwise', () => {
    const term = { exitCode: 1, reason: 'Error', startedAt: 't1', finishedAt: 't2' };
    const never = { ...pod, spec: { ...pod.spec!, restartPolicy: 'Never' } };
    expect(podStatus(never, [{ state: 'terminated', restartCount: 0, ...term }], ips, 't2').phase).toBe('Failed');
    const backoff = podStatus(pod, [{ state: 'waiting', reason: 'CrashLoopBackOff', restartCount: 1, last: term }], ips, 't2');
    expect(backoff.phase).toBe('Running');
    expect(backoff.containerStatuses![0]).toMatchObject({ restartCount: 1, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1 } } });
  });

  it('shows the termination message in lastState, as the kubelet does: the file, else the log tail under FallbackToLogsOnError', () => {
    const term = { exitCode: 1, reason: 'Error', startedAt: 't1', finishedAt: 't2', message: 'ksetl server: getaddrinfo ENOTFOUND k.invalid' };
    const backoff = podStatus(pod, [{ state: 'waiting', reason: 'CrashLoopBackOff', restartCount: 1, last: term }], ips, 't2');
    expect(backoff.containerStatuses![0]!.lastState?.terminated?.message).toBe('ksetl server: getaddrinfo ENOTFOUND k.invalid');
    expect(terminationMessage('fatal: x\n', 'log line', 'File', 1)).toBe('fatal: x');
    expect(terminationMessage('', 'a\nb\n', 'FallbackToLogsOnError', 1)).toBe('a\nb');
    expect(terminationMessage(null, 'a\nb\n', 'FallbackToLogsOnError', 0)).toBeUndefined();
    expect(terminationMessage(null, 'a\nb\n', 'File', 1)).toBeUndefined();
    expect(terminationMessage(null, Array.from({ length: 100 }, (_, i) => `line ${i}`).join('\n'), 'FallbackToLogsOnError', 1)?.split('\n')).toHaveLength(80);
  });
});
