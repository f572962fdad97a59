/**
 * Pure renderers for the shell: ksqlDB CLI-style tables for KsqlEntity
 * responses and boxed tables for query results. Every function returns lines;
 * the shell writes them.
 */

type Json = Record<string, unknown>;

/** Table of SHOW / DESCRIBE output:
 *
 *  ` Name | Topic `
 *  `--------------`
 *  ` S    | t     `
 *  `--------------`
 */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => ' ' + widths.map((w, i) => (cells[i] ?? '').padEnd(w)).join(' | ') + ' ';
  const rule = '-'.repeat(widths.reduce((a, w) => a + w, 0) + 3 * widths.length - 1);
  return [line(headers), rule, ...rows.map(line), rule];
}

/** Column widths for a boxed query result, fitting the header and every row. */
export function boxWidths(headers: readonly string[], rows: readonly (readonly string[])[]): number[] {
  return headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
}

export function boxRule(widths: readonly number[]): string {
  return '+' + widths.map((w) => '-'.repeat(w)).join('+') + '+';
}

/** One row of a boxed table; a cell longer than its column wraps onto more lines. */
export function boxRow(cells: readonly string[], widths: readonly number[]): string[] {
  const parts = widths.map((w, i) => chunk(cells[i] ?? '', w));
  const height = Math.max(1, ...parts.map((p) => p.length));
  const out: string[] = [];
  for (let l = 0; l < height; l++) out.push('|' + widths.map((w, i) => (parts[i]![l] ?? '').padEnd(w)).join('|') + '|');
  return out;
}

function chunk(s: string, w: number): string[] {
  if (w <= 0 || s.length <= w) return [s];
  const out: string[] = [];
  for (let i = 0; i < s.length; i += w) out.push(s.slice(i, i + w));
  return out;
}

/** The header of a boxed query result. */
export function boxHeader(headers: readonly string[], widths: readonly number[]): string[] {
  return [boxRule(widths), ...boxRow(headers, widths), boxRule(widths)];
}

/** A whole pull-query result. */
export function renderBox(headers: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = boxWidths(headers, rows);
  return [...boxHeader(headers, widths), ...rows.flatMap((r) => boxRow(r, widths)), boxRule(widths)];
}

/** Fixed column widths for a push query, whose rows are not known in advance. */
export function streamingWidths(headers: readonly string[], terminalColumns: number): number[] {
  if (headers.length === 0) return [];
  const per = Math.floor((terminalColumns - 1) / headers.length) - 1;
  return headers.map((h) => Math.max(h.length, Math.min(Math.max(per, 8), 40)));
}

