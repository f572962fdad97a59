/**
 * The install manifests: every YAML parses, the kustomize base lists what
 * exists and builds, the CRD copies match the generated crds/, the Helm chart's
 * non-template parts parse and carry the same RBAC, and the ClusterRole grants
 * what the operator does (server-side apply of every object a KsqlCluster
 * renders, status, finalizers, events, leases) — and no write on Secrets.
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
import { RESOURCE } from '../operator/kube/resources.js';

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

/** Whether the rules grant `verb` on `group`/`resource` (no wildcards: they are not allowed here at all). */
function allows(rules: readonly Rule[], group: string, resource: string, verb: string): boolean {
  return rules.some((r) => r.apiGroups.includes(group) && r.resources.includes(resource) && r.verbs.includes(verb));
}

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

describe('ClusterRole', () => {
  const rules = (byKind(baseObjects, 'ClusterRole')[0] as unknown as { rules: Rule[] }).rules;
  const role = (byKind(baseObjects, 'Role')[0] as unknown as { rules: Rule[] }).rules;

  it('has no wildcards', () => {
    for (const r of [...rules, ...role]) for (const x of [...r.apiGroups, ...r.resources, ...r.verbs]) expect(x).not.toBe('*');
  });

  it('server-side-applies, reads and deletes every object a KsqlCluster renders', () => {
    const kc = parseKsqlCluster({
      apiVersion: 'ksetl.io/v1alpha1',
      kind: 'KsqlCluster',
      metadata: { name: 'a', namespace: 'team-a', uid: '00000000-0000-4000-8000-000000000000' },
      spec: { kafka: { bootstrapServers: ['k:9092'] }, storage: { size: '1Gi' } },
    });
    if (!kc.ok) throw new Error('example cluster does not parse');
    const objs = clusterObjectsInApplyOrder(renderCluster(kc.value, { defaultImage: 'ksetl', prometheusOperator: false }));
    const plural: Record<string, string> = { ServiceAccount: 'serviceaccounts', ConfigMap: 'configmaps', Service: 'services', StatefulSet: 'statefulsets', PodDisruptionBudget: 'poddisruptionbudgets' };
    for (const o of objs) {
      const group = o.apiVersion!.includes('/') ? o.apiVersion!.split('/')[0]! : '';
      const resource = plural[o.kind!];
      expect(resource, o.kind).toBeDefined();
      // server-side apply is a PATCH that creates when the object is missing: both verbs
      for (const verb of ['get', 'list', 'watch', 'create', 'patch', 'delete']) expect(allows(rules, group, resource!, verb), `${verb} ${group}/${resource}`).toBe(true);
    }
  });

  it('applies, lists (discovery, pruning) and deletes every monitoring object a KsqlCluster renders', () => {
    const kc = parseKsqlCluster({
      apiVersion: 'ksetl.io/v1alpha1',
      kind: 'KsqlCluster',
      metadata: { name: 'a', namespace: 'team-a', uid: '00000000-0000-4000-8000-000000000000' },
      spec: { kafka: { bootstrapServers: ['k:9092'] }, monitoring: { scrape: { mode: 'PodMonitor' } }, logging: { sidecar: { loki: { url: 'http://loki' } } } },
    });
    if (!kc.ok) throw new Error('example cluster does not parse');
    const { monitoring } = renderCluster(kc.value, { defaultImage: 'ksetl', prometheusOperator: true });
    const kinds = new Set(monitoringObjectsInApplyOrder(monitoring).map((o) => o.kind));
    expect([...kinds].sort()).toEqual(['ConfigMap', 'PodMonitor', 'PrometheusRule']);
    for (const t of [RESOURCE.ConfigMap, ...Object.values(MONITORING_RESOURCE)]) {
      for (const verb of ['get', 'list', 'create', 'patch', 'delete']) expect(allows(rules, t.group, t.plural, verb), `${verb} ${t.group}/${t.plural}`).toBe(true);
    }
  });

  it('covers every resource type the operator code names (operator/kube/resources.ts)', () => {
    for (const t of Object.values(RESOURCE)) {
      // leases: the namespaced leader-election Role; events: written, never read
      const [where, verbs] = t.kind === 'Lease' ? [role, ['get', 'create', 'update']] : t.kind === 'Event' ? [rules, ['create']] : [rules, ['list', 'watch']];
      for (const verb of verbs) expect(allows(where, t.group, t.plural, verb), `${verb} ${t.group}/${t.plural}`).toBe(true);
    }
  });

  it('writes status and finalizers of its own resources, Events, and reads Secrets and EndpointSlices only', () => {
    for (const r of ['ksqlclusters', 'ksqlqueries']) {
      for (const verb of ['get', 'list', 'watch', 'patch', 'update']) expect(allows(rules, 'ksetl.io', r, verb), `${verb} ${r}`).toBe(true);
      expect(allows(rules, 'ksetl.io', r, 'create')).toBe(false);
      expect(allows(rules, 'ksetl.io', `${r}/status`, 'patch')).toBe(true);
      expect(allows(rules, 'ksetl.io', `${r}/finalizers`, 'update')).toBe(true);
    }
    // a cluster being deleted deletes its queries; nothing deletes clusters
    expect(allows(rules, 'ksetl.io', 'ksqlqueries', 'delete')).toBe(true);
    expect(allows(rules, 'ksetl.io', 'ksqlclusters', 'delete')).toBe(false);
    for (const verb of ['create', 'patch']) expect(allows(rules, 'events.k8s.io', 'events', verb)).toBe(true);
    for (const verb of ['get', 'list', 'watch']) expect(allows(rules, '', 'secrets', verb)).toBe(true);
    for (const verb of ['create', 'update', 'patch', 'delete']) expect(allows(rules, '', 'secrets', verb), `${verb} secrets`).toBe(false);
    for (const verb of ['list', 'watch']) expect(allows(rules, 'discovery.k8s.io', 'endpointslices', verb)).toBe(true);
    expect(allows(rules, 'discovery.k8s.io', 'endpointslices', 'create')).toBe(false);
    for (const verb of ['create', 'update', 'patch', 'delete']) expect(allows(rules, '', 'pods', verb), `${verb} pods`).toBe(false);
    for (const r of ['servicemonitors', 'podmonitors', 'prometheusrules']) expect(allows(rules, 'monitoring.coreos.com', r, 'patch')).toBe(true);
    // leases only through the namespaced Role
    expect(rules.some((r) => r.resources.includes('leases'))).toBe(false);
    for (const verb of ['get', 'create', 'update']) expect(allows(role, 'coordination.k8s.io', 'leases', verb)).toBe(true);
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
