/**
 * Schema registries: an in-process one (ids from 1, versions per subject, the
 * same schema text under the same type keeps its id), and a basic REST client
 * for a Confluent-compatible registry that answers synchronously from a cache
 * filled by `prefetch`.
 */
import { SerdeError, type RegisteredSchema, type SchemaReference, type SchemaRegistry } from './types.js';

type SchemaType = RegisteredSchema['schemaType'];

/** Canonical text for identity: JSON schemas (Avro, JSON Schema) compare without whitespace differences. */
function canonical(schemaType: SchemaType, schema: string): string {
  if (schemaType !== 'PROTOBUF') {
    try {
      return JSON.stringify(JSON.parse(schema));
    } catch {
      return schema;
    }
  }
  return schema.trim();
}

export class InMemorySchemaRegistry implements SchemaRegistry {
  readonly #bySubject = new Map<string, RegisteredSchema[]>();
  readonly #byId = new Map<number, RegisteredSchema>();
  readonly #idByText = new Map<string, number>();
  #nextId = 1;

  register(subject: string, schemaType: SchemaType, schema: string): RegisteredSchema {
    return this.registerWithId(subject, schemaType, schema);
  }

  /** Registers with a chosen id (as QTT `topics` with `valueSchemaId` do); otherwise as `register`. */
  registerWithId(subject: string, schemaType: SchemaType, schema: string, id?: number, references: readonly SchemaReference[] = []): RegisteredSchema {
    const key = schemaType + '\u0000' + canonical(schemaType, schema) + references.map((r) => `\u0000${r.name}\u0000${r.subject}\u0000${r.version}`).join('');
    const versions = this.#bySubject.get(subject) ?? [];
    const existing = versions.find((r) => (id === undefined || r.id === id) && schemaType + '\u0000' + canonical(r.schemaType, r.schema) === key);
    if (existing) return existing;
    let useId = id ?? this.#idByText.get(key);
    if (useId === undefined) {
      while (this.#byId.has(this.#nextId)) this.#nextId++;
      useId = this.#nextId++;
    }
    const rec: RegisteredSchema = { id: useId, subject, version: versions.length + 1, schemaType, schema, ...(references.length > 0 ? { references } : {}) };
    versions.push(rec);
    this.#bySubject.set(subject, versions);
    if (!this.#byId.has(useId)) this.#byId.set(useId, rec);
    if (!this.#idByText.has(key)) this.#idByText.set(key, useId);
    return rec;
  }

  latest(subject: string): RegisteredSchema | undefined {
    const v = this.#bySubject.get(subject);
    return v ? v[v.length - 1] : undefined;
  }

  /** A subject's schema at a version (references name one). */
  version(subject: string, version: number): RegisteredSchema | undefined {
    return this.#bySubject.get(subject)?.find((r) => r.version === version);
  }

  byId(id: number): RegisteredSchema | undefined {
    return this.#byId.get(id);
  }

  subjects(): readonly string[] {
    return [...this.#bySubject.keys()];
  }

  /** Removes a subject (DROP ... DELETE TOPIC); ids stay resolvable as in Confluent's registry. */
  deleteSubject(subject: string): void {
    this.#bySubject.delete(subject);
  }
}

export interface RestSchemaRegistryOptions {
  readonly url: string;
  /** extra headers, e.g. Authorization */
  readonly headers?: Readonly<Record<string, string>>;
  readonly fetch?: typeof fetch;
}

interface SchemaResponse {
  id: number;
  subject?: string;
  version?: number;
  schemaType?: string;
  schema: string;
}

/**
 * A Confluent-compatible registry over REST. Reads are synchronous from a
 * cache: call `prefetch(subjects)` / `prefetchId(id)` before a query starts.
 * `register` records locally and sends the registration in the background;
 * call `flush()` to await pending registrations (and learn their real ids).
 */
export class RestSchemaRegistryClient implements SchemaRegistry {
  readonly #opts: RestSchemaRegistryOptions;
  readonly #latest = new Map<string, RegisteredSchema>();
  readonly #byId = new Map<number, RegisteredSchema>();
  readonly #pending: Promise<unknown>[] = [];

  constructor(opts: RestSchemaRegistryOptions) {
    this.#opts = opts;
  }

  async #call(path: string, init?: RequestInit): Promise<unknown> {
    const f = this.#opts.fetch ?? fetch;
    const res = await f(this.#opts.url.replace(/\/$/, '') + path, {
      ...init,
      headers: { Accept: 'application/vnd.schemaregistry.v1+json', 'Content-Type': 'application/vnd.schemaregistry.v1+json', ...this.#opts.headers },
    });
    if (res.status === 404) return undefined;
    if (!res.ok) throw new SerdeError(`Schema Registry ${path}: HTTP ${res.status} ${await res.text()}`);
    return res.json();
  }

  #record(subject: string, r: SchemaResponse): RegisteredSchema {
    const rec: RegisteredSchema = {
      id: r.id,
      subject,
      version: r.version ?? 1,
      schemaType: (r.schemaType ?? 'AVRO') as SchemaType,
      schema: r.schema,
    };
    this.#byId.set(rec.id, rec);
    return rec;
  }

  async prefetch(subjects: readonly string[]): Promise<void> {
    await Promise.all(
      subjects.map(async (s) => {
        const r = (await this.#call(`/subjects/${encodeURIComponent(s)}/versions/latest`)) as SchemaResponse | undefined;
        if (r) this.#latest.set(s, this.#record(s, r));
      }),
    );
  }

  async prefetchId(id: number): Promise<RegisteredSchema | undefined> {
    const r = (await this.#call(`/schemas/ids/${id}`)) as SchemaResponse | undefined;
    if (!r) return undefined;
    return this.#byId.get(id) ?? this.#record('', { ...r, id });
  }

  async listSubjects(): Promise<readonly string[]> {
    return ((await this.#call('/subjects')) as string[] | undefined) ?? [];
  }

  register(subject: string, schemaType: SchemaType, schema: string): RegisteredSchema {
    const cur = this.#latest.get(subject);
    if (cur && cur.schemaType === schemaType && canonical(schemaType, cur.schema) === canonical(schemaType, schema)) return cur;
    // provisional record until the registry answers with the real id
    const provisional: RegisteredSchema = { id: -1, subject, version: (cur?.version ?? 0) + 1, schemaType, schema };
    this.#latest.set(subject, provisional);
    this.#pending.push(this.registerAsync(subject, schemaType, schema));
    return provisional;
  }

  async registerAsync(subject: string, schemaType: SchemaType, schema: string): Promise<RegisteredSchema> {
    const body = JSON.stringify(schemaType === 'AVRO' ? { schema } : { schemaType, schema });
    const r = (await this.#call(`/subjects/${encodeURIComponent(subject)}/versions`, { method: 'POST', body })) as { id: number };
    await this.prefetch([subject]);
    const latest = this.#latest.get(subject);
    const rec = latest && latest.id === r.id ? latest : this.#record(subject, { id: r.id, schemaType, schema });
    this.#latest.set(subject, rec);
    return rec;
  }

  async flush(): Promise<void> {
    const p = this.#pending.splice(0);
    await Promise.all(p);
  }

  latest(subject: string): RegisteredSchema | undefined {
    return this.#latest.get(subject);
  }

  byId(id: number): RegisteredSchema | undefined {
    return this.#byId.get(id);
  }

  subjects(): readonly string[] {
    return [...this.#latest.keys()];
  }
}

/**
 * The texts a schema's references resolve to, dependencies first (each once), for
 * parsers that read a schema together with what it imports. A reference the registry
 * cannot resolve is an error naming it.
 */
export function referencedSchemas(registry: SchemaRegistry, schema: RegisteredSchema): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const visit = (s: RegisteredSchema): void => {
    for (const ref of s.references ?? []) {
      const key = `${ref.subject}\u0000${ref.version}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const dep = registry.version?.(ref.subject, ref.version) ?? (registry.latest(ref.subject)?.version === ref.version ? registry.latest(ref.subject) : undefined);
      if (!dep) throw new SerdeError(`Schema reference ${ref.name} (subject ${ref.subject}, version ${ref.version}) does not exist in the Schema Registry.`);
      visit(dep);
      out.push(dep.schema);
    }
  };
  visit(schema);
  return out;
}
