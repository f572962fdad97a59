/**
 * crds/*.yaml from the zod schemas of operator/api: zod → JSON schema
 * (OpenAPI 3 flavour) → a Kubernetes *structural* schema (every node typed,
 * no $ref/anyOf/oneOf/allOf, `additionalProperties: false` dropped, free-form
 * objects marked x-kubernetes-preserve-unknown-fields, string|number unions
 * as x-kubernetes-int-or-string), plus the CRD facts each API file declares
 * (printer columns, CEL rules, list-map keys, scale subresource).
 */
import type { ZodTypeAny } from 'zod';
import { zodToJsonSchema } from 'zod-to-json-schema';
import { stringify } from 'yaml';
import { GROUP, VERSION, type CrdInfo } from '../../operator/api/common.js';
import { KSQL_CLUSTER_CRD, KsqlClusterSpec, KsqlClusterStatus } from '../../operator/api/ksql-cluster.js';
import { KSQL_QUERY_CRD, KsqlQuerySpec, KsqlQueryStatus } from '../../operator/api/ksql-query.js';
import type { GeneratedFile, Generator } from './types.js';

/** An OpenAPI v3 schema node as it appears in a CRD. */
export type JsonSchema = { [key: string]: unknown };

/** A schema the generator cannot express as a structural schema; names the path. */
export class StructuralSchemaError extends Error {
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(`${path || '(root)'}: ${detail}`);
    this.name = 'StructuralSchemaError';
  }
}

const isObject = (v: unknown): v is JsonSchema => typeof v === 'object' && v !== null && !Array.isArray(v);

const DROPPED_KEYS = new Set(['$schema', 'definitions', '$defs', 'title', 'examples']);

function intOrString(branches: readonly JsonSchema[]): boolean {
  const types = branches.map((b) => b['type']).sort();
  return branches.length === 2 && (types.join() === 'number,string' || types.join() === 'integer,string');
}

/** Rewrites one JSON-schema node (and below) into structural form; throws StructuralSchemaError naming the path. */
export function toStructural(node: JsonSchema, path = ''): JsonSchema {
  if ('$ref' in node) throw new StructuralSchemaError(path, '$ref is not allowed (convert with $refStrategy none)');
  for (const k of ['allOf', 'not', 'oneOf'] as const) if (k in node) throw new StructuralSchemaError(path, `${k} is not allowed`);

  const out: JsonSchema = {};
  const anyOf = node['anyOf'];
  if (Array.isArray(anyOf)) {
    const branches = anyOf.filter(isObject);
    if (intOrString(branches)) {
      out['x-kubernetes-int-or-string'] = true;
    } else if (branches.every((b) => b['type'] === branches[0]?.['type'] && Array.isArray(b['enum']))) {
      out['type'] = branches[0]?.['type'];
      out['enum'] = branches.flatMap((b) => b['enum'] as unknown[]);
    } else {
      throw new StructuralSchemaError(path, 'a union other than int-or-string or a union of literals; model it as optional fields plus a CEL rule');
    }
  }

  const freeForm =
    node['type'] === 'object' &&
    node['additionalProperties'] === true &&
    (!isObject(node['properties']) || Object.keys(node['properties']).length === 0);

  for (const [k, v] of Object.entries(node)) {
    if (DROPPED_KEYS.has(k) || k === 'anyOf') continue;
    if (k === 'properties' && isObject(v)) {
      if (freeForm) continue;
      out[k] = Object.fromEntries(Object.entries(v).map(([name, s]) => [name, toStructural(s as JsonSchema, path ? `${path}.${name}` : name)]));
    } else if (k === 'items') {
      if (!isObject(v)) throw new StructuralSchemaError(path, 'tuple items are not allowed');
      out[k] = toStructural(v, `${path}[]`);
    } else if (k === 'additionalProperties') {
      if (v === false || freeForm) continue;
      if (v === true) throw new StructuralSchemaError(path, 'additionalProperties: true beside properties');
      if (isObject(node['properties']) && Object.keys(node['properties']).length > 0)
        throw new StructuralSchemaError(path, 'properties and additionalProperties together');
      out[k] = toStructural(v as JsonSchema, `${path}.*`);
    } else {
      out[k] = v;
    }
  }
  if (freeForm) out['x-kubernetes-preserve-unknown-fields'] = true;
  if (out['type'] === undefined && out['x-kubernetes-int-or-string'] !== true && out['x-kubernetes-preserve-unknown-fields'] !== true)
    throw new StructuralSchemaError(path, 'no type');
  // an empty `properties` says nothing and `required: []` neither
  if (isObject(out['properties']) && Object.keys(out['properties']).length === 0) delete out['properties'];
  if (Array.isArray(out['required']) && out['required'].length === 0) delete out['required'];
  return out;
}

