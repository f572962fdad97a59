import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConnectionError, type KsqlClient, type QueryMeta } from './client.js';
import { boxHeader, boxRow, boxRule, cell, errorLines, formatEntity, renderBox, renderTable, streamingWidths } from './format.js';
import { classify, isBlank, takeStatements } from './statements.js';

export interface ShellIo {
  out(line: string): void;
  err(line: string): void;
  /** terminal width, for the fixed columns of push query output */
  columns(): number;
}

export const HELP = `Statements end with ';' and may span several lines; they are sent to the server.

Local commands (no ';' needed):
  help                 show this help
  exit, quit           leave the shell (or Ctrl-D)
  history              show the statement history
  server               show the server this shell talks to
  version              show the server's version
  clear                clear the screen

Statements the shell handles itself:
  SET 'property'='value';    set a property sent along with every statement
  UNSET 'property';          remove it again
  DEFINE name = 'value';     define a session variable, used as \${name}
  UNDEFINE name;             remove it
  SHOW VARIABLES;            list the session variables
  RUN SCRIPT '/path/file.sql';   run the statements of a file

Queries (SELECT) print their rows; push queries (EMIT CHANGES) print rows as
they arrive until their LIMIT is reached or Ctrl-C cancels them.`;

const MAX_SCRIPT_DEPTH = 16;

/**
 * Runs statements against a ksqlDB-compatible server and prints the answers:
 * entity tables for /ksql, boxed rows for queries. Holds the properties and
 * session variables set in the session.
 */
export class Shell {
  readonly client: KsqlClient;
  readonly properties: Record<string, string> = {};
  readonly variables: Record<string, string> = {};
  readonly #io: ShellIo;
  #running: { abort: AbortController; queryId: string | null } | null = null;
  #depth = 0;

  constructor(client: KsqlClient, io: ShellIo) {
    this.client = client;
    this.#io = io;
  }

  /** True while a query is running (Ctrl-C cancels it). */
  get busy(): boolean {
    return this.#running !== null;
  }

  /**
   * Runs every statement of `text`; with `stopOnError`, stops at the first
   * failing one. Resolves to true when all succeeded.
   */
  async runScript(text: string, stopOnError = true): Promise<boolean> {
    const { statements, rest } = takeStatements(text);
    const all = isBlank(rest) ? statements : [...statements, rest.trim()];
    let ok = true;
    for (const st of all) {
      if (!(await this.execute(st))) {
        ok = false;
        if (stopOnError) return false;
      }
    }
    return ok;
  }

  /** Runs one complete statement; resolves to false when it failed. */
  async execute(statement: string): Promise<boolean> {
    try {
      return await this.#execute(statement);
    } catch (e) {
      this.#io.err(e instanceof ConnectionError ? e.message : `Error: ${e instanceof Error ? e.message : String(e)}`);
      return false;
    }
  }

  /** Cancels the running query (Ctrl-C); false when none runs. */
  cancel(): boolean {
    const r = this.#running;
    if (!r) return false;
    this.#running = null;
    const close = r.queryId ? this.client.closeQuery(r.queryId).catch(() => undefined) : Promise.resolve();
    void close.finally(() => r.abort.abort());
    return true;
  }

  async #execute(statement: string): Promise<boolean> {
    const io = this.#io;
    const c = classify(statement);
    switch (c.kind) {
      case 'set': {
        const was = this.properties[c.name];
        this.properties[c.name] = c.value;
        io.out(
          was === undefined
            ? `Successfully changed local property '${c.name}' to '${c.value}'. Use the UNSET command to revert your change.`
            : `Successfully changed local property '${c.name}' from '${was}' to '${c.value}'.`,
        );
        return true;
      }
      case 'unset': {
        const was = this.properties[c.name];
        if (was === undefined) {
          io.out(`Local property '${c.name}' was not set.`);
          return true;
        }
        delete this.properties[c.name];
        io.out(`Successfully unset local property '${c.name}' (value was '${was}').`);
        return true;
      }
      case 'define':
        this.variables[c.name] = c.value;
        return true;
      case 'undefine':
        if (!(c.name in this.variables)) io.out(`Variable '${c.name}' is undefined`);
        delete this.variables[c.name];
        return true;
      case 'show-variables':
        for (const l of renderTable(['Variable Name', 'Value'], Object.entries(this.variables))) io.out(l);
        return true;
      case 'run-script':
        return this.#runScriptFile(c.file);
      case 'query':
        return this.#query(statement, c.push, c.limit);
      case 'server':
        return this.#ksql(statement);
    }
  }

  async #runScriptFile(file: string): Promise<boolean> {
    if (this.#depth >= MAX_SCRIPT_DEPTH) {
      this.#io.err(`RUN SCRIPT: scripts nested deeper than ${MAX_SCRIPT_DEPTH}`);
      return false;
    }
    let text: string;
    try {
      text = readFileSync(resolve(file), 'utf8');
    } catch (e) {
      this.#io.err(`Failed to read file '${file}': ${e instanceof Error ? e.message : String(e)}`);
      return false;
    }
    this.#depth++;
    try {
      return await this.runScript(text, true);
    } finally {
      this.#depth--;
    }
  }

  async #ksql(statement: string): Promise<boolean> {
    const io = this.#io;
    const res = await this.client.ksql(statement, this.properties, this.variables);
    if (!res.ok) {
      // entities that succeeded before the failing statement are printed too
      const before = (res.body as { entities?: unknown })?.entities;
      if (Array.isArray(before)) this.#printEntities(before);
      for (const l of errorLines(res.body, res.status)) io.err(l);
      return false;
    }
    if (!Array.isArray(res.body)) {
      io.err(`Unexpected response from the server: ${JSON.stringify(res.body)}`);
      return false;
    }
    this.#printEntities(res.body);
    return true;
  }

  #printEntities(entities: readonly unknown[]): void {
    entities.forEach((e, i) => {
      if (i > 0) this.#io.out('');
      for (const l of formatEntity(e as Record<string, unknown>)) this.#io.out(l);
    });
  }

  async #query(statement: string, push: boolean, limit: number | null): Promise<boolean> {
    const io = this.#io;
    const running = { abort: new AbortController(), queryId: null as string | null };
    this.#running = running;
    let meta: QueryMeta | null = null;
    let widths: number[] = [];
    const rows: string[][] = [];
    let count = 0;
    try {
      const outcome = await this.client.queryStream(
        statement,
        this.properties,
        this.variables,
        {
          onMeta: (m) => {
            meta = m;
            running.queryId = m.queryId;
            if (push) {
              widths = streamingWidths(m.columnNames, io.columns());
              for (const l of boxHeader(m.columnNames, widths)) io.out(l);
            }
          },
          onRow: (row) => {
            count++;
            const cells = row.map(cell);
            if (push) for (const l of boxRow(cells, widths)) io.out(l);
            else rows.push(cells);
          },
        },
        running.abort.signal,
      );
      if (outcome.kind === 'error') {
        if (push && meta) io.out(boxRule(widths));
        for (const l of errorLines(outcome.body, outcome.status)) io.err(l);
        return false;
      }
      const m = meta as QueryMeta | null;
      if (push) {
        if (m) io.out(boxRule(widths));
        if (outcome.kind === 'done' && limit !== null && count >= limit) io.out('Limit Reached');
        io.out('Query terminated');
      } else if (m) {
        for (const l of renderBox(m.columnNames, rows)) io.out(l);
        if (outcome.kind === 'cancelled') io.out('Query terminated');
      }
      return true;
    } finally {
      if (this.#running === running) this.#running = null;
    }
  }
}
