/**
 * The install manifests: every YAML parses, the kustomize base lists what
 * exists and builds, the CRD copies match the generated crds/, the Helm chart's
 * non-template parts parse and carry the same RBAC, and the ClusterRole grants
 * exactly the API calls the operator makes (read from its code and renders):
 * nothing missing, nothing unused, Secrets by name only.
 *
 * `KSETL_UPDATE=1 npx vitest run manifests` rewrites the CRD copies from crds/.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { parseKsqlCluster } from '../operator/api/index.js';
import { clusterObjectsInApplyOrder, renderCluster } from '../operator/controllers/ksql-cluster/desired.js';
import { MONITORING_RESOURCE, monitoringObjectsInApplyOrder } from '../operator/controllers/ksql-cluster/monitoring.js';
import { renderAuthSecret } from '../operator/controllers/engine-credentials.js';
import { RESOURCE, resourceOf } from '../operator/kube/resources.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const manifests = join(root, 'manifests');
const base = join(manifests, 'base');
const chart = join(manifests, 'helm', 'ksetl-operator');

interface Obj {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  [k: string]: unknown;
}
interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

function docs(text: string, where: string): Obj[] {
  return parseAllDocuments(text).map((d, i) => {
    if (d.errors.length > 0) throw new Error(`${where} document ${i}: ${d.errors.map((e) => e.message).join('; ')}`);
    return d.toJS() as Obj;
  }).filter((o) => o !== null);
}

/**
 * A Helm template without its template parts: control lines (`{{- if }}`,
 * `{{- end }}`, `{{- with }}`, `{{- toYaml ... | nindent }}`) dropped, inline
 * `{{ ... }}` replaced by a placeholder. Both branches of every `if` stay, so
 * this is the chart with every option on.
 */
function stripTemplate(text: string): string {
  return text
    .split('\n')
    .filter((l) => !/^\s*\{\{-?.*-?\}\}\s*$/.test(l) || /^\s*-\s/.test(l))
    .map((l) => l.replace(/\{\{-?[^}]*-?\}\}/g, 'TEMPLATED'))
    .join('\n');
}

const baseFiles = walk(base).filter((f) => f.endsWith('.yaml'));
const kustomization = parse(readFileSync(join(base, 'kustomization.yaml'), 'utf8')) as { resources: string[]; namespace: string };
const baseObjects = kustomization.resources.flatMap((r) => docs(readFileSync(join(base, r), 'utf8'), r));
const byKind = (objs: Obj[], kind: string) => objs.filter((o) => o.kind === kind);

describe('manifests/', () => {
  it('every YAML file parses', () => {
    const files = walk(manifests).filter((f) => f.endsWith('.yaml') && !f.includes(`${join('helm', 'ksetl-operator', 'templates')}`));
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) expect(() => docs(readFileSync(f, 'utf8'), relative(root, f))).not.toThrow();
  });
});