function zodToStructural(schema: ZodTypeAny, path: string): JsonSchema {
  const json = zodToJsonSchema(schema, { target: 'openApi3', $refStrategy: 'none', effectStrategy: 'input' }) as JsonSchema;
  return toStructural(json, path);
}

/** The node at a dotted path ("spec.logging.sidecar", "status.queries" — arrays step into items). */
function at(root: JsonSchema, path: string): JsonSchema {
  let node = root;
  for (const seg of path === '' ? [] : path.split('.')) {
    const props = node['properties'];
    const next = isObject(props) ? props[seg] : undefined;
    if (!isObject(next)) throw new StructuralSchemaError(path, `no property ${seg}`);
    node = next;
  }
  return node;
}

/** The openAPIV3Schema of a resource: apiVersion/kind/metadata plus converted spec and status. */
export function resourceSchema(info: CrdInfo, spec: ZodTypeAny, status: ZodTypeAny): JsonSchema {
  const root: JsonSchema = {
    type: 'object',
    description: `${info.kind} (${GROUP}/${VERSION})`,
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { type: 'object' },
      spec: zodToStructural(spec, 'spec'),
      status: zodToStructural(status, 'status'),
    },
    required: ['spec'],
  };
  for (const [path, keys] of Object.entries(info.listMapKeys ?? {})) {
    const node = at(root, path);
    if (node['type'] !== 'array') throw new StructuralSchemaError(path, 'list-map keys on a non-array');
    node['x-kubernetes-list-type'] = 'map';
    node['x-kubernetes-list-map-keys'] = [...keys];
  }
  for (const [path, bounds] of Object.entries(info.bounds ?? {})) Object.assign(at(root, path), bounds);
  for (const [path, rules] of Object.entries(info.validations)) {
    const node = at(root, path);
    node['x-kubernetes-validations'] = rules.map((r) => ({ ...r }));
  }
  return root;
}

/** The CustomResourceDefinition object. */
export function buildCrd(info: CrdInfo, spec: ZodTypeAny, status: ZodTypeAny): JsonSchema {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${info.plural}.${GROUP}`, labels: { 'app.kubernetes.io/part-of': 'ksetl' } },
    spec: {
      group: GROUP,
      names: {
        kind: info.kind,
        listKind: `${info.kind}List`,
        plural: info.plural,
        singular: info.singular,
        shortNames: [...info.shortNames],
        categories: [...info.categories],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: {
            status: {},
            ...(info.scale ? { scale: { ...info.scale } } : {}),
          },
          additionalPrinterColumns: info.printerColumns.map((c) => ({ ...c })),
          schema: { openAPIV3Schema: resourceSchema(info, spec, status) },
        },
      ],
    },
  };
}

export const CRD_SOURCES = [
  { info: KSQL_CLUSTER_CRD, spec: KsqlClusterSpec, status: KsqlClusterStatus },
  { info: KSQL_QUERY_CRD, spec: KsqlQuerySpec, status: KsqlQueryStatus },
] as const;

const HEADER = '# generated by `npm run gen` (scripts/generators/crds.ts) from operator/api; do not edit\n';

/** Every CRD file, in memory. */
export function renderCrds(): GeneratedFile[] {
  return CRD_SOURCES.map(({ info, spec, status }) => ({
    path: `crds/${info.plural}.${GROUP}.yaml`,
    content: HEADER + stringify(buildCrd(info, spec, status), { lineWidth: 0 }),
  }));
}

export const crdsGenerator: Generator = {
  name: 'crds',
  async generate() {
    return renderCrds();
  },
};
