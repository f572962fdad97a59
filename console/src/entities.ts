import type { Entity } from './api.js';

/** What the console shows for one /ksql entity: a message, a table, or preformatted text. */
export type EntityView =
  | { readonly kind: 'message'; readonly title: string; readonly text: string }
  | { readonly kind: 'table'; readonly title: string; readonly columns: readonly string[]; readonly rows: readonly (readonly unknown[])[] }
  | { readonly kind: 'text'; readonly title: string; readonly text: string };

type Rec = Record<string, unknown>;
const list = (v: unknown): Rec[] => (Array.isArray(v) ? (v as Rec[]) : []);
const table = (title: string, columns: string[], rows: unknown[][]): EntityView => ({ kind: 'table', title, columns, rows });

/** A field's type as ksqlDB's CLI prints it (STRUCT<...>, ARRAY<...>, KEY). */
export function fieldType(f: Rec): string {
  const schema = (f['schema'] ?? {}) as Rec;
  return typeName(schema) + (f['type'] === 'KEY' ? ' (key)' : f['type'] === 'HEADER' ? ' (header)' : '');
}

function typeName(s: Rec): string {
  const t = String(s['type'] ?? '');
  if (t === 'ARRAY') return `ARRAY<${typeName((s['memberSchema'] ?? {}) as Rec)}>`;
  if (t === 'MAP') return `MAP<STRING, ${typeName((s['memberSchema'] ?? {}) as Rec)}>`;
  if (t === 'STRUCT') return `STRUCT<${list(s['fields']).map((f) => `${String(f['name'])} ${typeName((f['schema'] ?? {}) as Rec)}`).join(', ')}>`;
  if (t === 'DECIMAL') {
    const p = (s['parameters'] ?? {}) as Rec;
    return `DECIMAL(${String(p['precision'])}, ${String(p['scale'])})`;
  }
  return t;
}

function source(d: Rec): EntityView[] {
  const name = String(d['name']);
  return [
    table(`${String(d['type'])} ${name} (topic ${String(d['topic'])}, key ${String(d['keyFormat'])}, value ${String(d['valueFormat'])})`, ['Field', 'Type'], list(d['fields']).map((f) => [f['name'], fieldType(f)])),
    ...(list(d['writeQueries']).length + list(d['readQueries']).length > 0
      ? [table(`Queries of ${name}`, ['Query', 'Role', 'State'], [...list(d['writeQueries']).map((q) => [q['id'], 'writes', q['state']]), ...list(d['readQueries']).map((q) => [q['id'], 'reads', q['state']])])]
      : []),
  ];
}

/** The views of an entity; unknown entity types show as JSON. */
export function entityViews(e: Entity): EntityView[] {
  const stmt = e.statementText ?? '';
  switch (e['@type']) {
    case 'currentStatus': {
      const st = (e['commandStatus'] ?? {}) as Rec;
      return [{ kind: 'message', title: stmt, text: `${String(st['status'])}: ${String(st['message'])}${st['queryId'] ? ` (query ${String(st['queryId'])})` : ''}` }];
    }
    case 'streams':
      return [table('Streams', ['Stream', 'Topic', 'Key format', 'Value format'], list(e['streams']).map((s) => [s['name'], s['topic'], s['keyFormat'], s['valueFormat']]))];
    case 'tables':
      return [table('Tables', ['Table', 'Topic', 'Key format', 'Value format', 'Windowed'], list(e['tables']).map((s) => [s['name'], s['topic'], s['keyFormat'], s['valueFormat'], s['isWindowed']]))];
    case 'kafka_topics':
      return [table('Topics', ['Topic', 'Partitions'], list(e['topics']).map((t) => [t['name'], list(t['replicaInfo']).length]))];
    case 'queries':
      return [table('Queries', ['Query', 'State', 'Sinks', 'Statement'], list(e['queries']).map((q) => [q['id'], q['state'], list(q['sinks']).join(', '), q['queryString']]))];
    case 'sourceDescription':
      return source((e['sourceDescription'] ?? {}) as Rec);
    case 'source_descriptions':
      return list(e['sourceDescriptions']).flatMap(source);
    case 'properties':
      return [table('Properties', ['Property', 'Value'], list(e['properties']).map((p) => [p['name'], p['value']]))];
    case 'queryDescription': {
      const q = (e['queryDescription'] ?? {}) as Rec;
      return [{ kind: 'text', title: `Query ${String(q['id'] || '')} ${String(q['state'] ?? '')}`.trim(), text: String(q['executionPlan'] || q['statementText'] || '') }];
    }
    case 'function_names':
      return [table('Functions', ['Function', 'Type'], list(e['functions']).map((f) => [f['name'], f['type']]))];
    case 'describe_function':
      return [table(`Function ${String(e['name'])}`, ['Arguments', 'Returns', 'Description'], list(e['functions']).map((f) => [list(f['arguments']).map((a) => `${String(a['name'])} ${String(a['type'])}`).join(', '), f['returnType'], f['description']]))];
    case 'type_list':
      return [table('Types', ['Type', 'Schema'], Object.entries((e['types'] ?? {}) as Rec).map(([k, v]) => [k, typeName(v as Rec)]))];
    default:
      return [{ kind: 'text', title: e['@type'], text: JSON.stringify(e, null, 2) }];
  }
}

/** A cell's text: strings as they are, other values as JSON. */
export function cellText(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  return typeof v === 'string' ? v : JSON.stringify(v);
}