describe('kustomize base', () => {
  it('lists files that exist, and every YAML file of the base', () => {
    for (const r of kustomization.resources) expect(existsSync(join(base, r)), r).toBe(true);
    const listed = new Set(kustomization.resources.map((r) => join(base, r)));
    const unlisted = baseFiles.filter((f) => !f.endsWith('kustomization.yaml') && !listed.has(f));
    expect(unlisted.map((f) => relative(root, f))).toEqual([]);
  });

  it('holds the generated CRDs unchanged (KSETL_UPDATE=1 rewrites the copies)', () => {
    const generated = readdirSync(join(root, 'crds')).filter((f) => f.endsWith('.yaml')).sort();
    for (const copyDir of [join(base, 'crds'), join(chart, 'crds')]) {
      if (process.env['KSETL_UPDATE']) for (const f of generated) writeFileSync(join(copyDir, f), readFileSync(join(root, 'crds', f)));
      expect(readdirSync(copyDir).sort(), relative(root, copyDir)).toEqual(generated);
      for (const f of generated) {
        expect(readFileSync(join(copyDir, f), 'utf8'), `${relative(root, copyDir)}/${f} differs from crds/${f}`).toBe(readFileSync(join(root, 'crds', f), 'utf8'));
      }
    }
    expect(kustomization.resources.filter((r) => r.startsWith('crds/')).sort()).toEqual(generated.map((f) => `crds/${f}`));
  });

  it('puts the operator in ksetl-system with a least-privilege, non-root, read-only Deployment', () => {
    expect(kustomization.namespace).toBe('ksetl-system');
    const [dep] = byKind(baseObjects, 'Deployment') as unknown as {
      spec: { template: { spec: { serviceAccountName: string; securityContext: Record<string, unknown>; containers: Record<string, unknown>[] } } };
    }[];
    const pod = dep!.spec.template.spec;
    expect(pod.serviceAccountName).toBe('ksetl-operator');
    expect(pod.securityContext['runAsNonRoot']).toBe(true);
    const c = pod.containers[0] as {
      command: string[];
      securityContext: Record<string, unknown>;
      readinessProbe: { httpGet: { path: string } };
      livenessProbe: { httpGet: { path: string } };
      ports: { name: string }[];
    };
    expect(c.command.slice(0, 3)).toEqual(['ksetl', 'operator', '--leader-elect']);
    expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    expect(c.readinessProbe.httpGet.path).toBe('/readyz');
    expect(c.livenessProbe.httpGet.path).toBe('/healthz');
    expect(c.ports.map((p) => p.name)).toContain('http');
    const [binding] = byKind(baseObjects, 'ClusterRoleBinding') as unknown as { subjects: { name: string; namespace: string }[] }[];
    expect(binding!.subjects).toEqual([{ kind: 'ServiceAccount', name: 'ksetl-operator', namespace: 'ksetl-system' }]);
  });

  it.skipIf(!hasKubectl())('builds with kubectl kustomize', () => {
    const out = execFileSync('kubectl', ['kustomize', base], { encoding: 'utf8' });
    const built = docs(out, 'kubectl kustomize');
    expect(built.map((o) => o.kind).sort()).toEqual(baseObjects.map((o) => o.kind).sort());
    for (const o of built) if (o.kind !== 'CustomResourceDefinition' && o.kind !== 'ClusterRole' && o.kind !== 'ClusterRoleBinding') expect(o.metadata.namespace ?? o.metadata.name, `${o.kind}`).toBe('ksetl-system');
  });
});

function hasKubectl(): boolean {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Every `.ts` file of operator/ but tests. */
function operatorSources(): { file: string; text: string }[] {
  return walk(join(root, 'operator'))
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => ({ file: relative(root, f), text: readFileSync(f, 'utf8') }));
}

/** KubePort method → the RBAC verbs its request needs (server-side apply is a PATCH that creates a missing object). */
const VERBS: Record<string, readonly string[]> = {
  get: ['get'],
  list: ['list'],
  watch: ['watch'],
  apply: ['patch', 'create'],
  applyStatus: ['patch'],
  create: ['create'],
  replace: ['update'],
  delete: ['delete'],
};

/**
 * The API calls the operator makes, as `group/resource verb`: read from the
 * code (every `kube.<method>(RESOURCE.<Kind>` and every informer), and, for
 * the calls whose resource is data (server-side apply of rendered objects,
 * monitoring discovery and pruning), from the render functions.
 */
