/**
 * Semantic checks of a KsqlQuery's SQL before anything is submitted: the
 * statements run on a throw-away in-memory engine (engine/driver) seeded
 * with the cluster's streams and tables as the cluster's engine reports
 * them (`SHOW STREAMS EXTENDED; SHOW TABLES EXTENDED;` give each source's
 * creating statement, topic and partition count). A missing stream, an
 * unknown column or a type error comes back with its line and column in
 * `spec.sql`, and the real cluster is not touched.
 *
 * Why not let the engine server validate: a script of several statements is
 * executed statement by statement, so an error in the third statement
 * would leave the first two applied. The same engine library, run locally,
 * gives the same verdict without side effects.
 */
import { createInMemoryEngine } from '../../../engine/driver/in-memory-engine.js';
import { problemOf, type SqlProblem } from './plan.js';

export interface SeedSource {
  readonly name: string;
  readonly statement: string;
  readonly topic: string;
  readonly partitions: number;
}

/**
 * Runs `sql` on an in-memory engine holding `seed` (minus `exclude`: the
 * sources this KsqlQuery itself created, which its SQL creates again).
 * Seed statements run in dependency order by retrying until no more
 * succeed; ones that cannot run (their inputs are excluded) are left out.
 */
export function validateSemantics(sql: string, seed: readonly SeedSource[], exclude: ReadonlySet<string>, properties: Readonly<Record<string, string>> = {}): SqlProblem | null {
  const engine = createInMemoryEngine();
  try {
    for (const s of seed) {
      if (exclude.has(s.name)) continue;
      if (!engine.broker.topic(s.topic)) engine.broker.createTopic(s.topic, Math.max(1, s.partitions));
    }
    let pending = seed.filter((s) => !exclude.has(s.name) && s.statement.trim() !== '');
    for (let progress = true; progress && pending.length > 0; ) {
      progress = false;
      const next: SeedSource[] = [];
      for (const s of pending) {
        try {
          engine.execute(s.statement);
          progress = true;
        } catch {
          next.push(s);
        }
      }
      pending = next;
    }
    try {
      engine.execute(sql, properties);
      return null;
    } catch (e) {
      return problemOf(e);
    }
  } finally {
    engine.close();
  }
}