/** A value of a query row as the CLI prints it: strings bare, null as `null`, the rest as JSON. */
export function cell(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

// ---------------------------------------------------------------------------------- entities

/** Renders one entity of a /ksql response. */
export function formatEntity(e: Json): string[] {
  const out = formatBody(e);
  const warnings = Array.isArray(e['warnings']) ? (e['warnings'] as unknown[]) : [];
  for (const w of warnings) out.push(`WARNING: ${str((w as Json)?.['message'] ?? w)}`);
  return out;
}

function formatBody(e: Json): string[] {
  switch (e['@type']) {
    case 'currentStatus': {
      const status = (e['commandStatus'] ?? {}) as Json;
      return renderTable(['Message'], [[str(status['message'])]]);
    }
    case 'streams':
      return sourceList('Stream Name', arr(e['streams']));
    case 'tables':
      return sourceList('Table Name', arr(e['tables']));
    case 'kafka_topics':
      return renderTable(
        ['Kafka Topic', 'Partitions', 'Partition Replicas'],
        arr(e['topics']).map((t) => {
          const replicas = arr(t['replicaInfo']) as unknown[];
          return [str(t['name']), String(replicas.length), replicas.map(String).join(' ')];
        }),
      );
    case 'queries':
      return [
        ...renderTable(
          ['Query ID', 'Query Type', 'Status', 'Sink Name', 'Sink Kafka Topic', 'Query String'],
          arr(e['queries']).map((q) => [
            str(q['id']),
            str(q['queryType']),
            Object.entries((q['statusCount'] ?? {}) as Json).map(([k, v]) => `${k}:${str(v)}`).join(' ') || str(q['state']),
            (arr(q['sinks']) as unknown[]).map(str).join(', '),
            (arr(q['sinkKafkaTopics']) as unknown[]).map(str).join(', '),
            oneLine(str(q['queryString'])),
          ]),
        ),
        'For detailed information on a Query run: EXPLAIN <Query ID>;',
      ];
    case 'properties':
      return renderTable(
        ['Property', 'Scope', 'Effective Value'],
        arr(e['properties']).map((p) => [str(p['name']), str(p['scope']), str(p['value'])]),
      );
    case 'function_names':
      return [
        ...renderTable(
          ['Function Name', 'Category'],
          arr(e['functions']).map((f) => [str(f['name']), str(f['category'])]),
        ),
        'For detailed information on a function run: DESCRIBE FUNCTION <Function Name>;',
      ];
    case 'type_list':
      return renderTable(
        ['Type Name', 'Schema'],
        Object.entries((e['types'] ?? {}) as Json).map(([k, v]) => [k, schemaString(v)]),
      );
    case 'variables':
      return renderTable(['Variable Name', 'Value'], arr(e['variables']).map((v) => [str(v['name']), str(v['value'])]));
    case 'connector_list':
      return renderTable(['Connector Name', 'Type', 'Class', 'Status'], arr(e['connectors']).map((c) => [str(c['name']), str(c['type']), str(c['className']), str(c['state'])]));
    case 'sourceDescription':
      return describeSource((e['sourceDescription'] ?? {}) as Json);
    case 'source_descriptions':
      return arr(e['sourceDescriptions']).flatMap((d, i) => [...(i > 0 ? [''] : []), ...describeSource(d)]);
    case 'describe_function':
      return [
        kv('Name', str(e['name'])),
        kv('Author', str(e['author'])),
        kv('Overview', str(e['description'])),
        kv('Type', str(e['type'])),
        kv('Jar', str(e['path'])),
        kv('Variations', ''),
        ...arr(e['functions']).flatMap((f) => [
          '',
          `\t${kv('Variation', `${str(e['name'])}(${(arr(f['arguments']) as Json[]).map((a) => `${str(a['name'])} ${str(a['type'])}`.trim()).join(', ')})`)}`,
          `\t${kv('Returns', str(f['returnType']))}`,
          `\t${kv('Description', str(f['description']))}`,
        ]),
      ];
    case 'queryDescription': {
      const q = (e['queryDescription'] ?? {}) as Json;
      const out = [kv('ID', str(q['id'])), kv('Query Type', str(q['queryType'])), kv('SQL', oneLine(str(q['statementText'])))];
      const fields = arr(q['fields']);
      if (fields.length > 0) out.push('', ...fieldTable(fields));
      const sources = (arr(q['sources']) as unknown[]).map(str);
      const sinks = (arr(q['sinks']) as unknown[]).map(str);
      if (sources.length > 0) out.push('', `Sources that this query reads from: ${sources.join(', ')}`);
      if (sinks.length > 0) out.push(`Sinks that this query writes to: ${sinks.join(', ')}`);
      const plan = str(q['executionPlan']);
      if (plan) out.push('', 'Execution plan', '--------------', ...plan.split('\n'));
      return out;
    }
    default:
      return JSON.stringify(e, null, 2).split('\n');
  }
}

function sourceList(title: string, list: readonly Json[]): string[] {
  return renderTable(
    [title, 'Kafka Topic', 'Key Format', 'Value Format', 'Windowed'],
    list.map((s) => [str(s['name']), str(s['topic']), str(s['keyFormat']), str(s['valueFormat']), String(s['isWindowed'] ?? false)]),
  );
}

function describeSource(d: Json): string[] {
  const extended = d['extended'] === true;
  const out = [kv('Name', str(d['name']))];
  if (extended) {
    out.push(kv('Type', str(d['type'])));
    const ts = str(d['timestamp']);
    out.push(kv('Timestamp field', ts || 'Not set - using <ROWTIME>'));
    out.push(kv('Key format', str(d['keyFormat'])));
    out.push(kv('Value format', str(d['valueFormat'])));
    out.push(kv('Kafka topic', `${str(d['topic'])} (partitions: ${str(d['partitions'])}, replication: ${str(d['replication'])})`));
    if (d['statement']) out.push(kv('Statement', oneLine(str(d['statement']))));
    out.push('');
  }
  out.push(...fieldTable(arr(d['fields'])));
  if (extended) {
    for (const [title, key] of [
      ['Queries that read from this', 'readQueries'],
      ['Queries that write from this', 'writeQueries'],
    ] as const) {
      const qs = arr(d[key]);
      if (qs.length === 0) continue;
      out.push('', `${title} ${str(d['type'])}`, '-'.repeat(title.length + 1 + str(d['type']).length));
      for (const q of qs) out.push(`${str(q['id'])} (${str(q['state'])}) : ${oneLine(str(q['queryString']))}`);
    }
  } else {
    out.push('For runtime statistics and query details run: DESCRIBE <Stream,Table> EXTENDED;');
  }
  return out;
}

function fieldTable(fields: readonly Json[]): string[] {
  return renderTable(
    ['Field', 'Type'],
    fields.map((f) => {
      const t = schemaString(f['schema']);
      const ns = f['type'] === 'KEY' ? '  (key)' : f['type'] === 'HEADER' ? `  (header${f['headerKey'] ? `('${str(f['headerKey'])}')` : ''})` : '';
      return [str(f['name']), t + ns];
    }),
  );
}

/** ksqlDB's SchemaInfo rendered as SQL: `VARCHAR(STRING)`, `ARRAY<INTEGER>`, `STRUCT<A INTEGER>`. */
export function schemaString(schema: unknown): string {
  const s = (schema ?? {}) as Json;
  const type = str(s['type']);
  switch (type) {
    case 'STRING':
      return 'VARCHAR(STRING)';
    case 'ARRAY':
      return `ARRAY<${schemaString(s['memberSchema'])}>`;
    case 'MAP':
      return `MAP<STRING, ${schemaString(s['memberSchema'])}>`;
    case 'STRUCT':
      return `STRUCT<${arr(s['fields']).map((f) => `${str(f['name'])} ${schemaString(f['schema'])}`).join(', ')}>`;
    case 'DECIMAL': {
      const p = (s['parameters'] ?? {}) as Json;
      return `DECIMAL(${str(p['precision'])}, ${str(p['scale'])})`;
    }
    default:
      return type;
  }
}

/** The message of an error response (statement_error / generic_error) or of a failed request. */
export function errorLines(body: unknown, status: number): string[] {
  const b = (body ?? {}) as Json;
  const msg = typeof b['message'] === 'string' ? b['message'] : typeof body === 'string' && body ? body : `HTTP ${status}`;
  const out = msg.split('\n');
  const st = typeof b['statementText'] === 'string' ? b['statementText'] : '';
  if (st && b['@type'] === 'statement_error' && !msg.includes('Statement:')) out.push(`Statement: ${st}`);
  return out;
}

function kv(k: string, v: string): string {
  return `${k.padEnd(20)} : ${v}`;
}

function arr(v: unknown): Json[] {
  return Array.isArray(v) ? (v as Json[]) : [];
}

function str(v: unknown): string {
  if (v === null || v === undefined) return '';
  return typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}