function operatorCalls(): Set<string> {
  const calls = new Set<string>();
  const add = (t: { group: string; plural: string }, verbs: readonly string[], sub = ''): void => {
    for (const v of verbs) calls.add(`${t.group}/${t.plural}${sub} ${v}`);
  };
  const byName = RESOURCE as Record<string, { group: string; plural: string; kind: string }>;
  const dynamic = new Set<string>();
  for (const { file, text } of operatorSources()) {
    // calls whose resource is data: accounted for below, site by site
    for (const m of text.matchAll(/#?kube\.(get|list|watch|apply|applyStatus|create|replace|delete)(?:<[^>(]*>)?\((?!\s*RESOURCE\.)/g)) dynamic.add(`${file} ${m[1]}`);
    for (const m of text.matchAll(/#?kube\.(\w+)(?:<[^>(]*>)?\(\s*RESOURCE\.(\w+)/g)) {
      const verbs = VERBS[m[1]!];
      expect(verbs, `${file}: kube.${m[1]}`).toBeDefined();
      expect(byName[m[2]!], `${file}: RESOURCE.${m[2]}`).toBeDefined();
      add(byName[m[2]!]!, verbs!);
    }
    // informers list and watch: one by one, and the owned kinds as a list
    for (const m of text.matchAll(/new Informer<[^>]*>\(kube, RESOURCE\.(\w+)/g)) add(byName[m[1]!]!, ['list', 'watch']);
    const owned = /const owned = \[([^\]]*)\]\.map\(/.exec(text);
    if (owned) for (const m of owned[1]!.matchAll(/RESOURCE\.(\w+)/g)) add(byName[m[1]!]!, ['list', 'watch']);
  }
  // server-side apply of every object a KsqlCluster renders (reconcile.ts, provision.ts)
  const kc = parseKsqlCluster({
    apiVersion: 'ksetl.io/v1alpha1',
    kind: 'KsqlCluster',
    metadata: { name: 'a', namespace: 'team-a', uid: '00000000-0000-4000-8000-000000000000' },
    spec: { kafka: { bootstrapServers: ['k:9092'] }, monitoring: { scrape: { mode: 'PodMonitor' } }, logging: { sidecar: { loki: { url: 'http://loki' } } } },
  });
  if (!kc.ok) throw new Error('example cluster does not parse');
  for (const mode of ['PodMonitor', 'ServiceMonitor'] as const) {
    const desired = renderCluster({ ...kc.value, spec: { ...kc.value.spec, monitoring: { ...kc.value.spec.monitoring!, scrape: { ...kc.value.spec.monitoring!.scrape, mode } } } }, { defaultImage: 'ksetl', prometheusOperator: true });
    for (const o of [...clusterObjectsInApplyOrder(desired), ...monitoringObjectsInApplyOrder(desired.monitoring)]) add(resourceOf(o.apiVersion!, o.kind!), VERBS['apply']!);
  }
  // monitoring: discovered by listing each kind, pruned by deleting (dashboards ConfigMaps too)
  for (const t of [RESOURCE.ConfigMap, ...Object.values(MONITORING_RESOURCE)]) add(t, ['list', 'delete']);
  // the engine credentials Secret, created once (engine-credentials.ts)
  add(resourceOf(renderAuthSecret(kc.value, 'x').apiVersion!, 'Secret'), ['create']);
  // finalizers by server-side apply (finalizers.ts), status by server-side apply (status.ts)
  for (const t of [RESOURCE.KsqlCluster, RESOURCE.KsqlQuery]) {
    add(t, VERBS['apply']!.filter((v) => v === 'patch'));
    add(t, ['patch'], '/status');
  }
  // owner references with blockOwnerDeletion on a KsqlCluster need update on its finalizers
  add(RESOURCE.KsqlCluster, ['update'], '/finalizers');
  // Events (events.ts creates them)
  add(RESOURCE.Event, ['create']);
  // leader election: the Lease read, created, renewed and released by PUT (leader.ts)
  add(RESOURCE.Lease, ['create', 'update']);
  // every call whose resource is data is one of those above; a new one fails here until it is added
  expect([...dynamic].sort()).toEqual(
    [
      'operator/controllers/engine-credentials.ts create',
      'operator/controllers/finalizers.ts apply',
      'operator/controllers/ksql-cluster/provision.ts apply',
      'operator/controllers/ksql-cluster/provision.ts delete',
      'operator/controllers/ksql-cluster/provision.ts list',
      'operator/controllers/ksql-cluster/reconcile.ts apply',
      'operator/controllers/status.ts applyStatus',
      'operator/kube/events.ts create',
      'operator/kube/informer.ts list',
      'operator/kube/informer.ts watch',
      'operator/kube/leader.ts create',
      'operator/kube/leader.ts replace',
    ].sort(),
  );
  return calls;
}

describe('ClusterRole', () => {
  const rules = (byKind(baseObjects, 'ClusterRole')[0] as unknown as { rules: Rule[] }).rules;
  const role = (byKind(baseObjects, 'Role')[0] as unknown as { rules: Rule[] }).rules;
  const granted = (rs: readonly Rule[]): Set<string> => new Set(rs.flatMap((r) => r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => `${g}/${res} ${v}`)))));

  it('has no wildcards', () => {
    for (const r of [...rules, ...role]) for (const x of [...r.apiGroups, ...r.resources, ...r.verbs]) expect(x).not.toBe('*');
  });

  it('grants exactly the calls the operator makes: none missing, none unused', () => {
    const calls = operatorCalls();
    const leases = [...calls].filter((c) => c.startsWith('coordination.k8s.io/leases '));
    const clusterWide = [...calls].filter((c) => !leases.includes(c)).sort();
    expect([...granted(rules)].sort()).toEqual(clusterWide);
    // leases only through the namespaced leader-election Role
    expect([...granted(role)].sort()).toEqual(leases.sort());
    expect(leases.sort()).toEqual(['coordination.k8s.io/leases create', 'coordination.k8s.io/leases get', 'coordination.k8s.io/leases update']);
  });

  it('reads Secrets by name only: no list or watch (which would read every Secret in the cluster), no update or delete', () => {
    const g = granted(rules);
    for (const verb of ['list', 'watch', 'update', 'patch', 'delete', 'deletecollection']) expect(g.has(`/secrets ${verb}`), `${verb} secrets`).toBe(false);
    expect(g.has('/secrets get')).toBe(true);
    for (const verb of ['create', 'update', 'patch', 'delete']) expect(g.has(`/pods ${verb}`), `${verb} pods`).toBe(false);
    // nothing deletes clusters; nothing creates the resources teams own
    expect(g.has('ksetl.io/ksqlclusters delete')).toBe(false);
    expect(g.has('ksetl.io/ksqlclusters create')).toBe(false);
    expect(g.has('ksetl.io/ksqlqueries create')).toBe(false);
  });
});

describe('Helm chart', () => {
  const templates = join(chart, 'templates');

  it('has a Chart.yaml and values.yaml that parse', () => {
    const c = parse(readFileSync(join(chart, 'Chart.yaml'), 'utf8')) as Record<string, unknown>;
    expect(c).toMatchObject({ apiVersion: 'v2', name: 'ksetl-operator', type: 'application' });
    const v = parse(readFileSync(join(chart, 'values.yaml'), 'utf8')) as Record<string, unknown>;
    expect(v).toHaveProperty('image.repository', 'ghcr.io/ksetl/ksetl');
  });

  const rendered = readdirSync(templates)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => docs(stripTemplate(readFileSync(join(templates, f), 'utf8')), `templates/${f}`));

  it('templates parse once template parts are stripped, and render the same kinds as the base', () => {
    const kinds = (objs: Obj[]) => objs.map((o) => o.kind).filter((k) => k !== 'CustomResourceDefinition' && k !== 'Namespace').sort();
    expect(kinds(rendered)).toEqual(kinds(baseObjects));
  });

  it('grants the same RBAC rules as the base', () => {
    for (const kind of ['ClusterRole', 'Role']) {
      const a = (byKind(rendered, kind)[0] as unknown as { rules: Rule[] }).rules;
      const b = (byKind(baseObjects, kind)[0] as unknown as { rules: Rule[] }).rules;
      expect(a, kind).toEqual(b);
    }
  });

  it('runs the same command, probes and security context as the base', () => {
    type Dep = { spec: { template: { spec: { containers: { command: string[]; readinessProbe: unknown; livenessProbe: unknown }[] } } } };
    const h = (byKind(rendered, 'Deployment')[0] as unknown as Dep).spec.template.spec.containers[0]!;
    const b = (byKind(baseObjects, 'Deployment')[0] as unknown as Dep).spec.template.spec.containers[0]!;
    expect(h.command.slice(0, 3)).toEqual(b.command.slice(0, 3));
    expect(h.readinessProbe).toEqual(b.readinessProbe);
    expect(h.livenessProbe).toEqual(b.livenessProbe);
    const values = parse(readFileSync(join(chart, 'values.yaml'), 'utf8')) as { securityContext: unknown; podSecurityContext: Record<string, unknown> };
    expect(values.securityContext).toEqual((byKind(baseObjects, 'Deployment')[0] as unknown as { spec: { template: { spec: { containers: { securityContext: unknown }[] } } } }).spec.template.spec.containers[0]!.securityContext);
    expect(values.podSecurityContext['runAsNonRoot']).toBe(true);
  });
});
