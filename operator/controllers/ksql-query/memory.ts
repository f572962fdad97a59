/**
 * What the KsqlQuery controller remembers between reconciles, per
 * KsqlQuery: the last dry run (and what it depended on), and the counter
 * samples rates and stall detection are computed from. Held by the
 * controller (one instance per operator process, given to every reconcile),
 * not by the module; an operator restart starts over, which costs one dry
 * run and one sampling interval.
 */
import type { FigureHistory } from './stats.js';
import type { Validation } from './validate.js';

export class QueryMemory {
  readonly #validations = new Map<string, { readonly key: string; readonly result: Validation }>();
  readonly #figures = new Map<string, FigureHistory>();

  /** The last dry run of `query` when it was made for `key` (generation + catalog), else undefined. */
  validation(query: string, key: string): Validation | undefined {
    const v = this.#validations.get(query);
    return v && v.key === key ? v.result : undefined;
  }

  rememberValidation(query: string, key: string, result: Validation): void {
    this.#validations.set(query, { key, result });
  }

  figures(query: string): FigureHistory | undefined {
    return this.#figures.get(query);
  }

  rememberFigures(query: string, h: FigureHistory): void {
    this.#figures.set(query, h);
  }

  forget(query: string): void {
    this.#validations.delete(query);
    this.#figures.delete(query);
  }
}
