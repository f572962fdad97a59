/**
 * `spec.podTemplate` may not weaken the engine pod. Two pure parts:
 *
 * - podTemplateViolations: what a team's overrides ask for that the
 *   operator refuses (the reconciler reports it as a condition and applies
 *   nothing): host namespaces and ports, privileged containers, privilege
 *   escalation, added capabilities, root, volumes other than the Pod Security
 *   `restricted` profile's, another ServiceAccount or its token, ephemeral
 *   containers, and engine environment variables that would bypass the
 *   spec.config allow-list (KSQL_*, KSETL_*);
 * - restrictPodSpec: the merged pod spec made to meet the `restricted`
 *   profile whatever it holds (runAsNonRoot, seccomp RuntimeDefault, every
 *   capability dropped, no privilege escalation, for every container,
 *   sidecars and init containers included), so a field the checks do not
 *   know of cannot undo it either.
 */
import type { V1Container, V1PodSpec, V1SecurityContext } from '@kubernetes/client-node';
import { ENGINE_CONTAINER } from './engine-pod.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const objects = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObj) : []);

/** The volume sources Pod Security `restricted` allows. */
export const RESTRICTED_VOLUME_TYPES = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret'] as const;

/** Engine environment variables that would become engine properties or settings past spec.config's allow-list. */
const ENGINE_ENV_PREFIXES = ['KSQL_', 'KSETL_'] as const;

