import type { SqlType } from '../types/sql-type.js';
import type { DataSource } from './data-source.js';

export interface QueryInfo {
  readonly id: string;
  readonly sql: string;
  /** the source the query writes into, null for transient queries */
  readonly sink: string | null;
  readonly sources: readonly string[];
  state: 'RUNNING' | 'PAUSED' | 'ERROR';
}

/** Streams, tables, user types and the persistent queries between them. */
export class Metastore {
  readonly #sources = new Map<string, DataSource>();
  readonly #types = new Map<string, SqlType>();
  readonly #queries = new Map<string, QueryInfo>();
  #version = 0;

  /** Changes with every change of the catalog (sources, types, queries): what was planned against an older version may be stale. */
  get version(): number {
    return this.#version;
  }

  source(name: string): DataSource | undefined {
    return this.#sources.get(name);
  }
  sources(): readonly DataSource[] {
    return [...this.#sources.values()];
  }
  putSource(s: DataSource): void {
    this.#sources.set(s.name, s);
    this.#version++;
  }

  /** Drops a source (the statement layer checks first that no query uses it: analyzer/statements.ts). */
  dropSource(name: string): void {
    this.#sources.delete(name);
    this.#version++;
  }

  /** The queries (but `except`) that read from or write into a source. */
  users(name: string, except: string | null): { readonly readers: string[]; readonly writers: string[] } {
    const others = this.queries().filter((q) => q.id !== except);
    return { readers: others.filter((q) => q.sources.includes(name)).map((q) => q.id), writers: others.filter((q) => q.sink === name).map((q) => q.id) };
  }

  type(name: string): SqlType | undefined {
    return this.#types.get(name.toUpperCase());
  }
  types(): ReadonlyMap<string, SqlType> {
    return this.#types;
  }
  putType(name: string, t: SqlType): void {
    this.#types.set(name.toUpperCase(), t);
    this.#version++;
  }
  dropType(name: string): boolean {
    this.#version++;
    return this.#types.delete(name.toUpperCase());
  }

  /** A query by id; ids compare case-insensitively, as ksqlDB's QueryId (TERMINATE csas_s_0 stops CSAS_S_0). */
  query(id: string): QueryInfo | undefined {
    const exact = this.#queries.get(id);
    if (exact) return exact;
    const upper = id.toUpperCase();
    for (const [k, q] of this.#queries) if (k.toUpperCase() === upper) return q;
    return undefined;
  }
  queries(): readonly QueryInfo[] {
    return [...this.#queries.values()];
  }
  putQuery(q: QueryInfo): void {
    this.#queries.set(q.id, q);
    this.#version++;
  }
  removeQuery(id: string): void {
    this.#queries.delete(id);
    this.#version++;
  }
}