function securityContextViolations(sc: unknown, where: string, pod: boolean): string[] {
  if (!isObj(sc)) return [];
  const out: string[] = [];
  if (sc['runAsUser'] === 0) out.push(`${where}.runAsUser: 0 (root) is not allowed`);
  if (sc['runAsNonRoot'] === false) out.push(`${where}.runAsNonRoot: false is not allowed`);
  const seccomp = isObj(sc['seccompProfile']) ? sc['seccompProfile']['type'] : undefined;
  if (seccomp !== undefined && seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') out.push(`${where}.seccompProfile.type: ${String(seccomp)} is not allowed (RuntimeDefault or Localhost)`);
  if (sc['seLinuxOptions'] !== undefined) out.push(`${where}.seLinuxOptions: not allowed`);
  if (isObj(sc['windowsOptions']) && sc['windowsOptions']['hostProcess'] === true) out.push(`${where}.windowsOptions.hostProcess: not allowed`);
  if (pod) {
    if (Array.isArray(sc['sysctls']) && sc['sysctls'].length > 0) out.push(`${where}.sysctls: not allowed`);
  } else {
    if (sc['privileged'] === true) out.push(`${where}.privileged: true is not allowed`);
    if (sc['allowPrivilegeEscalation'] === true) out.push(`${where}.allowPrivilegeEscalation: true is not allowed`);
    const add = isObj(sc['capabilities']) ? sc['capabilities']['add'] : undefined;
    if (Array.isArray(add) && add.length > 0) out.push(`${where}.capabilities.add: adding capabilities (${add.join(', ')}) is not allowed`);
    if (sc['procMount'] !== undefined && sc['procMount'] !== 'Default') out.push(`${where}.procMount: ${String(sc['procMount'])} is not allowed`);
  }
  return out;
}

function containerViolations(c: Obj, where: string): string[] {
  const out = securityContextViolations(c['securityContext'], `${where}.securityContext`, false);
  for (const [i, p] of objects(c['ports']).entries()) if (p['hostPort'] !== undefined && p['hostPort'] !== 0) out.push(`${where}.ports[${i}].hostPort: host ports are not allowed`);
  if (c['name'] === ENGINE_CONTAINER) {
    for (const e of objects(c['env'])) {
      const name = String(e['name'] ?? '');
      if (ENGINE_ENV_PREFIXES.some((p) => name.startsWith(p))) out.push(`${where}.env ${name}: engine settings go through spec.config (KSQL_* and KSETL_* variables are the operator's)`);
    }
    if (objects(c['envFrom']).length > 0) out.push(`${where}.envFrom: not allowed on the engine container (its variables would become engine settings)`);
  }
  return out;
}

/**
 * What `spec.podTemplate` asks for that the operator refuses, one message
 * per field (empty: acceptable). Pure.
 */
export function podTemplateViolations(podTemplate: Readonly<Obj> | undefined): string[] {
  if (!podTemplate) return [];
  const spec = isObj(podTemplate['spec']) ? podTemplate['spec'] : {};
  const out: string[] = [];
  const at = (f: string) => `spec.podTemplate.spec.${f}`;
  for (const f of ['hostNetwork', 'hostPID', 'hostIPC']) if (spec[f] === true) out.push(`${at(f)}: host namespaces are not allowed`);
  if (spec['hostUsers'] === true) out.push(`${at('hostUsers')}: not allowed`);
  for (const f of ['serviceAccountName', 'serviceAccount']) if (spec[f] !== undefined) out.push(`${at(f)}: the engine runs as the ServiceAccount the operator creates for it`);
  if (spec['automountServiceAccountToken'] === true) out.push(`${at('automountServiceAccountToken')}: the engine needs no Kubernetes API token`);
  if (spec['ephemeralContainers'] !== undefined) out.push(`${at('ephemeralContainers')}: not allowed`);
  out.push(...securityContextViolations(spec['securityContext'], at('securityContext'), true));
  for (const field of ['containers', 'initContainers'] as const) {
    for (const [i, c] of objects(spec[field]).entries()) out.push(...containerViolations(c, at(`${field}[${String(c['name'] ?? i)}]`)));
  }
  for (const v of objects(spec['volumes'])) {
    const types = Object.keys(v).filter((k) => k !== 'name');
    const bad = types.filter((t) => !(RESTRICTED_VOLUME_TYPES as readonly string[]).includes(t));
    if (bad.length > 0) out.push(`${at(`volumes[${String(v['name'] ?? '')}]`)}: ${bad.join(', ')} volumes are not allowed (${RESTRICTED_VOLUME_TYPES.join(', ')})`);
  }
  return out;
}

function restrictContainer(c: V1Container): V1Container {
  const sc: V1SecurityContext = { ...c.securityContext };
  delete sc.privileged;
  delete sc.procMount;
  delete sc.seLinuxOptions;
  delete sc.windowsOptions;
  if (sc.runAsUser === 0) delete sc.runAsUser;
  const seccomp = sc.seccompProfile?.type === 'Localhost' ? sc.seccompProfile : { type: 'RuntimeDefault' };
  return {
    ...c,
    ...(c.ports ? { ports: c.ports.map(({ hostPort: _hostPort, hostIP: _hostIP, ...p }) => p) } : {}),
    securityContext: { ...sc, runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, seccompProfile: seccomp },
  };
}

/**
 * The pod spec made to meet Pod Security `restricted` and to run as the
 * engine's own ServiceAccount without a token. Pure.
 */
export function restrictPodSpec(spec: V1PodSpec, serviceAccountName: string): V1PodSpec {
  const { hostNetwork: _n, hostPID: _p, hostIPC: _i, hostUsers: _u, serviceAccount: _sa, ephemeralContainers: _e, ...rest } = spec;
  const psc = { ...spec.securityContext };
  delete psc.seLinuxOptions;
  delete psc.sysctls;
  delete psc.windowsOptions;
  if (psc.runAsUser === 0) delete psc.runAsUser;
  return {
    ...rest,
    serviceAccountName,
    automountServiceAccountToken: false,
    securityContext: { ...psc, runAsNonRoot: true, seccompProfile: psc.seccompProfile?.type === 'Localhost' ? psc.seccompProfile : { type: 'RuntimeDefault' } },
    containers: spec.containers.map(restrictContainer),
    ...(spec.initContainers ? { initContainers: spec.initContainers.map(restrictContainer) } : {}),
    ...(spec.volumes ? { volumes: spec.volumes.filter((v) => Object.keys(v).every((k) => k === 'name' || (RESTRICTED_VOLUME_TYPES as readonly string[]).includes(k))) } : {}),
  };
}
